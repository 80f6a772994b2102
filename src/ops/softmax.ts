// softmax and logsoftmax along one axis or a run of adjacent axes (Flux's dims=1, the feature
// axis, is axis 0 here), both stable for large inputs; their gradients are the fused softmaxGrad
// kernel. The kernel reduces the middle axis of [outer, len, inner], which any run of adjacent
// axes is. make_causal_mask, for attention scores, lives here too.

import { defineOp, apply } from './registry.js';
import { Tensor, tensor, toTensor, sizeOf, type TensorLike } from '../tensor.js';
import { show, isPlain, options } from '../check.js';

export interface SoftmaxP { log: number; outer: number; len: number; inner: number }

export const softmaxDef = defineOp<SoftmaxP>({
  name: 'softmax',
  kernels: ['softmax', 'softmaxGrad'],
  shape: ([x]) => x.shape,
  run(b, out, [x], p) { b.softmax(x.buf, out.buf, p.outer, p.len, p.inner, p.log); },
  grad: (dy, _x, y, p) => [apply(softmaxGradDef, [y, dy], p)],
  cost: ([x]) => ({ flops: 12 * x.size, bytes: 8 * x.size }),
});

export const softmaxGradDef = defineOp<SoftmaxP>({
  name: 'softmaxGrad',
  kernels: ['softmaxGrad'],
  shape: ([y]) => y.shape,
  run(b, out, [y, dy], p) { b.softmaxGrad(y.buf, dy.buf, out.buf, p.outer, p.len, p.inner, p.log); },
  cost: ([y]) => ({ flops: 6 * y.size, bytes: 12 * y.size }),
});

/**
 * The axes of a softmax: one axis, an array of adjacent ones, or `{ dims }` with either (0-based;
 * the default is 0, each column of a [classes, batch] matrix).
 * @example softmax(scores, { dims: 0 })   // over keys, for each query, head and batch
 *          softmax(x, [0, 1])            // over the first two axes together
 */
export type SoftmaxDims = number | readonly number[] | { dims?: number | readonly number[] };

/**
 * `d` as a run of adjacent axes of `shape`, sorted (one axis when `one`, else one or an array of
 * them), or an error naming fn, dims and the shape.
 */
function axesOf(fn: string, d: unknown, shape: readonly number[], one?: boolean): number[] {
  const list = ((one ? [d] : [d].flat()) as number[]).sort((a, b) => a - b);
  if (!list.length || list.some((a, i) => !Number.isInteger(a) || a < 0 || a >= shape.length || a !== list[0] + i))
    throw new RangeError(`${fn}: dims ${show(d)} must be ${one ? 'an axis' : 'adjacent axes'} of shape [${shape}] (0-based)`);
  return list;
}

function along(name: string, x0: TensorLike, dims: SoftmaxDims | undefined, log: number): Tensor {
  const x = toTensor(x0, name, 'x'), s = x.rank ? x.shape : [1];
  const d = isPlain(dims) ? options<{ dims: number | readonly number[] }>(name, dims, ['dims'], 'dims').dims : dims;
  const axes = axesOf(name, d === undefined ? 0 : d, s), lo = axes[0], hi = axes[axes.length - 1] + 1;
  if (x.size === 0) throw new RangeError(`${name}: empty tensor of shape [${x.shape}]`);
  return apply(softmaxDef, [x], { log, len: sizeOf(s.slice(lo, hi)), outer: sizeOf(s.slice(0, lo)), inner: sizeOf(s.slice(hi)) });
}

/**
 * exp.(x .- max) ./ sum along `dims` (default 0: each column of a [classes, batch] matrix); dims
 * may be several adjacent axes, as NNlib's `softmax(x; dims)` (others: permutedims them together first).
 * @example softmax(tensor([1, 2, 3]))
 *          softmax(scores, { dims: 0 })
 */
export const softmax = (x: TensorLike, dims?: SoftmaxDims) => along('softmax', x, dims, 0);
/**
 * x .- max .- log(sum(exp(x .- max))) along `dims` (default 0).
 * @example logsoftmax(tensor([1, 2, 3]))   // [-2.41, -1.41, -0.41]
 *          logitcrossentropy(m(x), y)      // uses it; prefer it to log(softmax(x))
 */
export const logsoftmax = (x: TensorLike, dims?: SoftmaxDims) => along('logsoftmax', x, dims, 1);

/**
 * NNlib's `make_causal_mask(x; dims)`: a `[len, len]` 0/1 matrix with `m[i, j] = i ≤ j`, where
 * len is x's length along `dims` (default 1, the sequence axis of `[features, len, batch]`): key
 * i may be attended to from query j when it is not later. Not differentiated.
 * @example make_causal_mask(rand(8, 3, 2))   // [[1, 1, 1], [0, 1, 1], [0, 0, 1]]
 */
export function make_causal_mask(x: TensorLike, opts: { dims?: number } = {}): Tensor {
  const fn = 'make_causal_mask', o = options<{ dims: number }>(fn, opts, ['dims']), t = toTensor(x, fn, 'x');
  const len = t.shape[axesOf(fn, o.dims ?? 1, t.shape, true)[0]], m = new Float32Array(len * len);
  for (let i = 0; i < len; i++) m.fill(1, i * len + i, (i + 1) * len);
  return tensor(m, [len, len]);
}
