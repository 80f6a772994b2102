// y[i] = value. 1-d launch, split over a 2-d grid for large n. O(n).

struct Params { n: u32, value: f32 }
@group(1) @binding(0) var<uniform> p: Params;

@group(0) @binding(0) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flat(gid, nwg);
  if (i >= p.n) { return; }
  y[i] = p.value;
}
