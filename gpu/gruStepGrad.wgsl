// Backward of gruStep: g's step-t block becomes (dr, du, dn) (the input side and the bias), zn
// becomes dn·r and dz (dr, du, dn·r) (the recurrent side); dh becomes the direct term dh′·u, to
// which the caller's matmul adds Whᵀ·dz. 1-d launch over hid·b. O(hid·b).

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let k = flat(gid, nwg);
  if (k >= p.hid * p.b) { return; }
  let a = (k / p.b) * p.ld + p.off + k % p.b;
  let gq = p.hid * p.ld;
  let zq = p.hid * p.b;
  let rr = g[a];
  let u = g[a + gq];
  let n = g[a + 2u * gq];
  let dht = dy[a] + dh[k];
  let dn = dht * (1.0 - u) * (1.0 - n * n);
  let du = dht * (hp[a] - n) * u * (1.0 - u);
  let dr = dn * zn[a] * rr * (1.0 - rr);
  g[a] = dr;
  g[a + gq] = du;
  g[a + 2u * gq] = dn;
  zn[a] = dn * rr;
  dz[k] = dr;
  dz[k + zq] = du;
  dz[k + 2u * zq] = dn * rr;
  dh[k] = dht * u;
}
