// gather and scatter along the middle axis of [outer, len, inner] (KERNELS.gather, KERNELS.scatter).
// gather copies whole runs of `inner` floats (one float for NNlib's column gather, where inner is
// 1); an index that is not an integer in [0, len) fills its run with NaN. scatter is gather's
// adjoint written as a gather through the indices sorted by value (order, offs), so each output
// is one sum in a fixed order: deterministic, and the same formulation as the WGSL kernel.
// SIMD across inner when inner ≥ 4. O(outer·(k + len)·inner).

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

/** KERNELS.scatter: each output the sum of its group, in the group's order. */
export function scatter(x: usize, order: usize, offs: usize, y: usize, n: i32, k: i32, len: i32, inner: i32): void {
  if (n <= 0 || len <= 0 || inner <= 0) return;
  const outer = n / (len * inner);
  const run = <usize>inner << 2;
  let dst = y;
  for (let o = 0; o < outer; o++) {
    const src = x + <usize>o * <usize>k * run;
    for (let v = 0; v < len; v++, dst += run) {
      const lo = <i32>load<f32>(offs + (<usize>v << 2)), hi = <i32>load<f32>(offs + (<usize>(v + 1) << 2));
      let i = 0;
      for (; i + 4 <= inner; i += 4) {
        let r = f32x4.splat(0);
        for (let q = lo; q < hi; q++) r = f32x4.add(r, v128.load(src + <usize><i32>load<f32>(order + (<usize>q << 2)) * run + (<usize>i << 2)));
        v128.store(dst + (<usize>i << 2), r);
      }
      for (; i < inner; i++) {
        let r: f32 = 0;
        for (let q = lo; q < hi; q++) r += load<f32>(src + <usize><i32>load<f32>(order + (<usize>q << 2)) * run + (<usize>i << 2));
        store<f32>(dst + (<usize>i << 2), r);
      }
    }
  }
}
