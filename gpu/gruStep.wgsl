// One GRU (v1) step, blocks r, u (update), n: r = σ(g + z + bias), u likewise,
// n = tanh(g + r·z_n + bias), h = y = (1 − u)·n + u·h; g's step-t block keeps (r, u, n), hp the
// previous h and zn the recurrent candidate term z_n. 1-d launch over hid·b. O(hid·b).

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let k = flat(gid, nwg);
  if (k >= p.hid * p.b) { return; }
  let r = k / p.b;
  let a = r * p.ld + p.off + k % p.b;
  let gq = p.hid * p.ld;
  let zq = p.hid * p.b;
  let rr = sigmoid_(g[a] + z[k] + bias[r]);
  let u = sigmoid_(g[a + gq] + z[k + zq] + bias[p.hid + r]);
  let zc = z[k + 2u * zq];
  let n = tanh_(g[a + 2u * gq] + rr * zc + bias[2u * p.hid + r]);
  let h0 = h[k];
  hp[a] = h0;
  zn[a] = zc;
  let h1 = (1.0 - u) * n + u * h0;
  h[k] = h1;
  y[a] = h1;
  g[a] = rr;
  g[a + gq] = u;
  g[a + 2u * gq] = n;
}
