// m = b1 m + (1-b1) g; v = b2 v + (1-b2) g²; x -= eta m̂ / (√v̂ + eps), in place (b1t, b2t: β^t).
// 1-d launch over n. O(n).

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flat(gid, nwg);
  if (i >= p.n || !finite_(guard[0])) { return; }   // a non-finite loss: no update
  let gi = g[i];
  let mi = p.b1 * m[i] + (1.0 - p.b1) * gi;
  let vi = p.b2 * v[i] + (1.0 - p.b2) * gi * gi;
  m[i] = mi;
  v[i] = vi;
  x[i] -= p.eta * ((mi / (1.0 - p.b1t)) / (sqrt(vi / (1.0 - p.b2t)) + p.eps));
}
