// One LSTM step (gates i, f, c̃, o in row blocks of hid): each gate's pre-activation is g + z +
// bias, c = f·c + i·c̃, h = y = o·tanh(c); the gate activations replace g's step-t block and the
// previous h, c go to hp, cp. A thread per state element (r, j), 1-d launch over hid·b. O(hid·b).

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let k = flat(gid, nwg);
  if (k >= p.hid * p.b) { return; }
  let r = k / p.b;
  let a = r * p.ld + p.off + k % p.b;
  let gq = p.hid * p.ld;
  let zq = p.hid * p.b;
  let i = sigmoid_(g[a] + z[k] + bias[r]);
  let f = sigmoid_(g[a + gq] + z[k + zq] + bias[p.hid + r]);
  let cc = tanh_(g[a + 2u * gq] + z[k + 2u * zq] + bias[2u * p.hid + r]);
  let o = sigmoid_(g[a + 3u * gq] + z[k + 3u * zq] + bias[3u * p.hid + r]);
  let c0 = c[k];
  hp[a] = h[k];
  cp[a] = c0;
  let c1 = f * c0 + i * cc;
  let h1 = o * tanh_(c1);
  c[k] = c1;
  h[k] = h1;
  y[a] = h1;
  g[a] = i;
  g[a + gq] = f;
  g[a + 2u * gq] = cc;
  g[a + 3u * gq] = o;
}
