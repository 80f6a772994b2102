// Pooling layers as Flux spells them: MaxPool and MeanPool over a window (stride defaults to the
// window), GlobalMaxPool and GlobalMeanPool over all spatial dims, AdaptiveMaxPool and
// AdaptiveMeanPool to a fixed output size. No parameters; the ops are src/ops/pool.ts.

import type { Tensor } from '../tensor.js';
import { pool, type PoolOptions } from '../ops/pool.js';
import { windowArg, sizeArg, expected, type Window } from '../ops/conv.js';
import { makeLayer, type Layer } from './layer.js';
import { tuple, show, showPad } from './conv.js';
import { options } from '../check.js';

/**
 * A MaxPool or MeanPool layer: window `k`, padding [lo, hi] per dim and stride.
 * @example const p: Pool = MaxPool([2, 2]);
 *          p.k; p.stride; p.pad   // [2, 2], [2, 2], [0, 0, 0, 0]
 */
export type Pool = Layer<{ k: number[]; pad: number[]; stride: number[] }>;
/**
 * A pooling layer without settings of its own but the output size (GlobalMaxPool, AdaptiveMeanPool, ...).
 * @example const p: PoolLayer = AdaptiveMeanPool([1, 1]);
 *          p.out   // [1, 1]
 */
export type PoolLayer = Layer<{ out?: number[] }>;

function windowed(kind: string, k0: readonly number[], opts: PoolOptions | undefined, mean: number): Pool {
  const k = sizeArg(kind, 'window', k0);
  let name = `${kind}(${tuple(k)})`;
  const win = windowArg(name, k, options<PoolOptions>(name, opts, ['pad', 'stride']), k);
  name = name.slice(0, -1) + (win.pad.some((q) => q) ? `, pad=${showPad(win.pad)}` : '') +
    (win.stride.some((q, i) => q !== k[i]) ? `, stride=${show(win.stride)}` : '') + ')';
  return makeLayer(name, { k, pad: [...win.pad], stride: [...win.stride] },
    (self, x) => pool(name, x, { k: self.k, stride: self.stride, pad: self.pad, dilation: self.k.map(() => 1) }, mean));
}

/**
 * Flux's `MaxPool(window; pad, stride = window)`: the maximum of each window of x [spatial…, c, batch].
 * @example MaxPool([2, 2])(rand([24, 24, 6, 64])).shape   // [12, 12, 6, 64]
 *          MaxPool([3], { pad: 1, stride: 2 })
 */
export const MaxPool = (window: readonly number[], opts?: PoolOptions): Pool => windowed('MaxPool', window, opts, 0);
/**
 * Flux's `MeanPool(window; pad, stride = window)`: the mean of each window (padding counts as zeros).
 * @example MeanPool([2, 2])(rand([4, 4, 3, 1])).shape   // [2, 2, 3, 1]
 */
export const MeanPool = (window: readonly number[], opts?: PoolOptions): Pool => windowed('MeanPool', window, opts, 1);

/** The spatial dims of x, for the layers that take any: 1 to 3 of them before channels and batch. */
function spatial(name: string, x: Tensor): number[] {
  if (x.rank < 3 || x.rank > 5) throw new RangeError(`${name}: expected input of shape [spatial…, channels, batch] (rank 3 to 5), got shape [${x.shape.join(', ')}]`);
  return x.shape.slice(0, -2);
}
const whole = (k: number[]): Window => ({ k, stride: k, pad: k.flatMap(() => [0, 0]), dilation: k.map(() => 1) });

/**
 * Flux's `GlobalMaxPool()`: the maximum over all spatial dims, [w, h, c, n] → [1, 1, c, n].
 * @example Chain(Conv([3, 3], [3, 7]), GlobalMaxPool())(rand([10, 10, 3, 2])).shape   // [1, 1, 7, 2]
 */
export const GlobalMaxPool = (): PoolLayer => makeLayer('GlobalMaxPool()', {}, (_s, x) => pool('GlobalMaxPool()', x, whole(spatial('GlobalMaxPool()', x)), 0));
/**
 * Flux's `GlobalMeanPool()`: the mean over all spatial dims, [w, h, c, n] → [1, 1, c, n].
 * @example GlobalMeanPool()(rand([7, 7, 512, 8])).shape   // [1, 1, 512, 8]
 */
export const GlobalMeanPool = (): PoolLayer => makeLayer('GlobalMeanPool()', {}, (_s, x) => pool('GlobalMeanPool()', x, whole(spatial('GlobalMeanPool()', x)), 1));

function adaptive(kind: string, out0: readonly number[], mean: number): PoolLayer {
  const out = sizeArg(kind, 'output size', out0), name = `${kind}(${tuple(out)})`;
  return makeLayer(name, { out }, (self, x) => {
    const o = self.out!, nd = o.length;
    if (x.rank !== nd + 2) throw new RangeError(`${name}: expected input of shape ${expected(nd, 'channels')} (rank ${nd + 2}), got shape [${x.shape.join(', ')}]`);
    // Flux: stride = size ÷ out, window = size − (out − 1)·stride
    const size = x.shape.slice(0, nd), stride = size.map((s, i) => Math.floor(s / o[i]));
    if (stride.includes(0)) throw new RangeError(`${name}: the output ${tuple(o)} is larger than the input, shape [${x.shape.join(', ')}]`);
    return pool(name, x, { k: size.map((s, i) => s - (o[i] - 1) * stride[i]), stride, pad: o.flatMap(() => [0, 0]), dilation: o.map(() => 1) }, mean);
  });
}

/**
 * Flux's `AdaptiveMaxPool(out)`: max pooling with the window and stride that give spatial size `out`.
 * @example AdaptiveMaxPool([25, 25])(rand([100, 100, 3, 2])).shape   // [25, 25, 3, 2]
 */
export const AdaptiveMaxPool = (out: readonly number[]): PoolLayer => adaptive('AdaptiveMaxPool', out, 0);
/**
 * Flux's `AdaptiveMeanPool(out)`: mean pooling with the window and stride that give spatial size `out`.
 * @example AdaptiveMeanPool([1, 1])(rand([7, 7, 64, 4])).shape   // [1, 1, 64, 4]
 */
export const AdaptiveMeanPool = (out: readonly number[]): PoolLayer => adaptive('AdaptiveMeanPool', out, 1);
