// Elementwise comparison with a relative and an absolute tolerance:
// |got − want| ≤ atol + rtol·|want|, where NaN matches NaN and ±Inf match themselves.
// The expected values are rounded to f32 first when the device computes in f32, so an f64
// reference that overflows f32 (exp(100)) expects +Inf, as the ideal f32 result would be.
import * as assert from 'uvu/assert';

export interface Tol {
  rtol?: number;
  atol?: number;
  /** Per-element absolute tolerance (added to atol), e.g. scaled by a reduction's length. */
  atolAt?: (i: number) => number;
  /** Round `want` to f32 before comparing (default true). */
  f32?: boolean;
}

export interface Mismatch { index: number; got: number; want: number; err: number; allowed: number }

/** The elements out of tolerance (at most `limit`), and the worst error/allowed ratio. */
export function mismatches(got: ArrayLike<number>, want: ArrayLike<number>, tol: Tol = {}, limit = 8) {
  const { rtol = 1e-5, atol = 0, atolAt, f32 = true } = tol;
  const bad: Mismatch[] = [];
  let worst = 0;
  if (got.length !== want.length) return { bad: [{ index: -1, got: got.length, want: want.length, err: NaN, allowed: 0 }], worst: Infinity };
  for (let i = 0; i < want.length; i++) {
    const g = got[i], w = f32 ? Math.fround(want[i]) : want[i];
    if (Number.isNaN(w) || Number.isNaN(g)) {
      if (Number.isNaN(w) && Number.isNaN(g)) continue;
      if (bad.length < limit) bad.push({ index: i, got: g, want: w, err: NaN, allowed: 0 });
      worst = Infinity; continue;
    }
    if (g === w) continue;
    const err = Math.abs(g - w), allowed = atol + (atolAt ? atolAt(i) : 0) + rtol * Math.abs(w);
    const r = err / (allowed || Number.MIN_VALUE);
    if (!(err <= allowed)) { if (bad.length < limit) bad.push({ index: i, got: g, want: w, err, allowed }); }
    if (r > worst) worst = r;
  }
  return { bad, worst };
}

/** Asserts got ≈ want elementwise; the message names `label`, the first bad elements and the worst ratio. */
export function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: Tol = {}, label = '', show = 4): void {
  const { bad, worst } = mismatches(got, want, tol);
  if (bad.length === 0) return;
  if (bad[0].index === -1) assert.unreachable(`${label}: length ${bad[0].got}, expected ${bad[0].want}`);
  const lines = bad.slice(0, show).map((b) => `  [${b.index}] got ${b.got}, want ${b.want} (|err| ${b.err.toExponential(2)} > ${b.allowed.toExponential(2)})`);
  assert.unreachable(`${label}: ${bad.length === 8 ? '≥8' : bad.length} elements out of tolerance ` +
    `(rtol ${tol.rtol ?? 1e-5}, atol ${tol.atol ?? 0}; worst err/allowed ${worst.toPrecision(3)}):\n${lines.join('\n')}`);
}

/** Float32 machine epsilon. */
export const EPS32 = 2 ** -23;
/**
 * Absolute tolerance for a sum of `len` terms of magnitude ≤ `scale` computed in f32 (reductions,
 * matmul's K): the forward-error bound len·u·Σ|x| is far too loose, so this takes 2·len·ε·scale,
 * linear in len like that bound but with the magnitude of one term rather than of the whole sum.
 */
export const sumTol = (len: number, scale = 1) => 2 * Math.max(1, len) * EPS32 * scale;
