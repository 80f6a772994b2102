// Fused optimiser updates, in place on x and the state (docs/KERNELS.md). 1-d launches. O(n).
// adam serves adamw too: lambda = 0 is plain Adam.

struct Params { n: u32, eta: f32, a: f32, b: f32, eps: f32, b1t: f32, b2t: f32, lambda: f32 }
@group(1) @binding(0) var<uniform> p: Params;

@group(0) @binding(0) var<storage, read> g: array<f32>;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> m: array<f32>;   // momentum: v
@group(0) @binding(3) var<storage, read_write> v: array<f32>;

// x -= eta g
@compute @workgroup_size(WG)
fn descent(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flat(gid, nwg);
  if (i >= p.n) { return; }
  x[i] -= p.eta * g[i];
}

// v = rho v + eta g; x -= v   (rho = p.a)
@compute @workgroup_size(WG)
fn momentum(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flat(gid, nwg);
  if (i >= p.n) { return; }
  let vi = p.a * m[i] + p.eta * g[i];
  m[i] = vi;
  x[i] -= vi;
}

// m = b1 m + (1-b1) g; v = b2 v + (1-b2) g²; x -= eta (m̂ / (√v̂ + eps) + lambda x)
@compute @workgroup_size(WG)
fn adam(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flat(gid, nwg);
  if (i >= p.n) { return; }
  let gi = g[i];
  let mi = p.a * m[i] + (1.0 - p.a) * gi;
  let vi = p.b * v[i] + (1.0 - p.b) * gi * gi;
  m[i] = mi;
  v[i] = vi;
  let xi = x[i];
  x[i] = xi - p.eta * ((mi / (1.0 - p.b1t)) / (sqrt(vi / (1.0 - p.b2t)) + p.eps) + p.lambda * xi);
}
