// act: every unary op's forward f_NAME(x, a, b) and derivative df_NAME(x, y, a, b) on four lanes,
// NAME as in UNARY_OPS (src/ops/codes.ts); a = splat(alpha), b = splat(beta), y = f_NAME(x).
// This file is the whole AS side of an activation: scripts/asbuild.mjs generates the unary,
// unaryGrad and biasAct dispatch from the table and calls these pairs by name, so a row without
// its pair here is a compile error. All @inline: each op's per-op loop gets its body inlined.
// Clamps use pmin/pmax (one minps/maxps; wasm min/max cost ~6 instructions in V8) with the data
// as first operand, so NaN inputs still come out NaN. Derivatives at kinks follow
// src/backends/ref.ts: relu'(0) = 0, abs'(0) = 0, sign' = 0, elu'(0) = celu'(0) = 1,
// clamp' = 1 on [alpha, beta] (inclusive, as ChainRules), hardsigmoid' = 1/6 on (−3, 3),
// relu6' = 1 on (0, 6). Where y is cheaper than x (exp, tanh, sigmoid, sqrt, elu, selu) the
// derivative uses it, so y must point at n readable floats even for ops that ignore it.
import { SELU_L, SELU_A, GELU_S, GELU_C } from "../build/gen/codes";
import { vexp, vlog, vexpm1, vlog1p, vsigmoid, vtanh, vlog1pexp_neg_abs, vpow, sel } from "./simd";

@inline function zero(): v128 { return f32x4.splat(0); }
@inline function one(): v128 { return f32x4.splat(1); }
/** All-ones lanes where lo < x < hi. */
@inline function inside(x: v128, lo: f32, hi: f32): v128 {
  return v128.and(f32x4.gt(x, f32x4.splat(lo)), f32x4.lt(x, f32x4.splat(hi)));
}

@inline export function f_identity(x: v128, a: v128, b: v128): v128 { return x; }
@inline export function df_identity(x: v128, y: v128, a: v128, b: v128): v128 { return one(); }

@inline export function f_neg(x: v128, a: v128, b: v128): v128 { return f32x4.neg(x); }
@inline export function df_neg(x: v128, y: v128, a: v128, b: v128): v128 { return f32x4.splat(-1); }

@inline export function f_abs(x: v128, a: v128, b: v128): v128 { return f32x4.abs(x); }
@inline export function df_abs(x: v128, y: v128, a: v128, b: v128): v128 {
  return sel(f32x4.gt(x, zero()), one(), sel(f32x4.lt(x, zero()), f32x4.splat(-1), zero()));
}

@inline export function f_exp(x: v128, a: v128, b: v128): v128 { return vexp(x); }
@inline export function df_exp(x: v128, y: v128, a: v128, b: v128): v128 { return y; }

@inline export function f_log(x: v128, a: v128, b: v128): v128 { return vlog(x); }
@inline export function df_log(x: v128, y: v128, a: v128, b: v128): v128 { return f32x4.div(one(), x); }

@inline export function f_sqrt(x: v128, a: v128, b: v128): v128 { return f32x4.sqrt(x); }
@inline export function df_sqrt(x: v128, y: v128, a: v128, b: v128): v128 { return f32x4.div(f32x4.splat(0.5), y); }

@inline export function f_square(x: v128, a: v128, b: v128): v128 { return f32x4.mul(x, x); }
@inline export function df_square(x: v128, y: v128, a: v128, b: v128): v128 { return f32x4.add(x, x); }

@inline export function f_tanh(x: v128, a: v128, b: v128): v128 { return vtanh(x); }
@inline export function df_tanh(x: v128, y: v128, a: v128, b: v128): v128 { return f32x4.sub(one(), f32x4.mul(y, y)); }

@inline export function f_sigmoid(x: v128, a: v128, b: v128): v128 { return vsigmoid(x); }
@inline export function df_sigmoid(x: v128, y: v128, a: v128, b: v128): v128 { return f32x4.mul(y, f32x4.sub(one(), y)); }

@inline export function f_relu(x: v128, a: v128, b: v128): v128 { return sel(f32x4.lt(x, zero()), zero(), x); }
@inline export function df_relu(x: v128, y: v128, a: v128, b: v128): v128 { return v128.and(f32x4.gt(x, zero()), one()); }

@inline export function f_relu6(x: v128, a: v128, b: v128): v128 { return f32x4.pmin(f32x4.pmax(x, zero()), f32x4.splat(6)); }
@inline export function df_relu6(x: v128, y: v128, a: v128, b: v128): v128 { return v128.and(inside(x, 0, 6), one()); }

@inline export function f_leakyrelu(x: v128, a: v128, b: v128): v128 { return sel(f32x4.gt(x, zero()), x, f32x4.mul(a, x)); }
@inline export function df_leakyrelu(x: v128, y: v128, a: v128, b: v128): v128 { return sel(f32x4.gt(x, zero()), one(), a); }

@inline export function f_elu(x: v128, a: v128, b: v128): v128 { return sel(f32x4.ge(x, zero()), x, f32x4.mul(a, vexpm1(x))); }
@inline export function df_elu(x: v128, y: v128, a: v128, b: v128): v128 { return sel(f32x4.ge(x, zero()), one(), f32x4.add(y, a)); }

@inline export function f_celu(x: v128, a: v128, b: v128): v128 {
  return sel(f32x4.ge(x, zero()), x, f32x4.mul(a, vexpm1(f32x4.div(x, a))));
}
@inline export function df_celu(x: v128, y: v128, a: v128, b: v128): v128 {
  return sel(f32x4.ge(x, zero()), one(), f32x4.add(f32x4.div(y, a), one()));
}

@inline export function f_selu(x: v128, a: v128, b: v128): v128 {
  return f32x4.mul(f32x4.splat(SELU_L), sel(f32x4.gt(x, zero()), x, f32x4.mul(f32x4.splat(SELU_A), vexpm1(x))));
}
@inline export function df_selu(x: v128, y: v128, a: v128, b: v128): v128 {
  return sel(f32x4.gt(x, zero()), f32x4.splat(SELU_L), f32x4.add(y, f32x4.splat(SELU_L * SELU_A)));
}

/** 2z = 2·√(2/π)(x + 0.044715x³), the sigmoid argument of tanh-gelu: ½(1 + tanh z) = σ(2z). */
@inline function gelu_2z(x: v128): v128 {
  const x2 = f32x4.mul(x, x);
  return f32x4.mul(f32x4.mul(x, f32x4.splat(2 * GELU_S)), f32x4.add(one(), f32x4.mul(f32x4.splat(GELU_C), x2)));
}
@inline export function f_gelu(x: v128, a: v128, b: v128): v128 { return f32x4.mul(x, vsigmoid(gelu_2z(x))); }
@inline export function df_gelu(x: v128, y: v128, a: v128, b: v128): v128 {
  // q = σ(2z) = ½(1 + tanh z); f' = q + x·2q(1 − q)·√(2/π)(1 + 3c·x²)
  const q = vsigmoid(gelu_2z(x));
  const dz = f32x4.mul(f32x4.splat(GELU_S), f32x4.add(one(), f32x4.mul(f32x4.splat(3 * GELU_C), f32x4.mul(x, x))));
  const d = f32x4.add(q, f32x4.mul(f32x4.mul(f32x4.add(x, x), f32x4.mul(q, f32x4.sub(one(), q))), dz));
  // |x| > 10: x² overflows to 0·Inf; the derivative is its limit there (1 or 0), as in ref.ts
  return sel(f32x4.gt(f32x4.abs(x), f32x4.splat(10)), v128.and(f32x4.gt(x, zero()), one()), d);
}

@inline export function f_swish(x: v128, a: v128, b: v128): v128 { return f32x4.mul(x, vsigmoid(x)); }
@inline export function df_swish(x: v128, y: v128, a: v128, b: v128): v128 {
  const s = vsigmoid(x); // σ(1 + x(1 − σ))
  return f32x4.mul(s, f32x4.add(one(), f32x4.mul(x, f32x4.sub(one(), s))));
}

@inline function hardsigmoid(x: v128): v128 {
  return f32x4.pmin(f32x4.pmax(f32x4.mul(f32x4.add(x, f32x4.splat(3)), f32x4.splat(1.0 / 6.0)), zero()), one());
}
@inline export function f_hardsigmoid(x: v128, a: v128, b: v128): v128 { return hardsigmoid(x); }
@inline export function df_hardsigmoid(x: v128, y: v128, a: v128, b: v128): v128 {
  return v128.and(inside(x, -3, 3), f32x4.splat(1.0 / 6.0));
}

@inline export function f_hardswish(x: v128, a: v128, b: v128): v128 { return f32x4.mul(x, hardsigmoid(x)); }
@inline export function df_hardswish(x: v128, y: v128, a: v128, b: v128): v128 {
  return sel(f32x4.lt(x, f32x4.splat(-3)), zero(), sel(f32x4.gt(x, f32x4.splat(3)), one(),
    f32x4.mul(f32x4.add(f32x4.add(x, x), f32x4.splat(3)), f32x4.splat(1.0 / 6.0))));
}

@inline export function f_softplus(x: v128, a: v128, b: v128): v128 { return f32x4.add(f32x4.pmax(x, zero()), vlog1pexp_neg_abs(x)); }
@inline export function df_softplus(x: v128, y: v128, a: v128, b: v128): v128 { return vsigmoid(x); }

@inline export function f_softsign(x: v128, a: v128, b: v128): v128 { return f32x4.div(x, f32x4.add(one(), f32x4.abs(x))); }
@inline export function df_softsign(x: v128, y: v128, a: v128, b: v128): v128 {
  const d = f32x4.add(one(), f32x4.abs(x));
  return f32x4.div(one(), f32x4.mul(d, d));
}

@inline export function f_mish(x: v128, a: v128, b: v128): v128 {
  return f32x4.mul(x, vtanh(f32x4.add(f32x4.pmax(x, zero()), vlog1pexp_neg_abs(x))));
}
@inline export function df_mish(x: v128, y: v128, a: v128, b: v128): v128 {
  const t = vtanh(f32x4.add(f32x4.max(x, zero()), vlog1pexp_neg_abs(x)));
  return f32x4.add(t, f32x4.mul(f32x4.mul(x, f32x4.sub(one(), f32x4.mul(t, t))), vsigmoid(x)));
}

@inline export function f_logsigmoid(x: v128, a: v128, b: v128): v128 { return f32x4.sub(f32x4.pmin(x, zero()), vlog1pexp_neg_abs(x)); }
@inline export function df_logsigmoid(x: v128, y: v128, a: v128, b: v128): v128 { return vsigmoid(f32x4.neg(x)); }

@inline export function f_sign(x: v128, a: v128, b: v128): v128 {
  return sel(f32x4.gt(x, zero()), one(), sel(f32x4.lt(x, zero()), f32x4.splat(-1), f32x4.mul(x, zero())));
}
@inline export function df_sign(x: v128, y: v128, a: v128, b: v128): v128 { return zero(); }

@inline export function f_reciprocal(x: v128, a: v128, b: v128): v128 { return f32x4.div(one(), x); }
@inline export function df_reciprocal(x: v128, y: v128, a: v128, b: v128): v128 { return f32x4.div(f32x4.splat(-1), f32x4.mul(x, x)); }

@inline export function f_log1p(x: v128, a: v128, b: v128): v128 { return vlog1p(x); }
@inline export function df_log1p(x: v128, y: v128, a: v128, b: v128): v128 { return f32x4.div(one(), f32x4.add(one(), x)); }

@inline export function f_clamp(x: v128, a: v128, b: v128): v128 { return f32x4.pmin(f32x4.pmax(x, a), b); }
@inline export function df_clamp(x: v128, y: v128, a: v128, b: v128): v128 {
  return v128.and(v128.and(f32x4.ge(x, a), f32x4.le(x, b)), one());
}

/** x^alpha with exact fast paths for alpha ∈ {0, 1, 2, 3, ½, −1}. */
export function f_powscalar(x: v128, a: v128, b: v128): v128 {
  const p = f32x4.extract_lane(a, 0);
  if (p == 2) return f32x4.mul(x, x);
  if (p == 1) return x;
  if (p == 0) return one();
  if (p == 3) return f32x4.mul(f32x4.mul(x, x), x);
  if (p == 0.5) return sel(f32x4.eq(x, f32x4.splat(-Infinity)), f32x4.splat(Infinity), f32x4.sqrt(x));   // IEEE pow(-Inf, ½)
  if (p == -1) return f32x4.div(one(), x);
  return vpow(x, a);
}
@inline export function df_powscalar(x: v128, y: v128, a: v128, b: v128): v128 {
  const p = f32x4.extract_lane(a, 0);
  if (p == 2) return f32x4.add(x, x);
  if (p == 1) return one();
  if (p == 0) return zero();
  return f32x4.mul(a, vpow(x, f32x4.sub(a, one())));
}

@inline export function f_addscalar(x: v128, a: v128, b: v128): v128 { return f32x4.add(x, a); }
@inline export function df_addscalar(x: v128, y: v128, a: v128, b: v128): v128 { return one(); }

@inline export function f_mulscalar(x: v128, a: v128, b: v128): v128 { return f32x4.mul(x, a); }
@inline export function df_mulscalar(x: v128, y: v128, a: v128, b: v128): v128 { return a; }
