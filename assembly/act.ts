// act: f_op(x) on four lanes for every unary op code, shared by unary, unary_grad and bias_act
// (kept out of assembly/kernels so `export *` does not put v128 helpers in the Wasm ABI).
// Callers pass `op` as a constant through @inline functions, so the switch folds away.
// Clamps use pmin/pmax (one minps/maxps; wasm min/max cost ~6 instructions in V8) with the data
// as first operand, so NaN inputs still come out NaN.
import * as C from "./codes";
import { vexp, vlog, vexpm1, vlog1p, vsigmoid, vtanh, vlog1pexp_neg_abs, vpow, sel } from "./simd";

const SELU_L: f32 = 1.0507009873554805;
const SELU_A: f32 = 1.6732632423543772;
const GELU_S: f32 = 0.7978845608028654; // √(2/π)
const GELU_C: f32 = 0.044715;

@inline export function zero(): v128 { return f32x4.splat(0); }
@inline export function one(): v128 { return f32x4.splat(1); }

/** f_op(x) on four lanes; a = splat(alpha), b = splat(beta). */
@inline export function vunary(op: i32, x: v128, a: v128, b: v128): v128 {
  switch (op) {
    case C.U_IDENTITY: return x;
    case C.U_NEG: return f32x4.neg(x);
    case C.U_ABS: return f32x4.abs(x);
    case C.U_EXP: return vexp(x);
    case C.U_LOG: return vlog(x);
    case C.U_SQRT: return f32x4.sqrt(x);
    case C.U_SQUARE: return f32x4.mul(x, x);
    case C.U_TANH: return vtanh(x);
    case C.U_SIGMOID: return vsigmoid(x);
    case C.U_RELU: return sel(f32x4.lt(x, zero()), zero(), x);
    case C.U_RELU6: return f32x4.pmin(f32x4.pmax(x, zero()), f32x4.splat(6));
    case C.U_LEAKYRELU: return sel(f32x4.gt(x, zero()), x, f32x4.mul(a, x));
    case C.U_ELU: return sel(f32x4.ge(x, zero()), x, f32x4.mul(a, vexpm1(x)));
    case C.U_CELU: return sel(f32x4.ge(x, zero()), x, f32x4.mul(a, vexpm1(f32x4.div(x, a))));
    case C.U_SELU: return f32x4.mul(f32x4.splat(SELU_L), sel(f32x4.gt(x, zero()), x, f32x4.mul(f32x4.splat(SELU_A), vexpm1(x))));
    case C.U_GELU: return f32x4.mul(x, vsigmoid(gelu_2z(x))); // ½(1 + tanh z) = σ(2z)
    case C.U_SWISH: return f32x4.mul(x, vsigmoid(x));
    case C.U_HARDSIGMOID: return hardsigmoid(x);
    case C.U_HARDSWISH: return f32x4.mul(x, hardsigmoid(x));
    case C.U_SOFTPLUS: return f32x4.add(f32x4.pmax(x, zero()), vlog1pexp_neg_abs(x));
    case C.U_SOFTSIGN: return f32x4.div(x, f32x4.add(one(), f32x4.abs(x)));
    case C.U_MISH: return f32x4.mul(x, vtanh(f32x4.add(f32x4.pmax(x, zero()), vlog1pexp_neg_abs(x))));
    case C.U_LOGSIGMOID: return f32x4.sub(f32x4.pmin(x, zero()), vlog1pexp_neg_abs(x));
    case C.U_SIGN: return sel(f32x4.gt(x, zero()), one(), sel(f32x4.lt(x, zero()), f32x4.splat(-1), f32x4.mul(x, zero())));
    case C.U_RECIPROCAL: return f32x4.div(one(), x);
    case C.U_LOG1P: return vlog1p(x);
    case C.U_CLAMP: return f32x4.pmin(f32x4.pmax(x, a), b);
    case C.U_POWSCALAR: return powscalar(x, a);
    case C.U_ADDSCALAR: return f32x4.add(x, a);
    case C.U_MULSCALAR: return f32x4.mul(x, a);
  }
  return x;
}

/** 2z = 2·√(2/π)(x + 0.044715x³), the sigmoid argument of tanh-gelu. */
@inline export function gelu_2z(x: v128): v128 {
  const x2 = f32x4.mul(x, x);
  return f32x4.mul(f32x4.mul(x, f32x4.splat(2 * GELU_S)), f32x4.add(one(), f32x4.mul(f32x4.splat(GELU_C), x2)));
}

@inline export function hardsigmoid(x: v128): v128 {
  return f32x4.pmin(f32x4.pmax(f32x4.mul(f32x4.add(x, f32x4.splat(3)), f32x4.splat(1.0 / 6.0)), zero()), one());
}

/** x^alpha with exact fast paths for alpha ∈ {0, 1, 2, 3, ½, −1}. */
export function powscalar(x: v128, a: v128): v128 {
  const p = f32x4.extract_lane(a, 0);
  if (p == 2) return f32x4.mul(x, x);
  if (p == 1) return x;
  if (p == 0) return one();
  if (p == 3) return f32x4.mul(f32x4.mul(x, x), x);
  if (p == 0.5) return f32x4.sqrt(x);
  if (p == -1) return f32x4.div(one(), x);
  return vpow(x, a);
}
