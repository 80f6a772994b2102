// y[i] = f_op(x[i]) (OP: a unary code). 1-d launch over n, split over a 2-d grid past the
// dispatch limit. `inplace` runs when x is y: x is left unbound and y read instead, so
// src/backends/webgpu.ts copies nothing. O(n).

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flat(gid, nwg);
  if (i >= p.n) { return; }
  y[i] = unary_f(OP, x[i], p.alpha, p.beta);
}

@compute @workgroup_size(WG)
fn inplace(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flat(gid, nwg);
  if (i >= p.n) { return; }
  y[i] = unary_f(OP, y[i], p.alpha, p.beta);
}
