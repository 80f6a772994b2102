// im2col: the patches of a convolution, x [w1,w2,w3,c,n] → col [k1,k2,k3,cg, o1,o2,o3,n].
// col is written front to back. For each kernel offset the outputs whose input lies inside x
// form one box [lo1,hi1)×[lo2,hi2)×[lo3,hi3), solved once per offset: inside it each position
// is a copy of one n-float run (one run for a whole o3 row when c = 1 and s3 = 1, where x's runs
// touch), and the gaps between those copies are zero fills of contiguous col. 1-D and 2-D
// geometries are first moved into the last dims (canon). O(|col|). im2col_part writes only
// col's rows [r0, r1) (the threads' split), each exactly as the whole call does.
import { canon, geo, lo, hi, copyRun, zeroRun } from "../conv";

/** KERNELS.im2col. */
export function im2col(x: usize, col: usize, n: i32, c: i32, c0: i32, cg: i32,
  w1: i32, w2: i32, w3: i32, k1: i32, k2: i32, k3: i32, o1: i32, o2: i32, o3: i32,
  s1: i32, s2: i32, s3: i32, d1: i32, d2: i32, d3: i32, p1: i32, p2: i32, p3: i32, flip: i32): void {
  im2col_part(x, col, n, c, c0, cg, w1, w2, w3, k1, k2, k3, o1, o2, o3, s1, s2, s3, d1, d2, d3, p1, p2, p3, flip, 0, k1 * k2 * k3 * cg);
}

/** Rows [r0, r1) of im2col's col (a row: one kernel offset and channel, k1 slowest, channel fastest). */
export function im2col_part(x: usize, col: usize, n: i32, c: i32, c0: i32, cg: i32,
  w1: i32, w2: i32, w3: i32, k1: i32, k2: i32, k3: i32, o1: i32, o2: i32, o3: i32,
  s1: i32, s2: i32, s3: i32, d1: i32, d2: i32, d3: i32, p1: i32, p2: i32, p3: i32, flip: i32, r0: i32, r1: i32): void {
  if (n <= 0 || cg <= 0 || k1 <= 0 || k2 <= 0 || k3 <= 0 || o1 <= 0 || o2 <= 0 || o3 <= 0) return;
  canon(w1, w2, w3, k1, k2, k3, o1, o2, o3, s1, s2, s3, d1, d2, d3, p1, p2, p3, 0, w1);
  w1 = geo(0, 0); w2 = geo(0, 1); w3 = geo(0, 2); k1 = geo(1, 0); k2 = geo(1, 1); k3 = geo(1, 2);
  o1 = geo(2, 0); o2 = geo(2, 1); o3 = geo(2, 2); s1 = geo(3, 0); s2 = geo(3, 1); s3 = geo(3, 2);
  d1 = geo(4, 0); d2 = geo(4, 1); d3 = geo(4, 2); p1 = geo(5, 0); p2 = geo(5, 1); p3 = geo(5, 2);
  const N = <usize>n << 2;                                          // bytes of one run
  const X3 = <usize>c * N, X2 = <usize>w3 * X3, X1 = <usize>w2 * X2; // x byte strides
  const C2 = <usize>o3 * N, C1 = <usize>o2 * C2, ROW = <usize>o1 * C1; // col byte strides
  const step = <usize>s3 * X3;
  const joined = step == N;                                         // an o3 row of x is one run
  let row = col, r = 0;                                             // the (k, cc) row of col, its index
  for (let a = 0; a < k1; a++) {
    const f1 = (flip ? k1 - 1 - a : a) * d1 - p1;
    const l1 = lo(f1, s1, o1), h1 = hi(f1, s1, w1, o1, l1);
    for (let b = 0; b < k2; b++) {
      const f2 = (flip ? k2 - 1 - b : b) * d2 - p2;
      const l2 = lo(f2, s2, o2), h2 = hi(f2, s2, w2, o2, l2);
      for (let e = 0; e < k3; e++) {
        const f3 = (flip ? k3 - 1 - e : e) * d3 - p3;
        const l3 = lo(f3, s3, o3), h3 = hi(f3, s3, w3, o3, l3);
        const body3 = <usize>(h3 - l3) * N, runs = joined ? 1 : h3 - l3, len = joined ? body3 : N;
        for (let cc = 0; cc < cg; cc++, r++, row += ROW) {
          if (r < r0 || r >= r1) continue;
          // `done`: col is written up to here; each gap before a copied run, and the row's end, is zeros
          let done = row;
          if (body3) {
            const xc = x + <usize>(c0 + cc) * N + <usize>(l3 * s3 + f3) * X3, rc = row + <usize>l3 * N;
            for (let i = l1; i < h1; i++) {
              const xi = xc + <usize>(i * s1 + f1) * X1, ri = rc + <usize>i * C1;
              for (let j = l2; j < h2; j++) {
                let dst = ri + <usize>j * C2, src = xi + <usize>(j * s2 + f2) * X2;
                zeroRun(done, dst - done);
                for (let l = 0; l < runs; l++, src += step, dst += len) copyRun(dst, src, len);
                done = ri + <usize>j * C2 + body3;
              }
            }
          }
          zeroRun(done, row + ROW - done);
        }
      }
    }
  }
}
