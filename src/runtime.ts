// Process-wide state: the devices found by init(), the placement policy, and the one operation
// that moves a tensor between devices. Device speeds and choices live in scheduler.ts.

import type { Backend, DeviceName } from './backends/backend.js';
import type { Tensor, Storage } from './tensor.js';

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
  /** `t` on `to`: itself when already there, else a copy (counted by the trace). */
  moveTo(t: Tensor, to: Backend): Tensor;
  onTransfer: ((from: DeviceName, to: DeviceName, bytes: number) => void) | null;
}

let makeTensor: ((shape: readonly number[], b: Backend) => Tensor) | null = null;
let makeView: ((shape: readonly number[], s: Storage) => Tensor) | null = null;
/** tensor.ts registers its constructors here, so this module need not import it. */
export function setTensorFactory(f: (shape: readonly number[], b: Backend) => Tensor, v: (shape: readonly number[], s: Storage) => Tensor) {
  makeTensor = f; makeView = v;
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
  moveTo(t, to) {
    const from = t.backend, s = t.storage;
    if (from === to) return t;
    if (s.mirror && s.mirror.backend === to) { s.mirror.refs++; return makeView!(t.shape, s.mirror); }
    const host = from.readSync(t.buf, t.size);
    if (!host) {
      throw new Error(`fluxion: a tensor of shape [${t.shape}] on ${from.name} is needed on ${to.name}; ` +
        `GPU data reaches the CPU only through \`await t.data()\``);
    }
    const out = makeTensor!(t.shape, to);
    to.write(out.buf, host);
    this.onTransfer?.(from.name, to.name, t.size * 4);
    if (to === this.gpu) { s.mirror = out.storage; out.storage.refs++; }  // keep the upload for reuse
    return out;
  },
  onTransfer: null,
};

/** The error for using a tensor whose storage was on a GPU device that has since been lost. */
export function lostError(shape: readonly number[], what = 'a tensor'): Error {
  const why = (runtime.lostGpu as { lost?: string | null } | null)?.lost ?? 'device lost';
  return new Error(`fluxion: ${what} of shape [${shape}] lived on the WebGPU device, which was lost (${why}); ` +
    'its values are gone. Recreate it (ops now run on the CPU; `await init()` opens a new GPU device)');
}
