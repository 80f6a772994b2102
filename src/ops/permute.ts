// permutedims: an N-D strided copy (the `strided` kernel) through the input's permuted strides.
// Size-1 axes are dropped and axes that stay adjacent in the input are merged before the kernel
// sees them, so any rank whose permutation moves at most 6 blocks of axes runs as one pass.

import { defineOp, apply, type OpDef } from './registry.js';
import { Tensor, toTensor, sizeOf, sameShape, type TensorLike, type Shape } from '../tensor.js';
import type { Backend } from '../backends/backend.js';
import { show } from '../check.js';

export interface PermuteP { perm: readonly number[] }

const RANK = 6;   // dims of the strided kernel

/**
 * The kernel's [dims, strides] for y[i…] = x[Σ i·stride] over `dims` (stride 0 broadcasts), padded
 * to RANK at the front: size-1 dims dropped, neighbours that stay adjacent in x merged.
 */
function blocks(fn: string, what: () => string, dims0: readonly number[], strides0: readonly number[]): [number[], number[]] {
  const dims: number[] = [], strides: number[] = [];
  for (let i = 0; i < dims0.length; i++) {
    const n = dims0[i], st = strides0[i];
    if (n === 1) continue;
    const last = dims.length - 1;
    if (last >= 0 && strides[last] === st * n) { dims[last] *= n; strides[last] = st; continue; }   // adjacent in x
    dims.push(n); strides.push(st);
  }
  if (dims.length > RANK) throw new RangeError(`${fn}: ${what()} moves ${dims.length} blocks of axes; at most ${RANK} are supported`);
  while (dims.length < RANK) { dims.unshift(1); strides.unshift(0); }
  return [dims, strides];
}

/** The kernel's [dims, strides] for y = permutedims(x, perm). */
function plan(shape: Shape, perm: readonly number[]): [number[], number[]] {
  const xs: number[] = new Array(shape.length);
  for (let d = shape.length - 1, s = 1; d >= 0; d--) { xs[d] = s; s *= shape[d]; }
  return blocks('permutedims', () => `a permutation of [${shape}] by [${perm}]`, perm.map((a) => shape[a]), perm.map((a) => xs[a]));
}

export const permuteDef: OpDef<PermuteP> = defineOp<PermuteP>({
  name: 'permutedims',
  kernels: ['strided'],
  shape([x], p) {
    plan(x.shape, p.perm);   // throws, before anything is allocated, for more blocks than the kernel has dims
    return p.perm.map((a) => x.shape[a]);
  },
  run(b, y, [x], p) {
    strided(b, x, y, plan(x.shape, p.perm));
  },
  grad(dy, _ins, _y, p) {
    const inv = new Array<number>(p.perm.length);
    p.perm.forEach((a, i) => { inv[a] = i; });
    return [apply(permuteDef, [dy], { perm: inv })];
  },
  cost: ([x]) => ({ flops: 0, bytes: 8 * x.size }),
});

/**
 * Julia's `permutedims(x, perm)` with 0-based axes: output axis i is input axis perm[i], so
 * `size(y, i) == size(x, perm[i])`. Without `perm` the axes are reversed.
 * @example permutedims(zeros([28, 28, 1, 64]), [1, 0, 2, 3])   // swap W and H of a WHCN batch
 */
export function permutedims(x0: TensorLike, perm?: readonly number[]): Tensor {
  const x = toTensor(x0, 'permutedims', 'x');
  const p = perm === undefined ? x.shape.map((_, i) => x.rank - 1 - i) : perm;
  if (!Array.isArray(p) || p.length !== x.rank || [...p].sort((a, b) => a - b).some((a, i) => a !== i)) {
    throw new RangeError(`permutedims: perm must be a permutation of 0..${x.rank - 1} for input shape [${x.shape}], got ${Array.isArray(perm) ? JSON.stringify(perm) : show(perm)}`);
  }
  return apply(permuteDef, [x], { perm: [...p] });
}

const strided = (b: Backend, x: Tensor, y: Tensor, [d, s]: [number[], number[]]) =>
  b.strided(x.buf, y.buf, y.size, 0, d[0], d[1], d[2], d[3], d[4], d[5], s[0], s[1], s[2], s[3], s[4], s[5]);

export interface ExpandP { shape: Shape; strides: readonly number[] }

/**
 * x read at element `strides` over `shape` (0 along broadcast axes): a broadcast made explicit,
 * for binary ops whose operands would need more strided dims than the binary kernel has.
 * Autograd sums the gradient back to x's shape.
 */
export const expandDef: OpDef<ExpandP> = defineOp<ExpandP>({
  name: 'expand',
  kernels: ['strided'],
  shape(_i, p) { blocks('expand', () => `a broadcast to [${p.shape}]`, p.shape, p.strides); return p.shape; },
  run: (b, y, [x], p) => strided(b, x, y, blocks('expand', () => '', p.shape, p.strides)),
  grad: (dy) => [dy],
  cost: (_i, p) => ({ flops: 0, bytes: 8 * sizeOf(p.shape) }),
});

/** x as an explicit tensor of the broadcast shape (itself when it has that shape already). */
export const expand = (x: Tensor, shape: Shape, strides: readonly number[]): Tensor =>
  sameShape(x.shape, shape) ? x : x.size === sizeOf(shape) ? x.view(shape) : apply(expandDef, [x], { shape, strides });
