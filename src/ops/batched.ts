// NNlib's batched_mul (⊠): C[:, :, z] = op(A[:, :, z])·op(B[:, :, z]) in one `bmm` kernel call.
// Row-major [m, k, batch] puts the batch on the contiguous axis, and the kernel reads every
// operand through (batch, row, column) strides, so a transposed operand costs nothing (two
// strides swapped) and a batch of 1 broadcasts (batch stride 0). Two cases are plain matmuls
// and run as one (packed, FMA where the engine has it): a single batch, and a broadcast A with
// an untransposed B, where B [k, n, batch] is the matrix [k, n·batch] and C the matrix [m, n·batch].

import { defineOp, apply } from './registry.js';
import { Tensor, toTensor, sizeOf, sameShape, type TensorLike, type Shape } from '../tensor.js';
import { sum } from './reduce.js';
import { options, bool } from '../check.js';

/** Whether A and B are transposed; shape() fills in the sizes. */
export interface BatchedP { ta: number; tb: number; m: number; k: number; n: number; batch: number }

/** op(a)·op(b) per batch (t: transposed). */
const bmul = (a: Tensor, b: Tensor, ta: number, tb: number): Tensor => apply(batchedMulDef, [a, b], { ta, tb } as BatchedP);

/** The batch dims of a matrix (none), a 3-d batch or an N-d one: everything after the first two. */
const batchOf = (s: Shape) => s.slice(2);

/** (batch, row, column) element strides of op(X) for X of shape [r, c, batch…] (op = transpose when t). */
function strides(s: Shape, t: number, batch: number): [number, number, number] {
  const nb = sizeOf(batchOf(s)), row = s[1] * nb;
  return [nb === 1 && batch > 1 ? 0 : 1, t ? nb : row, t ? row : nb];
}

export const batchedMulDef = defineOp<BatchedP>({
  name: 'batched_mul',
  kernels: ['bmm', 'matmul'],
  shape([a, b], p) {
    const [sa, sb] = [a.shape, b.shape], ba = batchOf(sa), bb = batchOf(sb), { ta, tb } = p;
    // NNlib: equal batch dims; a matrix, or a 3-d batch of 1 against a 3-d batch, is used for every batch
    const one = (s: Shape, o: Shape) => !s.length || (s + '' === '1' && o.length === 1), out = one(ba, bb) ? bb : ba;
    p.m = sa[ta]; p.k = sa[1 - ta]; p.n = sb[1 - tb];
    p.batch = sizeOf(out);
    if (a.rank < 2 || b.rank < 2 || p.k !== sb[tb] || !(out === bb || one(bb, ba) || sameShape(ba, bb))) {
      throw new RangeError(`batched_mul: A [${sa}] and B [${sb}] do not fit ${ta ? "A'" : 'A'} [m, k, batch...], ${tb ? "B'" : 'B'} [k, n, batch...]`);
    }
    return [p.m, p.n, ...out];
  },
  run(be, c, [a, b], p) {
    const { m, k, n, batch, ta, tb } = p;
    if (batch === 1 || (a.size === m * k && !tb)) { be.matmul(a.buf, b.buf, c.buf, m, k, n * batch, ta, tb, 0); return; }
    const [sab, sam, sak] = strides(a.shape, ta, batch), [sbb, sbk, sbn] = strides(b.shape, tb, batch);
    be.bmm(a.buf, b.buf, c.buf, m, k, n, batch, sab, sam, sak, sbb, sbk, sbn, 1, n * batch, batch);
  },
  // As matmul's rule per batch: dA = dC·op(B)ᵀ, dB = op(A)ᵀ·dC in A's and B's storage layout; a
  // broadcast operand's gradient is summed over the batch.
  grad(dy, [a, b], _c, p, needs) {
    const { ta, tb, m, k, n, batch } = p;
    const fold = (g: Tensor, x: Tensor) => (x.size === g.size ? g.rank === x.rank ? g : g.view(x.shape) : sum(g, g.shape.slice(2).map((_, i) => i + 2)).view(x.shape));
    // a broadcast A with an untransposed B: dA is one matrix product of the [m, n·batch] and [k, n·batch] views
    const v = needs[0] && a.size === m * k && batch > 1 && !tb, [B, D] = v ? [b.view([k, n * batch]), dy.view([m, n * batch])] : [b, dy];
    return [
      needs[0] ? fold(ta ? bmul(B, D, tb, 1) : bmul(D, B, 0, 1 - tb), a) : null,
      needs[1] ? fold(tb ? bmul(dy, a, 1, ta) : bmul(a, dy, 1 - ta, 0), b) : null,
    ];
  },
  cost: ([a, b], p, c) => ({ flops: 2 * p.m * p.k * p.n * p.batch, bytes: 4 * (a.size + b.size + sizeOf(c)) }),
});

/**
 * NNlib's `batched_mul` (A ⊠ B): `C[:, :, z] = op(A[:, :, z])·op(B[:, :, z])` for A `[m, k, batch…]`
 * and B `[k, n, batch…]`, giving `[m, n, batch…]`. The batch dims must match, except that a
 * 3-d operand with batch 1, or a matrix, is used for every batch (two matrices: their product). `transA`/`transB` multiply
 * by each matrix's transpose, read in place (NNlib's lazy `batched_transpose`).
 * @example batched_mul(rand(2, 5, 17), rand(5, 9, 17)).shape          // [2, 9, 17]
 *          batched_mul(rand(5, 2, 17), rand(5, 9, 1), { transA: true }) // [2, 9, 17]: B broadcast
 */
export function batched_mul(A: TensorLike, B: TensorLike, opts: { transA?: boolean; transB?: boolean } = {}): Tensor {
  const fn = 'batched_mul', o = options<{ transA: boolean; transB: boolean }>(fn, opts, ['transA', 'transB']);
  const t = (k: 'transA' | 'transB') => +bool(fn, k, o[k] ?? false);
  return bmul(toTensor(A, fn, 'A'), toTensor(B, fn, 'B'), t('transA'), t('transB'));
}
