// The contract every device implements: storage (alloc/free/write/read) plus the kernels of
// src/backends/kernels.ts. Ops in src/ops/ are written once against `Kernels<B>`, so the float64
// reference, the Wasm module and WebGPU run the same op definitions.

export type DeviceName = 'ref' | 'wasm' | 'webgpu';

import type { Kernels, KernelName } from './kernels.js';
export type { Kernels, KernelName };

/** A device: where tensors live and how their kernels run. */
export interface Backend<B = any> extends Kernels<B> {
  readonly name: DeviceName;
  /** Storage for `n` f32 values (f64 on `ref`); contents undefined. */
  alloc(n: number): B;
  free(buf: B, n: number): void;
  write(buf: B, data: ArrayLike<number>, offset?: number): void;
  /** Copy out `n` values; resolves once the device has finished every queued op. */
  read(buf: B, n: number): Promise<Float32Array | Float64Array>;
  /** Synchronous read for host-resident devices; null where the data is not on the host. */
  readSync(buf: B, n: number): Float32Array | Float64Array | null;
  /** Whether this device has the kernel; the scheduler never sends an op to a device without its kernels. */
  has(kernel: KernelName): boolean;
  /** Submit queued work (a sync point); a no-op on host devices. */
  flush(): void;
  /** Bytes currently held in live buffers. */
  bytes(): number;
}
