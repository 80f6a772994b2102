// Collecting garbage before a memory snapshot. Tensors that other tests dropped without
// disposing are freed when GC runs (the FinalizationRegistry safety net), which moves the global
// counters (memory().tensors, bytes) at whatever moment a GC happens to run. A snapshot taken
// after settle() has none of that garbage left to move it; what changes after is the test's own.
import v8 from 'node:v8';
import vm from 'node:vm';
import { within } from './wait.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/**
 * A full GC, then its finalization callbacks: a marker object of our own dies in the same GC,
 * and the delivery of its cleanup callback is the event awaited (not a sleep). Three rounds, for
 * finalizers that free what holds other garbage.
 */
export async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    let registry: FinalizationRegistry<number> | null = null;
    const finalized = new Promise<void>((r) => { registry = new FinalizationRegistry(() => r()); registry.register({}, i); });
    gc();
    await within(finalized, 'the GC marker\'s finalization callback', 60_000);
    registry = null;
  }
}
