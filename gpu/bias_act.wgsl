// y[r,c] = f_act(x[r,c] + b[r]) for x, y [rows, cols]; act = override OP (unary codes,
// 0 = identity). The fused Dense epilogue. 1-d launch over y. O(rows cols).

override OP: u32 = 0u;

struct Params { n: u32, cols: u32, alpha: f32 }
@group(1) @binding(0) var<uniform> p: Params;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flat(gid, nwg);
  if (i >= p.n) { return; }
  y[i] = unary_f(OP, x[i] + b[i / p.cols], p.alpha, 0.0);
}
