// pool: max or mean pooling, x [w1,w2,w3,cn] → y [o1,o2,o3,cn], cn (channels·batch) fastest.
// Per output position the window's part inside x is solved once per dim ([a0,a1) × [b0,b1) ×
// [e0,e1) of kernel offsets); then four floats of cn at a time are reduced over that box in a
// register and stored once. Max is f32x4.max (a NaN anywhere in the window gives NaN); mean sums
// and divides by k1·k2·k3, padding counting as 0. O(|y|·k1·k2·k3).
import { lo, hi } from "../conv";

/**
 * y's run at `dst` for the window box whose first position is `src`; D1, D2, D3 are the x byte
 * steps between kernel offsets. Inlined with `mean` a constant, so each mode is its own loop.
 */
@inline function window(src: usize, dst: usize, R: usize, na: i32, nb: i32, ne: i32,
  D1: usize, D2: usize, D3: usize, mean: bool, K: f32): void {
  const kv = f32x4.splat(K), init = f32x4.splat(mean ? 0 : -Infinity);
  let q: usize = 0;
  for (; q + 16 <= R; q += 16) {
    let acc = init;
    for (let e = 0, pe = src + q; e < ne; e++, pe += D3)
      for (let b = 0, pb = pe; b < nb; b++, pb += D2)
        for (let a = 0, pa = pb; a < na; a++, pa += D1)
          acc = mean ? f32x4.add(acc, v128.load(pa)) : f32x4.max(acc, v128.load(pa));
    v128.store(dst + q, mean ? f32x4.div(acc, kv) : acc);
  }
  for (; q < R; q += 4) {
    let acc: f32 = mean ? 0 : -Infinity;
    for (let e = 0, pe = src + q; e < ne; e++, pe += D3)
      for (let b = 0, pb = pe; b < nb; b++, pb += D2)
        for (let a = 0, pa = pb; a < na; a++, pa += D1)
          acc = mean ? acc + load<f32>(pa) : max<f32>(acc, load<f32>(pa));
    store<f32>(dst + q, mean ? acc / K : acc);
  }
}

/** KERNELS.pool. */
export function pool(x: usize, y: usize, cn: i32,
  w1: i32, w2: i32, w3: i32, k1: i32, k2: i32, k3: i32, o1: i32, o2: i32, o3: i32,
  s1: i32, s2: i32, s3: i32, d1: i32, d2: i32, d3: i32, p1: i32, p2: i32, p3: i32, mean: i32): void {
  if (cn <= 0 || o1 <= 0 || o2 <= 0 || o3 <= 0) return;
  const R = <usize>cn << 2;
  const X3 = R, X2 = <usize>w3 * X3, X1 = <usize>w2 * X2;
  const D1 = <usize>d1 * X1, D2 = <usize>d2 * X2, D3 = <usize>d3 * X3;
  const K = <f32>(k1 * k2 * k3);
  let dst = y;
  for (let i = 0; i < o1; i++) {
    const g1 = i * s1 - p1, a0 = lo(g1, d1, k1), a1 = hi(g1, d1, w1, k1, a0);
    for (let j = 0; j < o2; j++) {
      const g2 = j * s2 - p2, b0 = lo(g2, d2, k2), b1 = hi(g2, d2, w2, k2, b0);
      for (let l = 0; l < o3; l++, dst += R) {
        const g3 = l * s3 - p3, e0 = lo(g3, d3, k3), e1 = hi(g3, d3, w3, k3, e0);
        // an empty box (a window wholly in padding) leaves the loops at their initial value
        const src = x + <usize>(g1 + a0 * d1) * X1 + <usize>(g2 + b0 * d2) * X2 + <usize>(g3 + e0 * d3) * X3;
        if (mean) window(src, dst, R, a1 - a0, b1 - b0, e1 - e0, D1, D2, D3, true, K);
        else window(src, dst, R, a1 - a0, b1 - b0, e1 - e0, D1, D2, D3, false, K);
      }
    }
  }
}
