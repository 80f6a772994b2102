// Process-wide state: the devices found by init(), the placement policy, and the trace() in
// progress. Device speeds and choices live in scheduler.ts; moving a tensor between devices is
// tensor.ts's `moveTo`.

import type { Backend, DeviceName } from './backends/backend.js';
import type { Tensor, Shape } from './tensor.js';
import type { OpDef } from './ops/registry.js';

export type Policy = 'auto' | 'cpu' | 'gpu' | 'ref';

interface Runtime {
  cpu: Backend | null;
  gpu: Backend | null;
  /** A GPU backend whose device was lost (set by init()'s hook; runtime.gpu is then null). */
  lostGpu: Backend | null;
  /** The float64 reference device: installed by tests (backends/ref.ts), not shipped in the bundle. */
  ref: Backend | null;
  policy: Policy;
  /** Where new tensors (creation functions, data) are placed. */
  creation(): Backend;
  device(name: DeviceName): Backend;
  /**
   * The `trace()` call in progress, or null (the hot path then pays one null check). Set and
   * cleared by trace() within its call, so it never outlives it.
   */
  tracer: Tracer | null;
}

/** What a running `trace()` collects: the scheduler's estimates, each op run, each transfer. */
export interface Tracer {
  /** The scheduler chose a device: its estimates in ms (NaN where it did not estimate) and why. */
  estimate(cpuMs: number, gpuMs: number, why: string): void;
  /** An op ran on `b` in `ms` (wall time of the call). */
  op(def: OpDef, ins: readonly Tensor[], out: Shape, b: Backend, ms: number): void;
  /** Values were copied between devices to run an op. */
  transfer(from: DeviceName, to: DeviceName, bytes: number): void;
}

export const runtime: Runtime = {
  cpu: null,
  gpu: null,
  lostGpu: null,
  ref: null,
  policy: 'auto',
  creation() {
    if (this.policy === 'ref' && this.ref) return this.ref;
    if (this.policy === 'gpu' && this.gpu) return this.gpu;
    if (!this.cpu) throw new Error('fluxion: call `await init()` before creating tensors');
    return this.cpu;
  },
  device(name) {
    const b = name === 'ref' ? this.ref : name === 'wasm' ? this.cpu : this.gpu;
    if (!b) throw new Error(`fluxion: device ${name} is not available (see devices())`);
    return b;
  },
  tracer: null,
};

/** The error for using a tensor whose storage was on a GPU device that has since been lost. */
export function lostError(shape: readonly number[], what = 'a tensor'): Error {
  const why = (runtime.lostGpu as { lost?: string | null } | null)?.lost ?? 'device lost';
  return new Error(`fluxion: ${what} of shape [${shape}] lived on the WebGPU device, which was lost (${why}); ` +
    'its values are gone. Recreate it (ops now run on the CPU; `await init()` opens a new GPU device)');
}
