// x -= eta g, in place. 1-d launch over n. O(n).

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flat(gid, nwg);
  if (i >= p.n || !finite_(guard[0])) { return; }   // a non-finite loss: no update
  x[i] -= p.eta * g[i];
}
