// Concatenation and slicing along any axis (0-based: Julia's dims=1 is 0). Around the axis a
// shape is [outer, len, inner], so every piece here is one 2-d strided copy: a slice reads
// [outer, len·inner] rows at an offset (the `strided` kernel), cat writes each input's rows into
// its place in the output (`stridedWrite`), a slice's gradient is that write into zeros and
// cat's gradient its slices. stack, chunk and selectdim are these with views around them.

import { defineOp, apply, type OpDef } from './registry.js';
import type { Backend } from '../backends/backend.js';
import { Tensor, toTensor, sizeOf, type TensorLike, type Shape } from '../tensor.js';
import { fail, int, isPlain, options, badShape } from '../check.js';

/** A slice of `len` entries from `start` along `axis`; `out` gives its shape another rank (selectdim drops the axis). */
export interface SliceP { axis: number; start: number; len: number; out?: Shape; shape?: Shape }

/**
 * One strided copy of the slice p (`strided` reads it out of x, `stridedWrite` writes x into it
 * in y): rows of `len` entries along `axis` at `start`, around which the big side's shape is
 * [outer, total, inner]; the small side's size is the count.
 */
function rows(b: Backend, write: number, x: Tensor, y: Tensor, { axis, start, len }: SliceP): void {
  const [s, n] = write ? [y.shape, x.size] : [x.shape, y.size], inner = sizeOf(s.slice(axis + 1));
  b[write ? 'stridedWrite' : 'strided'](x.buf, y.buf, n, start * inner, 1, 1, 1, 1, sizeOf(s.slice(0, axis)), len * inner, 0, 0, 0, 0, s[axis] * inner, 1);
}
const cost = (_i: unknown, _p: unknown, out: Shape) => ({ flops: 0, bytes: 8 * sizeOf(out) });

export const sliceDef: OpDef<SliceP> = defineOp<SliceP>({
  name: 'slice',
  kernels: ['strided'],
  shape: ([x], p) => p.out ?? x.shape.map((d, i) => (i === p.axis ? p.len : d)),
  run: (b, y, [x], p) => rows(b, 0, x, y, p),
  grad: (dy, [x], _y, p) => [apply(sliceGradDef, [dy], { ...p, shape: x.shape })],
  cost,
});

/** The adjoint of a slice: zeros of `shape` with dy written at the slice's place. */
export const sliceGradDef: OpDef<SliceP> = defineOp<SliceP>({
  name: 'sliceGrad',
  kernels: ['fill', 'stridedWrite'],
  shape: (_i, p) => p.shape!,
  run(b, y, [dy], p) {
    b.fill(y.buf, y.size, 0);   // dy may lack the axis (selectdim): only its size counts
    if (dy.size) rows(b, 1, dy, y, p);
  },
  grad: (dy, _i, _y, p) => [apply(sliceDef, [dy], p)],
  cost,
});

/**
 * cat along `axis`. Inputs of lower rank count as having trailing dims of 1 (Julia's rule), and
 * with `stack` each input gets a new axis of 1 at `axis`: either way only the shapes change,
 * not where the values go, so no input is reshaped first.
 */
export interface CatP { axis: number; stack?: boolean; fn: string; /** where each input starts along axis, and the end (shape() fills it) */ at?: number[] }
/** Input i's place in cat's output, as a slice of it. */
const piece = ({ axis, at }: CatP, i: number, out?: Shape): SliceP => ({ axis, start: at![i], len: at![i + 1] - at![i], out });

export const catDef = defineOp<CatP>({
  name: 'cat',
  kernels: ['stridedWrite'],
  shape(xs, p) {
    const a = p.axis, R = p.stack ? xs[0].rank + 1 : Math.max(a + 1, ...xs.map((x) => x.rank)), at = p.at = [0];
    const placed = ({ shape: s }: Tensor): number[] => p.stack ? [...s.slice(0, a), 1, ...s.slice(a)] : [...s, ...Array(R - s.length).fill(1)];
    const s0 = placed(xs[0]);
    xs.forEach((x, i) => {
      const s = placed(x);
      if (s.length !== R || s.some((d, j) => j !== a && d !== s0[j]))
        badShape(p.fn, `input ${i}`, x.shape, `input 0's [${xs[0].shape}]${p.stack ? '' : ` outside dims ${a}`}`);
      at.push(at[i] + s[a]);
    });
    return s0.map((d, j) => (j === a ? at[xs.length] : d));
  },
  run(b, y, xs, p) {
    xs.forEach((x, i) => x.size && rows(b, 1, x, y, piece(p, i)));
  },
  grad: (dy, xs, _y, p, needs) => xs.map((x, i) => (needs[i] ? apply(sliceDef, [dy], piece(p, i, x.shape)) : null)),
  cost,
});

/** An axis given as a number or `{ dims }` (`dflt` when omitted; undefined there: required). */
function dimsArg(fn: string, v: unknown, dflt: number | undefined, max: number): number {
  const d = isPlain(v) ? options<{ dims: number }>(fn, v, ['dims'], 'dims').dims : v;
  return int(fn, 'dims', d === undefined ? dflt ?? fail(fn, 'dims is required', v) : d, 0, max);
}

/** An axis of x, as dimsArg. */
function axisOf(fn: string, x: Tensor, d: unknown, dflt?: number): number {
  if (!x.rank) throw new RangeError(`${fn}: a scalar has no axis`);
  return dimsArg(fn, d, dflt, x.rank - 1);
}

/** cat (or stack) of the tensors xs along axis(them) (errors name `fn`). */
function join(fn: string, xs: unknown, axis: (ts: Tensor[]) => number, stack?: boolean): Tensor {
  if (!Array.isArray(xs) || xs.length === 0) fail(fn, 'xs must be a non-empty array of tensors', xs);
  const ts = xs.map((x, i) => toTensor(x as TensorLike, fn, `xs[${i}]`));
  return apply(catDef, ts, { axis: axis(ts), stack, fn });
}

/**
 * Julia's `cat(xs...; dims)`: the tensors joined along axis `dims` (0-based), every other dim
 * equal. Tensors with fewer dims count as having trailing dims of 1, so `dims` may be one past
 * the last axis (a new one).
 * @example cat([ones(2, 3), zeros(2, 1)], { dims: 1 }).shape   // [2, 4]
 *          cat([tensor([1, 2]), tensor([3, 4])], 1)            // [[1, 3], [2, 4]]: a new axis 1
 */
export const cat = (xs: readonly TensorLike[], dims: number | { dims: number }): Tensor =>
  join('cat', xs, (ts) => dimsArg('cat', dims, undefined, Math.max(...ts.map((t) => t.rank))));
/**
 * Julia's `vcat`: `cat` along axis 0 (rows; vectors are stacked end to end).
 * @example vcat(tensor([1, 2]), tensor([3])).dataSync()   // [1, 2, 3]
 */
export const vcat = (...xs: TensorLike[]): Tensor => join('vcat', xs, () => 0);
/**
 * Julia's `hcat`: `cat` along axis 1 (columns; vectors become columns).
 * @example hcat(tensor([1, 2]), tensor([3, 4])).shape   // [2, 2]
 *          hcat(ones(3, 2), zeros(3, 5)).shape          // [3, 7]
 */
export const hcat = (...xs: TensorLike[]): Tensor => join('hcat', xs, () => 1);

/**
 * Julia's `stack(xs; dims)`: tensors of one shape along a new axis `dims` (default: a new last
 * axis, so `stack(xs)` of `[n]` vectors is `[n, xs.length]`).
 * @example stack([rand(3), rand(3)]).shape                // [3, 2]
 *          stack([rand(3), rand(3)], { dims: 0 }).shape   // [2, 3]
 */
export const stack = (xs: readonly TensorLike[], dims?: number | { dims?: number }): Tensor =>
  join('stack', xs, ([t]) => dimsArg('stack', dims, t.rank, t.rank), true);

/**
 * `len` entries of axis `dims` of x from `start` (0-based): `x[:, start:start+len, :]` for dims 1.
 * A copy; its gradient writes back into zeros.
 * @example slice(tensor([[1, 2, 3], [4, 5, 6]]), 1, 1, 2)   // [[2, 3], [5, 6]]
 */
export function slice(x: TensorLike, dims: number, start: number, len: number): Tensor {
  const t = toTensor(x, 'slice', 'x'), axis = axisOf('slice', t, dims), size = t.shape[axis];
  int('slice', 'start', start, 0, size);
  if (int('slice', 'len', len, 0) + start > size) throw new RangeError(`slice: start ${start} + len ${len} > ${size}, dim ${axis} of [${t.shape}]`);
  return apply(sliceDef, [t], { axis, start, len });
}

/**
 * Julia's `selectdim(x, dims, i)` for an integer `i` (0-based): entry i of axis `dims`, the axis
 * dropped (a range of entries is `slice`).
 * @example selectdim(rand(4, 10, 32), 1, 0).shape          // [4, 32]: the first time step
 */
export function selectdim(x: TensorLike, dims: number, i: number): Tensor {
  const t = toTensor(x, 'selectdim', 'x'), axis = axisOf('selectdim', t, dims);
  int('selectdim', 'i', i, 0, t.shape[axis] - 1);
  return apply(sliceDef, [t], { axis, start: i, len: 1, out: t.shape.filter((_, a) => a !== axis) });
}

/**
 * MLUtils' `chunk`: x split along `dims` (default: the last axis) into `n` pieces of
 * `ceil(length / n)` (the last may be shorter, and there may be fewer than n), or into pieces
 * of `size` (the last may be shorter). Each is a slice.
 * @example chunk(rand(8, 5), 4, { dims: 0 }).map((t) => t.shape)   // four [2, 5]: LSTM gates
 *          chunk(rand(3, 10), { size: 4 }).map((t) => t.shape)   // [3, 4], [3, 4], [3, 2]
 */
export function chunk(x: TensorLike, n: number | { size: number; dims?: number }, dims?: number | { dims?: number }): Tensor[] {
  const fn = 'chunk', t = toTensor(x, fn, 'x'), plain = isPlain(n), out: Tensor[] = [];
  const o = plain ? options<{ size: number; dims: unknown }>(fn, n, ['size', 'dims']) : { dims };
  if (plain && dims !== undefined) fail(fn, 'dims given twice', dims);
  const axis = axisOf(fn, t, o.dims, t.rank - 1), L = t.shape[axis];
  const size = int(fn, 'size', plain ? o.size : Math.ceil(L / int(fn, 'n', n, 1)) || 1, 1);
  for (let s = 0; s < L; s += size) out.push(apply(sliceDef, [t], { axis, start: s, len: Math.min(size, L - s) }));
  return out;
}
