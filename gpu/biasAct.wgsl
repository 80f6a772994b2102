// y[r,c] = f_act(x[r,c] + b[r]) for x, y [rows, cols] (OP: a unary code, 0 = identity): the
// fused Dense epilogue. 1-d launch over y. `inplace` runs when x is y (the Dense op's call):
// src/backends/webgpu.ts leaves x unbound and it reads y, so nothing is copied. O(rows cols).

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flat(gid, nwg);
  if (i >= p.rows * p.cols) { return; }
  y[i] = unary_f(OP, x[i] + b[i / p.cols], p.alpha, inf());
}

@compute @workgroup_size(WG)
fn inplace(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flat(gid, nwg);
  if (i >= p.rows * p.cols) { return; }
  y[i] = unary_f(OP, y[i] + b[i / p.cols], p.alpha, inf());
}
