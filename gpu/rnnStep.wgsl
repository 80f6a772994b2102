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
  // the gates, kept in g: σ (the LSTM's third, c̃: tanh) of g + z + bias; the LSTM's four, the GRUs' r and u
  for (var q = 0u; q < select(p.kind & 2u, 4u, p.kind == 1u); q++) {
    var v = g[a + q * gq] + z[k + q * zq] + bias[q * H + r];
    if (q == 2u) { v = tanh_(v); } else { v = sigmoid_(v); }
    g[a + q * gq] = v;
  }
  let g0 = g[a];
  if (p.kind == 0u) {
    g[a] = g0 + z[k] + bias[r];
    h[k] = unary_f(OP, g[a], p.alpha, inf());
  } else if (p.kind == 1u) {
    cp[a] = c[k];
    c[k] = g[a + gq] * c[k] + g0 * g[a + 2u * gq];
    h[k] = g[a + 3u * gq] * tanh_(c[k]);
  } else if (p.kind == 3u) {
    c[k] = g0 * h0;
    cp[a] = c[k];
    return;
  } else {
    // GRU: zn is Wh's third block (kept in cp); GRUv3's second half: z is zn = Wh_h̃·(r .* h)
    var zr = z[k];
    if (p.kind == 2u) { zr = z[k + 2u * zq]; cp[a] = zr; zr *= g0; }
    let n = tanh_(g[a + 2u * gq] + zr + bias[2u * H + r]);
    g[a + 2u * gq] = n;
    h[k] = mix(n, h0, g[a + gq]);
  }
  y[a] = h[k];
}
