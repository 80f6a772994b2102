// unary: y[i] = f_op(x[i]) for the 30 op codes of docs/KERNELS.md (y may equal x).
// The dispatch switch instantiates the SIMD loop once per op with `op` constant (vunary's switch
// folds away). The scalar tail runs the same vector code on one lane, so every element gets
// bit-identical results wherever it sits. Accuracy: ~1–2 ulp vs float64 (see assembly/simd.ts). O(n).
import { vunary } from "../act";
import { tailLoad, tailStore } from "../simd";

@inline function map(op: i32, x: usize, y: usize, n: i32, alpha: f32, beta: f32): void {
  const a = f32x4.splat(alpha), b = f32x4.splat(beta);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, vunary(op, v128.load(x + o), a, b));
  }
  const r = n - i, o = <usize>i << 2;
  if (r > 0) tailStore(vunary(op, tailLoad(x + o, r, 0), a, b), y + o, r);
}

export function unary_f32(op: i32, x: usize, y: usize, n: i32, alpha: f32, beta: f32): void {
  switch (op) {
    case 0: map(0, x, y, n, alpha, beta); break;
    case 1: map(1, x, y, n, alpha, beta); break;
    case 2: map(2, x, y, n, alpha, beta); break;
    case 3: map(3, x, y, n, alpha, beta); break;
    case 4: map(4, x, y, n, alpha, beta); break;
    case 5: map(5, x, y, n, alpha, beta); break;
    case 6: map(6, x, y, n, alpha, beta); break;
    case 7: map(7, x, y, n, alpha, beta); break;
    case 8: map(8, x, y, n, alpha, beta); break;
    case 9: map(9, x, y, n, alpha, beta); break;
    case 10: map(10, x, y, n, alpha, beta); break;
    case 11: map(11, x, y, n, alpha, beta); break;
    case 12: map(12, x, y, n, alpha, beta); break;
    case 13: map(13, x, y, n, alpha, beta); break;
    case 14: map(14, x, y, n, alpha, beta); break;
    case 15: map(15, x, y, n, alpha, beta); break;
    case 16: map(16, x, y, n, alpha, beta); break;
    case 17: map(17, x, y, n, alpha, beta); break;
    case 18: map(18, x, y, n, alpha, beta); break;
    case 19: map(19, x, y, n, alpha, beta); break;
    case 20: map(20, x, y, n, alpha, beta); break;
    case 21: map(21, x, y, n, alpha, beta); break;
    case 22: map(22, x, y, n, alpha, beta); break;
    case 23: map(23, x, y, n, alpha, beta); break;
    case 24: map(24, x, y, n, alpha, beta); break;
    case 25: map(25, x, y, n, alpha, beta); break;
    case 26: map(26, x, y, n, alpha, beta); break;
    case 27: map(27, x, y, n, alpha, beta); break;
    case 28: map(28, x, y, n, alpha, beta); break;
    case 29: map(29, x, y, n, alpha, beta); break;
  }
}
