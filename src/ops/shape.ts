// Shape ops, both views on the same storage (free). reshape keeps the row-major order; transpose
// of a matrix is lazy, as Julia's `W'`: matmul reads it in place through its transposed variants,
// and any other reader gets it materialised once (src/tensor.ts, Tensor.storage).

import { defineOp, apply, type OpDef } from './registry.js';
import { Tensor, toTensor, sizeOf, checkShape, transposeView, type TensorLike, type Shape } from '../tensor.js';
import { fail } from '../check.js';

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
  if (!Array.isArray(shape)) fail('reshape', 'shape must be an array of dims (one may be -1)', shape);
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
  kernels: ['transpose'],   // what materialising the view runs
  alias: true,
  view: (x, shape) => transposeView(x, shape),
  shape([x]) {
    if (x.rank > 2) throw new RangeError(`transpose: expected a vector or matrix, got shape [${x.shape}]`);
    return x.rank === 2 ? [x.shape[1], x.shape[0]] : [1, x.shape[0] ?? 1];
  },
  run() {},
  // The gradient is dy's transpose, lazy too: a matmul consuming it reads it in place.
  grad: (dy, [x]) => [x.rank === 2 ? transpose(dy) : transpose(dy).view(x.shape)],
  cost: () => ({ flops: 0, bytes: 0 }),
});

/**
 * Matrix transpose (a vector becomes a 1-row matrix). Like Julia's `W'` it is a view, not a
 * copy: `matmul` reads it in place, and any other op materialises it once.
 * @example transpose(tensor([[1, 2, 3]])).shape   // [3, 1]
 *          matmul(dY, transpose(X))   // as fast as matmul(dY, X, { transB: true })
 */
export const transpose = (x: TensorLike): Tensor => apply(transposeDef, [toTensor(x, 'transpose', 'x')], {});
