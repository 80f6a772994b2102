// Shared functions, prepended to every program by src/backends/webgpu.ts: the flat index of a
// 1-d launch split over a 2-d grid, and overflow-safe elementary functions (WGSL promises neither
// IEEE Inf/NaN nor accurate exp/log near 0). The op-code constants and switches are generated
// from src/ops/codes.ts (src/backends/wgsl.ts); the activations are in act.wgsl.

const WG: u32 = 256u;   // threads per workgroup of every 1-d launch

// Element index of a 1-d launch that may be split into rows of nwg.x workgroups.
fn flat(gid: vec3u, nwg: vec3u) -> u32 { return gid.x + gid.y * nwg.x * WG; }

// Private vars, not constants: WGSL rejects a NaN or Inf constant expression.
var<private> NAN_BITS: u32 = 0x7fc00000u;
var<private> INF_BITS: u32 = 0x7f800000u;
fn nan() -> f32 { return bitcast<f32>(NAN_BITS); }
fn inf() -> f32 { return bitcast<f32>(INF_BITS); }
// On the bits: a compiler may assume float comparisons never see NaN.
fn isnan_(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > INF_BITS; }
fn finite_(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) < INF_BITS; }

// ln x with IEEE edges (WGSL leaves log(0) and log(x < 0) undefined: SwiftShader gives -88 and 0).
fn log_(x: f32) -> f32 {
  if (isnan_(x) || x < 0.0) { return nan(); }
  if (x == 0.0) { return -inf(); }
  if (x > 3.4028234663852886e38) { return x; }
  return log(x);
}

// e^x - 1 without cancellation: Taylor to x^9 below |x| = 1/2 (error < 3e-10).
fn expm1_(x: f32) -> f32 {
  if (abs(x) < 0.5) {
    return x * (1.0 + x * (0.5 + x * (1.0 / 6.0 + x * (1.0 / 24.0 + x * (1.0 / 120.0 + x * (1.0 / 720.0
      + x * (1.0 / 5040.0 + x * (1.0 / 40320.0 + x / 362880.0))))))));
  }
  return exp(x) - 1.0;
}

// ln(1 + x) without cancellation: 2 atanh(s), s = x / (2 + x), below |x| = 1/2.
fn log1p_(x: f32) -> f32 {
  if (abs(x) < 0.5) {
    let s = x / (2.0 + x);
    let s2 = s * s;
    return 2.0 * s * (1.0 + s2 * (1.0 / 3.0 + s2 * (1.0 / 5.0 + s2 * (1.0 / 7.0 + s2 * (1.0 / 9.0
      + s2 * (1.0 / 11.0 + s2 * (1.0 / 13.0 + s2 / 15.0)))))));
  }
  return log_(1.0 + x);
}

fn sigmoid_(x: f32) -> f32 {
  let t = exp(-abs(x));                  // never overflows
  let s = 1.0 / (1.0 + t);
  return select(t * s, s, x >= 0.0);
}


fn tanh_(x: f32) -> f32 {
  let t = expm1_(-2.0 * abs(x));         // in (-1, 0]
  let r = -t / (2.0 + t);
  return select(-r, r, x >= 0.0);
}

// x^y for any sign of x, as Math.pow: negative x needs an integer y.
fn powf(x: f32, y: f32) -> f32 {
  if (y == 0.0) { return 1.0; }
  if (y == 1.0) { return x; }
  if (y == 2.0) { return x * x; }
  let ax = abs(x);
  if (ax == 0.0) { return select(inf(), 0.0, y > 0.0); }
  let odd = y == floor(y) && abs(y) < 16777216.0 && (i32(y) & 1) != 0;
  if (ax > 3.4028234663852886e38) {      // ±Inf: IEEE pow, not exp2(y·log2 Inf)
    let m = select(0.0, inf(), y > 0.0);
    return select(m, -m, x < 0.0 && odd);
  }
  let r = exp2(y * log2(ax));
  if (x >= 0.0) { return r; }
  if (y != floor(y)) { return nan(); }
  return select(r, -r, odd);
}

// Adam's moments and direction for one element: (m, v, m̂ / (√v̂ + eps)); adam and adamw share it.
fn adam_moments(g: f32, m: f32, v: f32, b1: f32, b2: f32, b1t: f32, b2t: f32, eps: f32) -> vec3f {
  let mi = b1 * m + (1.0 - b1) * g;
  let vi = b2 * v + (1.0 - b2) * g * g;
  return vec3f(mi, vi, (mi / (1.0 - b1t)) / (sqrt(vi / (1.0 - b2t)) + eps));
}
