// Backward of lstmStep: from the gate activations in g, c_{t-1} in cp and the carried dh, dc,
// the gate pre-activation gradients replace g's step-t block and fill dz (for Whᵀ·dz); dc
// becomes dc_{t-1}. A thread per state element, 1-d launch over hid·b. O(hid·b).

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let k = flat(gid, nwg);
  if (k >= p.hid * p.b) { return; }
  let a = (k / p.b) * p.ld + p.off + k % p.b;
  let gq = p.hid * p.ld;
  let zq = p.hid * p.b;
  let i = g[a];
  let f = g[a + gq];
  let cc = g[a + 2u * gq];
  let o = g[a + 3u * gq];
  let c0 = cp[a];
  let tc = tanh_(f * c0 + i * cc);
  let dht = dy[a] + dh[k];
  let dct = dc[k] + dht * o * (1.0 - tc * tc);
  let di = dct * cc * i * (1.0 - i);
  let df = dct * c0 * f * (1.0 - f);
  let dcc = dct * i * (1.0 - cc * cc);
  let dout = dht * tc * o * (1.0 - o);
  g[a] = di;
  g[a + gq] = df;
  g[a + 2u * gq] = dcc;
  g[a + 3u * gq] = dout;
  dz[k] = di;
  dz[k + zq] = df;
  dz[k + 2u * zq] = dcc;
  dz[k + 3u * zq] = dout;
  dc[k] = dct * f;
}
