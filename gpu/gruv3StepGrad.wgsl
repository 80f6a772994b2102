// Backward of gruv3Step: g's candidate block and dn get dn = dh′(1 − u)(1 − n²), the update
// block du = dh′(hp − n)·u(1 − u); dh becomes the direct term dh′·u. 1-d launch over hid·b.
// O(hid·b).

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let k = flat(gid, nwg);
  if (k >= p.hid * p.b) { return; }
  let a = (k / p.b) * p.ld + p.off + k % p.b;
  let gq = p.hid * p.ld;
  let u = g[a + gq];
  let n = g[a + 2u * gq];
  let dht = dy[a] + dh[k];
  let d = dht * (1.0 - u) * (1.0 - n * n);
  g[a + 2u * gq] = d;
  dn[k] = d;
  g[a + gq] = dht * (hp[a] - n) * u * (1.0 - u);
  dh[k] = dht * u;
}
