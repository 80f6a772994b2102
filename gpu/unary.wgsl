// y[i] = f_op(x[i]) (OP: a unary code). 1-d launch over n, split over a 2-d grid past the
// dispatch limit. O(n).

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flat(gid, nwg);
  if (i >= p.n) { return; }
  y[i] = unary_f(OP, x[i], p.alpha, p.beta);
}
