// col2im: the adjoint of im2col, col [k1,k2,k3,cg, o1,o2,o3,n] → channels c0 … c0+cg−1 of
// x [w1,w2,w3,c,n]. Race-free and deterministic: zero those channels, then add one kernel offset
// at a time in col's order. Within one offset no two outputs reach the same input, so every
// element of x sums its terms in the same fixed order (the order a per-element GPU gather would
// use). Each offset's valid output box is solved once, as in im2col; the adds are n-float runs
// (a whole o3 row when c = 1 and s3 = 1, after canon moves 1-D and 2-D geometries into the
// last dims). O(|col| + |x|). col2im_part writes only x's rows [r0, r1) of dim 1 (the threads'
// split): each offset's box is cut to the outputs that reach them, so each element of those rows
// sums the same terms in the same order as in the whole call.
import { canon, geo, lo, hi, addRun, zeroRun } from "../conv";

/** KERNELS.col2im. */
export function col2im(col: usize, x: usize, n: i32, c: i32, c0: i32, cg: i32,
  w1: i32, w2: i32, w3: i32, k1: i32, k2: i32, k3: i32, o1: i32, o2: i32, o3: i32,
  s1: i32, s2: i32, s3: i32, d1: i32, d2: i32, d3: i32, p1: i32, p2: i32, p3: i32, flip: i32): void {
  col2im_part(col, x, n, c, c0, cg, w1, w2, w3, k1, k2, k3, o1, o2, o3, s1, s2, s3, d1, d2, d3, p1, p2, p3, flip, 0, w1);
}

/** Rows [r0, r1) of col2im's x along its first spatial dim (w1). */
export function col2im_part(col: usize, x: usize, n: i32, c: i32, c0: i32, cg: i32,
  w1: i32, w2: i32, w3: i32, k1: i32, k2: i32, k3: i32, o1: i32, o2: i32, o3: i32,
  s1: i32, s2: i32, s3: i32, d1: i32, d2: i32, d3: i32, p1: i32, p2: i32, p3: i32, flip: i32, r0: i32, r1: i32): void {
  r1 = min(r1, w1);
  if (n <= 0 || cg <= 0 || w1 <= 0 || w2 <= 0 || w3 <= 0 || r0 >= r1) return;
  const N = <usize>n << 2;
  // zero the group's channels in rows [r0, r1): one fill when the group is every channel, else one per position
  const X3 = <usize>c * N, W = <usize>(r1 - r0) * w2 * w3, x0 = x + <usize>r0 * w2 * w3 * X3;
  if (cg == c) zeroRun(x0, W * X3);
  else for (let q: usize = 0, at = x0 + <usize>c0 * N; q < W; q++, at += X3) zeroRun(at, <usize>cg * N);
  canon(w1, w2, w3, k1, k2, k3, o1, o2, o3, s1, s2, s3, d1, d2, d3, p1, p2, p3, r0, r1);
  w1 = geo(0, 0); w2 = geo(0, 1); w3 = geo(0, 2); k1 = geo(1, 0); k2 = geo(1, 1); k3 = geo(1, 2);
  o1 = geo(2, 0); o2 = geo(2, 1); o3 = geo(2, 2); s1 = geo(3, 0); s2 = geo(3, 1); s3 = geo(3, 2);
  d1 = geo(4, 0); d2 = geo(4, 1); d3 = geo(4, 2); p1 = geo(5, 0); p2 = geo(5, 1); p3 = geo(5, 2);
  const q1 = geo(6, 0), q2 = geo(6, 1), q3 = geo(6, 2);            // the rows written, [q, q + v) per dim
  const v1 = geo(7, 0) - q1, v2 = geo(7, 1) - q2, v3 = geo(7, 2) - q3;
  const X2 = <usize>w3 * X3, X1 = <usize>w2 * X2;
  if (k1 <= 0 || k2 <= 0 || k3 <= 0 || o1 <= 0 || o2 <= 0 || o3 <= 0) return;
  const C2 = <usize>o3 * N, C1 = <usize>o2 * C2, ROW = <usize>o1 * C1;
  const step = <usize>s3 * X3;
  const joined = step == N;
  let row = col;
  for (let a = 0; a < k1; a++) {
    const f1 = (flip ? k1 - 1 - a : a) * d1 - p1;
    const l1 = lo(f1 - q1, s1, o1), h1 = hi(f1 - q1, s1, v1, o1, l1);
    for (let b = 0; b < k2; b++) {
      const f2 = (flip ? k2 - 1 - b : b) * d2 - p2;
      const l2 = lo(f2 - q2, s2, o2), h2 = hi(f2 - q2, s2, v2, o2, l2);
      for (let e = 0; e < k3; e++) {
        const f3 = (flip ? k3 - 1 - e : e) * d3 - p3;
        const l3 = lo(f3 - q3, s3, o3), h3 = hi(f3 - q3, s3, v3, o3, l3);
        const body3 = <usize>(h3 - l3) * N, runs = joined ? 1 : h3 - l3, len = joined ? body3 : N;
        for (let cc = 0; cc < cg; cc++, row += ROW) {
          if (body3 == 0) continue;
          const xc = x + <usize>(c0 + cc) * N + <usize>(l3 * s3 + f3) * X3;
          const rc = row + <usize>l3 * N;
          for (let i = l1; i < h1; i++) {
            const xi = xc + <usize>(i * s1 + f1) * X1, ri = rc + <usize>i * C1;
            for (let j = l2; j < h2; j++) {
              let dst = xi + <usize>(j * s2 + f2) * X2, src = ri + <usize>j * C2;
              for (let l = 0; l < runs; l++, dst += step, src += len) addRun(dst, src, len);
            }
          }
        }
      }
    }
  }
}
