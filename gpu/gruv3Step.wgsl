// GRUv3 step, second half: n = tanh(g + zn + bias) with zn = Wh_h̃·(r·h), kept in g; hp = h;
// h = y = (1 − u)·n + u·h. 1-d launch over hid·b. O(hid·b).

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let k = flat(gid, nwg);
  if (k >= p.hid * p.b) { return; }
  let r = k / p.b;
  let a = r * p.ld + p.off + k % p.b;
  let gq = p.hid * p.ld;
  let u = g[a + gq];
  let n = tanh_(g[a + 2u * gq] + zn[k] + bias[2u * p.hid + r]);
  let h0 = h[k];
  g[a + 2u * gq] = n;
  hp[a] = h0;
  let h1 = (1.0 - u) * n + u * h0;
  h[k] = h1;
  y[a] = h1;
}
