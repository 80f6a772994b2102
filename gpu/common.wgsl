// Shared functions, prepended to every program by src/backends/webgpu.ts: the flat index of a
// 1-d launch split over a 2-d grid, overflow-safe elementary functions (WGSL promises neither
// IEEE Inf/NaN nor accurate exp/log near 0), and the unary op table of docs/KERNELS.md.

const WG: u32 = 256u;   // threads per workgroup of every 1-d launch

// Element index of a 1-d launch that may be split into rows of nwg.x workgroups.
fn flat(gid: vec3u, nwg: vec3u) -> u32 { return gid.x + gid.y * nwg.x * WG; }

// Private vars, not constants: WGSL rejects a NaN or Inf constant expression.
var<private> NAN_BITS: u32 = 0x7fc00000u;
var<private> INF_BITS: u32 = 0x7f800000u;
fn nan() -> f32 { return bitcast<f32>(NAN_BITS); }
fn inf() -> f32 { return bitcast<f32>(INF_BITS); }

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
  return log(1.0 + x);
}

fn sigmoid_(x: f32) -> f32 {
  let t = exp(-abs(x));                  // never overflows
  let s = 1.0 / (1.0 + t);
  return select(t * s, s, x >= 0.0);
}

fn softplus_(x: f32) -> f32 { return max(x, 0.0) + log1p_(exp(-abs(x))); }

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
  let r = exp2(y * log2(ax));
  if (x >= 0.0) { return r; }
  if (y != floor(y)) { return nan(); }
  let odd = abs(y) < 16777216.0 && (i32(y) & 1) != 0;
  return select(r, -r, odd);
}

const SELU_L: f32 = 1.0507009873554805;
const SELU_A: f32 = 1.6732632423543772;
const GELU_C: f32 = 0.7978845608028654;  // sqrt(2 / pi)

// f_op(x); alpha and beta are the op's parameters.
fn unary_f(op: u32, x: f32, a: f32, b: f32) -> f32 {
  var r = x;
  switch op {
    case 1u: { r = -x; }
    case 2u: { r = abs(x); }
    case 3u: { r = exp(x); }
    case 4u: { r = log(x); }
    case 5u: { r = sqrt(x); }
    case 6u: { r = x * x; }
    case 7u: { r = tanh_(x); }
    case 8u: { r = sigmoid_(x); }
    case 9u: { r = select(x, 0.0, x < 0.0); }
    case 10u: { r = select(select(x, 6.0, x > 6.0), 0.0, x < 0.0); }
    case 11u: { r = select(a * x, x, x > 0.0); }
    case 12u: { r = select(a * expm1_(x), x, x >= 0.0); }
    case 13u: { r = select(a * expm1_(x / a), x, x >= 0.0); }
    case 14u: { r = SELU_L * select(SELU_A * expm1_(x), x, x > 0.0); }
    case 15u: { r = 0.5 * x * (1.0 + tanh_(GELU_C * (x + 0.044715 * x * x * x))); }
    case 16u: { r = x * sigmoid_(x); }
    case 17u: { r = clamp((x + 3.0) / 6.0, 0.0, 1.0); }
    case 18u: { r = x * clamp((x + 3.0) / 6.0, 0.0, 1.0); }
    case 19u: { r = softplus_(x); }
    case 20u: { r = x / (1.0 + abs(x)); }
    case 21u: { r = x * tanh_(softplus_(x)); }
    case 22u: { r = -softplus_(-x); }
    case 23u: { r = sign(x); }
    case 24u: { r = 1.0 / x; }
    case 25u: { r = log1p_(x); }
    case 26u: { r = min(max(x, a), b); }
    case 27u: { r = powf(x, a); }
    case 28u: { r = x + a; }
    case 29u: { r = x * a; }
    default: {}
  }
  return r;
}

// f_op'(x), given y = f_op(x).
fn unary_df(op: u32, x: f32, y: f32, a: f32, b: f32) -> f32 {
  var r = 1.0;
  switch op {
    case 1u: { r = -1.0; }
    case 2u: { r = sign(x); }
    case 3u: { r = y; }
    case 4u: { r = 1.0 / x; }
    case 5u: { r = 0.5 / y; }
    case 6u: { r = 2.0 * x; }
    case 7u: { r = 1.0 - y * y; }
    case 8u: { r = y * (1.0 - y); }
    case 9u: { r = select(0.0, 1.0, x > 0.0); }
    case 10u: { r = select(0.0, 1.0, x > 0.0 && x < 6.0); }
    case 11u: { r = select(a, 1.0, x > 0.0); }
    case 12u: { r = select(a * exp(x), 1.0, x >= 0.0); }
    case 13u: { r = select(exp(x / a), 1.0, x >= 0.0); }
    case 14u: { r = SELU_L * select(SELU_A * exp(x), 1.0, x > 0.0); }
    case 15u: {
      let t = tanh_(GELU_C * (x + 0.044715 * x * x * x));
      r = 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * GELU_C * (1.0 + 3.0 * 0.044715 * x * x);
    }
    case 16u: { let s = sigmoid_(x); r = s + x * s * (1.0 - s); }
    case 17u: { r = select(0.0, 1.0 / 6.0, x > -3.0 && x < 3.0); }
    case 18u: { r = select(select((2.0 * x + 3.0) / 6.0, 1.0, x > 3.0), 0.0, x < -3.0); }
    case 19u: { r = sigmoid_(x); }
    case 20u: { let d = 1.0 + abs(x); r = 1.0 / (d * d); }
    case 21u: { let t = tanh_(softplus_(x)); r = t + x * (1.0 - t * t) * sigmoid_(x); }
    case 22u: { r = sigmoid_(-x); }
    case 23u: { r = 0.0; }
    case 24u: { r = -1.0 / (x * x); }
    case 25u: { r = 1.0 / (1.0 + x); }
    case 26u: { r = select(0.0, 1.0, x >= a && x <= b); }
    case 27u: { r = select(a * powf(x, a - 1.0), 0.0, a == 0.0); }
    case 29u: { r = a; }
    default: {}
  }
  return r;
}
