// c[i0,i1,i2] = a[i0 as0 + i1 as1 + i2 as2] op b[... bs ...], c contiguous [d0,d1,d2]; stride 0
// broadcasts. OP is a binary code; b_NAME is each op (the switch `binop` is generated from
// src/ops/codes.ts). 1-d launch over c. O(n).

fn b_add(u: f32, v: f32) -> f32 { return u + v; }
fn b_sub(u: f32, v: f32) -> f32 { return u - v; }
fn b_mul(u: f32, v: f32) -> f32 { return u * v; }
fn b_div(u: f32, v: f32) -> f32 { return u / v; }
fn b_pow(u: f32, v: f32) -> f32 { return powf(u, v); }
fn b_maximum(u: f32, v: f32) -> f32 { return max(u, v); }
fn b_minimum(u: f32, v: f32) -> f32 { return min(u, v); }
fn b_greater(u: f32, v: f32) -> f32 { return select(0.0, 1.0, u > v); }
fn b_xlogy(u: f32, v: f32) -> f32 { return select(u * log_(v), 0.0, u == 0.0); }
fn b_equal(u: f32, v: f32) -> f32 { return select(0.0, 1.0, u == v); }

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flat(gid, nwg);
  let plane = p.d1 * p.d2;
  if (i >= p.d0 * plane) { return; }
  let i0 = i / plane;
  let r = i - i0 * plane;
  let i1 = r / p.d2;
  let i2 = r - i1 * p.d2;
  c[i] = binop(OP, a[i0 * p.as0 + i1 * p.as1 + i2 * p.as2], b[i0 * p.bs0 + i1 * p.bs1 + i2 * p.bs2]);
}
