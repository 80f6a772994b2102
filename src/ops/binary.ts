// Elementwise binary ops with broadcasting (broadcast.ts). A plain number on either side of
// add/sub/mul/div/pow becomes a scalar op (no tensor is made for it). Gradients of broadcast
// inputs are summed back to their shapes by autograd (sumTo).

import { defineOp, apply } from './registry.js';
import { Binary, Unary } from './codes.js';
import { plan, wideOrNull, type Plan } from './broadcast.js';
import { expand } from './permute.js';
import { unary, unaryDef } from './unary.js';
import { Tensor, toTensor, sameShape, type TensorLike, type Shape } from '../tensor.js';

/**
 * The parameters of the binary op: the op code, the calling function's name (for errors) and the broadcast plan.
 * @example apply(binaryDef, [a, b], { code: Binary.add, name: 'add' })   // what add(a, b) runs
 */
export interface BinaryP { code: number; name: string; plan?: Plan; target?: Shape }

// One-entry cache: training loops repeat the same shape pair many times in a row.
let lastA: Shape | null = null, lastB: Shape | null = null, lastPlan: Plan | null = null;
function planFor(a: Tensor, b: Tensor, fn: string): Plan {
  if (lastA === a.shape && lastB === b.shape) return lastPlan!;
  const p = sameShape(a.shape, b.shape)
    ? { shape: a.shape as number[], d: [1, 1, a.size] as Plan['d'], as: [0, 0, 1] as Plan['as'], bs: [0, 0, 1] as Plan['bs'] }
    : plan(a.shape, b.shape, fn);
  lastA = a.shape; lastB = b.shape; lastPlan = p;
  return p;
}

/**
 * The op definition behind every elementwise binary function, with broadcasting.
 * @example apply(binaryDef, [x, y], { code: Binary.mul, name: 'mul' })   // as mul(x, y)
 */
export const binaryDef = defineOp<BinaryP>({
  name: 'binary',
  kernels: ['binary'],
  shape(ins, p) {
    if (p.target) {                                  // broadcastTo: b is a scalar read with stride 0
      const q = plan(ins[0].shape, p.target, p.name);
      if (!sameShape(q.shape, p.target)) throw new RangeError(`${p.name}: shape [${ins[0].shape}] cannot be broadcast to [${p.target}]`);
      p.plan = { ...q, bs: [0, 0, 0] };
    } else p.plan = planFor(ins[0], ins[1], p.name);
    return p.plan.shape;
  },
  run(b, out, [x, y], p) {
    const { d, as, bs } = p.plan!;
    b.binary(p.code, x.buf, y.buf, out.buf, d[0], d[1], d[2], as[0], as[1], as[2], bs[0], bs[1], bs[2]);
  },
  grad(dy, [a, b], c, p, needs) {
    switch (p.code) {
      case Binary.add: return [dy, dy];
      case Binary.sub: return [dy, needs[1] ? neg(dy) : null];
      case Binary.mul: return [needs[0] ? mul(dy, b) : null, needs[1] ? mul(dy, a) : null];
      case Binary.div: return [needs[0] ? div(dy, b) : null, needs[1] ? neg(mul(dy, div(c, b))) : null]; // d(a/b)/db = -c/b
      case Binary.pow: return [needs[0] ? mul(dy, mul(b, pow(a, sub(b, 1)))) : null,
                               needs[1] ? mul(dy, mul(c, unary(Unary.log, a))) : null];
      case Binary.maximum: case Binary.minimum: {
        const m = p.code === Binary.maximum ? greaterEq(a, b) : greaterEq(b, a); // ties go to a
        return [needs[0] ? mul(dy, m) : null, needs[1] ? mul(dy, sub(1, m)) : null];
      }
      case Binary.xlogy: return [needs[0] ? mul(dy, unary(Unary.log, b)) : null, needs[1] ? mul(dy, div(a, b)) : null];
      default: return [null, null];                  // comparisons are piecewise constant
    }
  },
  cost: (_i, p) => ({ flops: p.plan!.d[0] * p.plan!.d[1] * p.plan!.d[2], bytes: 12 * p.plan!.d[0] * p.plan!.d[1] * p.plan!.d[2] }),
});

function bin(code: number, name: string, a0: TensorLike, b0: TensorLike): Tensor {
  let a = toTensor(a0, name, 'a'), b = toTensor(b0, name, 'b');
  const w = sameShape(a.shape, b.shape) ? null : wideOrNull(a.shape, b.shape, name);
  if (w) { a = expand(a, w.shape, w.sa); b = expand(b, w.shape, w.sb); }
  return apply(binaryDef, [a, b], { code, name });
}

const scalar = (code: number, name: string, x: TensorLike, alpha: number) =>
  apply(unaryDef, [toTensor(x, name, 'a')], { code, alpha, beta: 0 });

/**
 * a + b with broadcasting: `add(x, 1)`, `add(W.matmul(x), b)`.
 * @example add(tensor([[1], [2]]), tensor([10, 20, 30]).reshape([1, 3]))   // [[11, 21, 31], [12, 22, 32]]
 *          add(x, 1)   // or x.add(1)
 */
export function add(a: TensorLike, b: TensorLike): Tensor {
  if (typeof b === 'number') return scalar(Unary.addscalar, 'add', a, b);
  if (typeof a === 'number') return scalar(Unary.addscalar, 'add', b, a);
  return bin(Binary.add, 'add', a, b);
}
/**
 * a − b with broadcasting.
 * @example sub(tensor([3, 4]), 1)   // [2, 3]
 *          sub(1, x)   // 1 − x
 */
export function sub(a: TensorLike, b: TensorLike): Tensor {
  if (typeof b === 'number') return scalar(Unary.addscalar, 'sub', a, -b);
  if (typeof a === 'number') return add(neg(toTensor(b, 'sub', 'b')), a);
  return bin(Binary.sub, 'sub', a, b);
}
/**
 * a · b elementwise, with broadcasting.
 * @example mul(tensor([1, 2]), tensor([3, 4]))   // [3, 8]
 *          mul(x, 0.5)
 */
export function mul(a: TensorLike, b: TensorLike): Tensor {
  if (typeof b === 'number') return scalar(Unary.mulscalar, 'mul', a, b);
  if (typeof a === 'number') return scalar(Unary.mulscalar, 'mul', b, a);
  return bin(Binary.mul, 'mul', a, b);
}
/**
 * a / b elementwise, with broadcasting.
 * @example div(tensor([3, 4]), 2)   // [1.5, 2]
 *          div(x, sum(x))   // normalise
 */
export function div(a: TensorLike, b: TensorLike): Tensor {
  if (typeof b === 'number') return scalar(Unary.mulscalar, 'div', a, 1 / b);
  if (typeof a === 'number') return mul(unary(Unary.reciprocal, toTensor(b, 'div', 'b')), a);
  return bin(Binary.div, 'div', a, b);
}
/**
 * aᵇ elementwise: `pow(x, 2)`.
 * @example pow(tensor([2, 3]), 2)   // [4, 9]
 *          pow(2, tensor([0, 1]))    // [1, 2]
 */
export function pow(a: TensorLike, b: TensorLike): Tensor {
  if (typeof b === 'number') return scalar(Unary.powscalar, 'pow', a, b);
  return bin(Binary.pow, 'pow', a, b);
}
/**
 * Elementwise max(a, b).
 * @example maximum(tensor([1, 5]), tensor([3, 2]))   // [3, 5]
 */
export const maximum = (a: TensorLike, b: TensorLike) => bin(Binary.maximum, 'maximum', a, b);
/**
 * Elementwise min(a, b).
 * @example minimum(x, 0)   // the negative part of x
 */
export const minimum = (a: TensorLike, b: TensorLike) => bin(Binary.minimum, 'minimum', a, b);
/**
 * 1 where a > b, else 0.
 * @example greater(tensor([1, 3]), 2)   // [0, 1]
 */
export const greater = (a: TensorLike, b: TensorLike) => bin(Binary.greater, 'greater', a, b);
/**
 * 1 where a == b, else 0.
 * @example mean(equal(onecold(m(x)), onecold(y)))   // accuracy
 */
export const equal = (a: TensorLike, b: TensorLike) => bin(Binary.equal, 'equal', a, b);
/**
 * a·log(b), exactly 0 where a == 0 (Flux's xlogy).
 * @example xlogy(tensor([0, 2]), tensor([0, Math.E]))   // [0, 2] (0·log 0 = 0)
 */
export const xlogy = (a: TensorLike, b: TensorLike) => bin(Binary.xlogy, 'xlogy', a, b);
/**
 * 1 where a ≥ b.
 * @example greaterEq(tensor([1, 2, 3]), 2)   // [0, 1, 1]
 */
export const greaterEq = (a: TensorLike, b: TensorLike) => {
  const ta = toTensor(a, 'greaterEq', 'a'), tb = toTensor(b, 'greaterEq', 'b');
  return sub(1, bin(Binary.greater, 'greaterEq', tb, ta));
};
const neg = (x: Tensor) => unary(Unary.neg, x);
