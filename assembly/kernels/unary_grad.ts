// unary_grad: dx[i] = dy[i]·f_op'(x[i]); y = f_op(x) is given and used where it is cheaper
// (exp: y, tanh: 1 − y², sigmoid: y(1 − y), sqrt: ½/y, elu/selu: y + α), so y must point at n
// readable floats even for ops that ignore it. At kinks (as src/backends/ref.ts): relu'(0) = 0,
// abs'(0) = 0, sign' = 0, elu'(0) = celu'(0) = 1, clamp' = 1 on [alpha, beta] (inclusive, as
// ChainRules' clamp), hardsigmoid' = 1/6 on (−3, 3), relu6' = 1 on (0, 6). O(n).
import * as C from "../codes";
import { vsigmoid, vtanh, vlog1pexp_neg_abs, vpow, sel, tailLoad, tailStore } from "../simd";
import { gelu_2z } from "../act";

const SELU_L: f32 = 1.0507009873554805;
const SELU_A: f32 = 1.6732632423543772;
const GELU_S: f32 = 0.7978845608028654;
const GELU_C: f32 = 0.044715;

@inline function zero(): v128 { return f32x4.splat(0); }
@inline function one(): v128 { return f32x4.splat(1); }
@inline function inside(x: v128, lo: f32, hi: f32): v128 {
  return v128.and(f32x4.gt(x, f32x4.splat(lo)), f32x4.lt(x, f32x4.splat(hi)));
}

/** f_op'(x) on four lanes (y = f_op(x)). */
@inline function vderiv(op: i32, x: v128, y: v128, a: v128, b: v128): v128 {
  switch (op) {
    case C.U_IDENTITY: return one();
    case C.U_NEG: return f32x4.splat(-1);
    case C.U_ABS: return sel(f32x4.gt(x, zero()), one(), sel(f32x4.lt(x, zero()), f32x4.splat(-1), zero()));
    case C.U_EXP: return y;
    case C.U_LOG: return f32x4.div(one(), x);
    case C.U_SQRT: return f32x4.div(f32x4.splat(0.5), y);
    case C.U_SQUARE: return f32x4.add(x, x);
    case C.U_TANH: return f32x4.sub(one(), f32x4.mul(y, y));
    case C.U_SIGMOID: return f32x4.mul(y, f32x4.sub(one(), y));
    case C.U_RELU: return v128.and(f32x4.gt(x, zero()), one());
    case C.U_RELU6: return v128.and(inside(x, 0, 6), one());
    case C.U_LEAKYRELU: return sel(f32x4.gt(x, zero()), one(), a);
    case C.U_ELU: return sel(f32x4.ge(x, zero()), one(), f32x4.add(y, a));
    case C.U_CELU: return sel(f32x4.ge(x, zero()), one(), f32x4.add(f32x4.div(y, a), one()));
    case C.U_SELU: return sel(f32x4.gt(x, zero()), f32x4.splat(SELU_L), f32x4.add(y, f32x4.splat(SELU_L * SELU_A)));
    case C.U_GELU: {
      // q = σ(2z) = ½(1 + tanh z); f' = q + x·2q(1 − q)·√(2/π)(1 + 3c·x²)
      const q = vsigmoid(gelu_2z(x));
      const dz = f32x4.mul(f32x4.splat(GELU_S), f32x4.add(one(), f32x4.mul(f32x4.splat(3 * GELU_C), f32x4.mul(x, x))));
      return f32x4.add(q, f32x4.mul(f32x4.mul(f32x4.add(x, x), f32x4.mul(q, f32x4.sub(one(), q))), dz));
    }
    case C.U_SWISH: {
      const s = vsigmoid(x); // σ(1 + x(1 − σ))
      return f32x4.mul(s, f32x4.add(one(), f32x4.mul(x, f32x4.sub(one(), s))));
    }
    case C.U_HARDSIGMOID: return v128.and(inside(x, -3, 3), f32x4.splat(1.0 / 6.0));
    case C.U_HARDSWISH:
      return sel(f32x4.lt(x, f32x4.splat(-3)), zero(), sel(f32x4.gt(x, f32x4.splat(3)), one(),
        f32x4.mul(f32x4.add(f32x4.add(x, x), f32x4.splat(3)), f32x4.splat(1.0 / 6.0))));
    case C.U_SOFTPLUS: return vsigmoid(x);
    case C.U_SOFTSIGN: {
      const d = f32x4.add(one(), f32x4.abs(x));
      return f32x4.div(one(), f32x4.mul(d, d));
    }
    case C.U_MISH: {
      const t = vtanh(f32x4.add(f32x4.max(x, zero()), vlog1pexp_neg_abs(x)));
      return f32x4.add(t, f32x4.mul(f32x4.mul(x, f32x4.sub(one(), f32x4.mul(t, t))), vsigmoid(x)));
    }
    case C.U_LOGSIGMOID: return vsigmoid(f32x4.neg(x));
    case C.U_SIGN: return zero();
    case C.U_RECIPROCAL: return f32x4.div(f32x4.splat(-1), f32x4.mul(x, x));
    case C.U_LOG1P: return f32x4.div(one(), f32x4.add(one(), x));
    case C.U_CLAMP: return v128.and(v128.and(f32x4.ge(x, a), f32x4.le(x, b)), one());
    case C.U_POWSCALAR: {
      const p = f32x4.extract_lane(a, 0);
      if (p == 2) return f32x4.add(x, x);
      if (p == 1) return one();
      if (p == 0) return zero();
      return f32x4.mul(a, vpow(x, f32x4.sub(a, one())));
    }
    case C.U_ADDSCALAR: return one();
    case C.U_MULSCALAR: return a;
  }
  return one();
}

@inline function map_grad(op: i32, x: usize, y: usize, dy: usize, dx: usize, n: i32, alpha: f32, beta: f32): void {
  const a = f32x4.splat(alpha), b = f32x4.splat(beta);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(dx + o, f32x4.mul(v128.load(dy + o), vderiv(op, v128.load(x + o), v128.load(y + o), a, b)));
  }
  const r = n - i, o = <usize>i << 2;
  if (r > 0) {
    const d = vderiv(op, tailLoad(x + o, r, 0), tailLoad(y + o, r, 1), a, b);
    tailStore(f32x4.mul(tailLoad(dy + o, r, 2), d), dx + o, r);
  }
}

export function unary_grad_f32(op: i32, x: usize, y: usize, dy: usize, dx: usize, n: i32, alpha: f32, beta: f32): void {
  switch (op) {
    case 0: map_grad(0, x, y, dy, dx, n, alpha, beta); break;
    case 1: map_grad(1, x, y, dy, dx, n, alpha, beta); break;
    case 2: map_grad(2, x, y, dy, dx, n, alpha, beta); break;
    case 3: map_grad(3, x, y, dy, dx, n, alpha, beta); break;
    case 4: map_grad(4, x, y, dy, dx, n, alpha, beta); break;
    case 5: map_grad(5, x, y, dy, dx, n, alpha, beta); break;
    case 6: map_grad(6, x, y, dy, dx, n, alpha, beta); break;
    case 7: map_grad(7, x, y, dy, dx, n, alpha, beta); break;
    case 8: map_grad(8, x, y, dy, dx, n, alpha, beta); break;
    case 9: map_grad(9, x, y, dy, dx, n, alpha, beta); break;
    case 10: map_grad(10, x, y, dy, dx, n, alpha, beta); break;
    case 11: map_grad(11, x, y, dy, dx, n, alpha, beta); break;
    case 12: map_grad(12, x, y, dy, dx, n, alpha, beta); break;
    case 13: map_grad(13, x, y, dy, dx, n, alpha, beta); break;
    case 14: map_grad(14, x, y, dy, dx, n, alpha, beta); break;
    case 15: map_grad(15, x, y, dy, dx, n, alpha, beta); break;
    case 16: map_grad(16, x, y, dy, dx, n, alpha, beta); break;
    case 17: map_grad(17, x, y, dy, dx, n, alpha, beta); break;
    case 18: map_grad(18, x, y, dy, dx, n, alpha, beta); break;
    case 19: map_grad(19, x, y, dy, dx, n, alpha, beta); break;
    case 20: map_grad(20, x, y, dy, dx, n, alpha, beta); break;
    case 21: map_grad(21, x, y, dy, dx, n, alpha, beta); break;
    case 22: map_grad(22, x, y, dy, dx, n, alpha, beta); break;
    case 23: map_grad(23, x, y, dy, dx, n, alpha, beta); break;
    case 24: map_grad(24, x, y, dy, dx, n, alpha, beta); break;
    case 25: map_grad(25, x, y, dy, dx, n, alpha, beta); break;
    case 26: map_grad(26, x, y, dy, dx, n, alpha, beta); break;
    case 27: map_grad(27, x, y, dy, dx, n, alpha, beta); break;
    case 28: map_grad(28, x, y, dy, dx, n, alpha, beta); break;
    case 29: map_grad(29, x, y, dy, dx, n, alpha, beta); break;
  }
}
