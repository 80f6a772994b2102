// y[o, j, i] = x[o, idx[j], i] with x viewed [outer, len, inner], y [outer, k, inner] (n
// elements): a thread per element of y. An index that is not an integer in [0, len) gives NaN.
// O(n).

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = flat(gid, nwg);
  if (e >= p.n) { return; }
  let i = e % p.inner;
  let t = e / p.inner;
  let j = t % p.k;
  let o = t / p.k;
  let v = idx[j];
  if (isnan_(v) || v < 0.0 || v >= f32(p.len) || v != floor(v)) { y[e] = nan(); return; }
  y[e] = x[(o * p.len + u32(v)) * p.inner + i];
}
