// NNlib's gather and scatter. Both index the last axis of [outer, len]. Indices are read on the host
// (JavaScript arrays, typed arrays, CPU tensors): they are checked there, and scatter and
// gather's adjoint need them sorted by value, which is done there once per call (a counting
// sort, O(k + len)), so the device kernels are plain gathers: deterministic, no float atomics.

import { defineOp, apply } from './registry.js';
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

/** Indices are exact in the f32 buffers the kernels read up to 2^24 (values and counts). */
const MAX_INDEX = 2 ** 24;

/** The values and shape of an index argument, from the host. */
function hostIndices(fn: string, arg: string, v: unknown): { data: ArrayLike<number>; shape: number[] } {
  if (v instanceof Tensor) {
    const d = !v.disposed && v.backend.readSync(v.buf, v.size);
    if (!d) fail(fn, `${arg} must be a live CPU tensor (or an array)`, v, Error);
    return { data: d, shape: [...v.shape] };
  }
  if (typeof v === 'number') return { data: [v], shape: [] };
  if (!Array.isArray(v) && !ArrayBuffer.isView(v)) fail(fn, `${arg} must be 0-based integer indices`, v);
  return flatten(v, fn);
}

/** The indices as an Int32Array, each checked to be an integer in [0, len). */
function checked(fn: string, arg: string, data: ArrayLike<number>, len: number, what: string, lim = len): Int32Array {
  if (Math.max(data.length, lim) >= MAX_INDEX) throw new RangeError(`${fn}: ${arg}: ${data.length} indices into ${lim} positions; at most ${MAX_INDEX - 1} of each`);
  const out = new Int32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= len)
      throw new RangeError(`${fn}: ${arg}[${i}] = ${show(v)} is not an index in [0, ${len}) into ${what} (indices count from 0)`);
    out[i] = v;
  }
  return out;
}

/** [outer, len] geometry, the host indices and the output shape of a gather or scatter. */
export interface IndexP { k: number; len: number; ix: Int32Array; out: Shape }

export const gatherDef = defineOp<IndexP>({
  name: 'gather',
  kernels: ['gather'],
  shape: (_ins, p) => p.out,
  run(b, y, [x, idx], p) { b.gather(x.buf, idx.buf, y.buf, y.size, p.k, p.len); },
  grad: (dy, [x], _y, p, needs) => [needs[0] ? scatterBy(dy, p, x.shape) : null, null],
  cost: (_ins, p, out) => ({ flops: 0, bytes: 8 * sizeOf(out) + 4 * p.k }),
});

export const scatterDef = defineOp<IndexP>({
  name: 'scatter',
  kernels: ['scatter'],
  shape: (_ins, p) => p.out,
  run(b, y, [x, order, offs], p) { b.scatter(x.buf, order.buf, offs.buf, y.buf, y.size, p.k, p.len); },
  // NNlib's ∇scatter_src for +: the gradient gathered back
  grad: (dy, [x], _y, p, needs) => [needs[0] ? gatherBy(dy, p, x.shape) : null, null, null],
  cost: ([x], p, out) => ({ flops: x.size, bytes: 4 * (x.size + sizeOf(out) + p.k + p.len) }),
});

/** gather of t ([outer, len] in the geometry p) at p's indices, shaped `shape`. */
function gatherBy(t: Tensor, p: IndexP, shape: Shape): Tensor {
  const idx = tensor(Float32Array.from(p.ix), [p.k]);
  try { return apply(gatherDef, [t, idx], { ...p, out: shape }); } finally { idx.dispose(); }
}
/** scatter-add of x ([outer, k]) into len groups, shaped `shape`. */
function scatterBy(x: Tensor, p: IndexP, shape: Shape): Tensor {
  // the positions of the indices grouped by value (ascending within one), and where each group starts
  const { ix, len } = p, offs = new Float32Array(len + 1), order = new Float32Array(ix.length);
  for (const v of ix) offs[v + 1]++;
  for (let v = 0; v < len; v++) offs[v + 1] += offs[v];
  const next = offs.slice(0, len);
  ix.forEach((v, j) => { order[next[v]++] = j; });
  const o = tensor(order, [ix.length]), f = tensor(offs, [len + 1]);
  try { return apply(scatterDef, [x, o, f], { ...p, out: shape }); } finally { o.dispose(); f.dispose(); }
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
  const M = all.length;
  if (x.rank < M) badShape(fn, 'src', x.shape, `${M} or more dims (one per index argument)`);
  const trail = x.shape.slice(x.rank - M), len = sizeOf(trail);
  let shape: number[] = [], ix: Int32Array = new Int32Array(0);
  all.forEach((v, m) => {
    const arg = M === 1 ? arg0 : `index ${m}`, h = hostIndices(fn, arg, v);
    if (m && !sameShape(h.shape, shape)) badShape(fn, arg, h.shape, `index 0's [${shape}]`);
    const c = checked(fn, arg, h.data, trail[m], `dim ${x.rank - M + m} of [${x.shape}]`, len);
    if (!m) { shape = h.shape; ix = c; } else for (let i = 0; i < c.length; i++) ix[i] = ix[i] * trail[m] + c[i];   // row-major linear index
  });
  const out = [...x.shape.slice(0, x.rank - M), ...shape];
  return gatherBy(x, { k: ix.length, len, ix, out }, out);
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
  if (op !== '+') fail('scatter', "op must be '+' (NNlib's -, max, min and mean are not in fluxion)", op);
  const o = options<{ dstsize: Shape }>('scatter', opts, ['dstsize']);
  const x = toTensor(src, 'scatter', 'src');
  const h = hostIndices('scatter', 'idx', idx), dims = x.rank - h.shape.length;
  if (dims < 0 || h.shape.some((d, i) => d !== x.shape[dims + i]))
    throw new RangeError(`scatter: src of shape [${x.shape}] must end with the index shape [${h.shape}]`);
  const lead = x.shape.slice(0, dims);
  let len = 0;
  for (let i = 0; i < h.data.length; i++) { const v = h.data[i]; if (Number.isInteger(v) && v >= len) len = v + 1; }
  if (o.dstsize !== undefined) {
    const ds = shapeArg('scatter', o.dstsize, 'dstsize');
    if (ds.length !== dims + 1 || lead.some((d, i) => d !== ds[i]))
      throw new RangeError(`scatter: dstsize [${ds}] must be [${[...lead, 'n']}]: src's leading dims [${lead}] and one indexed dim`);
    len = ds[dims];
  }
  const ix = checked('scatter', 'idx', h.data, len, `a destination of ${len} positions`);
  return scatterBy(x, { k: ix.length, len, ix, out: [] }, [...lead, len]);
}
