// Every unary op on the GPU: f_NAME(x, alpha, beta) and its derivative df_NAME(x, y, alpha, beta)
// given y = f_NAME(x), named as the rows of src/ops/codes.ts; the generated switches unary_f and
// unary_df (src/backends/wgsl.ts) call them by name. Kinks as src/backends/ref.ts.

fn f_identity(x: f32, a: f32, b: f32) -> f32 { return x; }
fn df_identity(x: f32, y: f32, a: f32, b: f32) -> f32 { return 1.0; }

fn f_neg(x: f32, a: f32, b: f32) -> f32 { return -x; }
fn df_neg(x: f32, y: f32, a: f32, b: f32) -> f32 { return -1.0; }

fn f_abs(x: f32, a: f32, b: f32) -> f32 { return abs(x); }
fn df_abs(x: f32, y: f32, a: f32, b: f32) -> f32 { return sign(x); }

fn f_exp(x: f32, a: f32, b: f32) -> f32 { return exp(x); }
fn df_exp(x: f32, y: f32, a: f32, b: f32) -> f32 { return y; }

fn f_log(x: f32, a: f32, b: f32) -> f32 { return log_(x); }
fn df_log(x: f32, y: f32, a: f32, b: f32) -> f32 { return 1.0 / x; }

fn f_sqrt(x: f32, a: f32, b: f32) -> f32 { return sqrt(x); }
fn df_sqrt(x: f32, y: f32, a: f32, b: f32) -> f32 { return 0.5 / y; }

fn f_square(x: f32, a: f32, b: f32) -> f32 { return x * x; }
fn df_square(x: f32, y: f32, a: f32, b: f32) -> f32 { return 2.0 * x; }

fn f_tanh(x: f32, a: f32, b: f32) -> f32 { return tanh_(x); }
fn df_tanh(x: f32, y: f32, a: f32, b: f32) -> f32 { return 1.0 - y * y; }

fn f_sigmoid(x: f32, a: f32, b: f32) -> f32 { return sigmoid_(x); }
fn df_sigmoid(x: f32, y: f32, a: f32, b: f32) -> f32 { return y * (1.0 - y); }

fn f_relu(x: f32, a: f32, b: f32) -> f32 { return select(x, 0.0, x < 0.0); }
fn df_relu(x: f32, y: f32, a: f32, b: f32) -> f32 { return select(0.0, 1.0, x > 0.0); }

fn f_relu6(x: f32, a: f32, b: f32) -> f32 { return select(select(x, 6.0, x > 6.0), 0.0, x < 0.0); }
fn df_relu6(x: f32, y: f32, a: f32, b: f32) -> f32 { return select(0.0, 1.0, x > 0.0 && x < 6.0); }

fn f_leakyrelu(x: f32, a: f32, b: f32) -> f32 { return select(a * x, x, x > 0.0); }
fn df_leakyrelu(x: f32, y: f32, a: f32, b: f32) -> f32 { return select(a, 1.0, x > 0.0); }

fn f_elu(x: f32, a: f32, b: f32) -> f32 { return select(a * expm1_(x), x, x >= 0.0); }
fn df_elu(x: f32, y: f32, a: f32, b: f32) -> f32 { return select(a * exp(x), 1.0, x >= 0.0); }

fn f_celu(x: f32, a: f32, b: f32) -> f32 { return select(a * expm1_(x / a), x, x >= 0.0); }
fn df_celu(x: f32, y: f32, a: f32, b: f32) -> f32 { return select(exp(x / a), 1.0, x >= 0.0); }

fn f_selu(x: f32, a: f32, b: f32) -> f32 { return SELU_L * select(SELU_A * expm1_(x), x, x > 0.0); }
fn df_selu(x: f32, y: f32, a: f32, b: f32) -> f32 { return SELU_L * select(SELU_A * exp(x), 1.0, x > 0.0); }

fn f_gelu(x: f32, a: f32, b: f32) -> f32 { return 0.5 * x * (1.0 + tanh_(GELU_S * (x + GELU_C * x * x * x))); }
fn df_gelu(x: f32, y: f32, a: f32, b: f32) -> f32 {
  if (abs(x) > 10.0) { return select(0.0, 1.0, x > 0.0); }   // x³ would overflow: 0·Inf
  let t = tanh_(GELU_S * (x + GELU_C * x * x * x));
  return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * GELU_S * (1.0 + 3.0 * GELU_C * x * x);
}

fn f_swish(x: f32, a: f32, b: f32) -> f32 { return x * sigmoid_(x); }
fn df_swish(x: f32, y: f32, a: f32, b: f32) -> f32 { let s = sigmoid_(x); return s + x * s * (1.0 - s); }

fn f_hardsigmoid(x: f32, a: f32, b: f32) -> f32 { return clamp((x + 3.0) / 6.0, 0.0, 1.0); }
fn df_hardsigmoid(x: f32, y: f32, a: f32, b: f32) -> f32 { return select(0.0, 1.0 / 6.0, x > -3.0 && x < 3.0); }

fn f_hardswish(x: f32, a: f32, b: f32) -> f32 { return x * clamp((x + 3.0) / 6.0, 0.0, 1.0); }
fn df_hardswish(x: f32, y: f32, a: f32, b: f32) -> f32 { return select(select((2.0 * x + 3.0) / 6.0, 1.0, x > 3.0), 0.0, x < -3.0); }

// log(1 + eˣ) without overflow; mish and logsigmoid use it too.
fn softplus_(x: f32) -> f32 { return max(x, 0.0) + log1p_(exp(-abs(x))); }
fn f_softplus(x: f32, a: f32, b: f32) -> f32 { return softplus_(x); }
fn df_softplus(x: f32, y: f32, a: f32, b: f32) -> f32 { return sigmoid_(x); }

fn f_softsign(x: f32, a: f32, b: f32) -> f32 { return x / (1.0 + abs(x)); }
fn df_softsign(x: f32, y: f32, a: f32, b: f32) -> f32 { let d = 1.0 + abs(x); return 1.0 / (d * d); }

fn f_mish(x: f32, a: f32, b: f32) -> f32 { return x * tanh_(softplus_(x)); }
fn df_mish(x: f32, y: f32, a: f32, b: f32) -> f32 { let t = tanh_(softplus_(x)); return t + x * (1.0 - t * t) * sigmoid_(x); }

fn f_logsigmoid(x: f32, a: f32, b: f32) -> f32 { return -softplus_(-x); }
fn df_logsigmoid(x: f32, y: f32, a: f32, b: f32) -> f32 { return sigmoid_(-x); }

fn f_sign(x: f32, a: f32, b: f32) -> f32 { return sign(x); }
fn df_sign(x: f32, y: f32, a: f32, b: f32) -> f32 { return 0.0; }

fn f_reciprocal(x: f32, a: f32, b: f32) -> f32 { return 1.0 / x; }
fn df_reciprocal(x: f32, y: f32, a: f32, b: f32) -> f32 { return -1.0 / (x * x); }

fn f_log1p(x: f32, a: f32, b: f32) -> f32 { return log1p_(x); }
fn df_log1p(x: f32, y: f32, a: f32, b: f32) -> f32 { return 1.0 / (1.0 + x); }

fn f_clamp(x: f32, a: f32, b: f32) -> f32 { return min(max(x, a), b); }
fn df_clamp(x: f32, y: f32, a: f32, b: f32) -> f32 { return select(0.0, 1.0, x >= a && x <= b); }

fn f_powscalar(x: f32, a: f32, b: f32) -> f32 { return powf(x, a); }
fn df_powscalar(x: f32, y: f32, a: f32, b: f32) -> f32 { return select(a * powf(x, a - 1.0), 0.0, a == 0.0); }

fn f_addscalar(x: f32, a: f32, b: f32) -> f32 { return x + a; }
fn df_addscalar(x: f32, y: f32, a: f32, b: f32) -> f32 { return 1.0; }

fn f_mulscalar(x: f32, a: f32, b: f32) -> f32 { return x * a; }
fn df_mulscalar(x: f32, y: f32, a: f32, b: f32) -> f32 { return a; }
