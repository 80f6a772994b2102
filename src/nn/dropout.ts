// Dropout: Srivastava et al. 2014, https://jmlr.org/papers/v15/srivastava14a.html
// In training each entry is zeroed with probability p and the kept ones are scaled by
// 1/(1−p), so the expected output equals the input; in test mode it is the identity. The
// mask comes from fluxion's seeded stream and is written into a per-layer scratch array.

import { toTensor, empty, random, describe } from '../tensor.js';
import { options, bool, fail, show } from '../check.js';
import { recording } from '../autograd.js';
import { mul } from '../ops/binary.js';
import { makeLayer, hidden, MODAL, type Layer, type Mode } from './layer.js';

export interface DropoutOptions { dims?: number | readonly number[]; active?: boolean | null }
export type Dropout = Layer<{ p: number; dims: readonly number[] | null; active: Mode }>;

/**
 * Zeroes entries with probability `p` and scales the rest by 1/(1−p), in training mode
 * (automatic: inside `gradient`); `dims` limits the mask to those axes (shared along the rest).
 * @example const d = Dropout(0.5);
 *          trainmode(d); d(ones(4, 3))        // entries are 0 or 2
 */
export function Dropout(p: number, opts: DropoutOptions = {}): Dropout {
  const name = `Dropout(${show(p)})`;
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new RangeError(`Dropout: p must be in [0, 1], got ${describe(p)}`);
  const o = options<DropoutOptions>(name, opts, ['dims', 'active']);
  if (o.active != null) bool(name, 'active', o.active);
  if (o.dims !== undefined && typeof o.dims !== 'number' && !Array.isArray(o.dims))
    fail(name, 'dims must be an axis number or an array of them', o.dims);
  const dims = o.dims === undefined ? null : typeof o.dims === 'number' ? [o.dims] : [...o.dims];
  if (dims) for (const d of dims) {
    if (!Number.isInteger(d) || d < 0) throw new RangeError(`${name}: dims must be axis numbers (from 0), got ${JSON.stringify(o.dims)}`);
  }
  let scratch = new Float64Array(0);   // f64 so the reference device gets 1/(1−p) exactly
  const m = makeLayer(name, { p, dims, active: o.active ?? null }, (self, x0) => {
    const x = toTensor(x0, name, 'x');
    const on = self.active ?? recording();
    if (!on || self.p === 0) return x;
    const shape = self.dims ? x.shape.map((d, i) => (self.dims!.includes(i) ? d : 1)) : x.shape;
    if (self.dims) for (const d of self.dims) {
      if (d >= x.rank) throw new RangeError(`${name}: dims ${d} out of range for input shape [${x.shape.join(', ')}]`);
    }
    const mask = empty(shape, x.backend);
    if (scratch.length < mask.size) scratch = new Float64Array(mask.size);
    const keep = 1 / (1 - self.p), q = self.p;
    const v = mask.size === scratch.length ? scratch : scratch.subarray(0, mask.size);
    for (let i = 0; i < v.length; i++) v[i] = random() >= q ? keep : 0;   // p = 1: all 0
    mask.backend.write(mask.buf, v);
    return mul(x, mask);
  });
  hidden(m, MODAL, true, false);
  return m;
}
