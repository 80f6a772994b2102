// matmul: C[m×n] (+)= op(A)[m×k] · op(B)[k×n], f32, row-major, pointers are byte offsets.
// Goto-style blocking: op(B) is packed per (KC × NC) block into 8-wide panels (panel p holds
// k-rows of 8 consecutive columns, zero-padded), so A·B, Aᵀ·B, A·Bᵀ all run one 4×8 microkernel
// of f32x4 accumulators. op(A) is read in place through (row stride, k stride): rows beyond m
// repeat row m−1 (results discarded). Edge tiles go through a 4×8 scratch tile in ws.
// n == 1 (matrix-vector) and k == 1 (outer product) take dedicated paths without packing.
// Cost: 2mkn flops; packing O(k·n); ws = (KC·NC + 32)·4 bytes at most.
import { madd } from "../simd";
import { gemv_n, gemv_t, ger } from "../matvec";

const MR: i32 = 4;
const NR: i32 = 8;
const KC: i32 = 256;
const NC: i32 = 512;

/** The scratch bytes `matmul` needs at `ws` for this shape (0: none). */
export function matmul_ws_bytes(m: i32, k: i32, n: i32): i32 {
  if (n == 1 || k == 1) return 0;
  const kc = min(k, KC);
  const nc = min((n + NR - 1) & ~(NR - 1), NC);
  return (kc * nc + MR * NR) << 2;
}

/**
 * KERNELS.matmul, plus `ws`: matmul_ws_bytes(m, k, n) bytes of scratch (the packed B panels),
 * owned by the caller so the module allocates nothing.
 */
export function matmul(a: usize, b: usize, c: usize, m: i32, k: i32, n: i32, ta: i32, tb: i32, acc: i32, ws: usize): void {
  matmul_part(a, b, c, m, k, n, ta, tb, acc, ws, 0, m, 0, n);
}

/**
 * The block C[i0:i1, j0:j1] of `matmul` (threads split one product by output blocks; the
 * arguments are the whole product's). With i0, i1 multiples of 4 (or m) and j0, j1 multiples of
 * 8 (or n), every element meets the same tiles, edge tiles and k order as in the whole call, so
 * the block is bit-identical to the same rows and columns of `matmul`. ws: matmul_ws_bytes(m, k, n)
 * bytes of this thread's own.
 */
export function matmul_part(a: usize, b: usize, c: usize, m: i32, k: i32, n: i32, ta: i32, tb: i32, acc: i32, ws: usize,
  i0: i32, i1: i32, j0: i32, j1: i32): void {
  if (i0 >= i1 || j0 >= j1) return;
  const ldc: usize = <usize>n << 2;
  if (k <= 0) {
    if (!acc) for (let i = i0; i < i1; i++) memory.fill(c + <usize>i * ldc + (<usize>j0 << 2), 0, <usize>(j1 - j0) << 2);
    return;
  }
  if (n == 1) {
    if (ta) gemv_t(a + (<usize>i0 << 2), b, c + (<usize>i0 << 2), i1 - i0, k, <usize>m << 2, acc);
    else gemv_n(a + <usize>i0 * (<usize>k << 2), b, c + (<usize>i0 << 2), i1 - i0, k, acc);
    return;
  }
  if (k == 1) { ger(a + (<usize>i0 << 2), b + (<usize>j0 << 2), c + <usize>i0 * ldc + (<usize>j0 << 2), i1 - i0, j1 - j0, ldc, acc); return; }
  const ars: usize = ta ? 4 : <usize>k << 2; // byte stride between rows of op(A)
  const aps: usize = ta ? <usize>m << 2 : 4; // byte stride along k of op(A)
  const tile = ws + (<usize>(min(k, KC) * min((n + NR - 1) & ~(NR - 1), NC)) << 2);
  for (let pc = 0; pc < k; pc += KC) {
    const kc = min(KC, k - pc);
    const accb = pc > 0 ? 1 : acc;
    for (let jc = j0; jc < j1; jc += NC) {
      const nc = min(NC, j1 - jc);
      if (tb) pack_bt(b, ws, pc, kc, jc, nc, k); else pack_b(b, ws, pc, kc, jc, nc, n);
      for (let i = i0; i < i1; i += MR) {
        const a0 = a + <usize>i * ars + <usize>pc * aps;
        const last = i1 - 1 - i;
        const a1 = a0 + <usize>min(1, last) * ars;
        const a2 = a0 + <usize>min(2, last) * ars;
        const a3 = a0 + <usize>min(3, last) * ars;
        const ci = c + <usize>i * ldc + (<usize>jc << 2);
        for (let jp = 0; jp < nc; jp += NR) {
          const bp = ws + (<usize>(jp * kc) << 2);
          const ct = ci + (<usize>jp << 2);
          if (i + MR <= i1 && jp + NR <= nc) {
            gemm_f32_4x8(kc, a0, a1, a2, a3, aps, bp, ct, ldc, accb);
          } else {
            const mr = min(MR, i1 - i), nr = min(NR, nc - jp);
            for (let r = 0; r < MR; r++) for (let j = 0; j < NR; j++)
              store<f32>(tile + (<usize>(r * NR + j) << 2), accb && r < mr && j < nr ? load<f32>(ct + <usize>r * ldc + (<usize>j << 2)) : 0);
            gemm_f32_4x8(kc, a0, a1, a2, a3, aps, bp, tile, NR << 2, 1);
            for (let r = 0; r < mr; r++) for (let j = 0; j < nr; j++)
              store<f32>(ct + <usize>r * ldc + (<usize>j << 2), load<f32>(tile + (<usize>(r * NR + j) << 2)));
          }
        }
      }
    }
  }
}

/** The microkernel: C tile [4×8] at c (row stride ldc bytes) (+)= Σ_p a_r[p] · bp[p, 0..8]. */
@inline function gemm_f32_4x8(kc: i32, a0: usize, a1: usize, a2: usize, a3: usize, as: usize, bp: usize, c: usize, ldc: usize, acc: i32): void {
  let vacc0x0123 = f32x4.splat(0), vacc0x4567 = f32x4.splat(0);
  let vacc1x0123 = f32x4.splat(0), vacc1x4567 = f32x4.splat(0);
  let vacc2x0123 = f32x4.splat(0), vacc2x4567 = f32x4.splat(0);
  let vacc3x0123 = f32x4.splat(0), vacc3x4567 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const vb0123 = v128.load(bp), vb4567 = v128.load(bp, 16);
    const va0 = v128.load32_splat(a0);
    vacc0x0123 = madd(va0, vb0123, vacc0x0123); vacc0x4567 = madd(va0, vb4567, vacc0x4567);
    const va1 = v128.load32_splat(a1);
    vacc1x0123 = madd(va1, vb0123, vacc1x0123); vacc1x4567 = madd(va1, vb4567, vacc1x4567);
    const va2 = v128.load32_splat(a2);
    vacc2x0123 = madd(va2, vb0123, vacc2x0123); vacc2x4567 = madd(va2, vb4567, vacc2x4567);
    const va3 = v128.load32_splat(a3);
    vacc3x0123 = madd(va3, vb0123, vacc3x0123); vacc3x4567 = madd(va3, vb4567, vacc3x4567);
    a0 += as; a1 += as; a2 += as; a3 += as; bp += 32;
  }
  const c1 = c + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
  if (acc) {
    vacc0x0123 = f32x4.add(vacc0x0123, v128.load(c)); vacc0x4567 = f32x4.add(vacc0x4567, v128.load(c, 16));
    vacc1x0123 = f32x4.add(vacc1x0123, v128.load(c1)); vacc1x4567 = f32x4.add(vacc1x4567, v128.load(c1, 16));
    vacc2x0123 = f32x4.add(vacc2x0123, v128.load(c2)); vacc2x4567 = f32x4.add(vacc2x4567, v128.load(c2, 16));
    vacc3x0123 = f32x4.add(vacc3x0123, v128.load(c3)); vacc3x4567 = f32x4.add(vacc3x4567, v128.load(c3, 16));
  }
  v128.store(c, vacc0x0123); v128.store(c, vacc0x4567, 16);
  v128.store(c1, vacc1x0123); v128.store(c1, vacc1x4567, 16);
  v128.store(c2, vacc2x0123); v128.store(c2, vacc2x4567, 16);
  v128.store(c3, vacc3x0123); v128.store(c3, vacc3x4567, 16);
}

/** Pack B[pc.., jc..] (stored [k,n]) into 8-wide panels: panel q, row p at ws + (q·kc + p)·32. */
function pack_b(b: usize, ws: usize, pc: i32, kc: i32, jc: i32, nc: i32, n: i32): void {
  for (let jp = 0; jp < nc; jp += NR) {
    let src = b + (<usize>(pc * n + jc + jp) << 2);
    let dst = ws + (<usize>(jp * kc) << 2);
    const nr = min(NR, nc - jp);
    if (nr == NR) {
      for (let p = 0; p < kc; p++, src += <usize>n << 2, dst += 32) {
        v128.store(dst, v128.load(src)); v128.store(dst, v128.load(src, 16), 16);
      }
    } else {
      for (let p = 0; p < kc; p++, src += <usize>n << 2, dst += 32)
        for (let j = 0; j < NR; j++) store<f32>(dst + (<usize>j << 2), j < nr ? load<f32>(src + (<usize>j << 2)) : 0);
    }
  }
}

/** Pack op(B) = Bᵀ (B stored [n,k]) into the same panels, 4×4 SIMD transposes. */
function pack_bt(b: usize, ws: usize, pc: i32, kc: i32, jc: i32, nc: i32, k: i32): void {
  const ldb = <usize>k << 2;
  for (let jp = 0; jp < nc; jp += NR) {
    const src = b + <usize>(jc + jp) * ldb + (<usize>pc << 2);
    const dst = ws + (<usize>(jp * kc) << 2);
    const nr = min(NR, nc - jp);
    let p = 0;
    if (nr == NR) {
      for (; p + 4 <= kc; p += 4) {
        const s = src + (<usize>p << 2), d = dst + (<usize>p << 5);
        for (let h: usize = 0; h < 2; h++) {
          const s0 = s + h * 4 * ldb;
          const r0 = v128.load(s0), r1 = v128.load(s0 + ldb), r2 = v128.load(s0 + 2 * ldb), r3 = v128.load(s0 + 3 * ldb);
          const t0 = f32x4.shuffle(r0, r1, 0, 4, 1, 5), t1 = f32x4.shuffle(r2, r3, 0, 4, 1, 5);
          const t2 = f32x4.shuffle(r0, r1, 2, 6, 3, 7), t3 = f32x4.shuffle(r2, r3, 2, 6, 3, 7);
          const dh = d + h * 16;
          v128.store(dh, f32x4.shuffle(t0, t1, 0, 1, 4, 5));
          v128.store(dh, f32x4.shuffle(t0, t1, 2, 3, 6, 7), 32);
          v128.store(dh, f32x4.shuffle(t2, t3, 0, 1, 4, 5), 64);
          v128.store(dh, f32x4.shuffle(t2, t3, 2, 3, 6, 7), 96);
        }
      }
    }
    for (; p < kc; p++)
      for (let j = 0; j < NR; j++)
        store<f32>(dst + (<usize>(p * NR + j) << 2), j < nr ? load<f32>(src + <usize>j * ldb + (<usize>p << 2)) : 0);
  }
}
