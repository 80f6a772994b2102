// GRUv3 step, first half: r = σ(g + z + bias), u likewise (z is [2·hid, b]), kept in g's step-t
// block; rh = rhs = r·h (the input of Wh_h̃). 1-d launch over hid·b. O(hid·b).

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let k = flat(gid, nwg);
  if (k >= p.hid * p.b) { return; }
  let r = k / p.b;
  let a = r * p.ld + p.off + k % p.b;
  let gq = p.hid * p.ld;
  let rr = sigmoid_(g[a] + z[k] + bias[r]);
  let u = sigmoid_(g[a + gq] + z[k + p.hid * p.b] + bias[p.hid + r]);
  g[a] = rr;
  g[a + gq] = u;
  let v = rr * h[k];
  rh[k] = v;
  rhs[a] = v;
}
