// y[o, j] = x[o, idx[j]] with x viewed [outer, len], y [outer, k] (n elements): a thread per
// element of y. An index that is not an integer in [0, len) gives NaN. O(n).

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = flat(gid, nwg);
  if (e >= p.n) { return; }
  let v = idx[e % p.k];
  if (isnan_(v) || v < 0.0 || v >= f32(p.len) || v != floor(v)) { y[e] = nan(); return; }
  y[e] = x[e / p.k * p.len + u32(v)];
}
