// Concatenation and slicing along any axis (0-based: Julia's dims=1 is 0). Around the axis a
// shape is [outer, len, inner], so every piece here is one 2-d strided copy: a slice reads
// [outer, len·inner] rows at an offset (the `strided` kernel), cat writes each input's rows into
// its place in the output (`stridedWrite`), a slice's gradient is that write into zeros and
// cat's gradient its slices. stack, chunk and selectdim are these with views around them.

import { defineOp, apply, type OpDef } from './registry.js';
import { Tensor, toTensor, sizeOf, type TensorLike, type Shape } from '../tensor.js';
import { gatherAxis, indexList, type Indices } from './gather.js';
import { fail, int, isPlain, options, badShape } from '../check.js';

/** A slice of `len` entries from `start` along `axis`; `out` gives its shape another rank (selectdim drops the axis). */
export interface SliceP { axis: number; start: number; len: number; out?: Shape; shape?: Shape }

/** [outer, length, inner] of a shape around `axis`. */
const around = (s: Shape, axis: number) => [sizeOf(s.slice(0, axis)), s[axis], sizeOf(s.slice(axis + 1))];

export const sliceDef: OpDef<SliceP> = defineOp<SliceP>({
  name: 'slice',
  kernels: ['strided'],
  shape: ([x], p) => p.out ?? x.shape.map((d, i) => (i === p.axis ? p.len : d)),
  run(b, y, [x], p) {
    const [outer, total, inner] = around(x.shape, p.axis);
    b.strided(x.buf, y.buf, y.size, p.start * inner, 1, 1, 1, 1, outer, p.len * inner, 0, 0, 0, 0, total * inner, 1);
  },
  grad: (dy, [x], _y, p) => [apply(sliceGradDef, [dy], { axis: p.axis, start: p.start, len: p.len, shape: x.shape })],
  cost: (_i, _p, out) => ({ flops: 0, bytes: 8 * sizeOf(out) }),
});

/** The adjoint of a slice: zeros of `shape` with dy written at the slice's place. */
export const sliceGradDef: OpDef<SliceP> = defineOp<SliceP>({
  name: 'sliceGrad',
  kernels: ['fill', 'stridedWrite'],
  shape: (_i, p) => p.shape!,
  run(b, y, [dy], p) {
    const [outer, total, inner] = around(y.shape, p.axis);   // dy may lack the axis (selectdim): only its size counts
    b.fill(y.buf, y.size, 0);
    if (dy.size) b.stridedWrite(dy.buf, y.buf, dy.size, p.start * inner, 1, 1, 1, 1, outer, p.len * inner, 0, 0, 0, 0, total * inner, 1);
  },
  grad: (dy, _i, _y, p) => [apply(sliceDef, [dy], { axis: p.axis, start: p.start, len: p.len })],
  cost: (_i, _p, out) => ({ flops: 0, bytes: 8 * sizeOf(out) }),
});

/**
 * cat along `axis`. Inputs of lower rank count as having trailing dims of 1 (Julia's rule), and
 * with `stack` each input gets a new axis of 1 at `axis`: either way only the shapes change,
 * not where the values go, so no input is reshaped first.
 */
export interface CatP { axis: number; stack?: boolean; fn: string }
const placed = (x: Tensor, p: CatP, rank: number): number[] =>
  p.stack ? [...x.shape.slice(0, p.axis), 1, ...x.shape.slice(p.axis)] : [...x.shape, ...Array(Math.max(0, rank - x.rank)).fill(1)];
const catRank = (xs: readonly Tensor[], p: CatP) => (p.stack ? xs[0].rank + 1 : Math.max(p.axis + 1, ...xs.map((x) => x.rank)));

export const catDef = defineOp<CatP>({
  name: 'cat',
  kernels: ['stridedWrite'],
  shape(xs, p) {
    const R = catRank(xs, p), s0 = placed(xs[0], p, R), out = [...s0];
    out[p.axis] = 0;
    xs.forEach((x, i) => {
      const s = placed(x, p, R);
      if (s.length !== R || s.some((d, a) => a !== p.axis && d !== s0[a]))
        badShape(p.fn, `input ${i}`, x.shape, `input 0's [${xs[0].shape}]${p.stack ? '' : ` outside dims ${p.axis}`}`);
      out[p.axis] += s[p.axis];
    });
    return out;
  },
  run(b, y, xs, p) {
    const [outer, total, inner] = around(y.shape, p.axis);
    let start = 0;
    for (const x of xs) {
      const len = p.stack ? 1 : x.shape[p.axis] ?? 1;
      if (x.size) b.stridedWrite(x.buf, y.buf, x.size, start * inner, 1, 1, 1, 1, outer, len * inner, 0, 0, 0, 0, total * inner, 1);
      start += len;
    }
  },
  grad(dy, xs, _y, p, needs) {
    let start = 0;
    return xs.map((x, i) => {
      const len = p.stack ? 1 : x.shape[p.axis] ?? 1, g = needs[i] ? apply(sliceDef, [dy], { axis: p.axis, start, len, out: x.shape }) : null;
      start += len;
      return g;
    });
  },
  cost: (_i, _p, out) => ({ flops: 0, bytes: 8 * sizeOf(out) }),
});

/** An axis given as a number or `{ dims }` (`dflt` when omitted; undefined there: required). */
function dimsArg(fn: string, v: unknown, dflt: number | undefined, max: number): number {
  let d = v;
  if (isPlain(v)) d = options<{ dims: number }>(fn, v, ['dims'], 'dims').dims;
  else if (v !== undefined && typeof v !== 'number') fail(fn, 'dims must be an axis number or { dims }', v);
  if (d === undefined) d = dflt;
  if (d === undefined) fail(fn, 'dims is required (an axis number, 0-based, or { dims })', v);
  return int(fn, 'dims', d, 0, max);
}

function tensors(fn: string, xs: unknown): Tensor[] {
  if (!Array.isArray(xs) || xs.length === 0) fail(fn, 'expected a non-empty array of tensors', xs);
  return xs.map((x, i) => toTensor(x as TensorLike, fn, `xs[${i}]`));
}

/** cat along `axis` (errors name `fn`). */
const catAlong = (fn: string, ts: Tensor[], axis: number): Tensor => apply(catDef, ts, { axis, fn });

/**
 * Julia's `cat(xs...; dims)`: the tensors joined along axis `dims` (0-based), every other dim
 * equal. Tensors with fewer dims count as having trailing dims of 1, so `dims` may be one past
 * the last axis (a new one).
 * @example cat([ones(2, 3), zeros(2, 1)], { dims: 1 }).shape   // [2, 4]
 *          cat([tensor([1, 2]), tensor([3, 4])], 1)            // [[1, 3], [2, 4]]: a new axis 1
 */
export function cat(xs: readonly TensorLike[], dims: number | { dims: number }): Tensor {
  const ts = tensors('cat', xs);
  return catAlong('cat', ts, dimsArg('cat', dims, undefined, Math.max(...ts.map((t) => t.rank))));
}
/**
 * Julia's `vcat`: `cat` along axis 0 (rows; vectors are stacked end to end).
 * @example vcat(tensor([1, 2]), tensor([3])).dataSync()   // [1, 2, 3]
 */
export const vcat = (...xs: TensorLike[]): Tensor => catAlong('vcat', tensors('vcat', xs), 0);
/**
 * Julia's `hcat`: `cat` along axis 1 (columns; vectors become columns).
 * @example hcat(tensor([1, 2]), tensor([3, 4])).shape   // [2, 2]
 *          hcat(ones(3, 2), zeros(3, 5)).shape          // [3, 7]
 */
export const hcat = (...xs: TensorLike[]): Tensor => catAlong('hcat', tensors('hcat', xs), 1);

/**
 * Julia's `stack(xs; dims)`: tensors of one shape along a new axis `dims` (default: a new last
 * axis, so `stack(xs)` of `[n]` vectors is `[n, xs.length]`).
 * @example stack([rand(3), rand(3)]).shape                // [3, 2]
 *          stack([rand(3), rand(3)], { dims: 0 }).shape   // [2, 3]
 */
export function stack(xs: readonly TensorLike[], dims?: number | { dims?: number }): Tensor {
  const ts = tensors('stack', xs), rank = ts[0].rank;
  return apply(catDef, ts, { axis: dimsArg('stack', dims, rank, rank), stack: true, fn: 'stack' });
}

function axisOf(fn: string, x: Tensor, d: unknown): number {
  if (x.rank === 0) throw new RangeError(`${fn}: a scalar has no axis to slice`);
  return int(fn, 'dims', d, 0, x.rank - 1);
}

/**
 * `len` entries of axis `dims` of x from `start` (0-based): `x[:, start:start+len, :]` for dims 1.
 * A copy; its gradient writes back into zeros.
 * @example slice(tensor([[1, 2, 3], [4, 5, 6]]), 1, 1, 2)   // [[2, 3], [5, 6]]
 */
export function slice(x: TensorLike, dims: number, start: number, len: number): Tensor {
  const t = toTensor(x, 'slice', 'x'), axis = axisOf('slice', t, dims), size = t.shape[axis];
  int('slice', 'start', start, 0, size);
  int('slice', 'len', len, 0);
  if (start + len > size) throw new RangeError(`slice: start ${start} + len ${len} runs past dim ${axis} of shape [${t.shape}] (length ${size})`);
  return apply(sliceDef, [t], { axis, start, len });
}

/**
 * Julia's `selectdim(x, dims, i)`: an integer `i` (0-based) takes that entry of axis `dims` and
 * drops the axis; an array of indices takes those entries in order (the axis stays, of their
 * count), a gather unless they are a run `[a, a+1, …]`, which is a slice.
 * @example selectdim(rand(4, 10, 32), 1, 0).shape          // [4, 32]: the first time step
 *          selectdim(rand(4, 10, 32), 1, [9, 0]).shape     // [4, 2, 32]
 */
export function selectdim(x: TensorLike, dims: number, i: number | Indices): Tensor {
  const t = toTensor(x, 'selectdim', 'x'), axis = axisOf('selectdim', t, dims), size = t.shape[axis];
  if (typeof i === 'number') {
    int('selectdim', 'i', i, 0, size - 1);
    return apply(sliceDef, [t], { axis, start: i, len: 1, out: t.shape.filter((_, a) => a !== axis) });
  }
  const ix = indexList('selectdim', 'i', i, size, `dim ${axis} of shape [${t.shape}]`);
  if (ix.length && ix.every((u, j) => u === ix[0] + j)) return apply(sliceDef, [t], { axis, start: ix[0], len: ix.length });
  return gatherAxis(t, axis, ix);
}

/**
 * MLUtils' `chunk`: x split along `dims` (default: the last axis) into `n` pieces of
 * `ceil(length / n)` (the last may be shorter, and there may be fewer than n), or into pieces
 * of `size` (a number, or an array of lengths that sum to the axis length). Each is a slice.
 * @example chunk(rand(8, 5), 4, { dims: 0 }).map((t) => t.shape)   // four [2, 5]: LSTM gates
 *          chunk(rand(3, 10), { size: [4, 6] }).map((t) => t.shape)   // [3, 4], [3, 6]
 */
export function chunk(x: TensorLike, n: number | { size: number | readonly number[]; dims?: number }, dims?: number | { dims?: number }): Tensor[] {
  const t = toTensor(x, 'chunk', 'x');
  if (t.rank === 0) throw new RangeError('chunk: a scalar has no axis to split');
  let size: number | readonly number[], axis: number;
  if (isPlain(n)) {
    const o = options<{ size: number | readonly number[]; dims: number }>('chunk', n, ['size', 'dims']);
    if (dims !== undefined) fail('chunk', 'give dims once, in the options { size, dims }', dims);
    axis = dimsArg('chunk', o.dims, t.rank - 1, t.rank - 1);
    if (o.size === undefined) fail('chunk', 'options need size (a number or an array of lengths)', n);
    size = o.size!;
  } else {
    axis = dimsArg('chunk', dims, t.rank - 1, t.rank - 1);
    size = Math.max(1, Math.ceil(t.shape[axis] / int('chunk', 'n', n, 1)));
  }
  const L = t.shape[axis], lens: number[] = [];
  if (typeof size === 'number') {
    int('chunk', 'size', size, 1);
    for (let s = 0; s < L; s += size) lens.push(Math.min(size, L - s));
  } else {
    if (!Array.isArray(size)) fail('chunk', 'size must be a number or an array of lengths', size);
    size.forEach((v, i) => int('chunk', `size[${i}]`, v, 0));
    if (size.reduce((a: number, b: number) => a + b, 0) !== L)
      throw new RangeError(`chunk: the sizes [${size}] must sum to ${L}, the length of dim ${axis} of shape [${t.shape}]`);
    lens.push(...size);
  }
  let start = 0;
  return lens.map((len) => { const piece = apply(sliceDef, [t], { axis, start, len }); start += len; return piece; });
}
