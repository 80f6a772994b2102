// matvec: the unpacked small-size paths of the matmul kernel (outside kernels/, so not module exports).
// n == 1: c = A·b (rows dotted with b, four rows per pass) or c = Aᵀ·b (16 outputs held in
// registers while streaming A's rows); k == 1: the outer product C = a ⊗ b, one row at a time
// (store-bound: a single write stream measured fastest). All O(m·k) or O(m·n), no scratch.
import { madd, hsum } from "./simd";

/** c[m] (+)= A[m,k] · b[k]: four rows at a time share each load of b. */
export function gemv_n(a: usize, b: usize, c: usize, m: i32, k: i32, acc: i32): void {
  const lda = <usize>k << 2;
  let i = 0;
  for (; i + 4 <= m; i += 4) {
    const a0 = a + <usize>i * lda, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda;
    let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
    let p = 0;
    for (; p + 4 <= k; p += 4) {
      const o = <usize>p << 2;
      const vb = v128.load(b + o);
      s0 = madd(v128.load(a0 + o), vb, s0); s1 = madd(v128.load(a1 + o), vb, s1);
      s2 = madd(v128.load(a2 + o), vb, s2); s3 = madd(v128.load(a3 + o), vb, s3);
    }
    let d0 = hsum(s0), d1 = hsum(s1), d2 = hsum(s2), d3 = hsum(s3);
    for (; p < k; p++) {
      const o = <usize>p << 2, bv = load<f32>(b + o);
      d0 += load<f32>(a0 + o) * bv; d1 += load<f32>(a1 + o) * bv; d2 += load<f32>(a2 + o) * bv; d3 += load<f32>(a3 + o) * bv;
    }
    const ci = c + (<usize>i << 2);
    if (acc) { d0 += load<f32>(ci); d1 += load<f32>(ci, 4); d2 += load<f32>(ci, 8); d3 += load<f32>(ci, 12); }
    store<f32>(ci, d0); store<f32>(ci, d1, 4); store<f32>(ci, d2, 8); store<f32>(ci, d3, 12);
  }
  for (; i < m; i++) {
    const ai = a + <usize>i * lda;
    let s = f32x4.splat(0);
    let p = 0;
    for (; p + 4 <= k; p += 4) s = madd(v128.load(ai + (<usize>p << 2)), v128.load(b + (<usize>p << 2)), s);
    let d = hsum(s);
    for (; p < k; p++) d += load<f32>(ai + (<usize>p << 2)) * load<f32>(b + (<usize>p << 2));
    const ci = c + (<usize>i << 2);
    store<f32>(ci, acc ? load<f32>(ci) + d : d);
  }
}

/**
 * c[m] (+)= Aᵀ · b with A stored [k,·] at row stride lda bytes (m << 2 for the whole of A; a
 * thread's rows pass the whole row stride): 16 outputs held in registers across the k loop.
 */
export function gemv_t(a: usize, b: usize, c: usize, m: i32, k: i32, lda: usize, acc: i32): void {
  let i = 0;
  for (; i + 16 <= m; i += 16) {
    let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
    let ap = a + (<usize>i << 2);
    for (let p = 0; p < k; p++, ap += lda) {
      const vb = v128.load32_splat(b + (<usize>p << 2));
      s0 = madd(v128.load(ap), vb, s0); s1 = madd(v128.load(ap, 16), vb, s1);
      s2 = madd(v128.load(ap, 32), vb, s2); s3 = madd(v128.load(ap, 48), vb, s3);
    }
    const ci = c + (<usize>i << 2);
    if (acc) { s0 = f32x4.add(s0, v128.load(ci)); s1 = f32x4.add(s1, v128.load(ci, 16)); s2 = f32x4.add(s2, v128.load(ci, 32)); s3 = f32x4.add(s3, v128.load(ci, 48)); }
    v128.store(ci, s0); v128.store(ci, s1, 16); v128.store(ci, s2, 32); v128.store(ci, s3, 48);
  }
  for (; i + 4 <= m; i += 4) {
    let s = f32x4.splat(0);
    let ap = a + (<usize>i << 2);
    for (let p = 0; p < k; p++, ap += lda) s = madd(v128.load(ap), v128.load32_splat(b + (<usize>p << 2)), s);
    const ci = c + (<usize>i << 2);
    v128.store(ci, acc ? f32x4.add(s, v128.load(ci)) : s);
  }
  for (; i < m; i++) {
    let d: f32 = 0;
    for (let p = 0; p < k; p++) d += load<f32>(a + <usize>p * lda + (<usize>i << 2)) * load<f32>(b + (<usize>p << 2));
    const ci = c + (<usize>i << 2);
    store<f32>(ci, acc ? load<f32>(ci) + d : d);
  }
}

/**
 * C[m,n] (+)= a[m] ⊗ b[n] (k == 1: both operands are contiguous whatever ta, tb say), C's rows
 * ldc bytes apart (n << 2 for a whole C; a thread's block passes the whole row stride).
 */
export function ger(a: usize, b: usize, c: usize, m: i32, n: i32, ldc: usize, acc: i32): void {
  for (let i = 0; i < m; i++) {
    const ai = load<f32>(a + (<usize>i << 2));
    const va = f32x4.splat(ai);
    const ci = c + <usize>i * ldc;
    let j = 0;
    if (acc) {
      for (; j + 4 <= n; j += 4) { const o = <usize>j << 2; v128.store(ci + o, madd(va, v128.load(b + o), v128.load(ci + o))); }
    } else {
      for (; j + 16 <= n; j += 16) {
        const o = <usize>j << 2, bo = b + o, co = ci + o;
        v128.store(co, f32x4.mul(va, v128.load(bo))); v128.store(co, f32x4.mul(va, v128.load(bo, 16)), 16);
        v128.store(co, f32x4.mul(va, v128.load(bo, 32)), 32); v128.store(co, f32x4.mul(va, v128.load(bo, 48)), 48);
      }
      for (; j + 4 <= n; j += 4) { const o = <usize>j << 2; v128.store(ci + o, f32x4.mul(va, v128.load(b + o))); }
    }
    for (; j < n; j++) { const o = <usize>j << 2, v = ai * load<f32>(b + o); store<f32>(ci + o, acc ? load<f32>(ci + o) + v : v); }
  }
}
