// forEachBackend: one uvu suite per available device. Importing this module runs `await init()`
// (CPU kernels, and WebGPU where an adapter exists), so test files can create tensors at once.
// A device is targeted through the placement policy: 'ref' makes tensors on the float64
// reference, 'cpu' on the Wasm device, 'gpu' on WebGPU; ops then run where their inputs live.
// No adapter: the webgpu suite is skipped, printed and counted by uvu as skipped (never a
// pass), unless FLUXION_REQUIRE_GPU=1, where it is one failing test.
import { suite, type Test } from 'uvu';
import { init, devices, withPolicy } from '../../src/index.js';
import { runtime, type Policy } from '../../src/runtime.js';
import { testNeedingGpu } from './skip.js';
import type { Backend, DeviceName } from '../../src/backends/backend.js';

await init();

export interface Device {
  readonly name: DeviceName;
  readonly policy: Policy;
  readonly backend: Backend;
  /** Runs `fn` with this device's policy: tensors it creates live on this device. */
  run<T>(fn: () => T): T;
}

const POLICY: Record<DeviceName, Policy> = { ref: 'ref', wasm: 'cpu', webgpu: 'gpu' };
const make = (name: DeviceName, backend: Backend): Device =>
  ({ name, policy: POLICY[name], backend, run: (fn) => withPolicy(POLICY[name], fn) });

/** Why there is no WebGPU device (null when there is one). */
export const gpuMissing: string | null = runtime.gpu ? null : (devices().gpu as { reason?: string }).reason ?? 'no adapter';
export { requireGpu } from './skip.js';

/** The devices present, reference first. */
export function available(): Device[] {
  const out = [make('ref', runtime.ref!), make('wasm', runtime.cpu!)];
  if (runtime.gpu) out.push(make('webgpu', runtime.gpu));
  return out;
}
/** The fast devices (every one but `ref`). */
export const fast = (): Device[] => available().filter((d) => d.name !== 'ref');
export const refDevice = (): Device => make('ref', runtime.ref!);

/**
 * Creates and runs one suite `<name> [<device>]` per device. `fn` registers its tests.
 * @example forEachBackend('ops', (test, dev) => test('add', async () => { ... }), { ref: false });
 */
export function forEachBackend(name: string, fn: (test: Test, dev: Device) => void, opts: { ref?: boolean } = {}): void {
  for (const dev of available()) {
    if (dev.name === 'ref' && opts.ref === false) continue;
    const s = suite(`${name} [${dev.name}]`);
    fn(s, dev);
    s.run();
  }
  if (!runtime.gpu) {
    const s = suite(`${name} [webgpu]`);
    testNeedingGpu(s, `${name} on webgpu`, `no adapter: ${gpuMissing}`, () => {});
    s.run();
  }
}
