// bmm: C_z = A_z·B_z for z < batch, every operand through element strides (KERNELS.bmm).
// fluxion's batch of matrices [m, k, batch] is row-major, so the batch is the contiguous axis:
// A_z[i, p] sits at (i·k + p)·batch + z. That layout (scb = 1, sab and sbb 0 or 1) runs as SIMD
// across batch lanes: each f32x4 holds one element of 4 consecutive matrices, so a 4×2 block of
// C for 4 lanes is 8 accumulators fed by 4 loads of A and 2 of B per k step, with nothing packed
// and no transposes: a transposed operand is only other strides. The batch % 4 tail lanes, a
// broadcast operand (batch stride 0) and every other layout run per matrix on matmul's packed
// 4×8 microkernel through strides (gemm_strided). O(m·k·n·batch); ws = bmm_ws_bytes(m, k, n).
import { madd } from "../simd";
import { gemm_strided, gemm_ws_bytes } from "../gemm";

/** The scratch bytes `bmm` needs at `ws` (the packed panels of the per-matrix path). */
export function bmm_ws_bytes(m: i32, k: i32, n: i32): i32 {
  return gemm_ws_bytes(k, n);
}

/**
 * The SIMD-across-batch path for the first z4 (a multiple of 4) matrices, all three operands
 * with batch stride 1. Rows past m and the column past n repeat the last one (computed, not
 * stored), as matmul's edge rows do.
 */
function bmm_lanes(a: usize, b: usize, c: usize, m: i32, k: i32, n: i32, z4: i32,
  sam: i32, sak: i32, sbk: i32, sbn: i32, scm: i32, scn: i32): void {
  const ak = <usize>sak << 2, bk = <usize>sbk << 2;
  for (let i = 0; i < m; i += 4) {
    const last = m - 1 - i;
    const a0 = a + (<usize>i * <usize>sam << 2);
    const a1 = a0 + (<usize>min(1, last) * <usize>sam << 2);
    const a2 = a0 + (<usize>min(2, last) * <usize>sam << 2);
    const a3 = a0 + (<usize>min(3, last) * <usize>sam << 2);
    for (let j = 0; j < n; j += 2) {
      const two = j + 1 < n;
      const b0 = b + (<usize>j * <usize>sbn << 2);
      const b1 = two ? b0 + (<usize>sbn << 2) : b0;
      const c0 = c + ((<usize>i * <usize>scm + <usize>j * <usize>scn) << 2);
      const cc = <usize>scn << 2, cr = <usize>scm << 2;
      for (let z = 0; z < z4; z += 4) {
        const zo = <usize>z << 2;
        let pa0 = a0 + zo, pa1 = a1 + zo, pa2 = a2 + zo, pa3 = a3 + zo, pb0 = b0 + zo, pb1 = b1 + zo;
        let s00 = f32x4.splat(0), s01 = f32x4.splat(0), s10 = f32x4.splat(0), s11 = f32x4.splat(0);
        let s20 = f32x4.splat(0), s21 = f32x4.splat(0), s30 = f32x4.splat(0), s31 = f32x4.splat(0);
        for (let p = 0; p < k; p++) {
          const v0 = v128.load(pb0), v1 = v128.load(pb1);
          let u = v128.load(pa0); s00 = madd(u, v0, s00); s01 = madd(u, v1, s01);
          u = v128.load(pa1); s10 = madd(u, v0, s10); s11 = madd(u, v1, s11);
          u = v128.load(pa2); s20 = madd(u, v0, s20); s21 = madd(u, v1, s21);
          u = v128.load(pa3); s30 = madd(u, v0, s30); s31 = madd(u, v1, s31);
          pa0 += ak; pa1 += ak; pa2 += ak; pa3 += ak; pb0 += bk; pb1 += bk;
        }
        const co = c0 + (<usize>z << 2);
        v128.store(co, s00); if (two) v128.store(co + cc, s01);
        if (last >= 1) { v128.store(co + cr, s10); if (two) v128.store(co + cr + cc, s11); }
        if (last >= 2) { v128.store(co + 2 * cr, s20); if (two) v128.store(co + 2 * cr + cc, s21); }
        if (last >= 3) { v128.store(co + 3 * cr, s30); if (two) v128.store(co + 3 * cr + cc, s31); }
      }
    }
  }
}

/** KERNELS.bmm, plus `ws`: bmm_ws_bytes(m, k, n) bytes of scratch, owned by the caller. */
export function bmm(a: usize, b: usize, c: usize, m: i32, k: i32, n: i32, batch: i32,
  sab: i32, sam: i32, sak: i32, sbb: i32, sbk: i32, sbn: i32, scb: i32, scm: i32, scn: i32, ws: usize): void {
  if (m <= 0 || n <= 0 || batch <= 0) return;
  let z = 0;
  if (scb == 1 && sab == 1 && sbb == 1 && batch >= 4) {
    z = batch & ~3;
    bmm_lanes(a, b, c, m, k, n, z, sam, sak, sbk, sbn, scm, scn);
  }
  for (; z < batch; z++) {
    gemm_strided(a + (<usize>z * <usize>sab << 2), sam, sak, b + (<usize>z * <usize>sbb << 2), sbk, sbn,
      c + (<usize>z * <usize>scb << 2), scm, scn, m, k, n, 0, ws);
  }
}
