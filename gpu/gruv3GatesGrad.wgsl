// Backward of gruv3Gates, drh = Wh_h̃ᵀ·dn: the reset block of g and dz get dr·r(1 − r) with
// dr = drh·hp; dh += drh·r; dz's second block copies g's update block. 1-d launch over hid·b.
// O(hid·b).

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let k = flat(gid, nwg);
  if (k >= p.hid * p.b) { return; }
  let a = (k / p.b) * p.ld + p.off + k % p.b;
  let rr = g[a];
  let d = drh[k];
  let dr = d * hp[a] * rr * (1.0 - rr);
  g[a] = dr;
  dz[k] = dr;
  dh[k] = dh[k] + d * rr;
  dz[k + p.hid * p.b] = g[a + p.hid * p.ld];
}
