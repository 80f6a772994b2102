// bmm: C_z = A_z·B_z for z < batch, every operand through element strides (KERNELS.bmm).
// fluxion's batch of matrices [m, k, batch] is row-major, so the batch is the contiguous axis:
// A_z[i, p] sits at (i·k + p)·batch + z. That layout (scb = sab = sbb = 1) runs as SIMD across
// the batch: C[i, j] for 16 consecutive matrices (one 64-byte cache line, 4 f32x4 accumulators)
// from A[i, p] and B[p, j] read in place, the 16-matrix blocks innermost, so every line is used
// whole when loaded and A's row stays in L1 while j moves. The last block overlaps the one before
// it when 16 does not divide the batch (its lanes recompute the same sums, bit for bit). On the
// names example's attention (batch 128, 16 × ≤ 15 matrices) this beats the former 4-lane kernel
// on A and B packed into ws (0.6-0.9× its time), in a third of the code; it has no register
// blocking, so large matrices with a power-of-two stride (L1 aliasing) run slower than packed.
// A batch under 16, a broadcast operand (batch stride 0) and every other layout run per matrix
// on matmul's packed 4×8 microkernel through strides (gemm_strided). O(m·k·n·batch).
import { madd } from "../simd";
import { gemm_strided, gemm_ws_bytes } from "../gemm";

/** The scratch bytes `bmm` needs at `ws` (gemm_strided's). */
export function bmm_ws_bytes(m: i32, k: i32, n: i32): i32 {
  return gemm_ws_bytes(k, n);
}

/** KERNELS.bmm, plus `ws`: bmm_ws_bytes(m, k, n) bytes of scratch, owned by the caller. */
export function bmm(a: usize, b: usize, c: usize, m: i32, k: i32, n: i32, batch: i32,
  sab: i32, sam: i32, sak: i32, sbb: i32, sbk: i32, sbn: i32, scb: i32, scm: i32, scn: i32, ws: usize): void {
  // m, n ≤ 0 run no loop here or in gemm_strided; batch ≤ 0 runs none at all
  let z = 0;
  if (scb == 1 && sab == 1 && sbb == 1 && batch >= 16) {
    z = batch;
    const ak = <usize>sak << 2, bk = <usize>sbk << 2, last = <usize>(batch - 16) << 2;
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
      const a0 = a + (<usize>i * <usize>sam << 2), b0 = b + (<usize>j * <usize>sbn << 2);
      const c0 = c + (<usize>i * <usize>scm + <usize>j * <usize>scn << 2);
      for (let o: usize = 0; ; o += 64) {
        o = min(o, last);
        let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
        let pa = a0 + o, pb = b0 + o;
        for (let p = 0; p < k; p++, pa += ak, pb += bk) {
          s0 = madd(v128.load(pa), v128.load(pb), s0);
          s1 = madd(v128.load(pa, 16), v128.load(pb, 16), s1);
          s2 = madd(v128.load(pa, 32), v128.load(pb, 32), s2);
          s3 = madd(v128.load(pa, 48), v128.load(pb, 48), s3);
        }
        v128.store(c0 + o, s0); v128.store(c0 + o, s1, 16); v128.store(c0 + o, s2, 32); v128.store(c0 + o, s3, 48);
        if (o == last) break;
      }
    }
  }
  for (; z < batch; z++) {
    gemm_strided(a + (<usize>z * <usize>sab << 2), sam, sak, b + (<usize>z * <usize>sbb << 2), sbk, sbn,
      c + (<usize>z * <usize>scb << 2), scm, scn, m, k, n, 0, ws);
  }
}
