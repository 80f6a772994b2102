// Tensor: a shape and a handle to storage on one device. Row-major f32 (f64 on the reference
// device), features first and observations last, as in Flux. Storage is reference-counted so
// `reshape` is free; every tensor created inside a scope is released when the scope ends
// unless it is returned or kept. A FinalizationRegistry is only a safety net, for the tensors no
// scope owns: those created outside any scope, and those that leave one (returned from the
// outermost, kept, escaped). A tensor a scope will release is never registered, so the
// intermediates of a step cost the registry nothing (registering and unregistering each one
// grew RSS by ~33 MB over 5,000 steps of the seed model, issue 10).

import type { Backend, DeviceName } from './backends/backend.js';
import { runtime, lostError } from './runtime.js';
import type { TapeNode } from './autograd.js';
// Ops are imported for the Tensor methods (`x.add(y)`) and for view()'s reshape on the tape. The
// cycle is harmless: nothing here uses them before a method is called.
import * as u from './ops/unary.js';
import * as bi from './ops/binary.js';
import * as r from './ops/reduce.js';
import { matmul } from './ops/matmul.js';
import { softmax, logsoftmax, type SoftmaxDims } from './ops/softmax.js';
import { reshape, transpose, reshapeDef, transposeDef } from './ops/shape.js';
import { apply } from './ops/registry.js';
import { currentGuard } from './ops/optim.js';
import { shapeArg, number, int, func, fail } from './check.js';

/**
 * A tensor's dimensions, features first and observations last.
 * @example const s: Shape = [784, 32];   // 784 features, 32 observations
 */
export type Shape = readonly number[];
/**
 * Anything an op accepts as a tensor: a Tensor, a number, a flat array or typed array, or nested arrays.
 * @example mse(m([[0.5], [1]]), 0.3)   // nested arrays and numbers become tensors
 */
export type TensorLike = Tensor | number | ArrayLike<number> | NestedArray;
/**
 * Nested arrays of numbers, row-major: `[[1, 2], [3, 4]]` is a 2×2 matrix.
 * @example const rows: NestedArray = [[1, 2, 3], [4, 5, 6]];
 *          tensor(rows).shape   // [2, 3]
 */
export interface NestedArray extends ReadonlyArray<number | NestedArray> {}

/**
 * Device memory shared by a tensor and its reshaped views. `mirror` is a valid copy on another
 * device (a parameter uploaded to the GPU), dropped as soon as the values change in place.
 */
export interface Storage {
  backend: Backend; buf: any; n: number; refs: number; mirror?: Storage | null;
  /** How many of `refs` are lazy transposes not yet materialised (they never block a migrate). */
  tviews?: number;
}

let nextId = 1;
let live = 0;
/** What a collected tensor releases: its storage, or a lazy transpose's (which also counts down tviews). */
type Held = Storage | { lazy: Storage };
const registry = new FinalizationRegistry<Held>((h) => {
  live--;
  if ('lazy' in h) { h.lazy.tviews!--; release(h.lazy); } else release(h);
});
/** Tensors created and not yet disposed or collected. */
export const liveTensors = () => live;

function release(s: Storage) {
  if (--s.refs === 0) {
    s.backend.free(s.buf, s.n);
    if (s.mirror) { release(s.mirror); s.mirror = null; }
  }
}
/** Call after writing a storage in place: its copy on another device is stale. */
export function invalidate(s: Storage): void {
  if (s.mirror) { release(s.mirror); s.mirror = null; }
}

/**
 * A scope: the tensors created while it is the innermost open scope, released at its end.
 * `parent` receives what it returns, if the parent has not ended by then (an async scope ends
 * after its caller may have).
 */
export interface Scope { tensors: Tensor[]; parent: Scope | null; ended: boolean }
/**
 * The open scopes, innermost last. Only synchronous code runs while a scope is on this stack: an
 * async function's scope leaves it when the function returns its promise, so a tensor created
 * after an await (by that function or by any other code) joins no scope that happens to be
 * pending, and no scope can free another task's tensors.
 */
const scopes: Scope[] = [];
/** Set in Tensor's static block: puts a tensor no scope owns under the FinalizationRegistry. */
let unown: (t: Tensor) => void;
/** Set in Tensor's static block: moves a tensor no scope owns into scope `s`. */
let own: (t: Tensor, s: Scope) => void;
/** Set in Tensor's static block: a tensor of `shape` on `s` that holds its transpose (see transposeView). */
let lazyT: (shape: Shape, s: Storage) => Tensor;

/**
 * An n-dimensional f32 array on one device (row-major; observations last). Create with `tensor`,
 * `zeros`, `rand`...; read with `await t.data()` (any device) or `t.dataSync()` (CPU).
 * @example const x = tensor([[1, 2], [3, 4]]);
 *          x.shape; x.device; await x.data();   // [2, 2], 'wasm', Float32Array [1, 2, 3, 4]
 *          x.add(1).mean();                     // the ops are methods too
 *          x.dispose();
 */
export class Tensor {
  readonly id = nextId++;
  readonly size: number;
  /** Set while a gradient tape records this tensor (see autograd.ts). */
  node: TapeNode | null = null;
  tape = 0;
  #storage: Storage | null;
  #kept = false;
  #registered = false;
  /**
   * A lazy transpose (Julia's `W'`): #storage holds this matrix's transpose, row-major [cols,
   * rows]. Ops that read `raw` (matmul) read it in place; anything that asks for `storage` or
   * `buf` gets the matrix materialised in place first, once.
   */
  #trans = false;
  /**
   * @internal A readback of these values already recorded in a GPU submission (trainStep's loss,
   * so the step and its loss read share one submit); data() and item() use it instead of reading.
   */
  readAhead: Promise<Float32Array> | null = null;

  constructor(readonly shape: Shape, storage: Storage) {
    this.size = storage.n === 0 ? 0 : sizeOf(shape);
    this.#storage = storage;
    live++;
    const s = scopes.length ? scopes[scopes.length - 1] : null;
    if (s) s.tensors.push(this);
    else unown(this);
  }
  static {
    unown = (t: Tensor) => {
      if (t.#registered || !t.#storage) return;
      registry.register(t, t.#trans ? { lazy: t.#storage } : t.#storage, t);
      t.#registered = true;
    };
    lazyT = (shape: Shape, s: Storage) => {
      s.refs++;
      s.tviews = (s.tviews ?? 0) + 1;
      const t = new Tensor(shape, s);
      t.#trans = true;
      if (t.#registered) { registry.unregister(t); registry.register(t, { lazy: s }, t); }
      return t;
    };
    own = (t: Tensor, s: Scope) => {
      if (!t.#registered || t.#kept) return;
      registry.unregister(t);
      t.#registered = false;
      s.tensors.push(t);
    };
  }

  /** The storage, row-major in this tensor's shape (a lazy transpose is materialised first). */
  get storage(): Storage {
    if (this.#trans) this.#materialise();
    return this.raw;
  }
  /**
   * @internal The storage as it is: for a lazy transpose (`transposed`), the matrix's transpose.
   * For ops that read transposed operands in place (matmul) and for placement, which must not
   * materialise.
   */
  get raw(): Storage {
    const s = this.#storage;
    if (!s) throw new Error(`fluxion: tensor #${this.id} of shape [${this.shape}] was disposed and cannot be used again`);
    return s;
  }
  /** @internal True for a lazy transpose whose storage still holds the transpose (see `raw`). */
  get transposed(): boolean { return this.#trans; }
  get buf(): any { return this.storage.buf; }
  get backend(): Backend { return this.raw.backend; }
  get device(): DeviceName { return this.raw.backend.name; }
  get rank(): number { return this.shape.length; }
  /** True when the values are on `b`, as the primary storage or a valid copy. */
  hasCopyOn(b: Backend): boolean {
    const s = this.raw;
    return s.backend === b || (s.mirror != null && s.mirror.backend === b);
  }
  /** A lazy transpose becomes a plain matrix: its own storage, written by the transpose kernel. */
  #materialise(): void {
    const s = this.raw, b = s.backend, [rows, cols] = this.shape;
    if (b === runtime.lostGpu) throw lostError(this.shape);
    const next: Storage = { backend: b, buf: b.alloc(s.n), n: s.n, refs: 1 };
    const tr = runtime.tracer, t0 = tr ? performance.now() : 0;
    b.transpose(s.buf, next.buf, cols, rows);
    if (tr) tr.op(transposeDef, [this], this.shape, b, performance.now() - t0);
    this.#trans = false;
    this.#storage = next;
    if (this.#registered) { registry.unregister(this); registry.register(this, next, this); }
    s.tviews!--;
    release(s);
  }
  /**
   * Moves the storage to `b` (the tensor stays the same object, so optimiser state keyed by it
   * survives): a valid copy there is promoted, else the values are copied.
   */
  migrate(b: Backend): this {
    const s = this.storage;
    if (s.backend === b) return this;
    let next = s.mirror && s.mirror.backend === b ? s.mirror : null;
    if (next) { s.mirror = null; }
    else {
      const t = moveTo(this, b);
      next = t.storage; next.refs++;
      t.dispose();
      if (s.mirror === next) s.mirror = null;
    }
    // Lazy transposes of it keep the old storage: they read as the copies transposes used to be.
    if (s.refs - (s.tviews ?? 0) > 1) throw new Error(`fluxion: cannot move tensor #${this.id} of shape [${this.shape}]: views of it exist`);
    this.#storage = next;
    if (this.#registered) { registry.unregister(this); registry.register(this, next, this); }
    release(s);
    return this;
  }
  get disposed(): boolean { return this.#storage === null; }
  /** True for tensors that outlive scopes (parameters, optimiser state). */
  get kept(): boolean { return this.#kept; }

  /** A copy of the values, from any device. `await t.data()` → Float32Array. */
  async data(): Promise<Float32Array> {
    const s = this.storage;
    if (s.backend === runtime.lostGpu) throw lostError(this.shape);
    if (this.readAhead) return new Float32Array(await this.readAhead);
    const v = await s.backend.read(s.buf, this.size);
    return v instanceof Float32Array ? v : Float32Array.from(v);
  }
  /** The value of a one-element tensor: `await loss.item()`. */
  async item(): Promise<number> {
    if (this.size !== 1) throw new RangeError(`item: expected a tensor with one element, got shape [${this.shape}]`);
    if (this.backend === runtime.lostGpu) throw lostError(this.shape);
    if (this.readAhead) return (await this.readAhead)[0];
    return (await this.storage.backend.read(this.buf, 1))[0];
  }
  /** Nested arrays in Flux's axis order: `await t.array()`. */
  async array(): Promise<NestedArray | number> { return nest(await this.data(), this.shape); }
  /** Values of a CPU-resident tensor, synchronously. */
  dataSync(): Float32Array {
    const s = this.storage, v = s.backend.readSync(s.buf, this.size);
    if (!v && s.backend === runtime.lostGpu) throw lostError(this.shape);
    if (!v) throw new Error(`dataSync: tensor of shape [${this.shape}] lives on ${this.device}; use await t.data()`);
    return v instanceof Float32Array ? v : Float32Array.from(v);
  }
  /** Values as float64 (exact on the reference device): for tests and diagnostics. */
  async data64(): Promise<Float64Array> {
    if (this.backend === runtime.lostGpu) throw lostError(this.shape);
    const v = await this.storage.backend.read(this.buf, this.size);
    return v instanceof Float64Array ? v : Float64Array.from(v);
  }
  /** Frees the storage now (once; a second call is a no-op). */
  dispose(): void {
    const s = this.#storage;
    if (!s) return;
    this.#storage = null;
    if (this.#registered) { registry.unregister(this); this.#registered = false; }
    if (this.#trans) { s.tviews!--; this.#trans = false; }
    live--;
    release(s);
  }
  /** Excludes this tensor from every enclosing scope (parameters, optimiser state). */
  keep(): this { this.#kept = true; return this; }
  /** Overwrites the values in place: `p.assign(newValues)`; the tensor stays the same object. */
  assign(values: TensorLike): this {
    this.readAhead = null;
    const src = values instanceof Tensor ? values : null;
    if (src) {
      if (!sameShape(src.shape, this.shape) && src.size !== this.size)
        throw new RangeError(`assign: shape [${src.shape}] does not match the tensor's shape [${this.shape}]`);
      const s = moveTo(src, this.backend), guard = currentGuard();
      if (guard) {   // inside an optimiser update: the write waits on the step's loss, on the device
        const g = moveTo(guard, this.backend);
        this.backend.copyIf(s.buf, this.buf, g.buf, this.size);
        if (g !== guard) g.dispose();
      } else this.backend.copy(s.buf, 0, this.buf, 0, this.size);
      if (s !== src) s.dispose();
      invalidate(this.storage);
    } else {
      const flat = flatten(values, 'assign');
      if (flat.data.length !== this.size)
        throw new RangeError(`assign: ${flat.data.length} values do not fill the tensor's shape [${this.shape}]`);
      this.backend.write(this.buf, flat.data);
      invalidate(this.storage);
    }
    return this;
  }
  /** A new tensor on the same storage with another shape (no copy); recorded like reshape. */
  view(shape: Shape): Tensor {
    if (!Array.isArray(shape)) fail('view', 'shape must be an array of dims', shape);
    // A tensor a gradient call may be recording goes through apply, so the view joins the tape.
    return this.tape ? apply(reshapeDef, [this], { shape }) : viewOf(this, shape);
  }
  toString(): string { return `Tensor([${this.shape}], ${this.device})`; }

  // The ops as methods, defined here rather than patched in by ops/index.ts, so that a bundle
  // which imports one function still has them.
  add(b: TensorLike): Tensor { return bi.add(this, b); }
  sub(b: TensorLike): Tensor { return bi.sub(this, b); }
  mul(b: TensorLike): Tensor { return bi.mul(this, b); }
  div(b: TensorLike): Tensor { return bi.div(this, b); }
  pow(b: TensorLike): Tensor { return bi.pow(this, b); }
  maximum(b: TensorLike): Tensor { return bi.maximum(this, b); }
  minimum(b: TensorLike): Tensor { return bi.minimum(this, b); }
  neg(): Tensor { return u.neg(this); }
  abs(): Tensor { return u.abs(this); }
  exp(): Tensor { return u.exp(this); }
  log(): Tensor { return u.log(this); }
  sqrt(): Tensor { return u.sqrt(this); }
  square(): Tensor { return u.square(this); }
  tanh(): Tensor { return u.tanh(this); }
  sigmoid(): Tensor { return u.sigmoid(this); }
  relu(): Tensor { return u.relu(this); }
  sign(): Tensor { return u.sign(this); }
  clamp(lo: number, hi: number): Tensor { return u.clamp(this, lo, hi); }
  sum(dims?: Dims): Tensor { return r.sum(this, dims); }
  mean(dims?: Dims): Tensor { return r.mean(this, dims); }
  max(dims?: Dims): Tensor { return r.max(this, dims); }
  min(dims?: Dims): Tensor { return r.min(this, dims); }
  argmax(dims?: Dims): Tensor { return r.argmax(this, dims); }
  argmin(dims?: Dims): Tensor { return r.argmin(this, dims); }
  matmul(b: TensorLike, opts?: { transA?: boolean; transB?: boolean }): Tensor { return matmul(this, b, opts); }
  softmax(dims?: SoftmaxDims): Tensor { return softmax(this, dims); }
  logsoftmax(dims?: SoftmaxDims): Tensor { return logsoftmax(this, dims); }
  reshape(shape: Shape): Tensor { return reshape(this, shape); }
  transpose(): Tensor { return transpose(this); }
}
type Dims = number | readonly number[];

/**
 * `t` on `to`: itself when already there, else a copy (reported to a running trace). A valid
 * copy kept from an earlier upload is reused; a new upload to the GPU is kept for reuse.
 */
export function moveTo(t: Tensor, to: Backend): Tensor {
  const from = t.backend;
  if (from === to) return t;
  if (t.transposed) {   // moves as the transpose it holds, and stays lazy there
    const raw = transposeView(t, [t.shape[1], t.shape[0]]), m = moveTo(raw, to), out = transposeView(m, t.shape);
    if (m !== raw) m.dispose();
    raw.dispose();
    return out;
  }
  const s = t.storage;
  if (s.mirror && s.mirror.backend === to) { s.mirror.refs++; return new Tensor(t.shape, s.mirror); }
  const host = from.readSync(t.buf, t.size);
  if (!host) {
    throw new Error(`fluxion: a tensor of shape [${t.shape}] on ${from.name} is needed on ${to.name}; ` +
      `GPU data reaches the CPU only through \`await t.data()\``);
  }
  const out = empty(t.shape, to);
  to.write(out.buf, host);
  runtime.tracer?.transfer(from.name, to.name, t.size * 4);
  if (to === runtime.gpu) { s.mirror = out.storage; out.storage.refs++; }
  return out;
}

/** The view itself, unrecorded (for `apply`, which records alias ops itself). */
export function viewOf(x: Tensor, shape: Shape): Tensor {
  const s = x.storage;   // a lazy transpose is materialised: a view reads row-major values
  if (sizeOf(shape) !== x.size) {
    checkShape(shape, 'view');
    throw new RangeError(`view: [${x.shape}] (${x.size} values) cannot become [${shape}]`);
  }
  s.refs++;
  return new Tensor(shape, s);
}

/**
 * `shape` ([cols, rows] of the matrix x), unrecorded, without a copy: x's transpose. A matrix
 * with both dims above 1 becomes a lazy transpose; a lazy transpose gives back a plain view of
 * its storage (the transpose of a transpose is the original); anything else has the same
 * row-major layout as its transpose and is a plain view.
 */
export function transposeView(x: Tensor, shape: Shape): Tensor {
  if (x.transposed) { const s = x.raw; s.refs++; return new Tensor(shape, s); }
  if (x.rank === 2 && x.shape[0] > 1 && x.shape[1] > 1) return lazyT(shape, x.storage);
  return viewOf(x, shape);
}

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i];
  return n;
}
export function sameShape(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
export function checkShape(shape: Shape, fn: string): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0)
      throw new RangeError(`${fn}: shape [${shape.join(', ')}] must hold non-negative integers`);
  }
}

/** A tensor of `shape` on `backend` (the scheduler's default when omitted); values undefined. */
export function empty(shape: Shape, backend: Backend = runtime.creation()): Tensor {
  const n = sizeOf(shape);
  return new Tensor(shape, { backend, buf: backend.alloc(n), n, refs: 1 });
}

/** Flattens nested arrays / typed arrays / numbers into values plus the shape they imply. */
export function flatten(x: unknown, fn: string): { data: ArrayLike<number>; shape: number[] } {
  if (typeof x === 'number') return { data: [x], shape: [] };
  if (x instanceof Float32Array || x instanceof Float64Array || ArrayBuffer.isView(x))
    return { data: x as unknown as ArrayLike<number>, shape: [(x as unknown as ArrayLike<number>).length] };
  if (!Array.isArray(x)) throw new TypeError(`${fn}: expected a tensor, number or array, got ${describe(x)}`);
  const shape: number[] = [];
  let probe: unknown = x;
  while (Array.isArray(probe)) { shape.push(probe.length); probe = probe[0]; }
  const out: number[] = [];
  const walk = (a: unknown, d: number) => {
    if (d === shape.length) {
      if (typeof a !== 'number') throw new TypeError(`${fn}: nested arrays must hold numbers, found ${describe(a)}`);
      out.push(a); return;
    }
    if (!Array.isArray(a) || a.length !== shape[d])
      throw new RangeError(`${fn}: ragged nested array: expected length ${shape[d]} at depth ${d}, got ${Array.isArray(a) ? a.length : describe(a)}`);
    for (const v of a) walk(v, d + 1);
  };
  walk(x, 0);
  return { data: out, shape };
}

export function describe(x: unknown): string {
  if (x === null) return 'null';
  if (x instanceof Tensor) return `a tensor of shape [${x.shape}]`;
  if (Array.isArray(x)) return `an array of length ${x.length}`;
  return typeof x === 'object' ? (x as object).constructor?.name ?? 'object' : `${typeof x} ${String(x)}`;
}

function nest(v: Float32Array, shape: Shape): NestedArray | number {
  if (shape.length === 0) return v[0];
  const build = (off: number, d: number): NestedArray => {
    const n = shape[d], out: (number | NestedArray)[] = [];
    if (d === shape.length - 1) { for (let i = 0; i < n; i++) out.push(v[off + i]); return out; }
    const stride = sizeOf(shape.slice(d + 1));
    for (let i = 0; i < n; i++) out.push(build(off + i * stride, d + 1));
    return out;
  };
  return build(0, 0);
}

/**
 * A tensor from nested arrays, a flat array or a Float32Array, with an optional shape.
 * @example tensor([[1, 2], [3, 4]])      // shape [2, 2]
 * @example tensor(new Float32Array(6), [2, 3])
 */
export function tensor(values: TensorLike, shape?: Shape): Tensor {
  if (shape !== undefined) shapeArg('tensor', shape);
  if (values instanceof Tensor) {
    if (values.disposed) fail('tensor', 'values must be a live tensor', values);
    if (shape && sizeOf(shape) !== values.size) throw new RangeError(`tensor: a tensor of shape [${values.shape}] cannot become [${shape}]`);
    return shape ? values.view(shape) : values;
  }
  const flat = flatten(values, 'tensor');
  const s = shape ?? flat.shape;
  checkShape(s, 'tensor');
  if (sizeOf(s) !== flat.data.length)
    throw new RangeError(`tensor: ${flat.data.length} values do not fill shape [${s.join(', ')}]`);
  const t = empty(s);
  if (flat.data.length) t.backend.write(t.buf, flat.data);
  return t;
}

/** Any TensorLike as a tensor (numbers become scalars); used by every op on its arguments. */
export function toTensor(x: TensorLike, fn: string, arg: string): Tensor {
  if (x instanceof Tensor) {
    if (x.disposed) throw new Error(`${fn}: argument ${arg} is tensor #${x.id} of shape [${x.shape}], which was disposed`);
    return x;
  }
  if (typeof x === 'number' || Array.isArray(x) || ArrayBuffer.isView(x)) { const t = tensor(x); converted.add(t); return t; }
  throw new TypeError(`${fn}: argument ${arg} must be a tensor, number or array, got ${describe(x)}`);
}
/** Tensors toTensor made from numbers/arrays: nobody else holds them, so a failing op frees them. */
export const converted = new WeakSet<Tensor>();

function shapeArgs(fn: string, dims: (number | Shape)[]): number[] {
  return shapeArg(fn, dims.length === 1 && Array.isArray(dims[0]) ? dims[0] : dims);
}
function filled(fn: string, dims: (number | Shape)[], v: number): Tensor {
  const t = empty(shapeArgs(fn, dims));
  if (t.size) t.backend.fill(t.buf, t.size, v);
  return t;
}
/**
 * zeros(3, 4) or zeros([3, 4]).
 * @example zeros(3, 4).shape   // [3, 4]
 */
export const zeros = (...dims: (number | Shape)[]) => filled('zeros', dims, 0);
/**
 * ones(3, 4) or ones([3, 4]).
 * @example ones([2]).dataSync()   // Float32Array [1, 1]
 */
export const ones = (...dims: (number | Shape)[]) => filled('ones', dims, 1);
/**
 * full([2, 2], 7).
 * @example full([2, 2], 7).dataSync()   // Float32Array [7, 7, 7, 7]
 */
export const full = (shape: Shape, value: number) => filled('full', [shape], number('full', 'value', value));

// xoshiro128**: a small, fast, seedable stream; seed(n) makes every rand/randn/init reproducible.
/**
 * Seeds fluxion's random stream: `seed(42)`.
 * @example seed(42); const a = rand(3).dataSync();
 *          seed(42); const b = rand(3).dataSync();   // the same values as a
 */
export function seed(n: number): void { fill(st, int('seed', 'n', n, 0, 2 ** 32 - 1)); }
function fill(s: Uint32Array, n: number): Uint32Array {
  let x = (n >>> 0) ^ 0x9e3779b9;
  for (let i = 0; i < 4; i++) {                         // splitmix32 to fill the state
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    s[i] = (z ^ (z >>> 16)) >>> 0;
  }
  return s;
}
const st = fill(new Uint32Array(4), Date.now());
/** A uniform number in [0, 1) from fluxion's stream. */
export function random(): number {
  const r = Math.imul(rotl(Math.imul(st[1], 5), 7), 9) >>> 0;
  const t = st[1] << 9;
  st[2] ^= st[0]; st[3] ^= st[1]; st[1] ^= st[2]; st[0] ^= st[3];
  st[2] ^= t; st[3] = rotl(st[3], 11);
  return r / 4294967296;
}
const rotl = (x: number, k: number) => (x << k) | (x >>> (32 - k));
/** A standard normal number (Box-Muller) from fluxion's stream. */
export function randomNormal(): number {
  let u = 0;
  while (u === 0) u = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}
function sampled(fn: string, dims: (number | Shape)[], draw: () => number): Tensor {
  const shape = shapeArgs(fn, dims), n = sizeOf(shape), v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = draw();
  return tensor(v, shape);
}
/**
 * Uniform [0, 1): rand(784) or rand(784, 64).
 * @example const x = rand(784, 64);   // a batch of 64 random inputs
 */
export const rand = (...dims: (number | Shape)[]) => sampled('rand', dims, random);
/**
 * Standard normal: randn(10, 5).
 * @example const W = mul(randn(10, 5), 0.1);
 */
export const randn = (...dims: (number | Shape)[]) => sampled('randn', dims, randomNormal);

/**
 * Runs `fn` and releases every tensor it created, except what it returns (a tensor, or tensors
 * inside a returned array/object) and kept tensors. For an async `fn` the scope owns what `fn`
 * creates before its first await, released when the promise settles; tensors created after an
 * await belong to no scope (other code runs in those gaps, and a scope must never free another
 * task's tensors): wrap the synchronous parts in `scope` of their own, or dispose them.
 * @example const y = scope(() => relu(matmul(w, x)).sum());
 */
export function scope<T>(fn: () => T): T {
  func('scope', 'fn', fn);
  const s = openScope();
  let out: T;
  try { out = fn(); } catch (e) { endScope(s, undefined); throw e; }
  if (out instanceof Promise) {
    leave(s);
    return out.then((v) => { endScope(s, v); return v; }, (e) => { endScope(s, undefined); throw e; }) as T;
  }
  endScope(s, out);
  return out;
}
/** Alias of `scope`, for TensorFlow.js users. */
export const tidy = scope;

/**
 * @internal A synchronous scope opened and closed by hand (the training step and the gradient,
 * which pass their inputs as arguments rather than capturing them in a closure for `scope`).
 * Close it on every path, before any await: `closeScope(s, result)`, or `closeScope(s, undefined)`
 * on a throw.
 */
export function openScope(): Scope {
  const s: Scope = { tensors: [], parent: scopes.length ? scopes[scopes.length - 1] : null, ended: false };
  scopes.push(s);
  return s;
}
/** @internal Ends a scope from openScope, keeping the tensors in `result` (see scope). */
export const closeScope = (s: Scope, result: unknown): void => endScope(s, result);

function leave(s: Scope) {
  if (scopes[scopes.length - 1] === s) { scopes.pop(); return; }
  const i = scopes.lastIndexOf(s);
  if (i >= 0) scopes.splice(i, 1);
}

function endScope(s: Scope, result: unknown) {
  if (s.ended) return;
  leave(s);
  s.ended = true;
  const keep = new Set<Tensor>();
  collect(result, keep);
  // The nearest enclosing scope still running receives the results; an async scope may settle
  // after the scopes around its start have ended, and then its results belong to no scope.
  let parent = s.parent;
  while (parent && parent.ended) parent = parent.parent;
  const ts = s.tensors;
  for (let i = 0; i < ts.length; i++) {
    const t = ts[i];
    if (t.disposed) continue;
    if (t.kept) unown(t);
    else if (!keep.has(t)) t.dispose();
    else if (parent) parent.tensors.push(t);
    else unown(t);
  }
  ts.length = 0;
  s.parent = null;
}
// Results are found at any depth (gradients of nested Chains are deep trees); `seen` stops cycles.
function collect(x: unknown, into: Set<Tensor>, seen = new Set<object>()) {
  if (x === null || typeof x !== 'object' || seen.has(x)) return;
  seen.add(x);
  if (x instanceof Tensor) { into.add(x); return; }
  if (Array.isArray(x)) { for (const v of x) collect(v, into, seen); return; }
  if (x instanceof Map) { for (const v of x.values()) collect(v, into, seen); return; }
  if (Object.getPrototypeOf(x) === Object.prototype) for (const v of Object.values(x)) collect(v, into, seen);
  else if (typeof (x as { tensors?: unknown }).tensors === 'function') collect((x as { tensors(): unknown }).tensors(), into, seen);
}
/** @internal The id the next tensor will get: a mark for `adopt`. */
export const nextTensorId = (): number => nextId;
/**
 * @internal Moves the tensors in `x` (as `scope` finds results) that were made since the `since`
 * mark and that no scope owns or keeps into the innermost open scope. train's step adopts the
 * item an async iterator made while train awaited it, so it is freed with the step as a
 * synchronous iterator's is; tensors other code made in that gap are not in the item.
 */
export function adopt(x: unknown, since: number): void {
  const s = scopes.length ? scopes[scopes.length - 1] : null;
  if (!s || x === null || typeof x !== 'object') return;
  const found = new Set<Tensor>();
  collect(x, found);
  for (const t of found) if (t.id >= since) own(t, s);
}
/**
 * Takes a tensor created in the innermost scope out of every scope: the caller owns it (dispose
 * it, or the FinalizationRegistry frees it once it is unreachable).
 * @example let kept!: Tensor;
 *          scope(() => { const t = rand(3); kept = escape(t); mse(t, 0); });   // kept survives the scope
 */
export function escape(t: Tensor): Tensor {
  if (!(t instanceof Tensor) || t.disposed) fail('escape', 't must be a live tensor', t);
  const s = scopes[scopes.length - 1];
  if (s) { const i = s.tensors.lastIndexOf(t); if (i >= 0) { s.tensors.splice(i, 1); unown(t); } }
  return t;
}
