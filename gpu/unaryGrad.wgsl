// dx[i] = dy[i] f_op'(x[i]) given y = f_op(x) (OP: a unary code). 1-d launch over n. O(n).

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flat(gid, nwg);
  if (i >= p.n) { return; }
  dx[i] = dy[i] * unary_df(OP, x[i], y[i], p.alpha, p.beta);
}
