// Backward of rnnStep: dz = g = (dy + dh)·f_OP′(u, y) with u the pre-activation kept in g. A
// thread per state element, 1-d launch over hid·b. O(hid·b).

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let k = flat(gid, nwg);
  if (k >= p.hid * p.b) { return; }
  let a = (k / p.b) * p.ld + p.off + k % p.b;
  let d = (dy[a] + dh[k]) * unary_df(OP, g[a], y[a], p.alpha, inf());
  g[a] = d;
  dz[k] = d;
}
