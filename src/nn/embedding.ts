// Embedding: Flux's lookup table. weight is [dim, vocab] (randn32, as Flux), token i's vector is
// column i. Indices (0-based) are read and checked on the host and the lookup is `gather`, whose
// gradient adds each column's gradients back (scatter-add); a one-hot input is `weight · x`, a
// matmul, as Flux's method for Bool arrays. JavaScript has no Bool arrays to dispatch on, so
// one-hot means what onehot/onehotbatch return (Flux's OneHotArray) or nested arrays of booleans;
// every other argument holds indices.

import { Tensor, toTensor, randn, type NestedArray } from '../tensor.js';
import { gatherIn, type Indices } from '../ops/gather.js';
import { matmul } from '../ops/matmul.js';
import { oneHots } from '../data.js';
import { initWeight, type Init } from './init.js';
import { named, ioArgs } from './layer.js';
import { options, fail, badShape } from '../check.js';

/**
 * What an Embedding takes: 0-based token indices of any shape (a number, nested arrays, a typed
 * array or a CPU tensor), or a one-hot `[vocab, …]` (from onehotbatch, or nested booleans).
 * @example emb(3); emb([[0, 5], [2, 2]]); emb(new Int32Array([1, 2])); emb(onehotbatch('ab', 'abc'))
 */
export type EmbeddingInput = number | ArrayLike<number> | readonly unknown[] | Tensor;
export type Embedding = ((x: EmbeddingInput) => Tensor) & { weight: Tensor };

/**
 * Flux's `Embedding(vocab => dim)`: `m(i)` is column i of `weight` [dim, vocab] (randn32), for
 * 0-based indices of any shape `[s…]`, giving `[dim, s…]`; a one-hot `[vocab, s…]` gives the same
 * by a matmul. Also `Embedding(vocab, dim)`, `Embedding(W)`, and `{ init }`.
 * @example const emb = Embedding([27, 16]);
 *          emb([[0, 4], [9, 26]]).shape      // [16, 2, 2]: tokens [len, batch] → [dim, len, batch]
 *          emb(onehotbatch([4], range27))    // [16, 1], the same column as emb([4])
 */
export function Embedding(io: readonly [number, number] | Tensor, opts?: { init?: Init }): Embedding;
export function Embedding(vocab: number, dim: number, opts?: { init?: Init }): Embedding;
export function Embedding(a: readonly number[] | number | Tensor, b?: unknown, c?: unknown): Embedding {
  let W: Tensor;
  if (a instanceof Tensor) {
    if (a.disposed || a.rank !== 2) fail('Embedding', 'weight must be a live matrix [dim, vocab]', a, RangeError);
    W = a;
  } else {
    const [vocab, dim, name, [o]] = ioArgs('Embedding', [a, b, c]);
    W = initWeight(name, options<{ init: Init }>(name, o, ['init']).init ?? randn, [dim, vocab]);
  }
  const name = `Embedding(${W.shape[1]} => ${W.shape[0]})`;
  const m: Embedding = named(name, { weight: W.keep() }, (x: EmbeddingInput) => {
    const w = m.weight, [dim, vocab] = w.shape;   // read at each call: the weight can be replaced
    let v: unknown = x;
    while (Array.isArray(v)) v = v[0];
    // one-hot: what onehot/onehotbatch return, or nested arrays whose first leaf is a boolean
    const h = oneHots.has(x as Tensor) ? x as Tensor : Array.isArray(x) && typeof v === 'boolean' && toTensor(mapBools(x) as NestedArray, name, 'x');
    if (!h) return gatherIn(name, 'x', w, [x as Indices]);
    if (h.shape[0] !== vocab) badShape(name, 'a one-hot x', h.shape, `[${vocab}, ...] (vocab first)`);
    if (h.rank <= 2) return matmul(w, h);   // a vector or a matrix: no views
    return matmul(w, h.view([vocab, h.size / vocab])).view([dim, ...h.shape.slice(1)]);
  });
  return m;
}

/** @internal Nested booleans as nested 0/1 numbers (Julia's Bool arrays); anything else unchanged. */
export const mapBools = (x: unknown): unknown => (Array.isArray(x) ? x.map(mapBools) : typeof x === 'boolean' ? +x : x);
