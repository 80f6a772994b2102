// Pooling (NNlib's maxpool/meanpool) over the `pool` and `poolGrad` kernels. x [spatial…, c, n]
// is [w1, w2, w3, c·n] for the kernels: channels and observations pool alike, and are the
// fastest dims in memory, so every window reads contiguous runs.

import { defineOp, apply, type OpDef } from './registry.js';
import { geometry, windowArg, sizeArg, expected, freeing, SamePad, type Geo, type Window } from './conv.js';
import { Tensor, toTensor, sizeOf, type TensorLike, type Shape } from '../tensor.js';
import { options } from '../check.js';

/** Geometry, channels·batch, mean (1) or max (0), and the output's shape. */
export interface PoolP { g: Geo; cn: number; mean: number; shape: Shape }

/** The maximum (mean = 0) or mean (1, padding counted as 0) of each window. */
export const poolDef: OpDef<PoolP> = defineOp<PoolP>({
  name: 'pool',
  kernels: ['pool', 'poolGrad'],
  shape: (_i, p) => p.shape,
  run: (b, y, [x], p) => b.pool(x.buf, y.buf, p.cn, ...p.g, p.mean),
  grad: (dy, [x], y, p) => [apply(poolGradDef, [x, y, dy], { ...p, shape: x.shape })],
  cost: ([x], p, out) => ({ flops: sizeOf(out) * p.g[3] * p.g[4] * p.g[5], bytes: 4 * (x.size + sizeOf(out)) }),
});

/** dx of pool from x, y and dy (max: each window's dy to its first maximum, as NNlib). */
export const poolGradDef: OpDef<PoolP> = defineOp<PoolP>({
  name: 'poolGrad',
  kernels: ['poolGrad'],
  shape: (_i, p) => p.shape,
  run: (b, dx, [x, y, dy], p) => b.poolGrad(x.buf, y.buf, dy.buf, dx.buf, p.cn, ...p.g, p.mean),
  cost: ([x, y], p) => ({ flops: y.size * p.g[3] * p.g[4] * p.g[5], bytes: 4 * (2 * x.size + 2 * y.size) }),
});

/** Pools x [spatial…, c, n] over `win` (one entry of win.k per spatial dim); errors name `fn`. */
export function pool(fn: string, x: Tensor, win: Window, mean: number): Tensor {
  const nd = win.k.length;
  if (x.rank !== nd + 2) throw new RangeError(`${fn}: expected input of shape ${expected(nd, 'channels')} (rank ${nd + 2}), got shape [${x.shape.join(', ')}]`);
  const { out, g } = geometry(fn, x.shape.slice(0, nd), win);
  return apply(poolDef, [x], { g, cn: x.shape[nd] * x.shape[nd + 1], mean, shape: [...out, ...x.shape.slice(nd)] });
}

/**
 * What maxpool and meanpool accept: `pad` (a number, one per dim, [lo, hi] per dim, or SamePad())
 * and `stride` (default: the window).
 * @example maxpool(x, [2, 2], { stride: 1, pad: 1 })
 */
export interface PoolOptions { pad?: number | readonly number[] | ReturnType<typeof SamePad>; stride?: number | readonly number[] }

function pooled(fn: string, x0: TensorLike, k0: readonly number[], opts: PoolOptions | undefined, mean: number): Tensor {
  const x = toTensor(x0, fn, 'x');
  return freeing([x], () => {
    const k = sizeArg(fn, 'window', k0);
    return pool(fn, x, windowArg(fn, k, options<PoolOptions>(fn, opts, ['pad', 'stride']), k), mean);
  });
}

/**
 * NNlib's `maxpool(x, k)`: the maximum of each window `k` of x [spatial…, c, batch] (padding is ignored).
 * @example maxpool(rand([24, 24, 6, 64]), [2, 2]).shape   // [12, 12, 6, 64]
 */
export const maxpool = (x: TensorLike, k: readonly number[], opts?: PoolOptions): Tensor => pooled('maxpool', x, k, opts, 0);
/**
 * NNlib's `meanpool(x, k)`: the mean of each window (padding counts as zeros in a window of k… values).
 * @example meanpool(rand([4, 4, 1, 1]), [2, 2]).shape   // [2, 2, 1, 1]
 */
export const meanpool = (x: TensorLike, k: readonly number[], opts?: PoolOptions): Tensor => pooled('meanpool', x, k, opts, 1);
