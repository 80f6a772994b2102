// im2col: the patches of a convolution, x [w1,w2,w3,c,n] → col [k1,k2,k3,cg, o1,o2,o3,n].
// col is written front to back. For each kernel offset the outputs whose input lies inside x
// form one box [lo1,hi1)×[lo2,hi2)×[lo3,hi3), solved once per offset: everything outside it is
// a zero fill of contiguous col, everything inside is a copy of one n-float run per position
// (one run for a whole o3 row when c = 1 and s3 = 1, where x's runs touch). O(|col|).
import { lo, hi, copyRun, zeroRun } from "../conv";

/** KERNELS.im2col. */
export function im2col(x: usize, col: usize, n: i32, c: i32, c0: i32, cg: i32,
  w1: i32, w2: i32, w3: i32, k1: i32, k2: i32, k3: i32, o1: i32, o2: i32, o3: i32,
  s1: i32, s2: i32, s3: i32, d1: i32, d2: i32, d3: i32, p1: i32, p2: i32, p3: i32, flip: i32): void {
  if (n <= 0 || cg <= 0 || k1 <= 0 || k2 <= 0 || k3 <= 0 || o1 <= 0 || o2 <= 0 || o3 <= 0) return;
  const N = <usize>n << 2;                                          // bytes of one run
  const X3 = <usize>c * N, X2 = <usize>w3 * X3, X1 = <usize>w2 * X2; // x byte strides
  const C2 = <usize>o3 * N, C1 = <usize>o2 * C2;                    // col byte strides
  const step = <usize>s3 * X3;
  const joined = step == N;                                         // an o3 row of x is one run
  let dst = col;
  for (let a = 0; a < k1; a++) {
    const f1 = (flip ? k1 - 1 - a : a) * d1 - p1;
    const l1 = lo(f1, s1, o1), h1 = hi(f1, s1, w1, o1, l1);
    for (let b = 0; b < k2; b++) {
      const f2 = (flip ? k2 - 1 - b : b) * d2 - p2;
      const l2 = lo(f2, s2, o2), h2 = hi(f2, s2, w2, o2, l2);
      for (let e = 0; e < k3; e++) {
        const f3 = (flip ? k3 - 1 - e : e) * d3 - p3;
        const l3 = lo(f3, s3, o3), h3 = hi(f3, s3, w3, o3, l3);
        const head3 = <usize>l3 * N, body3 = <usize>(h3 - l3) * N, tail3 = <usize>(o3 - h3) * N;
        for (let cc = 0; cc < cg; cc++) {
          const xc = x + <usize>(c0 + cc) * N + <usize>(l3 * s3 + f3) * X3;
          zeroRun(dst, <usize>l1 * C1); dst += <usize>l1 * C1;
          for (let i = l1; i < h1; i++) {
            const xi = xc + <usize>(i * s1 + f1) * X1;
            zeroRun(dst, <usize>l2 * C2); dst += <usize>l2 * C2;
            for (let j = l2; j < h2; j++) {
              zeroRun(dst, head3); dst += head3;
              let src = xi + <usize>(j * s2 + f2) * X2;
              if (joined) { copyRun(dst, src, body3); dst += body3; }
              else for (let l = l3; l < h3; l++, src += step, dst += N) copyRun(dst, src, N);
              zeroRun(dst, tail3); dst += tail3;
            }
            zeroRun(dst, <usize>(o2 - h2) * C2); dst += <usize>(o2 - h2) * C2;
          }
          zeroRun(dst, <usize>(o1 - h1) * C1); dst += <usize>(o1 - h1) * C1;
        }
      }
    }
  }
}
