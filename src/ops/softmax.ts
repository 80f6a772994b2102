// softmax and logsoftmax along one axis (Flux's dims=1, the feature axis, is axis 0 here), both
// stable for large inputs; their gradients are the fused softmaxGrad kernel.

import { defineOp, apply } from './registry.js';
import { Tensor, toTensor, sizeOf, type TensorLike } from '../tensor.js';

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

function along(name: string, x0: TensorLike, dims: number | undefined, log: number): Tensor {
  const x = toTensor(x0, name, 'x');
  const axis = dims ?? 0;
  if (!Number.isInteger(axis) || axis < 0 || axis >= Math.max(1, x.rank))
    throw new RangeError(`${name}: dims ${axis} out of range for shape [${x.shape}] (axes count from 0)`);
  if (x.size === 0) throw new RangeError(`${name}: empty tensor of shape [${x.shape}]`);
  const s = x.rank ? x.shape : [1];
  return apply(softmaxDef, [x], { log, len: s[axis], outer: sizeOf(s.slice(0, axis)), inner: sizeOf(s.slice(axis + 1)) });
}

/**
 * exp.(x .- max) ./ sum along `dims` (default 0: each column of a [classes, batch] matrix).
 * @example softmax(tensor([1, 2, 3]))
 */
export const softmax = (x: TensorLike, dims?: number) => along('softmax', x, dims, 0);
/**
 * x .- max .- log(sum(exp(x .- max))) along `dims` (default 0).
 * @example logsoftmax(tensor([1, 2, 3]))   // [-2.41, -1.41, -0.41]
 *          logitcrossentropy(m(x), y)      // uses it; prefer it to log(softmax(x))
 */
export const logsoftmax = (x: TensorLike, dims?: number) => along('logsoftmax', x, dims, 1);
