// bias_act: y[r,c] = f_act(x[r,c] + b[r]) for x [rows, cols] (Flux's σ.(W·x .+ b), features first:
// the bias is per row). act is a unary op code (0 = identity), alpha its parameter; beta (clamp's
// upper bound) is not in this ABI and is +Inf. cols == 1 (batch 1) runs SIMD down the column. O(n).
import { vunary } from "../act";
import { tailLoad, tailStore } from "../simd";
import { unary_f32 } from "./unary";

@inline function run(act: i32, x: usize, b: usize, y: usize, rows: i32, cols: i32, alpha: f32): void {
  const a = f32x4.splat(alpha), be = f32x4.splat(Infinity);
  if (cols == 1) {                                      // one column: the bias runs alongside
    let i = 0;
    for (; i + 4 <= rows; i += 4) { const o = <usize>i << 2; v128.store(y + o, vunary(act, f32x4.add(v128.load(x + o), v128.load(b + o)), a, be)); }
    const r = rows - i, o = <usize>i << 2;
    if (r > 0) tailStore(vunary(act, f32x4.add(tailLoad(x + o, r, 0), tailLoad(b + o, r, 1)), a, be), y + o, r);
    return;
  }
  for (let r = 0; r < rows; r++) {
    const vb = f32x4.splat(load<f32>(b + (<usize>r << 2)));
    const xr = x + <usize>r * (<usize>cols << 2), yr = y + <usize>r * (<usize>cols << 2);
    let c = 0;
    for (; c + 4 <= cols; c += 4) { const o = <usize>c << 2; v128.store(yr + o, vunary(act, f32x4.add(v128.load(xr + o), vb), a, be)); }
    const t = cols - c, o = <usize>c << 2;
    if (t > 0) tailStore(vunary(act, f32x4.add(tailLoad(xr + o, t, 0), vb), a, be), yr + o, t);
  }
}

/**
 * The activations a fused Dense uses (src/ops/dense.ts FUSABLE) get one pass; any other code is
 * the bias pass followed by unary_f32 in place, which keeps the module small.
 */
export function bias_act_f32(x: usize, b: usize, y: usize, rows: i32, cols: i32, act: i32, alpha: f32): void {
  switch (act) {
    case 0: run(0, x, b, y, rows, cols, alpha); break;
    case 3: run(3, x, b, y, rows, cols, alpha); break;
    case 7: run(7, x, b, y, rows, cols, alpha); break;
    case 8: run(8, x, b, y, rows, cols, alpha); break;
    case 9: run(9, x, b, y, rows, cols, alpha); break;
    case 10: run(10, x, b, y, rows, cols, alpha); break;
    default:
      run(0, x, b, y, rows, cols, alpha);
      unary_f32(act, y, y, rows * cols, alpha, Infinity);
  }
}
