// y[r,c] = f_act(x[r,c] + b[r]) for x, y [rows, cols] (OP: a unary code, 0 = identity): the
// fused Dense epilogue. 1-d launch over y. O(rows cols).

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flat(gid, nwg);
  if (i >= p.rows * p.cols) { return; }
  y[i] = unary_f(OP, x[i] + b[i / p.cols], p.alpha, inf());
}
