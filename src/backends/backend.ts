// The contract every device implements: storage (alloc/free/write/read) plus the kernels of
// docs/KERNELS.md. Ops in src/ops/ are written once against `Kernels<B>`, so the float64
// reference, the Wasm module and WebGPU run the same op definitions.

export type DeviceName = 'ref' | 'wasm' | 'webgpu';

/** The kernel set, in the argument order of docs/KERNELS.md; `B` is the device's buffer type. */
export interface Kernels<B> {
  matmul(a: B, b: B, c: B, m: number, k: number, n: number, ta: number, tb: number, acc: number): void;
  unary(op: number, x: B, y: B, n: number, alpha: number, beta: number): void;
  unaryGrad(op: number, x: B, y: B, dy: B, dx: B, n: number, alpha: number, beta: number): void;
  binary(op: number, a: B, b: B, c: B, d0: number, d1: number, d2: number,
    as0: number, as1: number, as2: number, bs0: number, bs1: number, bs2: number): void;
  reduce(op: number, x: B, y: B, outer: number, len: number, inner: number): void;
  softmax(x: B, y: B, outer: number, len: number, inner: number, log: number): void;
  softmaxGrad(y: B, dy: B, dx: B, outer: number, len: number, inner: number, log: number): void;
  biasAct(x: B, b: B, y: B, rows: number, cols: number, act: number, alpha: number): void;
  transpose(x: B, y: B, rows: number, cols: number): void;
  fill(y: B, n: number, value: number): void;
  /** y[i] = x[i] for n elements, with element offsets (slicing, concatenation, copies). */
  copy(x: B, xOff: number, y: B, yOff: number, n: number): void;
  descent(x: B, g: B, n: number, eta: number): void;
  momentum(x: B, g: B, v: B, n: number, eta: number, rho: number): void;
  adam(x: B, g: B, m: B, v: B, n: number, eta: number, b1: number, b2: number, eps: number, b1t: number, b2t: number): void;
  adamw(x: B, g: B, m: B, v: B, n: number, eta: number, b1: number, b2: number, eps: number, b1t: number, b2t: number, lambda: number): void;
}

export type KernelName = keyof Kernels<unknown>;

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
  /** Kernel availability: the scheduler never sends an op to a device without its kernels. */
  has(kernel: KernelName): boolean;
  /** Submit queued work (a sync point); a no-op on host devices. */
  flush(): void;
  /** Bytes currently held in live buffers. */
  bytes(): number;
}
