// The GEMM pieces matmul (kernels/matmul.ts) and bmm (kernels/bmm.ts) share: the f32x4
// microkernels (4×8; 6×8 and a one-pointer 4×8 for a transposed A), the packers of op(B) into
// 8-wide panels, and gemm_strided, a whole matrix product through arbitrary element strides on
// the same blocking. Every kernel and path computes each element of C by the same sequence
// (zero, one madd per k in order within a KC block, then + C), so any block of C computed alone
// is bit-identical to that block of the whole product (test/kernels/gemm.test.ts). Outside
// kernels/, so none of this is a module export.
import { madd } from "./simd";

export const MR: i32 = 4;
export const NR: i32 = 8;
export const KC: i32 = 256;
export const NC: i32 = 512;

/**
 * The microkernel: rows 0 … mr−1 of the C tile [4×8] at c (row stride ldc bytes) (+)= Σ_p a_r[p] · b[p, 0..8],
 * b's k-rows bs bytes apart (32 packed, B's own row stride in place). Every element is the same
 * sequence whatever the tile, kernel or path: zero, one madd per p in order, then + C when acc.
 */
@inline function gemm_f32_4x8(kc: i32, a0: usize, a1: usize, a2: usize, a3: usize, as: usize, bp: usize, bs: usize, c: usize, ldc: usize, acc: i32, mr: i32): void {
  let vacc0x0123 = f32x4.splat(0), vacc0x4567 = f32x4.splat(0);
  let vacc1x0123 = f32x4.splat(0), vacc1x4567 = f32x4.splat(0);
  let vacc2x0123 = f32x4.splat(0), vacc2x4567 = f32x4.splat(0);
  let vacc3x0123 = f32x4.splat(0), vacc3x4567 = f32x4.splat(0);
  if (mr <= 2) {   // a tile of 1 or 2 rows: half the work
    for (let p = 0; p < kc; p++) {
      const vb0123 = v128.load(bp), vb4567 = v128.load(bp, 16);
      const va0 = v128.load32_splat(a0);
      vacc0x0123 = madd(va0, vb0123, vacc0x0123); vacc0x4567 = madd(va0, vb4567, vacc0x4567);
      const va1 = v128.load32_splat(a1);
      vacc1x0123 = madd(va1, vb0123, vacc1x0123); vacc1x4567 = madd(va1, vb4567, vacc1x4567);
      a0 += as; a1 += as; bp += bs;
    }
  } else for (let p = 0; p < kc; p++) {
    const vb0123 = v128.load(bp), vb4567 = v128.load(bp, 16);
    const va0 = v128.load32_splat(a0);
    vacc0x0123 = madd(va0, vb0123, vacc0x0123); vacc0x4567 = madd(va0, vb4567, vacc0x4567);
    const va1 = v128.load32_splat(a1);
    vacc1x0123 = madd(va1, vb0123, vacc1x0123); vacc1x4567 = madd(va1, vb4567, vacc1x4567);
    const va2 = v128.load32_splat(a2);
    vacc2x0123 = madd(va2, vb0123, vacc2x0123); vacc2x4567 = madd(va2, vb4567, vacc2x4567);
    const va3 = v128.load32_splat(a3);
    vacc3x0123 = madd(va3, vb0123, vacc3x0123); vacc3x4567 = madd(va3, vb4567, vacc3x4567);
    a0 += as; a1 += as; a2 += as; a3 += as; bp += bs;
  }
  row(c, vacc0x0123, vacc0x4567, acc);
  if (mr > 1) row(c + ldc, vacc1x0123, vacc1x4567, acc);
  if (mr > 2) row(c + 2 * ldc, vacc2x0123, vacc2x4567, acc);
  if (mr > 3) row(c + 3 * ldc, vacc3x0123, vacc3x4567, acc);
}

/** gemm_f32_4x8's sequence for 6 whole rows of a transposed A (sam = 1: a row r at a + 4r, immediate offsets). */
@inline function gemm_f32_6x8t(kc: i32, a: usize, as: usize, bp: usize, bs: usize, c: usize, ldc: usize, acc: i32): void {
  let v00 = f32x4.splat(0), v01 = f32x4.splat(0), v10 = f32x4.splat(0), v11 = f32x4.splat(0);
  let v20 = f32x4.splat(0), v21 = f32x4.splat(0), v30 = f32x4.splat(0), v31 = f32x4.splat(0);
  let v40 = f32x4.splat(0), v41 = f32x4.splat(0), v50 = f32x4.splat(0), v51 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(bp), b1 = v128.load(bp, 16);
    let va = v128.load32_splat(a); v00 = madd(va, b0, v00); v01 = madd(va, b1, v01);
    va = v128.load32_splat(a, 4); v10 = madd(va, b0, v10); v11 = madd(va, b1, v11);
    va = v128.load32_splat(a, 8); v20 = madd(va, b0, v20); v21 = madd(va, b1, v21);
    va = v128.load32_splat(a, 12); v30 = madd(va, b0, v30); v31 = madd(va, b1, v31);
    va = v128.load32_splat(a, 16); v40 = madd(va, b0, v40); v41 = madd(va, b1, v41);
    va = v128.load32_splat(a, 20); v50 = madd(va, b0, v50); v51 = madd(va, b1, v51);
    a += as; bp += bs;
  }
  row(c, v00, v01, acc); row(c + ldc, v10, v11, acc); row(c + 2 * ldc, v20, v21, acc);
  row(c + 3 * ldc, v30, v31, acc); row(c + 4 * ldc, v40, v41, acc); row(c + 5 * ldc, v50, v51, acc);
}

/** The same for 4 whole rows of a transposed A: one pointer instead of four (measured 3–6% faster on Aᵀ·B). */
@inline function gemm_f32_4x8t(kc: i32, a: usize, as: usize, bp: usize, bs: usize, c: usize, ldc: usize, acc: i32): void {
  let v00 = f32x4.splat(0), v01 = f32x4.splat(0), v10 = f32x4.splat(0), v11 = f32x4.splat(0);
  let v20 = f32x4.splat(0), v21 = f32x4.splat(0), v30 = f32x4.splat(0), v31 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(bp), b1 = v128.load(bp, 16);
    let va = v128.load32_splat(a); v00 = madd(va, b0, v00); v01 = madd(va, b1, v01);
    va = v128.load32_splat(a, 4); v10 = madd(va, b0, v10); v11 = madd(va, b1, v11);
    va = v128.load32_splat(a, 8); v20 = madd(va, b0, v20); v21 = madd(va, b1, v21);
    va = v128.load32_splat(a, 12); v30 = madd(va, b0, v30); v31 = madd(va, b1, v31);
    a += as; bp += bs;
  }
  row(c, v00, v01, acc); row(c + ldc, v10, v11, acc); row(c + 2 * ldc, v20, v21, acc); row(c + 3 * ldc, v30, v31, acc);
}

/** Stores one 8-wide row of C, adding the old value when acc. */
@inline function row(c: usize, v0: v128, v1: v128, acc: i32): void {
  if (acc) { v0 = f32x4.add(v0, v128.load(c)); v1 = f32x4.add(v1, v128.load(c, 16)); }
  v128.store(c, v0); v128.store(c, v1, 16);
}

/** Pack B[pc.., jc..] (rows ldb floats apart, columns contiguous) into 8-wide panels: panel q, row p at ws + (q·kc + p)·32. */
export function pack_b(b: usize, ws: usize, pc: i32, kc: i32, jc: i32, nc: i32, n: i32): void {
  // whole panels row by row: each k-row of B is read front to back (prefetch-friendly, and rows a
  // power of two apart would otherwise share cache sets), its 8-float pieces spread over the panels
  const full = nc & ~(NR - 1), pstep = <usize>kc << 5;
  let src = b + (<usize>(pc * n + jc) << 2);
  for (let p = 0; p < kc; p++, src += <usize>n << 2) {
    let dst = ws + (<usize>p << 5);
    for (let j = 0; j < full; j += NR, dst += pstep) {
      const s = src + (<usize>j << 2);
      v128.store(dst, v128.load(s)); v128.store(dst, v128.load(s, 16), 16);
    }
  }
  if (full < nc) {
    const nr = nc - full;
    let src = b + (<usize>(pc * n + jc + full) << 2), dst = ws + (<usize>(full * kc) << 2);
    for (let p = 0; p < kc; p++, src += <usize>n << 2, dst += 32)
      for (let j = 0; j < NR; j++) store<f32>(dst + (<usize>j << 2), j < nr ? load<f32>(src + (<usize>j << 2)) : 0);
  }
}

/** Pack op(B) = Bᵀ (B stored [n,k], rows k floats apart) into the same panels, 4×4 SIMD transposes; a partial panel repeats its last column. */
export function pack_bt(b: usize, ws: usize, pc: i32, kc: i32, jc: i32, nc: i32, k: i32): void {
  const ldb = <usize>k << 2;
  for (let jp = 0; jp < nc; jp += NR) {
    const s0 = b + <usize>(jc + jp) * ldb + (<usize>pc << 2);
    const dst = ws + (<usize>(jp * kc) << 2);
    const last = min(NR, nc - jp) - 1;
    const s1 = s0 + <usize>min(1, last) * ldb, s2 = s0 + <usize>min(2, last) * ldb, s3 = s0 + <usize>min(3, last) * ldb;
    const s4 = s0 + <usize>min(4, last) * ldb, s5 = s0 + <usize>min(5, last) * ldb;
    const s6 = s0 + <usize>min(6, last) * ldb, s7 = s0 + <usize>min(7, last) * ldb;
    let p = 0;
    for (; p + 4 <= kc; p += 4) {
      const o = <usize>p << 2, d = dst + (<usize>p << 5);
      for (let h = 0; h < 2; h++) transpose4((h ? s4 : s0) + o, (h ? s5 : s1) + o, (h ? s6 : s2) + o, (h ? s7 : s3) + o, d + (<usize>h << 4));
    }
    for (; p < kc; p++)
      for (let j = 0; j < NR; j++)
        store<f32>(dst + (<usize>(p * NR + j) << 2), load<f32>(s0 + <usize>min(j, last) * ldb + (<usize>p << 2)));
  }
}

/** Four k-steps of four columns (rows r0 … r3 of B) into four 32-byte panel rows at d. */
@inline function transpose4(r0: usize, r1: usize, r2: usize, r3: usize, d: usize): void {
  const v0 = v128.load(r0), v1 = v128.load(r1), v2 = v128.load(r2), v3 = v128.load(r3);
  const t0 = f32x4.shuffle(v0, v1, 0, 4, 1, 5), t1 = f32x4.shuffle(v2, v3, 0, 4, 1, 5);
  const t2 = f32x4.shuffle(v0, v1, 2, 6, 3, 7), t3 = f32x4.shuffle(v2, v3, 2, 6, 3, 7);
  v128.store(d, f32x4.shuffle(t0, t1, 0, 1, 4, 5));
  v128.store(d, f32x4.shuffle(t0, t1, 2, 3, 6, 7), 32);
  v128.store(d, f32x4.shuffle(t2, t3, 0, 1, 4, 5), 64);
  v128.store(d, f32x4.shuffle(t2, t3, 2, 3, 6, 7), 96);
}

/** Pack op(B)[pc.., jc..] read through any element strides (sbk along k, sbn along n): scalar gathers. */
function pack_gen(b: usize, ws: usize, pc: i32, kc: i32, jc: i32, nc: i32, sbk: i32, sbn: i32): void {
  for (let jp = 0; jp < nc; jp += NR) {
    const nr = min(NR, nc - jp);
    let dst = ws + (<usize>(jp * kc) << 2);
    for (let p = 0; p < kc; p++, dst += 32) {
      const row = b + (<usize>(pc + p) * <usize>sbk << 2);
      for (let j = 0; j < NR; j++) store<f32>(dst + (<usize>j << 2), j < nr ? load<f32>(row + (<usize>(jc + jp + j) * <usize>sbn << 2)) : 0);
    }
  }
}

/** The scratch bytes gemm_strided needs (the packed panels of one KC×NC block of op(B), and a tile). */
export function gemm_ws_bytes(k: i32, n: i32): i32 {
  return (min(max(k, 1), KC) * min((n + NR - 1) & ~(NR - 1), NC) + MR * NR) << 2;
}

/** A tile of mr ≤ 4 rows and nr ≤ 8 columns (or any tile of a C with strided columns) through the 4×8 scratch tile. */
function gemm_edge(kc: i32, a0: usize, ars: usize, aps: usize, mr: i32, bp: usize, bs: usize, ct: usize, ldc: usize, cs: usize,
  nr: i32, acc: i32, tile: usize): void {
  const a1 = a0 + <usize>min(1, mr - 1) * ars, a2 = a0 + <usize>min(2, mr - 1) * ars, a3 = a0 + <usize>min(3, mr - 1) * ars;
  if (acc) for (let r = 0; r < mr; r++) for (let j = 0; j < nr; j++)
    store<f32>(tile + (<usize>(r * NR + j) << 2), load<f32>(ct + <usize>r * ldc + <usize>j * cs));
  gemm_f32_4x8(kc, a0, a1, a2, a3, aps, bp, bs, tile, NR << 2, acc, mr);
  for (let r = 0; r < mr; r++) for (let j = 0; j < nr; j++)
    store<f32>(ct + <usize>r * ldc + <usize>j * cs, load<f32>(tile + (<usize>(r * NR + j) << 2)));
}

/** Up to this many rows of C, B (with contiguous columns) is read in place: a packed panel would serve at most 2 row tiles. */
const INPLACE_M: i32 = 8;

/**
 * C[m×n] (+)= A[m×k]·B[k×n] for one matrix of each (acc = 1 adds), every operand through element
 * strides (a[i·sam + p·sak], b[p·sbk + j·sbn], c[i·scm + j·scn]): Goto-style blocking, op(B)
 * packed per KC×NC block by SIMD rows (sbn = 1), SIMD 4×4 transposes (sbk = 1) or scalar
 * gathers, or read in place for few rows of C; A read in place (rows past m repeat row m−1,
 * results discarded). 8-wide tiles of a C with contiguous rows (scn = 1) are stored directly,
 * narrower ones go through the tile at the end of ws. matmul's blocked path is this call.
 */
export function gemm_strided(a: usize, sam: i32, sak: i32, b: usize, sbk: i32, sbn: i32, c: usize, scm: i32, scn: i32,
  m: i32, k: i32, n: i32, acc: i32, ws: usize): void {
  if (m <= 0 || n <= 0) return;
  const ldc = <usize>scm << 2, cs = <usize>scn << 2;
  if (k <= 0) {
    if (!acc) for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) store<f32>(c + <usize>i * ldc + <usize>j * cs, 0);
    return;
  }
  const ars = <usize>sam << 2, aps = <usize>sak << 2;
  const tile = ws + (<usize>(min(k, KC) * min((n + NR - 1) & ~(NR - 1), NC)) << 2);
  const inplace = sbn == 1 && m <= INPLACE_M;
  for (let pc = 0; pc < k; pc += KC) {
    const kc = min(KC, k - pc);
    const accb = pc > 0 ? 1 : acc;
    for (let jc = 0; jc < n; jc += NC) {
      const nc = min(NC, n - jc);
      if (!inplace) {
        if (sbn == 1) pack_b(b, ws, pc, kc, jc, nc, sbk);
        else if (sbk == 1) pack_bt(b, ws, pc, kc, jc, nc, sbn);
        else pack_gen(b, ws, pc, kc, jc, nc, sbk, sbn);
      }
      // in place, a partial last panel is packed (zero-padded) where the packed block would hold it
      const jl = nc & ~(NR - 1);
      if (inplace && jl < nc) pack_b(b, ws + (<usize>(jl * kc) << 2), pc, kc, jc + jl, nc - jl, sbk);
      for (let i = 0; i < m; i += MR) {
        const a0 = a + <usize>i * ars + <usize>pc * aps;
        const last = m - 1 - i;
        const a1 = a0 + <usize>min(1, last) * ars;
        const a2 = a0 + <usize>min(2, last) * ars;
        const a3 = a0 + <usize>min(3, last) * ars;
        const ci = c + <usize>i * ldc + <usize>jc * cs;
        const mr = min(MR, m - i);
        const six = inplace && sam == 1 && m - i >= 6;
        for (let jp = 0; jp < nc; jp += NR) {
          const nr = min(NR, nc - jp);
          const ct = ci + <usize>jp * cs;
          let bp = ws + (<usize>(jp * kc) << 2), bs: usize = 32;
          if (inplace && nr == NR) { bp = b + (<usize>(pc * sbk + jc + jp) << 2); bs = <usize>sbk << 2; }
          if (scn != 1 || nr < NR) {
            gemm_edge(kc, a0, ars, aps, mr, bp, bs, ct, ldc, cs, nr, accb, tile);
            if (six) gemm_edge(kc, a0 + 4 * ars, ars, aps, 2, bp, bs, ct + 4 * ldc, ldc, cs, nr, accb, tile);
          } else if (six) gemm_f32_6x8t(kc, a0, aps, bp, bs, ct, ldc, accb);
          else if (sam == 1 && mr == 4) gemm_f32_4x8t(kc, a0, aps, bp, bs, ct, ldc, accb);
          else gemm_f32_4x8(kc, a0, a1, a2, a3, aps, bp, bs, ct, ldc, accb, mr);
        }
        if (six) i += 2;
      }
    }
  }
}
