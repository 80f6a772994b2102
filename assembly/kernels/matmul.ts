// matmul: C[m×n] (+)= op(A)[m×k] · op(B)[k×n], f32, row-major, pointers are byte offsets.
// The blocked product is assembly/gemm.ts's gemm_strided (bmm runs it too, through other
// strides): Goto-style blocking, op(B) packed per (KC × NC) block into 8-wide panels (or read in
// place when C has few rows), f32x4 microkernels (4×8, 6×8), op(A) read in place. Each element of
// C is the same sequence of operations on every path, so a block computed alone (matmul_part,
// the threads' split) is bit-identical to the same block of the whole product.
// n == 1 (matrix-vector) and k == 1 (outer product) take dedicated paths without packing.
// Cost: 2mkn flops; packing O(k·n); ws = (KC·NC + 32)·4 bytes at most.
import { gemv_n, gemv_t, ger } from "../matvec";
import { MR, NR, KC, NC, gemm_strided } from "../gemm";

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
  if (k > 0 && n == 1) {
    if (ta) gemv_t(a + (<usize>i0 << 2), b, c + (<usize>i0 << 2), i1 - i0, k, <usize>m << 2, acc);
    else gemv_n(a + <usize>i0 * (<usize>k << 2), b, c + (<usize>i0 << 2), i1 - i0, k, acc);
    return;
  }
  if (k == 1) { ger(a + (<usize>i0 << 2), b + (<usize>j0 << 2), c + <usize>i0 * ldc + (<usize>j0 << 2), i1 - i0, j1 - j0, ldc, acc); return; }
  // The block is gemm_strided on pointers offset to it: op(A)'s rows from i0, op(B)'s columns from j0.
  const ars: i32 = ta ? 1 : k, aps: i32 = ta ? m : 1;
  const bks: i32 = tb ? 1 : n, bns: i32 = tb ? k : 1;
  gemm_strided(a + (<usize>i0 * <usize>ars << 2), ars, aps, b + (<usize>j0 * <usize>bns << 2), bks, bns,
    c + <usize>i0 * ldc + (<usize>j0 << 2), n, 1, i1 - i0, k, j1 - j0, acc, ws);
}

/**
 * A k-split of `matmul`'s blocked path (n > 1, k > 1), for products whose output is too small to
 * split (a weight gradient: few outputs, a long k). gemm_strided computes each element as: per
 * KC block q in order, s_q = (zero, one madd per k in order), then c = s_q + c (the first block:
 * s_0, or s_0 + C when acc). So the blocks' partials, each computed alone into its own m×n slab
 * of `s` (slab q at s + q·m·n·4), then summed in block order by matmul_ksum, are bit-identical to
 * the whole call. This writes slabs q0 … q1−1; ws: matmul_ws_bytes(m, k, n) bytes of its own.
 */
export function matmul_kblocks(a: usize, b: usize, s: usize, m: i32, k: i32, n: i32, ta: i32, tb: i32, ws: usize, q0: i32, q1: i32): void {
  const ars: i32 = ta ? 1 : k, aps: i32 = ta ? m : 1;
  const bks: i32 = tb ? 1 : n, bns: i32 = tb ? k : 1;
  const slab = <usize>m * <usize>n << 2;
  for (let q = q0; q < q1; q++) {
    const pc = q * KC, kc = min(KC, k - pc);
    if (kc <= 0) return;
    gemm_strided(a + (<usize>pc * <usize>aps << 2), ars, aps, b + (<usize>pc * <usize>bks << 2), bks, bns,
      s + <usize>q * slab, n, 1, m, kc, n, 0, ws);
  }
}

/**
 * Elements [e0, e1) of c (m·n elements) from matmul_kblocks' nq slabs: c = s_0 (+ c when acc),
 * then c = s_q + c for q = 1 … nq−1, gemm_strided's order. Elementwise, so any element range is
 * the same bits.
 */
export function matmul_ksum(c: usize, s: usize, mn: i32, nq: i32, acc: i32, e0: i32, e1: i32): void {
  const slab = <usize>mn << 2;
  let e = e0;
  for (; e + 4 <= e1; e += 4) {
    const o = <usize>e << 2;
    let v = v128.load(s + o);
    if (acc) v = f32x4.add(v, v128.load(c + o));
    for (let q = 1; q < nq; q++) v = f32x4.add(v128.load(s + <usize>q * slab + o), v);
    v128.store(c + o, v);
  }
  for (; e < e1; e++) {
    const o = <usize>e << 2;
    let v = load<f32>(s + o);
    if (acc) v = v + load<f32>(c + o);
    for (let q = 1; q < nq; q++) v = load<f32>(s + <usize>q * slab + o) + v;
    store<f32>(c + o, v);
  }
}
