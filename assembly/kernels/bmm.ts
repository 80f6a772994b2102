// bmm: C_z = A_z·B_z for z < batch, every operand through element strides (KERNELS.bmm).
// fluxion's batch of matrices [m, k, batch] is row-major, so the batch is the contiguous axis:
// A_z[i, p] sits at (i·k + p)·batch + z. That layout (scb = sab = sbb = 1) runs as SIMD across
// batch lanes: each f32x4 holds one element of 4 consecutive matrices. Per group of 4 lanes, A
// and B are first packed into ws as such vectors in the order the kernel reads them (A in
// panels of 4 rows, B of 2 columns, k consecutive): read in place, the k-steps of B are n·batch
// floats apart, and with a power-of-two batch those addresses share L1 sets (measured 11 GFLOP/s
// at batch 128 vs 27 at batch 100; packed, 27 at both). Then a 4×2 block of C per 4 lanes is 8
// accumulators fed by 4 + 2 contiguous loads per k step; a transposed operand is only other
// strides while packing. The batch % 4 tail matrices, a broadcast operand (batch stride 0),
// matrices too large for the lane packs, and every other layout run per matrix on matmul's
// packed 4×8 microkernel through strides (gemm_strided). O(m·k·n·batch); ws = bmm_ws_bytes.
import { madd } from "../simd";
import { gemm_strided, gemm_ws_bytes } from "../gemm";

/** Bytes of the lane packs (A in panels of 4 rows, B of 2 columns, 16 bytes an element). */
@inline function lanes_bytes(m: i32, k: i32, n: i32): i32 {
  return (((m + 3) & ~3) + ((n + 1) & ~1)) * max(k, 1) << 4;
}
/** The lane packs up to this size (A and B of 64×64 matrices at k = 64); larger matrices go per matrix. */
const LANES_MAX: i32 = 256 << 10;

/** The scratch bytes `bmm` needs at `ws`. */
export function bmm_ws_bytes(m: i32, k: i32, n: i32): i32 {
  const l = lanes_bytes(m, k, n);
  return max(gemm_ws_bytes(k, n), l <= LANES_MAX ? l : 0);
}

/**
 * The SIMD-across-batch path for matrices z0 … z0+3, all three operands with batch stride 1:
 * pack, then 4×2 blocks of C. Rows past m and the column past n repeat the last one (packed
 * and computed, not stored), as matmul's edge rows do.
 */
function bmm_lanes(a: usize, b: usize, c: usize, m: i32, k: i32, n: i32,
  sam: i32, sak: i32, sbk: i32, sbn: i32, scm: i32, scn: i32, ws: usize): void {
  const m4 = (m + 3) & ~3, n2 = (n + 1) & ~1;
  const bp = ws + (<usize>(m4 * k) << 4);
  // A: panel q holds rows 4q..4q+3, k steps of 4 vectors (64 bytes)
  let dst = ws;
  for (let q = 0; q < m4; q += 4) for (let p = 0; p < k; p++) for (let r = 0; r < 4; r++, dst += 16)
    v128.store(dst, v128.load(a + ((<usize>min(q + r, m - 1) * <usize>sam + <usize>p * <usize>sak) << 2)));
  // B: panel q holds columns 2q, 2q+1, k steps of 2 vectors (32 bytes)
  dst = bp;
  for (let j = 0; j < n2; j += 2) for (let p = 0; p < k; p++) for (let e = 0; e < 2; e++, dst += 16)
    v128.store(dst, v128.load(b + ((<usize>p * <usize>sbk + <usize>min(j + e, n - 1) * <usize>sbn) << 2)));
  const cc = <usize>scn << 2, cr = <usize>scm << 2;
  for (let i = 0; i < m; i += 4) {
    const last = m - 1 - i;
    const pa0 = ws + (<usize>(i * k) << 4);
    for (let j = 0; j < n; j += 2) {
      const two = j + 1 < n;
      let pa = pa0, pb = bp + (<usize>(j * k) << 4);
      let s00 = f32x4.splat(0), s01 = f32x4.splat(0), s10 = f32x4.splat(0), s11 = f32x4.splat(0);
      let s20 = f32x4.splat(0), s21 = f32x4.splat(0), s30 = f32x4.splat(0), s31 = f32x4.splat(0);
      for (let p = 0; p < k; p++, pa += 64, pb += 32) {
        const v0 = v128.load(pb), v1 = v128.load(pb, 16);
        let u = v128.load(pa); s00 = madd(u, v0, s00); s01 = madd(u, v1, s01);
        u = v128.load(pa, 16); s10 = madd(u, v0, s10); s11 = madd(u, v1, s11);
        u = v128.load(pa, 32); s20 = madd(u, v0, s20); s21 = madd(u, v1, s21);
        u = v128.load(pa, 48); s30 = madd(u, v0, s30); s31 = madd(u, v1, s31);
      }
      const co = c + ((<usize>i * <usize>scm + <usize>j * <usize>scn) << 2);
      v128.store(co, s00); if (two) v128.store(co + cc, s01);
      if (last >= 1) { v128.store(co + cr, s10); if (two) v128.store(co + cr + cc, s11); }
      if (last >= 2) { v128.store(co + 2 * cr, s20); if (two) v128.store(co + 2 * cr + cc, s21); }
      if (last >= 3) { v128.store(co + 3 * cr, s30); if (two) v128.store(co + 3 * cr + cc, s31); }
    }
  }
}

/** KERNELS.bmm, plus `ws`: bmm_ws_bytes(m, k, n) bytes of scratch, owned by the caller. */
export function bmm(a: usize, b: usize, c: usize, m: i32, k: i32, n: i32, batch: i32,
  sab: i32, sam: i32, sak: i32, sbb: i32, sbk: i32, sbn: i32, scb: i32, scm: i32, scn: i32, ws: usize): void {
  if (m <= 0 || n <= 0 || batch <= 0) return;
  let z = 0;
  if (scb == 1 && sab == 1 && sbb == 1 && batch >= 4 && lanes_bytes(m, k, n) <= LANES_MAX) {
    for (; z + 4 <= batch; z += 4) {
      const o = <usize>z << 2;
      bmm_lanes(a + o, b + o, c + o, m, k, n, sam, sak, sbk, sbn, scm, scn, ws);
    }
  }
  for (; z < batch; z++) {
    gemm_strided(a + (<usize>z * <usize>sab << 2), sam, sak, b + (<usize>z * <usize>sbb << 2), sbk, sbn,
      c + (<usize>z * <usize>scb << 2), scm, scn, m, k, n, 0, ws);
  }
}
