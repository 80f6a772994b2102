// bias_act: y[r,c] = f_act(x[r,c] + b[r]) for x [rows, cols] (Flux's σ.(W·x .+ b), features first:
// the bias is per row). act is a unary op code (0 = identity), alpha its parameter; beta (clamp's
// upper bound) is not in this ABI and is +Inf. cols == 1 (batch 1) runs SIMD down the column. O(n).
import { vunary } from "../act";

@inline function run(act: i32, x: usize, b: usize, y: usize, rows: i32, cols: i32, alpha: f32): void {
  const a = f32x4.splat(alpha), be = f32x4.splat(Infinity);
  if (cols == 1) {
    let i = 0;
    for (; i + 4 <= rows; i += 4) { const o = <usize>i << 2; v128.store(y + o, vunary(act, f32x4.add(v128.load(x + o), v128.load(b + o)), a, be)); }
    for (; i < rows; i++) {
      const o = <usize>i << 2;
      store<f32>(y + o, f32x4.extract_lane(vunary(act, f32x4.splat(load<f32>(x + o) + load<f32>(b + o)), a, be), 0));
    }
    return;
  }
  for (let r = 0; r < rows; r++) {
    const br = load<f32>(b + (<usize>r << 2)), vb = f32x4.splat(br);
    const xr = x + <usize>r * (<usize>cols << 2), yr = y + <usize>r * (<usize>cols << 2);
    let c = 0;
    for (; c + 4 <= cols; c += 4) { const o = <usize>c << 2; v128.store(yr + o, vunary(act, f32x4.add(v128.load(xr + o), vb), a, be)); }
    for (; c < cols; c++) {
      const o = <usize>c << 2;
      store<f32>(yr + o, f32x4.extract_lane(vunary(act, f32x4.splat(load<f32>(xr + o) + br), a, be), 0));
    }
  }
}

export function bias_act_f32(x: usize, b: usize, y: usize, rows: i32, cols: i32, act: i32, alpha: f32): void {
  switch (act) {
    case 0: run(0, x, b, y, rows, cols, alpha); break;
    case 1: run(1, x, b, y, rows, cols, alpha); break;
    case 2: run(2, x, b, y, rows, cols, alpha); break;
    case 3: run(3, x, b, y, rows, cols, alpha); break;
    case 4: run(4, x, b, y, rows, cols, alpha); break;
    case 5: run(5, x, b, y, rows, cols, alpha); break;
    case 6: run(6, x, b, y, rows, cols, alpha); break;
    case 7: run(7, x, b, y, rows, cols, alpha); break;
    case 8: run(8, x, b, y, rows, cols, alpha); break;
    case 9: run(9, x, b, y, rows, cols, alpha); break;
    case 10: run(10, x, b, y, rows, cols, alpha); break;
    case 11: run(11, x, b, y, rows, cols, alpha); break;
    case 12: run(12, x, b, y, rows, cols, alpha); break;
    case 13: run(13, x, b, y, rows, cols, alpha); break;
    case 14: run(14, x, b, y, rows, cols, alpha); break;
    case 15: run(15, x, b, y, rows, cols, alpha); break;
    case 16: run(16, x, b, y, rows, cols, alpha); break;
    case 17: run(17, x, b, y, rows, cols, alpha); break;
    case 18: run(18, x, b, y, rows, cols, alpha); break;
    case 19: run(19, x, b, y, rows, cols, alpha); break;
    case 20: run(20, x, b, y, rows, cols, alpha); break;
    case 21: run(21, x, b, y, rows, cols, alpha); break;
    case 22: run(22, x, b, y, rows, cols, alpha); break;
    case 23: run(23, x, b, y, rows, cols, alpha); break;
    case 24: run(24, x, b, y, rows, cols, alpha); break;
    case 25: run(25, x, b, y, rows, cols, alpha); break;
    case 26: run(26, x, b, y, rows, cols, alpha); break;
    case 27: run(27, x, b, y, rows, cols, alpha); break;
    case 28: run(28, x, b, y, rows, cols, alpha); break;
    case 29: run(29, x, b, y, rows, cols, alpha); break;
  }
}
