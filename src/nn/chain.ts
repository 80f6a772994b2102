// Chain: function composition, Flux's `foldl((x, f) -> f(x), layers; init = x)`. Any function
// is a layer; `m.layers[i]` (and `m[i]`) index it.

import type { Tensor } from '../tensor.js';
import { makeLayer, checkLayer, hidden, type Layer } from './layer.js';

export type LayerFn = (x: Tensor) => Tensor;

/**
 * A Chain of the layers `L`. The tuple type is kept, so `m.layers[0].weight` and `m[0].weight`
 * are typed (a `Dense`'s fields) without a cast; a Chain built from an array of unknown length
 * indexes as `L[number]`.
 * @example const m: Chain<[Dense, Dense]> = Chain(Dense(2, 3, relu), Dense(3, 1));
 *          m.layers[1].bias   // a Tensor of shape [1]
 */
export type Chain<L extends readonly LayerFn[] = LayerFn[]> = Layer<{ layers: L }>
  & { readonly [i: number]: L[number] }
  & { readonly [K in Exclude<keyof L, keyof unknown[]>]: L[K] };

/**
 * Applies `layers` in order: `Chain(a, b, c)(x) = c(b(a(x)))`; also `Chain([a, b, c])`.
 * @example const m = Chain(Dense(784, 32, sigmoid), Dense(32, 10), softmax);
 *          m(rand(784, 1)); m.layers[0].weight.shape   // [32, 784]
 */
export function Chain<L extends LayerFn[]>(...layers: L): Chain<L>;
export function Chain<L extends LayerFn[]>(layers: [...L]): Chain<L>;
export function Chain(...layers: LayerFn[] | [LayerFn[]]): Chain {
  const ls = (layers.length === 1 && Array.isArray(layers[0]) ? layers[0] : layers) as LayerFn[];
  ls.forEach((l, i) => checkLayer(l, `Chain: layer ${i}`));
  const m = makeLayer('Chain', { layers: [...ls] }, (self, x) => {
    const l = self.layers;
    let h = x;
    for (let i = 0; i < l.length; i++) h = l[i](h);
    return h;
  });
  // m[i] as in Flux; non-enumerable so params() walks the layers once, through `layers`.
  for (let i = 0; i < ls.length; i++) hidden(m, String(i), ls[i], false);
  return m as unknown as Chain;
}
