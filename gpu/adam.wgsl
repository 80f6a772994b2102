// m = b1 m + (1-b1) g; v = b2 v + (1-b2) g²; x -= eta m̂ / (√v̂ + eps), in place (b1t, b2t: β^t).
// 1-d launch over n. O(n).

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flat(gid, nwg);
  if (i >= p.n || !finite_(guard[0])) { return; }   // a non-finite loss: no update
  let r = adam_moments(g[i], m[i], v[i], p.b1, p.b2, p.b1t, p.b2t, p.eps);
  m[i] = r.x;
  v[i] = r.y;
  x[i] -= p.eta * r.z;
}
