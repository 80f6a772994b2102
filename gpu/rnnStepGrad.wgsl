// Backward of rnnStep for its kind (KERNELS.rnnStepGrad; dh′ = dy + dh): the gate pre-activation
// gradients replace g's step-t block and fill dz, the recurrent side (the caller's matmul adds
// Whᵀ·dz to dh). s is y (RNN), c_{t-1} (LSTM) or the previous h (GRUs); e is dc (LSTM), zn (GRU)
// or drh = Wh_h̃ᵀ·dn (GRUv3's first half). A thread per state element, 1-d launch over hid·b.
// O(hid·b).

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let k = flat(gid, nwg);
  if (k >= p.hid * p.b) { return; }
  let a = (k / p.b) * p.ld + p.off + k % p.b;
  let gq = p.hid * p.ld;
  let zq = p.hid * p.b;
  let g0 = g[a];
  let u = g[a + gq];
  let n = g[a + 2u * gq];
  let dht = dy[a] + dh[k];
  if (p.kind == 0u) {
    let d = dht * unary_df(OP, g0, s[a], p.alpha, inf());
    g[a] = d;
    dz[k] = d;
  } else if (p.kind == 1u) {
    let o = g[a + 3u * gq];
    let c0 = s[a];
    let tc = tanh_(u * c0 + g0 * n);
    let dct = e[k] + dht * o * (1.0 - tc * tc);
    let di = dct * n * g0 * (1.0 - g0);
    let df = dct * c0 * u * (1.0 - u);
    let dcc = dct * g0 * (1.0 - n * n);
    let dout = dht * tc * o * (1.0 - o);
    g[a] = di;
    g[a + gq] = df;
    g[a + 2u * gq] = dcc;
    g[a + 3u * gq] = dout;
    dz[k] = di;
    dz[k + zq] = df;
    dz[k + 2u * zq] = dcc;
    dz[k + 3u * zq] = dout;
    e[k] = dct * u;
  } else if (p.kind == 3u) {
    let d = e[k];
    let dr = d * s[a] * g0 * (1.0 - g0);
    g[a] = dr;
    dz[k] = dr;
    dh[k] = dh[k] + d * g0;
    dz[k + zq] = u;
  } else {
    let dn = dht * (1.0 - u) * (1.0 - n * n);
    let du = dht * (s[a] - n) * u * (1.0 - u);
    g[a + gq] = du;
    g[a + 2u * gq] = dn;
    dh[k] = dht * u;
    if (p.kind == 4u) {
      dz[k] = dn;
      return;
    }
    let dr = dn * e[a] * g0 * (1.0 - g0);
    g[a] = dr;
    e[a] = dn * g0;
    dz[k] = dr;
    dz[k + zq] = du;
    dz[k + 2u * zq] = dn * g0;
  }
}
