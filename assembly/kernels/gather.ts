// gather and scatter along the middle axis of [outer, len, inner] (KERNELS.gather, KERNELS.scatter).
// gather copies whole runs of `inner` floats (one float for NNlib's column gather, where inner is
// 1); an index that is not an integer in [0, len) fills its run with NaN. scatter is gather's
// adjoint written as a gather through the indices sorted by value (order, offs), so each output
// is one reduction in a fixed order: deterministic, and the same formulation as the WGSL kernel.
// SIMD across inner when inner ≥ 4. O(outer·(k + len)·inner).
import * as C from "../../build/gen/codes";

/** KERNELS.gather. */
export function gather(x: usize, idx: usize, y: usize, n: i32, k: i32, len: i32, inner: i32): void {
  if (n <= 0 || k <= 0 || inner <= 0) return;
  const outer = n / (k * inner), run = <usize>inner << 2, flen = <f32>len;
  let dst = y;
  for (let o = 0; o < outer; o++) {
    const src = x + <usize>o * <usize>len * run;
    for (let j = 0; j < k; j++, dst += run) {
      const v = load<f32>(idx + (<usize>j << 2));
      const ok = v >= 0 && v < flen && v == Mathf.floor(v);   // false for NaN
      if (inner == 1) store<f32>(dst, ok ? load<f32>(src + (<usize><i32>v << 2)) : NaN);
      else if (ok) memory.copy(dst, src + <usize><i32>v * run, run);
      else for (let i = 0; i < inner; i++) store<f32>(dst + (<usize>i << 2), NaN);
    }
  }
}

/** One op's step on 4 columns; the op is a loop invariant (scatter is not a hot path). */
@inline function step4(op: i32, r: v128, e: v128): v128 {
  if (op == C.R_MAX) return f32x4.max(r, e);   // NaN-propagating, as Math.max
  if (op == C.R_MIN) return f32x4.min(r, e);
  return f32x4.add(r, e);
}
@inline function step1(op: i32, r: f32, e: f32): f32 {
  if (op == C.R_MAX) return max(r, e);         // f32.max: NaN-propagating too
  if (op == C.R_MIN) return min(r, e);
  return r + e;
}

/** KERNELS.scatter (op: sum, mean, max or min); another op code traps. */
export function scatter(op: i32, x: usize, order: usize, offs: usize, y: usize, n: i32, k: i32, len: i32, inner: i32): void {
  if (op != C.R_SUM && op != C.R_MEAN && op != C.R_MAX && op != C.R_MIN) unreachable();
  if (n <= 0 || len <= 0 || inner <= 0) return;
  const outer = n / (len * inner);
  const init: f32 = op == C.R_MAX ? -Infinity : op == C.R_MIN ? Infinity : 0;
  const run = <usize>inner << 2;
  let dst = y;
  for (let o = 0; o < outer; o++) {
    const src = x + <usize>o * <usize>k * run;
    for (let v = 0; v < len; v++, dst += run) {
      const lo = <i32>load<f32>(offs + (<usize>v << 2)), hi = <i32>load<f32>(offs + (<usize>(v + 1) << 2));
      const scale: f32 = op == C.R_MEAN && hi > lo ? 1 / <f32>(hi - lo) : 1;
      let i = 0;
      for (; i + 4 <= inner; i += 4) {
        let r = f32x4.splat(init);
        for (let q = lo; q < hi; q++) r = step4(op, r, v128.load(src + <usize><i32>load<f32>(order + (<usize>q << 2)) * run + (<usize>i << 2)));
        v128.store(dst + (<usize>i << 2), f32x4.mul(r, f32x4.splat(scale)));
      }
      for (; i < inner; i++) {
        let r = init;
        for (let q = lo; q < hi; q++) r = step1(op, r, load<f32>(src + <usize><i32>load<f32>(order + (<usize>q << 2)) * run + (<usize>i << 2)));
        store<f32>(dst + (<usize>i << 2), r * scale);
      }
    }
  }
}
