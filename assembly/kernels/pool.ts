// pool: max or mean pooling, x [w1,w2,w3,cn] → y [o1,o2,o3,cn], cn (channels·batch) fastest.
// Per output position the window's part inside x is solved once per dim ([a0,a1) × [b0,b1) ×
// [e0,e1) of kernel offsets); then y's cn-float run takes the first position's run and is
// reduced with each further one, whole runs at a time (y's run stays in L1). Run-wise, not four
// lanes over the whole window: f32x4.max is a long instruction sequence on x64, and a chain of
// them per lane measured 4× slower than these independent passes. Max keeps NaN (f32x4.max
// does); mean sums, then scales by 1/(k1·k2·k3), padding counting as 0. O(|y|·k1·k2·k3).
// pool_part writes only y's rows [r0, r1) of dim 1 (the threads' split).
import { lo, hi, copyRun, fillRun, addRun, maxRun, mulRun } from "../conv";

/**
 * y's run at `dst` from the window box whose first position is `src` (na × nb × ne offsets, x
 * byte steps D1, D2, D3). `mean` is tested once per run, not per element.
 */
@inline function window(src: usize, dst: usize, R: usize, na: i32, nb: i32, ne: i32,
  D1: usize, D2: usize, D3: usize, mean: bool, r: f32): void {
  if (na == 0 || nb == 0 || ne == 0) { fillRun(dst, R, mean ? 0 : -Infinity); return; } // wholly in padding
  copyRun(dst, src, R);
  let first = true;
  for (let e = 0, pe = src; e < ne; e++, pe += D3)
    for (let b = 0, pb = pe; b < nb; b++, pb += D2)
      for (let a = 0, pa = pb; a < na; a++, pa += D1) {
        if (first) { first = false; continue; }
        if (mean) addRun(dst, pa, R); else maxRun(dst, pa, R);
      }
  if (mean) mulRun(dst, R, r);
}

/** KERNELS.pool. */
export function pool(x: usize, y: usize, cn: i32,
  w1: i32, w2: i32, w3: i32, k1: i32, k2: i32, k3: i32, o1: i32, o2: i32, o3: i32,
  s1: i32, s2: i32, s3: i32, d1: i32, d2: i32, d3: i32, p1: i32, p2: i32, p3: i32, mean: i32): void {
  pool_part(x, y, cn, w1, w2, w3, k1, k2, k3, o1, o2, o3, s1, s2, s3, d1, d2, d3, p1, p2, p3, mean, 0, o1);
}

/** Rows [r0, r1) of pool's y along its first dim (o1). */
export function pool_part(x: usize, y: usize, cn: i32,
  w1: i32, w2: i32, w3: i32, k1: i32, k2: i32, k3: i32, o1: i32, o2: i32, o3: i32,
  s1: i32, s2: i32, s3: i32, d1: i32, d2: i32, d3: i32, p1: i32, p2: i32, p3: i32, mean: i32, r0: i32, r1: i32): void {
  if (cn <= 0 || o1 <= 0 || o2 <= 0 || o3 <= 0) return;
  const R = <usize>cn << 2;
  const X3 = R, X2 = <usize>w3 * X3, X1 = <usize>w2 * X2;
  const D1 = <usize>d1 * X1, D2 = <usize>d2 * X2, D3 = <usize>d3 * X3;
  const r = <f32>1 / <f32>(k1 * k2 * k3);
  let dst = y + <usize>max(r0, 0) * o2 * o3 * R;
  for (let i = max(r0, 0), end = min(r1, o1); i < end; i++) {
    const g1 = i * s1 - p1, a0 = lo(g1, d1, k1), a1 = hi(g1, d1, w1, k1, a0);
    for (let j = 0; j < o2; j++) {
      const g2 = j * s2 - p2, b0 = lo(g2, d2, k2), b1 = hi(g2, d2, w2, k2, b0);
      for (let l = 0; l < o3; l++, dst += R) {
        const g3 = l * s3 - p3, e0 = lo(g3, d3, k3), e1 = hi(g3, d3, w3, k3, e0);
        const src = x + <usize>(g1 + a0 * d1) * X1 + <usize>(g2 + b0 * d2) * X2 + <usize>(g3 + e0 * d3) * X3;
        window(src, dst, R, a1 - a0, b1 - b0, e1 - e0, D1, D2, D3, mean != 0, r);
      }
    }
  }
}
