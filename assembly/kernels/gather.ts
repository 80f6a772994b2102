// gather and scatter along the last axis of [outer, len] (KERNELS.gather, KERNELS.scatter).
// An index that is not an integer in [0, len) gathers NaN. scatter is gather's adjoint written as
// a gather through the indices sorted by value (order, offs), so each output is one sum in a
// fixed order: deterministic, and the same formulation as the WGSL kernel. O(outer·(k + len)).

/** KERNELS.gather. */
export function gather(x: usize, idx: usize, y: usize, n: i32, k: i32, len: i32): void {
  if (n <= 0 || k <= 0) return;
  const outer = n / k, flen = <f32>len;
  let dst = y;
  for (let o = 0; o < outer; o++) {
    const src = x + (<usize>o * <usize>len << 2);
    for (let j = 0; j < k; j++, dst += 4) {
      const v = load<f32>(idx + (<usize>j << 2));
      const ok = v >= 0 && v < flen && v == Mathf.floor(v);   // false for NaN
      store<f32>(dst, ok ? load<f32>(src + (<usize><i32>v << 2)) : NaN);
    }
  }
}

/** KERNELS.scatter: each output the sum of its group, in the group's order. */
export function scatter(x: usize, order: usize, offs: usize, y: usize, n: i32, k: i32, len: i32): void {
  if (n <= 0 || len <= 0) return;
  const outer = n / len;
  let dst = y;
  for (let o = 0; o < outer; o++) {
    const src = x + (<usize>o * <usize>k << 2);
    for (let v = 0; v < len; v++, dst += 4) {
      const lo = <i32>load<f32>(offs + (<usize>v << 2)), hi = <i32>load<f32>(offs + (<usize>(v + 1) << 2));
      let r: f32 = 0;
      for (let q = lo; q < hi; q++) r += load<f32>(src + (<usize><i32>load<f32>(order + (<usize>q << 2)) << 2));
      store<f32>(dst, r);
    }
  }
}
