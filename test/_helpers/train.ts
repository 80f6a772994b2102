// The small seeded training fixture the train tests share.
import { seed, rand, params, Chain, Dense, sigmoid, softmax, mse, type Tensor } from '../../src/index.ts';

/** A small seeded model, its loss and data: (x [4, 3], y [2, 3]) items. */
export function fixture(n = 6, s = 1) {
  seed(s);
  const m = Chain(Dense(4, 5, sigmoid), Dense(5, 2), softmax);
  const loss = (x: Tensor, y: Tensor) => mse(m(x), y);
  const data = Array.from({ length: n }, () => [rand(4, 3).keep(), rand(2, 3).keep()] as [Tensor, Tensor]);
  return { m, loss, data, ps: params(m) };
}

/** Copies of every parameter's values. */
export const snap = (m: unknown) => [...params(m)].map((p) => Array.from(p.dataSync()));
