// poolGrad: dx of pool, x/dx [w1,w2,w3,cn], y/dy [o1,o2,o3,cn], cn fastest. dx is zeroed, then
// the outputs are visited in order, each adding into the runs of its window box (solved once
// per position, as in pool): mean adds dy/(k1·k2·k3) to every run of the box; max walks the box
// with k1 fastest (NNlib's order) and adds dy where x equals y in the lanes not yet served,
// which a lane mask in per-thread scratch remembers from run to run. Deterministic: every element
// of dx sums its terms in output order. O(|dx| + |y|·k1·k2·k3). poolGrad_part writes only dx's
// rows [r0, r1) of dim 1 (the threads' split): a max window is still walked whole, so the lanes
// a row outside takes first stay taken.
import { lo, hi, zeroRun, addMulRun } from "../conv";
import { tls, POOL_SERVED } from "../tls";

const BLOCK: usize = 512;                  // bytes of cn served per walk of a max window (the scratch's size)

/** One run of a max window: dx[x = y, lane not served] += dy where `write`, then those lanes are served. */
@inline function route(xp: usize, dd: usize, yp: usize, dyp: usize, bytes: usize, served0: usize, write: bool): void {
  let i: usize = 0;
  for (; i + 16 <= bytes; i += 16) {
    const served = v128.load(served0 + i);
    const m = v128.andnot(f32x4.eq(v128.load(xp + i), v128.load(yp + i)), served);
    if (write) v128.store(xp + dd + i, f32x4.add(v128.load(xp + dd + i), v128.and(v128.load(dyp + i), m)));
    v128.store(served0 + i, v128.or(served, m));
  }
  for (; i < bytes; i += 4) {
    if (load<u32>(served0 + i) == 0 && load<f32>(xp + i) == load<f32>(yp + i)) {
      if (write) store<f32>(xp + dd + i, load<f32>(xp + dd + i) + load<f32>(dyp + i));
      store<u32>(served0 + i, 0xffffffff);
    }
  }
}

/** KERNELS.poolGrad. */
export function poolGrad(x: usize, y: usize, dy: usize, dx: usize, cn: i32,
  w1: i32, w2: i32, w3: i32, k1: i32, k2: i32, k3: i32, o1: i32, o2: i32, o3: i32,
  s1: i32, s2: i32, s3: i32, d1: i32, d2: i32, d3: i32, p1: i32, p2: i32, p3: i32, mean: i32): void {
  poolGrad_part(x, y, dy, dx, cn, w1, w2, w3, k1, k2, k3, o1, o2, o3, s1, s2, s3, d1, d2, d3, p1, p2, p3, mean, 0, w1);
}

/** Rows [r0, r1) of poolGrad's dx along its first dim (w1). */
export function poolGrad_part(x: usize, y: usize, dy: usize, dx: usize, cn: i32,
  w1: i32, w2: i32, w3: i32, k1: i32, k2: i32, k3: i32, o1: i32, o2: i32, o3: i32,
  s1: i32, s2: i32, s3: i32, d1: i32, d2: i32, d3: i32, p1: i32, p2: i32, p3: i32, mean: i32, r0: i32, r1: i32): void {
  r0 = max(r0, 0); r1 = min(r1, w1);
  if (cn <= 0 || w1 <= 0 || w2 <= 0 || w3 <= 0 || r0 >= r1) return;
  const R = <usize>cn << 2;
  const X3 = R, X2 = <usize>w3 * X3, X1 = <usize>w2 * X2;
  zeroRun(dx + <usize>r0 * X1, <usize>(r1 - r0) * X1);
  if (o1 <= 0 || o2 <= 0 || o3 <= 0) return;
  const SERVED = tls(POOL_SERVED);
  const D1 = <usize>d1 * X1, D2 = <usize>d2 * X2, D3 = <usize>d3 * X3;
  const r = <f32>1 / <f32>(k1 * k2 * k3), dd = dx - x; // dx's run = x's run + dd
  let at: usize = 0;                                   // byte offset of the output's run in y and dy
  for (let i = 0; i < o1; i++) {
    const g1 = i * s1 - p1, a0 = lo(g1, d1, k1), a1 = hi(g1, d1, w1, k1, a0);
    // the window's offsets whose rows this call writes: [u0, u1) within [a0, a1)
    const u0 = max(a0, lo(g1 - r0, d1, k1)), u1 = min(a1, hi(g1 - r0, d1, r1 - r0, k1, 0));
    if (u0 >= u1) { at += <usize>o2 * o3 * R; continue; }
    for (let j = 0; j < o2; j++) {
      const g2 = j * s2 - p2, b0 = lo(g2, d2, k2), b1 = hi(g2, d2, w2, k2, b0);
      for (let l = 0; l < o3; l++, at += R) {
        const g3 = l * s3 - p3, e0 = lo(g3, d3, k3), e1 = hi(g3, d3, w3, k3, e0);
        const src = x + <usize>(g1 + a0 * d1) * X1 + <usize>(g2 + b0 * d2) * X2 + <usize>(g3 + e0 * d3) * X3;
        if (mean) {
          for (let e = e0, pe = src; e < e1; e++, pe += D3)
            for (let b = b0, pb = pe; b < b1; b++, pb += D2)
              for (let a = u0, pa = pb + <usize>(u0 - a0) * D1; a < u1; a++, pa += D1) addMulRun(pa + dd, dy + at, R, r);
          continue;
        }
        for (let q: usize = 0; q < R; q += BLOCK) {
          const len = min(BLOCK, R - q);
          zeroRun(SERVED, len);
          for (let e = e0, pe = src + q; e < e1; e++, pe += D3)
            for (let b = b0, pb = pe; b < b1; b++, pb += D2)
              for (let a = a0, pa = pb; a < a1; a++, pa += D1) route(pa, dd, y + at + q, dy + at + q, len, SERVED, a >= u0 && a < u1);
        }
      }
    }
  }
}
