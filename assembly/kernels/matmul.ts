// matmul: C[m×n] (+)= op(A)[m×k] · op(B)[k×n], f32, row-major, pointers are byte offsets.
// Goto-style blocking: op(B) is packed per (KC × NC) block into 8-wide panels (panel p holds
// k-rows of 8 consecutive columns, zero-padded), so A·B, Aᵀ·B, A·Bᵀ all run one 4×8 microkernel
// of f32x4 accumulators. op(A) is read in place through (row stride, k stride): rows beyond m
// repeat row m−1 (results discarded). Edge tiles go through a 4×8 scratch tile in ws. The
// blocked loop is assembly/gemm.ts's gemm_strided (bmm runs it too, through other strides).
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
  if (m <= 0 || n <= 0) return;
  if (k <= 0) { if (!acc) memory.fill(c, 0, <usize>(m * n) << 2); return; }
  if (n == 1) { if (ta) gemv_t(a, b, c, m, k, acc); else gemv_n(a, b, c, m, k, acc); return; }
  if (k == 1) { ger(a, b, c, m, n, acc); return; }
  gemm_strided(a, ta ? 1 : k, ta ? m : 1, b, tb ? 1 : n, tb ? k : 1, c, n, 1, m, k, n, acc, ws);
}
