// Argument checks shared by the optimiser rules, and state-tensor helpers. Every check throws an
// error naming the rule, the hyper-parameter and the offending value, and returns the value.

import { Tensor, empty, describe } from '../tensor.js';

export { int, bool } from '../check.js';

export type Pair = readonly [number, number];

const show = (v: unknown) => (typeof v === 'number' ? String(v) : Array.isArray(v) ? `[${v.join(', ')}]` : describe(v));

/** A finite (or +Infinity when `inf`) number ≥ 0. */
export function nonneg(fn: string, name: string, v: unknown, inf = false): number {
  if (typeof v !== 'number' || !(v >= 0) || (!inf && v === Infinity))
    throw new RangeError(`${fn}: ${name} must be ≥ 0, got ${show(v)}`);
  return v;
}
/** A number in [0, 1). */
export function unit(fn: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !(v >= 0 && v < 1)) throw new RangeError(`${fn}: ${name} must be in [0, 1), got ${show(v)}`);
  return v;
}
/** A pair of momentum coefficients, each in [0, 1). */
export function betas(fn: string, v: unknown, name = 'beta'): Pair {
  if (!Array.isArray(v) || v.length !== 2 || !v.every((b) => typeof b === 'number' && b >= 0 && b < 1))
    throw new RangeError(`${fn}: ${name} must be a pair of numbers in [0, 1), got ${show(v)}`);
  return [v[0], v[1]];
}
/** An increasing pair of positive numbers (Rprop's ℓ and Γ). */
export function pair(fn: string, name: string, v: unknown): Pair {
  if (!Array.isArray(v) || v.length !== 2 || !v.every((b) => typeof b === 'number' && b > 0) || !(v[0] <= v[1]))
    throw new RangeError(`${fn}: ${name} must be a pair [lo, hi] with 0 < lo ≤ hi, got ${show(v)}`);
  return [v[0], v[1]];
}

/** A kept tensor shaped like `x`, on `x`'s device, filled with `v`: optimiser state. */
export function fullLike(x: Tensor, v = 0): Tensor {
  const t = empty(x.shape, x.backend).keep();
  if (t.size) t.backend.fill(t.buf, t.size, v);
  return t;
}
