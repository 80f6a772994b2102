// One recurrent step of any layer kind (KERNELS.rnnStep): 0 RNN, 1 LSTM (gates i, f, c̃, o), 2 GRU
// (r, u, n), 3 and 4 GRUv3's halves around its Wh_h̃ matmul. Gate q of g (Wi·x of step t at
// column p.off of its [gates·hid, ld] rows) is row block q, of z ([gates·hid, b]) likewise; g
// keeps the gate activations (RNN: the pre-activation), hp the previous h. A thread per state
// element (r, j), 1-d launch over hid·b; p.kind is uniform, so the branch is too. O(hid·b).

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let k = flat(gid, nwg);
  if (k >= p.hid * p.b) { return; }
  let H = p.hid;
  let r = k / p.b;
  let a = r * p.ld + p.off + k % p.b;
  let gq = H * p.ld;
  let zq = H * p.b;
  let h0 = h[k];
  if (p.kind != 3u) { hp[a] = h0; }
  if (p.kind == 0u) {
    let u = g[a] + z[k] + bias[r];
    g[a] = u;
    let v = unary_f(OP, u, p.alpha, inf());
    h[k] = v;
    y[a] = v;
    return;
  }
  var h1: f32;
  if (p.kind == 1u) {
    let i = sigmoid_(g[a] + z[k] + bias[r]);
    let f = sigmoid_(g[a + gq] + z[k + zq] + bias[H + r]);
    let cc = tanh_(g[a + 2u * gq] + z[k + 2u * zq] + bias[2u * H + r]);
    let o = sigmoid_(g[a + 3u * gq] + z[k + 3u * zq] + bias[3u * H + r]);
    let c0 = c[k];
    cp[a] = c0;
    let c1 = f * c0 + i * cc;
    h1 = o * tanh_(c1);
    c[k] = c1;
    g[a] = i;
    g[a + gq] = f;
    g[a + 2u * gq] = cc;
    g[a + 3u * gq] = o;
  } else {
    var u: f32;
    var n: f32;
    if (p.kind == 4u) {
      u = g[a + gq];
      n = tanh_(g[a + 2u * gq] + z[k] + bias[2u * H + r]);
    } else {
      let rr = sigmoid_(g[a] + z[k] + bias[r]);
      u = sigmoid_(g[a + gq] + z[k + zq] + bias[H + r]);
      g[a] = rr;
      g[a + gq] = u;
      if (p.kind == 3u) {
        c[k] = rr * h0;
        cp[a] = rr * h0;
        return;
      }
      let zc = z[k + 2u * zq];
      cp[a] = zc;
      n = tanh_(g[a + 2u * gq] + rr * zc + bias[2u * H + r]);
    }
    g[a + 2u * gq] = n;
    h1 = (1.0 - u) * n + u * h0;
  }
  h[k] = h1;
  y[a] = h1;
}
