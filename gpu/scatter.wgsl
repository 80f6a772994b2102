// The adjoint of gather as a gather (no float atomics, one summation order): y[o, v] = the sum
// over t in [offs[v], offs[v+1]) of x[o, order[t]], in that order, x viewed [outer, k], y [outer,
// len]; order holds the positions of the indices grouped by value (ascending within a value),
// offs delimits the groups. An empty group gives 0. A thread per element of y. O(outer (k + len)).

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = flat(gid, nwg);
  if (e >= p.n) { return; }
  let v = e % p.len;
  let o = e / p.len;
  var r = 0.0;
  for (var q = u32(offs[v]); q < u32(offs[v + 1u]); q++) { r += x[o * p.k + u32(order[q])]; }
  y[e] = r;
}
