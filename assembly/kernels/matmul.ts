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
