// NNlib's batched_mul (⊠): C[:, :, z] = op(A[:, :, z])·op(B[:, :, z]) in one `bmm` kernel call.
// Row-major [m, k, batch] puts the batch on the contiguous axis, and the kernel reads every
// operand through (batch, row, column) strides, so a transposed operand costs nothing (two
// strides swapped) and a batch of 1 broadcasts (batch stride 0). Two cases are plain matmuls
// and run as one (packed, FMA where the engine has it): a single batch, and a broadcast A with
// an untransposed B, where B [k, n, batch] is the matrix [k, n·batch] and C the matrix [m, n·batch].

import { defineOp, apply } from './registry.js';
import { Tensor, toTensor, sizeOf, type TensorLike, type Shape } from '../tensor.js';
import { matmul } from './matmul.js';
import { permutedims } from './permute.js';
import { sum } from './reduce.js';
import { options, bool } from '../check.js';

export interface BatchedP { ta: number; tb: number; m: number; k: number; n: number; batch: number }

/** (batch, row, column) element strides of op(X) for X of shape [r, c, nb] (op = transpose when t). */
const strides = (s: Shape, t: number, batch: number): [number, number, number] => {
  const nb = s[2], row = s[1] * nb;
  return [nb === 1 && batch > 1 ? 0 : 1, t ? nb : row, t ? row : nb];
};

export const batchedMulDef = defineOp<BatchedP>({
  name: 'batched_mul',
  kernels: ['bmm', 'matmul'],
  shape([a, b], p) {
    const [sa, sb] = [a.shape, b.shape];
    if (a.rank !== 3 || b.rank !== 3) throw new RangeError(`batched_mul: expected two batches of matrices [rows, cols, batch], got [${sa}] and [${sb}]`);
    if (sa[2] !== sb[2] && sa[2] !== 1 && sb[2] !== 1)
      throw new RangeError(`batched_mul: batch sizes differ: A has shape [${sa}] and B [${sb}] (equal, or 1 to broadcast)`);
    p.m = p.ta ? sa[1] : sa[0]; p.k = p.ta ? sa[0] : sa[1];
    const kb = p.tb ? sb[1] : sb[0];
    p.n = p.tb ? sb[0] : sb[1];
    p.batch = Math.max(sa[2], sb[2]);
    if (p.k !== kb) {
      throw new RangeError(`batched_mul: inner dimensions differ: ${p.ta ? 'Aᵀ' : 'A'} is [${p.m}, ${p.k}] per batch (A has shape [${sa}]) ` +
        `and ${p.tb ? 'Bᵀ' : 'B'} is [${kb}, ${p.n}] (B has shape [${sb}])`);
    }
    return [p.m, p.n, p.batch];
  },
  run(be, c, [a, b], p) {
    const { m, k, n, batch, ta, tb } = p;
    if (batch === 1 || (a.shape[2] === 1 && !tb)) { be.matmul(a.buf, b.buf, c.buf, m, k, n * batch, ta, tb, 0); return; }
    const [sab, sam, sak] = strides(a.shape, ta, batch), [sbb, sbk, sbn] = strides(b.shape, tb, batch);
    be.bmm(a.buf, b.buf, c.buf, m, k, n, batch, sab, sam, sak, sbb, sbk, sbn, 1, n * batch, batch);
  },
  // As matmul's rule per batch: dA = dC·op(B)ᵀ, dB = op(A)ᵀ·dC in A's and B's storage layout; a
  // broadcast operand's gradient is summed over the batch (with a broadcast A and an untransposed
  // B, dA is one matmul of the [m, n·batch] and [k, n·batch] views).
  grad(dy, [a, b], _c, p, needs) {
    const { ta, tb, m, k, n, batch } = p;
    const bm = (x: Tensor, y: Tensor, t1: number, t2: number) => apply(batchedMulDef, [x, y], { ta: t1, tb: t2, m: 0, k: 0, n: 0, batch: 0 });
    const fold = (g: Tensor, x: Tensor) => (x.shape[2] === 1 && batch > 1 ? sum(g, 2) : g);
    let da: Tensor | null = null, db: Tensor | null = null;
    if (needs[0]) {
      if (a.shape[2] === 1 && batch > 1 && !tb) {
        const dv = dy.view([m, n * batch]), bv = b.view([k, n * batch]);
        da = (ta ? matmul(bv, dv, { transB: true }) : matmul(dv, bv, { transB: true })).view(a.shape);
      } else da = fold(ta ? bm(b, dy, tb, 1) : bm(dy, b, 0, tb ? 0 : 1), a);
    }
    if (needs[1]) db = fold(tb ? bm(dy, a, 1, ta) : bm(a, dy, ta ? 0 : 1, 0), b);
    return [da, db];
  },
  cost: ([a, b], p, c) => ({ flops: 2 * p.m * p.k * p.n * p.batch, bytes: 4 * (a.size + b.size + sizeOf(c)) }),
});

type MulOpts = { transA?: boolean; transB?: boolean };

/**
 * NNlib's `batched_mul` (A ⊠ B): `C[:, :, z] = op(A[:, :, z])·op(B[:, :, z])` for A `[m, k, batch…]`
 * and B `[k, n, batch…]`, giving `[m, n, batch…]`. The batch dims must match, except that a
 * 3-d operand with batch 1, or a matrix, is used for every batch. `transA`/`transB` multiply
 * by each matrix's transpose, read in place (NNlib's `batched_transpose`, without a copy).
 * @example batched_mul(rand(2, 5, 17), rand(5, 9, 17)).shape          // [2, 9, 17]
 *          batched_mul(rand(5, 2, 17), rand(5, 9, 1), { transA: true }) // [2, 9, 17]: B broadcast
 */
export function batched_mul(a0: TensorLike, b0: TensorLike, opts: MulOpts = {}): Tensor {
  const o = options<MulOpts>('batched_mul', opts, ['transA', 'transB']);
  if (o.transA !== undefined) bool('batched_mul', 'transA', o.transA);
  if (o.transB !== undefined) bool('batched_mul', 'transB', o.transB);
  const a = toTensor(a0, 'batched_mul', 'A'), b = toTensor(b0, 'batched_mul', 'B');
  if (a.rank < 2 || b.rank < 2) throw new RangeError(`batched_mul: A and B must have at least 2 dims (matrices), got shapes [${a.shape}] and [${b.shape}]`);
  const ba = a.shape.slice(2), bb = b.shape.slice(2);
  // the output's batch dims: a matrix takes the other's; 3-d batch-1 broadcasts; else equal
  const batch = !ba.length ? bb : !bb.length ? ba : ba.length === 1 && bb.length === 1 ? [Math.max(ba[0], bb[0])] : ba;
  if (ba.length && bb.length && !(ba.length === 1 && bb.length === 1) && (ba.length !== bb.length || ba.some((d, i) => d !== bb[i])))
    throw new RangeError(`batched_mul: batch dimensions differ: A has shape [${a.shape}] and B [${b.shape}]`);
  const as3 = (x: Tensor, bs: Shape) => (x.rank === 3 ? x : x.view([x.shape[0], x.shape[1], sizeOf(bs)]));
  const c = apply(batchedMulDef, [as3(a, ba), as3(b, bb)], { ta: o.transA ? 1 : 0, tb: o.transB ? 1 : 0, m: 0, k: 0, n: 0, batch: 0 });
  return batch.length === 1 ? c : c.view([c.shape[0], c.shape[1], ...batch]);
}

/**
 * NNlib's `batched_transpose`: each matrix of a batch transposed, `[m, n, batch…]` → `[n, m, batch…]`.
 * A copy (`permutedims`); inside `batched_mul`, `{ transA, transB }` read the transpose in place.
 * @example batched_transpose(rand(2, 5, 17)).shape   // [5, 2, 17]
 */
export function batched_transpose(x0: TensorLike): Tensor {
  const x = toTensor(x0, 'batched_transpose', 'x');
  if (x.rank < 2) throw new RangeError(`batched_transpose: expected a batch of matrices (at least 2 dims), got shape [${x.shape}]`);
  return permutedims(x, [1, 0, ...x.shape.slice(2).map((_, i) => i + 2)]);
}

/**
 * NNlib's `batched_adjoint`: for real numbers the same as `batched_transpose`.
 * @example batched_adjoint(rand(2, 5, 17)).shape   // [5, 2, 17]
 */
export const batched_adjoint = (x: TensorLike): Tensor => batched_transpose(x);

/**
 * NNlib's `batched_vec`: `C[:, z…] = A[:, :, z…]·B[:, z…]` for A `[m, k, batch…]` and B `[k, batch…]`
 * (one more dim in A than in B); a vector B `[k]` multiplies every matrix of a 3-d A.
 * @example batched_vec(rand(16, 8, 32), rand(8, 32)).shape   // [16, 32]
 *          batched_vec(rand(16, 8, 32), rand(8)).shape       // [16, 32]
 */
export function batched_vec(A0: TensorLike, B0: TensorLike): Tensor {
  const A = toTensor(A0, 'batched_vec', 'A'), B = toTensor(B0, 'batched_vec', 'B');
  const vec = A.rank === 3 && B.rank === 1;
  if (!vec && (A.rank < 3 || A.rank !== B.rank + 1 || A.shape.slice(2).some((d, i) => d !== B.shape[i + 1]))) {
    throw new RangeError(`batched_vec: expected A [m, k, batch…] and B [k, batch…] with the same batch dims (or B [k]), ` +
      `got shapes [${A.shape}] and [${B.shape}]`);
  }
  const Bv = B.view(vec ? [B.shape[0], 1] : [B.shape[0], 1, ...B.shape.slice(1)]);
  const c = batched_mul(A, Bv);
  return c.view([A.shape[0], ...A.shape.slice(2)]);
}
