// Backward of rnnStep for its kind (KERNELS.rnnStepGrad; dh′ = dy + dh): the gate pre-activation
// gradients replace g's step-t block and fill dz, the recurrent side (the caller's matmul adds
// Whᵀ·dz to dh). s is y (RNN), c_{t-1} (LSTM) or the previous h (GRUs); e is dc (LSTM), zn (GRU)
// or drh = Wh_h̃ᵀ·dn (GRUv3's first half). A thread per state element, 1-d launch over hid·b.
// O(hid·b).

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let k = flat(gid, nwg);
  if (k >= p.hid * p.b) { return; }
  let H = p.hid;
  let r = k / p.b;
  let a = r * p.ld + p.off + k % p.b;
  let gq = H * p.ld;
  let zq = H * p.b;
  let g0 = g[a];
  let u = g[a + gq];
  let n = g[a + 2u * gq];
  let dht = dy[a] + dh[k];
  if (p.kind == 0u) {
    g[a] = dht * unary_df(OP, g0, s[a], p.alpha, inf());
    dz[k] = g[a];
  } else if (p.kind == 1u) {
    let o = g[a + 3u * gq];
    let tc = tanh_(u * s[a] + g0 * n);
    let dct = e[k] + dht * o * (1.0 - tc * tc);
    g[a] = dct * n * g0 * (1.0 - g0);
    g[a + gq] = dct * s[a] * u * (1.0 - u);
    g[a + 2u * gq] = dct * g0 * (1.0 - n * n);
    g[a + 3u * gq] = dht * tc * o * (1.0 - o);
    e[k] = dct * u;
  } else if (p.kind == 3u) {
    g[a] = e[k] * s[a] * g0 * (1.0 - g0);
    dh[k] += e[k] * g0;
  } else {
    let dn = dht * (1.0 - u) * (1.0 - n * n);
    g[a + gq] = dht * (s[a] - n) * u * (1.0 - u);
    g[a + 2u * gq] = dn;
    dh[k] = dht * u;
    if (p.kind == 4u) { dz[k] = dn; return; }
    g[a] = dn * e[a] * g0 * (1.0 - g0);
    e[a] = dn * g0;
    dz[k + 2u * zq] = e[a];
  }
  // dz's first blocks are g's new ones: the LSTM's four, the GRUs' first two
  for (var q = 0u; q < select(p.kind & 2u, 4u, p.kind == 1u); q++) { dz[k + q * zq] = g[a + q * gq]; }
}
