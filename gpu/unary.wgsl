// Elementwise unary ops and their gradients (op code = override OP, docs/KERNELS.md).
// 1-d launch of WG threads per workgroup, split over a 2-d grid for large n. O(n).

override OP: u32 = 0u;

struct Params { n: u32, alpha: f32, beta: f32 }
@group(1) @binding(0) var<uniform> p: Params;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;

// y[i] = f(x[i])
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flat(gid, nwg);
  if (i >= p.n) { return; }
  y[i] = unary_f(OP, x[i], p.alpha, p.beta);
}

@group(0) @binding(1) var<storage, read> yin: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

// dx[i] = dy[i] f'(x[i])
@compute @workgroup_size(WG)
fn grad(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flat(gid, nwg);
  if (i >= p.n) { return; }
  dx[i] = dy[i] * unary_df(OP, x[i], yin[i], p.alpha, p.beta);
}
