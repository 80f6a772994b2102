// Chain: function composition, Flux's `foldl((x, f) -> f(x), layers; init = x)`. Any function
// is a layer; `m.layers[i]` (and `m[i]`) index it.

import type { Tensor, TensorLike } from '../tensor.js';
import { makeLayer, checkLayer, hidden, type Layer } from './layer.js';

export type LayerFn = (x: Tensor) => Tensor;
export type Chain = Layer<{ layers: LayerFn[] }> & { readonly [i: number]: LayerFn };

/**
 * Applies `layers` in order: `Chain(a, b, c)(x) = c(b(a(x)))`; also `Chain([a, b, c])`.
 * @example const m = Chain(Dense(784, 32, sigmoid), Dense(32, 10), softmax);
 *          m(rand(784)); m.layers[0].weight.shape   // [32, 784]
 */
export function Chain(...layers: (LayerFn | ((x: TensorLike) => Tensor))[] | [LayerFn[]]): Chain {
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
