// Data for `train`: `repeated` and `zip` (the seed's idioms), `DataLoader` (mini-batches sliced
// along the LAST, observation, dimension), and `onehot`/`onehotbatch`/`onecold` (labels).
// DataLoader gathers each batch on the host into one Float32Array and makes one tensor per
// component: O(batch elements) copying per batch and no per-element tensor ops. CPU tensors
// are read with one dataSync() per epoch; GPU tensors with one `await data()` per epoch (so
// iterate those with `for await`, as `train` does). Each batch lives until the next is taken.

import { Tensor, tensor, random, flatten, describe, type TensorLike } from './tensor.js';
import { int, bool, options, fail } from './check.js';

/**
 * `item`, `n` times (forever when `n` is omitted): the seed's `Iterators.repeated((x, y), n)`.
 * @example await train(loss, ps, repeated([x, y], 200), Descent(0.1));
 *          for (const [x, y] of repeated([x0, y0], 3)) {}
 */
export function repeated<T>(item: T, n = Infinity): Generator<T, void, undefined> {
  // Checked at the call, not at the first item: the generator below starts only when iterated.
  if (n !== Infinity) int('repeated', 'n', n, 0);
  return repeat(item, n);
}
function* repeat<T>(item: T, n: number): Generator<T, void, undefined> {
  for (let i = 0; i < n; i++) yield item;
}

type Elems<T extends readonly Iterable<unknown>[]> = { [K in keyof T]: T[K] extends Iterable<infer E> ? E : never };

/**
 * Tuples of the i-th elements of each iterable; the shortest one ends it (Julia's `zip`).
 * @example const data = zip(xs, ys);      // [[xs[0], ys[0]], [xs[1], ys[1]], ...]
 *          await train(loss, ps, data, Descent(0.1));
 */
export function zip<T extends readonly Iterable<unknown>[]>(...xs: T): Iterable<Elems<T>> {
  xs.forEach((x, i) => {
    if (x == null || typeof (x as Iterable<unknown>)[Symbol.iterator] !== 'function')
      throw new TypeError(`zip: argument ${i} must be iterable, got ${describe(x)}`);
  });
  return {
    *[Symbol.iterator]() {
      const its = xs.map((x) => x[Symbol.iterator]());
      try {
        for (;;) {
          const out: unknown[] = [];
          for (const it of its) { const r = it.next(); if (r.done) return; out.push(r.value); }
          yield out as Elems<T>;
        }
      } finally { for (const it of its) it.return?.(); }
    },
  };
}

/**
 * What `DataLoader` accepts.
 * @example DataLoader([X, Y], { batchsize: 32, shuffle: true, partial: false })
 */
export interface DataLoaderOptions {
  /** Observations per batch (default 1). */
  batchsize?: number;
  /** Draw a new permutation at every iteration (default false). */
  shuffle?: boolean;
  /** Keep the last, shorter batch (default true). */
  partial?: boolean;
  /** Uniform [0, 1) source for shuffling; default fluxion's seeded stream (`seed(n)`). */
  rng?: () => number;
}

/** One component of the data: its shape and where its values come from. */
interface Part { shape: number[]; host: Float32Array | null; t: Tensor | null }

/** Iterates mini-batches; `length` batches per epoch. Also iterable with `for await`. */
export interface DataLoader<B = Tensor | Tensor[]> extends Iterable<B>, AsyncIterable<B> {
  readonly length: number;
  readonly nobs: number;
  readonly batchsize: number;
}

/**
 * Mini-batches of `data` (a tensor, or an array of tensors / typed arrays / nested arrays sharing
 * the last dimension) along that last dimension; an array in gives arrays out. A plain array of
 * arrays is such a tuple: pass tensor(nested) for one matrix. Shuffling uses fluxion's stream.
 *
 * A batch is valid until the next one is taken or the iteration ends (the loop finishes or
 * breaks): the loader frees it then, so a plain loop leaks nothing without a scope. To hold a
 * batch longer, `keep()` its tensors (and dispose them when done); `[...loader]` therefore gives
 * disposed batches.
 * @example for (const [x, y] of DataLoader([X, Y], { batchsize: 32, shuffle: true })) trainStep(loss, ps, [x, y], opt);
 *          await train(loss, ps, DataLoader([X, Y], { batchsize: 32 }), Descent(0.1));
 */
export function DataLoader<B = Tensor | Tensor[]>(data: TensorLike | readonly TensorLike[], opts: DataLoaderOptions = {}): DataLoader<B> {
  const o = options<DataLoaderOptions>('DataLoader', opts, ['batchsize', 'shuffle', 'partial', 'rng']);
  if (o.shuffle !== undefined) bool('DataLoader', 'shuffle', o.shuffle);
  if (o.partial !== undefined) bool('DataLoader', 'partial', o.partial);
  return new Loader(data, o) as unknown as DataLoader<B>;
}

/** Marks iterables that must be driven with `for await` (train checks it). */
export const preferAsync = Symbol('fluxion.preferAsync');
const warned = new Set<string>();

class Loader {
  readonly nobs: number;
  readonly batchsize: number;
  readonly length: number;
  readonly #parts: Part[];
  readonly #tuple: boolean;
  readonly #shuffle: boolean;
  readonly #rng: () => number;

  constructor(data: TensorLike | readonly TensorLike[], o: DataLoaderOptions) {
    const { batchsize = 1, shuffle = false, partial = true, rng = random } = o;
    if (!Number.isInteger(batchsize) || batchsize < 1)
      throw new RangeError(`DataLoader: batchsize must be a positive integer, got ${batchsize}`);
    if (typeof rng !== 'function') throw new TypeError(`DataLoader: rng must be a function returning [0, 1), got ${describe(rng)}`);
    // An array of non-numbers is a tuple of components; anything else is one component.
    this.#tuple = Array.isArray(data) && data.length > 0 && typeof data[0] !== 'number';
    const comps = (this.#tuple ? data : [data]) as TensorLike[];
    this.#parts = comps.map((c, i) => toPart(c, i));
    const ns = this.#parts.map((p) => p.shape[p.shape.length - 1]);
    if (ns.some((n) => n !== ns[0])) {
      throw new RangeError(`DataLoader: all data must have the same number of observations (last dimension); ` +
        `got shapes ${this.#parts.map((p) => `[${p.shape}]`).join(', ')}`);
    }
    this.nobs = ns[0];
    let bs = batchsize;
    if (bs > this.nobs && this.nobs > 0) {
      const key = `${bs}>${this.nobs}`;
      if (!warned.has(key)) { warned.add(key); console.warn(`DataLoader: batchsize ${bs} is larger than the number of observations ${this.nobs}; using ${this.nobs}`); }
      bs = this.nobs;
    }
    this.batchsize = bs;
    this.length = partial ? Math.ceil(this.nobs / bs) : Math.floor(this.nobs / bs);
    this.#shuffle = shuffle;
    this.#rng = rng;
  }

  get [preferAsync](): boolean { return this.#parts.some((p) => !p.host && !p.t!.backend.readSync(p.t!.buf, 0)); }

  *[Symbol.iterator](): Generator<Tensor | Tensor[]> {
    const hosts = this.#parts.map((p) => {
      if (p.host) return p.host;
      const t = p.t!;
      if (!t.backend.readSync(t.buf, 0))
        throw new Error(`DataLoader: data of shape [${t.shape}] lives on ${t.device}; iterate with \`for await\` (train does this)`);
      return t.dataSync();
    });
    yield* this.#batches(hosts);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Tensor | Tensor[]> {
    const hosts: Float32Array[] = [];
    for (const p of this.#parts) hosts.push(p.host ?? (await p.t!.data()));
    yield* this.#batches(hosts);
  }

  *#batches(hosts: Float32Array[]): Generator<Tensor | Tensor[]> {
    const n = this.nobs, bs = this.batchsize, order = this.#order();
    // Shuffled: one transpose to observation-major per epoch, so each observation is read as a
    // contiguous run instead of `rows` scattered cache lines.
    const srcs = order ? hosts.map((h, i) => obsMajor(h, this.#parts[i].shape)) : hosts;
    // The batch handed out last: freed when the next is taken or the loop ends (a synchronous
    // loop has no scope that would free it, issue 10).
    let prev: Tensor[] | null = null;
    try {
      for (let b = 0; b < this.length; b++) {
        if (prev) { release(prev); prev = null; }
        const lo = b * bs, hi = Math.min(n, lo + bs);
        const out = this.#parts.map((p, i) => gather(srcs[i], p.shape, order, lo, hi));
        prev = out;
        yield this.#tuple ? out : out[0];
      }
    } finally { if (prev) release(prev); }
  }

  /** The observation order of one epoch: identity, or a Fisher-Yates permutation. */
  #order(): Int32Array | null {
    if (!this.#shuffle) return null;
    const n = this.nobs, p = new Int32Array(n), rng = this.#rng;
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1)), t = p[i];
      p[i] = p[j]; p[j] = t;
    }
    return p;
  }
}

/** Frees a batch the caller did not keep. */
function release(ts: Tensor[]): void {
  for (let i = 0; i < ts.length; i++) if (!ts[i].kept) ts[i].dispose();
}

function toPart(c: TensorLike, i: number): Part {
  if (c instanceof Tensor) {
    if (c.disposed) fail('DataLoader', `data ${i} must be a live tensor`, c);
    if (c.rank === 0) throw new RangeError(`DataLoader: data ${i} is a scalar (shape []); it needs an observation dimension`);
    return { shape: [...c.shape], host: null, t: c };
  }
  const f = flatten(c, 'DataLoader');
  if (f.shape.length === 0) throw new RangeError(`DataLoader: data ${i} is a number; it needs an observation dimension`);
  return { shape: f.shape, host: f.data instanceof Float32Array ? f.data : Float32Array.from(f.data), t: null };
}

/** A row-major [rows, n] array as [n, rows] (observation-major), tiled for the cache. */
function obsMajor(src: Float32Array, shape: number[]): Float32Array {
  const n = shape[shape.length - 1], rows = n === 0 ? 0 : src.length / n, out = new Float32Array(src.length), T = 64;
  for (let r0 = 0; r0 < rows; r0 += T) {
    const r1 = Math.min(rows, r0 + T);
    for (let j0 = 0; j0 < n; j0 += T) {
      const j1 = Math.min(n, j0 + T);
      for (let r = r0; r < r1; r++) for (let j = j0, s = r * n; j < j1; j++) out[j * rows + r] = src[s + j];
    }
  }
  return out;
}

/**
 * Observations lo..hi as a [..., hi - lo] tensor: in order from the row-major [rows, n] `src`,
 * or order[lo..hi) from its observation-major copy.
 */
function gather(src: Float32Array, shape: number[], order: Int32Array | null, lo: number, hi: number): Tensor {
  const n = shape[shape.length - 1], rows = n === 0 ? 0 : src.length / n, B = hi - lo;
  const out = new Float32Array(rows * B);
  if (!order) {
    for (let r = 0; r < rows; r++) out.set(src.subarray(r * n + lo, r * n + hi), r * B);
  } else {
    for (let b = 0; b < B; b++) {
      const s = order[lo + b] * rows;
      for (let r = 0; r < rows; r++) out[r * B + b] = src[s + r];
    }
  }
  const bshape = shape.slice(); bshape[bshape.length - 1] = B;
  return tensor(out, bshape);
}

// ---------------------------------------------------------------------------------------------
// One-hot encoding

type Label = unknown;
function indexOf(labels: readonly Label[], x: Label, fn: string): number {
  const i = labels.indexOf(x);
  if (i < 0) {
    const shown = labels.length > 12 ? `${labels.slice(0, 12).map(String).join(', ')}, ...` : labels.map(String).join(', ');
    throw new RangeError(`${fn}: value ${JSON.stringify(x) ?? String(x)} is not in labels [${shown}]`);
  }
  return i;
}
function checkLabels(labels: unknown, fn: string): readonly Label[] {
  if (!labels || typeof (labels as ArrayLike<unknown>).length !== 'number')
    throw new TypeError(`${fn}: labels must be an array, got ${describe(labels)}`);
  return Array.isArray(labels) ? labels : Array.from(labels as ArrayLike<Label>);
}

/** @internal The tensors onehot/onehotbatch made: Flux's OneHotArray type, which Embedding multiplies by (not indices). */
export const oneHots = new WeakSet<Tensor>();
const hot = (t: Tensor) => { oneHots.add(t); return t; };

/**
 * A one-hot vector (shape [labels.length]) with a 1 at `x`'s position in `labels`.
 * @example onehot('b', ['a', 'b', 'c'])     // tensor [0, 1, 0]
 *          onehot(7, [0,1,2,3,4,5,6,7,8,9])
 */
export function onehot(x: Label, labels: readonly Label[] | ArrayLike<Label>): Tensor {
  const ls = checkLabels(labels, 'onehot');
  const v = new Float32Array(ls.length);
  v[indexOf(ls, x, 'onehot')] = 1;
  return hot(tensor(v, [ls.length]));
}

/**
 * A [labels.length, xs.length] one-hot matrix: column j encodes xs[j].
 * @example onehotbatch([3, 0, 9], range10)   // shape [10, 3]
 *          onehotbatch(['cat', 'dog'], ['cat', 'dog', 'eel'])
 */
export function onehotbatch(xs: Iterable<Label> | ArrayLike<Label>, labels: readonly Label[] | ArrayLike<Label>): Tensor {
  const ls = checkLabels(labels, 'onehotbatch');
  if (xs == null || typeof xs === 'function' || (typeof (xs as Iterable<Label>)[Symbol.iterator] !== 'function' && typeof (xs as ArrayLike<Label>).length !== 'number'))
    throw new TypeError(`onehotbatch: xs must be an array or iterable of labels, got ${describe(xs)}`);
  const vals = Array.from(xs as ArrayLike<Label>), n = vals.length, v = new Float32Array(ls.length * n);
  // A fast path for integer labels 0..k-1, the common case (MNIST digits).
  const direct = ls.every((l, i) => l === i);
  for (let j = 0; j < n; j++) {
    const x = vals[j];
    const i = direct && Number.isInteger(x) && (x as number) >= 0 && (x as number) < ls.length ? (x as number) : indexOf(ls, x, 'onehotbatch');
    v[i * n + j] = 1;
  }
  return hot(tensor(v, [ls.length, n]));
}

/**
 * The inverse of onehot: `labels[argmax]` of each column (the first maximum wins), as a plain
 * array (a vector is one column). Labels default to 0..k-1. Reads CPU tensors synchronously.
 * @example onecold(m(x))                     // [7, 2, 1, ...]
 *          onecold(tensor([0.1, 0.7, 0.2]), ['a', 'b', 'c'])   // ['b']
 */
export function onecold<L = number>(y: TensorLike, labels?: readonly L[] | ArrayLike<L>): L[] {
  let vals: ArrayLike<number>, shape: readonly number[];
  if (y instanceof Tensor) {
    if (y.disposed) fail('onecold', 'y must be a live tensor', y);
    if (!y.backend.readSync(y.buf, 0))
      throw new Error(`onecold: y of shape [${y.shape}] lives on ${y.device}; pass tensor(await y.data(), y.shape) or move it to the CPU`);
    vals = y.dataSync(); shape = y.shape;
  } else { const f = flatten(y, 'onecold'); vals = f.data; shape = f.shape; }
  if (shape.length === 0) throw new RangeError('onecold: y must have at least one dimension, got a scalar');
  const k = shape[0], n = k === 0 ? 0 : vals.length / k;
  const ls = labels === undefined ? null : checkLabels(labels, 'onecold') as readonly L[];
  if (ls && ls.length !== k) throw new RangeError(`onecold: ${ls.length} labels for ${k} classes (y of shape [${shape}])`);
  const out: L[] = new Array(n);
  for (let j = 0; j < n; j++) {
    let best = 0, bv = vals[j];
    for (let i = 1; i < k; i++) { const v = vals[i * n + j]; if (v > bv) { bv = v; best = i; } }
    out[j] = ls ? ls[best] : (best as L);
  }
  return out;
}
