// One RNN step: u = g + z + bias (g holds Wi·x of step t at column p.off of its [hid, ld] rows),
// h_{t-1} kept in hp, u kept in g, h = y = f_OP(u). A thread per state element (r, j), 1-d launch
// over hid·b. O(hid·b).

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let k = flat(gid, nwg);
  if (k >= p.hid * p.b) { return; }
  let r = k / p.b;
  let a = r * p.ld + p.off + k % p.b;
  hp[a] = h[k];
  let u = g[a] + z[k] + bias[r];
  g[a] = u;
  let v = unary_f(OP, u, p.alpha, inf());
  h[k] = v;
  y[a] = v;
}
