// The adjoint of gather as a gather (no float atomics, one summation order): y[o, v, i] = OP
// over t in [offs[v], offs[v+1]) of x[o, order[t], i], x viewed [outer, k, inner], y [outer,
// len, inner]; order holds the positions of the indices grouped by value (ascending within a
// value), offs delimits the groups. OP: R_SUM, R_MEAN, R_MAX, R_MIN; an empty group gives 0, 0,
// -Inf, +Inf. A thread per element of y. O(outer (k + len) inner).

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = flat(gid, nwg);
  if (e >= p.n) { return; }
  let i = e % p.inner;
  let t = e / p.inner;
  let v = t % p.len;
  let o = t / p.len;
  let lo = u32(offs[v]);
  let hi = u32(offs[v + 1u]);
  var r = select(select(0.0, inf(), OP == R_MIN), -inf(), OP == R_MAX);
  var sawNan = false;
  for (var q = lo; q < hi; q++) {
    let u = x[(o * p.k + u32(order[q])) * p.inner + i];
    sawNan = sawNan || isnan_(u);   // WGSL's max and min need not propagate NaN
    if (OP == R_MAX) { r = max(r, u); } else if (OP == R_MIN) { r = min(r, u); } else { r += u; }
  }
  if (OP == R_MEAN && hi > lo) { r = r / f32(hi - lo); }
  if (sawNan) { r = nan(); }
  y[e] = r;
}
