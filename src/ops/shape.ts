// Shape ops. reshape is a view on the same storage (free); transpose of a matrix is a kernel.

import { defineOp, apply, type OpDef } from './registry.js';
import { Tensor, toTensor, sizeOf, checkShape, type TensorLike, type Shape } from '../tensor.js';

export const reshapeDef = defineOp<{ shape: Shape }>({
  name: 'reshape',
  kernels: [],
  alias: true,
  shape: (_i, p) => p.shape,
  run() {},
  grad: (dy, [x]) => [dy.view(x.shape)],
  cost: () => ({ flops: 0, bytes: 0 }),
});

/**
 * The same values in another shape (one dim may be -1): `reshape(x, [784, -1])`.
 * @example reshape(tensor([1, 2, 3, 4]), [2, 2])
 */
export function reshape(x0: TensorLike, shape: Shape): Tensor {
  const x = toTensor(x0, 'reshape', 'x');
  const s = [...shape], free = s.indexOf(-1);
  if (free >= 0) {
    const rest = sizeOf(s.filter((_, i) => i !== free));
    if (rest === 0 || x.size % rest) throw new RangeError(`reshape: cannot reshape [${x.shape}] into [${shape}]`);
    s[free] = x.size / rest;
  }
  checkShape(s, 'reshape');
  if (sizeOf(s) !== x.size) throw new RangeError(`reshape: [${x.shape}] (${x.size} values) cannot become [${shape}]`);
  return apply(reshapeDef, [x], { shape: s });
}

export const transposeDef: OpDef<{}> = defineOp<{}>({
  name: 'transpose',
  kernels: ['transpose'],
  shape([x]) {
    if (x.rank > 2) throw new RangeError(`transpose: expected a vector or matrix, got shape [${x.shape}]`);
    return x.rank === 2 ? [x.shape[1], x.shape[0]] : [1, x.shape[0] ?? 1];
  },
  run(b, out, [x]) { b.transpose(x.buf, out.buf, x.rank === 2 ? x.shape[0] : 1, x.rank === 2 ? x.shape[1] : x.size); },
  grad: (dy, [x]) => [transpose(dy).view(x.shape)],
  cost: ([x]) => ({ flops: 0, bytes: 8 * x.size }),
});

/**
 * Matrix transpose (a vector becomes a 1-row matrix).
 * @example transpose(tensor([[1, 2, 3]])).shape   // [3, 1]
 *          matmul(dY, transpose(X))
 */
export const transpose = (x: TensorLike): Tensor => apply(transposeDef, [toTensor(x, 'transpose', 'x')], {});
