// Matrix products in the three layouts backprop needs. op(A) is [m, k], op(B) is [k, n]; a
// transposed operand is read in place by the kernel (no transpose pass), whether it is asked for
// with a flag or is a lazy `transpose(x)`, whose storage already holds xᵀ. A 1-d B is a column.

import { defineOp, apply } from './registry.js';
import { Tensor, toTensor, type TensorLike } from '../tensor.js';
import { options, bool } from '../check.js';

export interface MatmulP { ta: number; tb: number; m: number; k: number; n: number; vec: boolean }

export const matmulDef = defineOp<MatmulP>({
  name: 'matmul',
  kernels: ['matmul'],
  shape([a, b], p) {
    if (a.rank !== 2 || (b.rank !== 2 && b.rank !== 1))
      throw new RangeError(`matmul: expected a matrix times a matrix or vector, got shapes [${a.shape}] and [${b.shape}]`);
    const bs = b.rank === 1 ? [b.shape[0], 1] : b.shape;
    p.m = p.ta ? a.shape[1] : a.shape[0];
    p.k = p.ta ? a.shape[0] : a.shape[1];
    const kb = p.tb ? bs[1] : bs[0];
    p.n = p.tb ? bs[0] : bs[1];
    p.vec = b.rank === 1 && !p.tb;
    if (p.k !== kb) {
      throw new RangeError(`matmul: inner dimensions differ: ${p.ta ? 'Aᵀ' : 'A'} is [${p.m}, ${p.k}] ` +
        `(A has shape [${a.shape}]) and ${p.tb ? 'Bᵀ' : 'B'} is [${kb}, ${p.n}] (B has shape [${b.shape}])`);
    }
    return p.vec ? [p.m] : [p.m, p.n];
  },
  // p.ta/p.tb are the flags the caller asked for; a lazy transpose flips its operand's flag.
  run(be, out, [a, b], p) {
    be.matmul(a.raw.buf, b.raw.buf, out.buf, p.m, p.k, p.n, a.transposed ? 1 - p.ta : p.ta, b.transposed ? 1 - p.tb : p.tb, 0);
  },
  // C = op(A)·op(B): dA = dC·op(B)ᵀ, dB = op(A)ᵀ·dC, each written back in A's and B's storage layout.
  grad(dy0, [a, b0], _c, p, needs) {
    const b = b0.rank === 1 ? b0.view([b0.shape[0], 1]) : b0;
    const dy = dy0.rank === 1 ? dy0.view([dy0.shape[0], 1]) : dy0;
    const mm = (x: Tensor, y: Tensor, ta: number, tb: number) => matmul(x, y, { transA: !!ta, transB: !!tb });
    let da: Tensor | null = null, db: Tensor | null = null;
    if (needs[0]) da = p.ta ? mm(b, dy, p.tb, 1) : mm(dy, b, 0, p.tb ? 0 : 1);
    if (needs[1]) db = p.tb ? mm(dy, a, 1, p.ta) : mm(a, dy, p.ta ? 0 : 1, 0);
    return [da, db && b0.rank === 1 ? db.view(b0.shape) : db];
  },
  cost: (_i, p) => ({ flops: 2 * p.m * p.k * p.n, bytes: 4 * (p.m * p.k + p.k * p.n + p.m * p.n) }),
});

/**
 * Matrix product op(A)·op(B): `matmul(W, x)`, `matmul(dy, x, { transB: true })`.
 * @example const y = matmul(tensor([[1, 2], [3, 4]]), tensor([1, 1]));   // [3, 7]
 */
export function matmul(a: TensorLike, b: TensorLike, opts: { transA?: boolean; transB?: boolean } = {}): Tensor {
  const o = options<{ transA: boolean; transB: boolean }>('matmul', opts, ['transA', 'transB']);
  if (o.transA !== undefined) bool('matmul', 'transA', o.transA);
  if (o.transB !== undefined) bool('matmul', 'transB', o.transB);
  return apply(matmulDef, [toTensor(a, 'matmul', 'a'), toTensor(b, 'matmul', 'b')],
    { ta: o.transA ? 1 : 0, tb: o.transB ? 1 : 0, m: 0, k: 0, n: 0, vec: false });
}
