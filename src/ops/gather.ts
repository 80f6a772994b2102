// NNlib's gather and scatter. Both index the last axis of [outer, len]. Indices are read on the host
// (JavaScript arrays, typed arrays, CPU tensors): they are checked there, and scatter and
// gather's adjoint need them sorted by value, which is done there once per call (a counting
// sort, O(k + len)), so the device kernels are plain gathers: deterministic, no float atomics.

import { defineOp, apply, type OpDef } from './registry.js';
import { Tensor, tensor, toTensor, flatten, sizeOf, sameShape, type TensorLike, type NestedArray, type Shape } from '../tensor.js';
import { fail, options, show, shapeArg, badShape } from '../check.js';

/**
 * 0-based integer indices: a number, an array (nested for more dims), a typed array, or a tensor
 * whose values the host can read (on the CPU).
 * @example gather(W, [0, 2, 2])                         // an array
 *          gather(W, new Int32Array([3, 1]))             // a typed array
 *          gather(W, tensor([[0, 1], [2, 0]]))           // a CPU tensor of indices: output [.., 2, 2]
 */
export type Indices = number | ArrayLike<number> | NestedArray | Tensor;


/** The values and shape of an index argument, from the host. */
function hostIndices(fn: string, arg: string, v: unknown): { data: ArrayLike<number>; shape: Shape } {
  if (v instanceof Tensor) {
    const d = !v.disposed && v.backend.readSync(v.buf, v.size);
    if (!d) fail(fn, `${arg} must be a live CPU tensor`, v, Error);
    return { data: d, shape: v.shape };
  }
  if (typeof v !== 'number' && !Array.isArray(v) && !ArrayBuffer.isView(v)) fail(fn, `${arg} must be 0-based integer indices`, v);
  return flatten(v, fn);
}

/** The indices as an Int32Array, each checked to be an integer in [0, len). */
function checked(fn: string, arg: string, data: ArrayLike<number>, len: number, what: string, lim = len): Int32Array {
  const n = Math.max(data.length, lim);
  // indices are exact in the f32 buffers the kernels read up to 2^24 (values and counts)
  if (n >= 2 ** 24) fail(fn, `${arg}: at most 2^24 - 1 indices and positions`, n, RangeError);
  const out = new Int32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!Number.isInteger(v) || v < 0 || v >= len)
      throw new RangeError(`${fn}: ${arg}[${i}] = ${show(v)} is not an index in [0, ${len}) into ${what} (indices count from 0)`);
    out[i] = v;
  }
  return out;
}

/** [outer, len] geometry, the host indices and the output shape of a gather or scatter. */
export interface IndexP { len: number; ix: Int32Array; out: Shape }
const out = (_ins: unknown, p: IndexP) => p.out;

export const gatherDef = defineOp<IndexP>({
  name: 'gather',
  kernels: ['gather'],
  shape: out,
  run(b, y, [x, idx], p) { b.gather(x.buf, idx.buf, y.buf, y.size, p.ix.length, p.len); },
  grad: (dy, [x], _y, p, needs) => [needs[0] ? scatterBy(dy, p, x.shape) : null, null],
  cost: (_ins, p, out) => ({ flops: 0, bytes: 8 * sizeOf(out) + 4 * p.ix.length }),
});

export const scatterDef = defineOp<IndexP>({
  name: 'scatter',
  kernels: ['scatter'],
  shape: out,
  run(b, y, [x, order, offs], p) { b.scatter(x.buf, order.buf, offs.buf, y.buf, y.size, p.ix.length, p.len); },
  // NNlib's ∇scatter_src for +: the gradient gathered back
  grad: (dy, [x], _y, p, needs) => [needs[0] ? gatherBy(dy, p, x.shape) : null, null, null],
  cost: ([x], p, out) => ({ flops: x.size, bytes: 4 * (x.size + sizeOf(out) + p.ix.length + p.len) }),
});

/** def on x and the host-made index tensors ts, which die with the call. */
function withIdx(def: OpDef<IndexP>, x: Tensor, ts: Tensor[], p: IndexP): Tensor {
  try { return apply(def, [x, ...ts], p); } finally { ts.forEach((t) => t.dispose()); }
}
/** gather of t ([outer, len] in the geometry p) at p's indices, shaped `shape`. */
const gatherBy = (t: Tensor, p: IndexP, out = p.out) => withIdx(gatherDef, t, [tensor(Float32Array.from(p.ix))], { ...p, out });
/** scatter-add of x ([outer, k]) into len groups, shaped `out`. */
function scatterBy(x: Tensor, p: IndexP, out = p.out): Tensor {
  // the positions of the indices grouped by value (ascending within one), and where each group starts
  const { ix, len } = p, offs = new Float32Array(len + 1), order = new Float32Array(ix.length);
  for (const v of ix) offs[v + 1]++;
  for (let v = 0; v < len; v++) offs[v + 1] += offs[v];
  const next = offs.slice(0, len);
  ix.forEach((v, j) => { order[next[v]++] = j; });
  return withIdx(scatterDef, x, [tensor(order), tensor(offs)], { ...p, out });
}

/**
 * NNlib's `gather(src, idx)`: `dst[:, …, k] = src[:, …, idx[k]]`, columns (the last axis) of src
 * picked by 0-based indices, which may repeat; the output is `[src.shape[:-1]…, idx.shape…]`.
 * More index arguments `gather(src, I, J)` pick from the last two axes, `src[:, …, I[k], J[k]]`.
 * Its gradient adds each column's gradients back (scatter-add), deterministically on every device.
 * @example gather(tensor([[1, 2, 3], [4, 5, 6]]), [0, 2, 0])   // [[1, 3, 1], [4, 6, 4]]
 *          gather(W, tokens)   // an embedding lookup: W [dim, vocab], tokens [len, batch] → [dim, len, batch]
 */
export function gather(src: TensorLike, idx: Indices, ...more: Indices[]): Tensor {
  return gatherIn('gather', 'idx', toTensor(src, 'gather', 'src'), [idx, ...more]);
}

/** @internal gather with the caller's name and argument name in its errors (Embedding's lookup). */
export function gatherIn(fn: string, arg0: string, x: Tensor, all: Indices[]): Tensor {
  const M = all.length, r = x.rank - M;
  if (r < 0) badShape(fn, 'src', x.shape, `${M} or more dims`);
  const trail = x.shape.slice(r), len = sizeOf(trail);
  let shape: Shape = [], ix: Int32Array = new Int32Array();
  all.forEach((v, m) => {
    const arg = M > 1 ? `index ${m}` : arg0, h = hostIndices(fn, arg, v);
    if (m && !sameShape(h.shape, shape)) badShape(fn, arg, h.shape, `index 0's [${shape}]`);
    const c = checked(fn, arg, h.data, trail[m], `dim ${r + m} of [${x.shape}]`, len);
    if (m) c.forEach((v, i) => { ix[i] = ix[i] * trail[m] + v; });   // row-major linear index
    else { shape = h.shape; ix = c; }
  });
  return gatherBy(x, { len, ix, out: [...x.shape.slice(0, r), ...shape] });
}

/**
 * A scatter reduction: `'+'`, NNlib's scatter-add (gather's gradient), the one fluxion has.
 * @example scatter('+', x, idx)
 */
export type ScatterOp = '+';

/**
 * NNlib's `scatter(+, src, idx; dstsize)`: `dst[:, …, idx[k]] += src[:, …, k]` for src
 * `[d…, idx.shape…]`, giving `[d…, max(idx) + 1]` (or `dstsize`), 0 where no index lands.
 * Its gradient gathers back; both run without atomics, in one summation order.
 * @example scatter('+', tensor([10, 100, 1000]), [2, 0, 1])                  // [100, 1000, 10]
 *          scatter('+', tensor([[1, 2, 3, 4], [5, 6, 7, 8]]), [1, 0, 0, 4])   // [[5, 1, 0, 0, 4], [13, 5, 0, 0, 8]]
 */
export function scatter(op: ScatterOp, src: TensorLike, idx: Indices, opts: { dstsize?: Shape } = {}): Tensor {
  const fn = 'scatter';
  if (op !== '+') fail(fn, "op must be '+'", op);
  const o = options<{ dstsize: Shape }>(fn, opts, ['dstsize']);
  const x = toTensor(src, fn, 'src'), h = hostIndices(fn, 'idx', idx), dims = x.rank - h.shape.length, lead = x.shape.slice(0, dims);
  if (dims < 0 || !sameShape(x.shape.slice(dims), h.shape)) badShape(fn, 'src', x.shape, `[..., ${h.shape}]`);
  let n = 0;   // without dstsize: one past the largest index
  for (const v of h.data as number[]) if (v >= n && Number.isInteger(v)) n = v + 1;
  const out = o.dstsize === undefined ? [...lead, n] : shapeArg(fn, o.dstsize, 'dstsize'), len = out[dims];
  if (!sameShape(out, [...lead, len])) badShape(fn, 'dstsize', out, `[${[...lead, 'n']}]`);
  return scatterBy(x, { len, ix: checked(fn, 'idx', h.data, len, `dst [${out}]`), out });
}
