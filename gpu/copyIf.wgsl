// y[i] = x[i] if guard[0] (the step's loss) is finite: an optimiser's state update that a
// non-finite loss cancels without a readback. 1-d launch over n. O(n).

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flat(gid, nwg);
  if (i >= p.n || !finite_(guard[0])) { return; }
  y[i] = x[i];
}
