// c[i0,i1,i2] = a[i0 as0 + i1 as1 + i2 as2] op b[... bs ...], c contiguous [d0,d1,d2];
// stride 0 broadcasts. Op code = override OP (docs/KERNELS.md). 1-d launch over c. O(n).

override OP: u32 = 0u;

struct Params { d1: u32, d2: u32, n: u32, as0: u32, as1: u32, as2: u32, bs0: u32, bs1: u32, bs2: u32 }
@group(1) @binding(0) var<uniform> p: Params;

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;

fn binop(u: f32, v: f32) -> f32 {
  var r = u + v;
  switch OP {
    case 1u: { r = u - v; }
    case 2u: { r = u * v; }
    case 3u: { r = u / v; }
    case 4u: { r = powf(u, v); }
    case 5u: { r = max(u, v); }
    case 6u: { r = min(u, v); }
    case 7u: { r = select(0.0, 1.0, u > v); }
    case 8u: { r = select(u * log(v), 0.0, u == 0.0); }
    case 9u: { r = select(0.0, 1.0, u == v); }
    default: {}
  }
  return r;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flat(gid, nwg);
  if (i >= p.n) { return; }
  let plane = p.d1 * p.d2;
  let i0 = i / plane;
  let r = i - i0 * plane;
  let i1 = r / p.d2;
  let i2 = r - i1 * p.d2;
  c[i] = binop(a[i0 * p.as0 + i1 * p.as1 + i2 * p.as2], b[i0 * p.bs0 + i1 * p.bs1 + i2 * p.bs2]);
}
