// Elementwise unary ops and activations: one row per op in src/ops/codes.ts, one OpDef for all.
// d f is the `unaryGrad` kernel, which takes x and y = f(x), so rules such as
// d sigmoid = y(1 - y) read like the literature and cost one pass.

import { defineOp, apply } from './registry.js';
import { Unary, UNARY_OPS } from './codes.js';
import { unaryRef } from '../backends/ref.js';
import { Tensor, toTensor, type TensorLike } from '../tensor.js';

/**
 * The parameters of the unary op: the op code (src/ops/codes.ts) and its two constants.
 * @example unary(code, x, alpha, beta): UnaryP is { code, alpha, beta } of apply(unaryDef, [x], p)
 */
export interface UnaryP { code: number; alpha: number; beta: number }

/** Flops per element by code (transcendental ops cost more); the scheduler reads this. */
const FLOPS: readonly number[] = UNARY_OPS.map((r) => r.flops);

/**
 * The op definition behind every elementwise unary function (one kernel, the op code picks the function).
 * @example apply(unaryDef, [x], { code: Unary.relu, alpha: 0, beta: 0 })   // what relu(x) runs
 */
export const unaryDef = defineOp<UnaryP>({
  name: 'unary',
  kernels: ['unary', 'unaryGrad'],
  shape: (ins) => ins[0].shape,
  run(b, out, [x], p) { b.unary(p.code, x.buf, out.buf, x.size, p.alpha, p.beta); },
  grad(dy, [x], y, p) { return [apply(unaryGradDef, [x, y, dy], p)]; },
  cost: ([x], p) => ({ flops: x.size * (FLOPS[p.code] ?? 1), bytes: 8 * x.size }),
});

/**
 * The gradient of `unaryDef`: takes x, y = f(x) and dy, so rules such as σ' = y(1 − y) cost one pass.
 * @example apply(unaryGradDef, [x, relu(x), dy], { code: Unary.relu, alpha: 0, beta: 0 })   // dy where x > 0, else 0
 */
export const unaryGradDef = defineOp<UnaryP>({
  name: 'unaryGrad',
  kernels: ['unaryGrad'],
  shape: (ins) => ins[0].shape,
  run(b, out, [x, y, dy], p) { b.unaryGrad(p.code, x.buf, y.buf, dy.buf, out.buf, x.size, p.alpha, p.beta); },
  cost: ([x], p) => ({ flops: x.size * (FLOPS[p.code] ?? 1), bytes: 16 * x.size }),
});

/**
 * Applies unary op `code` to a tensor, or to a number (returning a number, as NNlib's scalar functions do).
 * @example unary(Unary.tanh, tensor([0, 1]))   // as tanh(tensor([0, 1]))
 *          unary(Unary.relu, -2)               // 0 (a number in, a number out)
 */
export function unary(code: number, x: number, alpha?: number, beta?: number, fn?: string): number;
export function unary(code: number, x: TensorLike, alpha?: number, beta?: number, fn?: string): Tensor;
export function unary(code: number, x: TensorLike, alpha = 0, beta = 0, fn = 'unary'): Tensor | number {
  if (typeof x === 'number') return Math.fround(unaryRef(code, x, alpha, beta));
  return apply(unaryDef, [toTensor(x, fn, 'x')], { code, alpha, beta });
}

type Act = { (x: number): number; (x: TensorLike): Tensor };
const act = (code: number, name: string): Act => ((x: TensorLike) => unary(code, x as Tensor, 0, 0, name)) as Act;

/**
 * identity(x) = x (a copy for tensors).
 * @example identity(tensor([1, -2]))   // [1, -2]
 */
export const identity = act(Unary.identity, 'identity');
/**
 * -x.
 * @example neg(tensor([1, -2]))   // [-1, 2]
 */
export const neg = act(Unary.neg, 'neg');
/**
 * |x|.
 * @example abs(tensor([-1, 2]))   // [1, 2]
 */
export const abs = act(Unary.abs, 'abs');
/**
 * eˣ.
 * @example exp(tensor([0, 1]))   // [1, 2.718...]
 */
export const exp = act(Unary.exp, 'exp');
/**
 * ln x.
 * @example log(tensor([1, Math.E]))   // [0, 1]; log(0) = -Inf
 */
export const log = act(Unary.log, 'log');
/**
 * √x.
 * @example sqrt(tensor([4, 9]))   // [2, 3]
 */
export const sqrt = act(Unary.sqrt, 'sqrt');
/**
 * x².
 * @example square(tensor([-3, 2]))   // [9, 4]
 */
export const square = act(Unary.square, 'square');
/**
 * tanh x.
 * @example Dense(4, 8, tanh)   // as a Dense activation
 *          tanh(tensor([0]))   // [0]
 */
export const tanh = act(Unary.tanh, 'tanh');
/**
 * σ(x) = 1/(1+e⁻ˣ), overflow-safe: `sigmoid(tensor([-100, 0, 100]))`.
 * @example sigmoid(tensor([-100, 0, 100]))   // [0, 0.5, 1], no overflow
 *          Dense(784, 32, sigmoid)
 */
export const sigmoid = act(Unary.sigmoid, 'sigmoid');
/**
 * Alias of sigmoid (Flux's σ).
 * @example Chain(Dense(784, 32, σ), Dense(32, 10), softmax)   // the seed model, in Flux's spelling
 */
export const σ = sigmoid;
/**
 * max(x, 0), NaN preserved.
 * @example relu(tensor([-1, 0, 2]))   // [0, 0, 2]
 *          Dense(784, 256, relu)       // fused into the matmul
 */
export const relu = act(Unary.relu, 'relu');
/**
 * clamp(x, 0, 6).
 * @example relu6(tensor([-1, 3, 9]))   // [0, 3, 6]
 */
export const relu6 = act(Unary.relu6, 'relu6');
/**
 * λ(x>0 ? x : α(eˣ−1)) with NNlib's constants.
 * @example Dense(64, 64, selu)   // self-normalising layers
 *          selu(0)              // 0
 */
export const selu = act(Unary.selu, 'selu');
/**
 * x/2·(1 + tanh(√(2/π)(x + 0.044715x³))).
 * @example Dense(512, 2048, gelu)   // the transformer MLP activation
 *          gelu(0)                  // 0
 */
export const gelu = act(Unary.gelu, 'gelu');
/**
 * x·σ(x).
 * @example swish(tensor([0, 1]))   // [0, 0.731...]
 */
export const swish = act(Unary.swish, 'swish');
/**
 * clamp((x+3)/6, 0, 1).
 * @example hardsigmoid(tensor([-3, 0, 3]))   // [0, 0.5, 1]
 */
export const hardsigmoid = act(Unary.hardsigmoid, 'hardsigmoid');
/**
 * Alias (Flux's hardσ).
 * @example Dense(16, 16, hardσ)
 */
export const hardσ = hardsigmoid;
/**
 * x·hardsigmoid(x).
 * @example hardswish(tensor([-3, 0, 3]))   // [0, 0, 3]
 */
export const hardswish = act(Unary.hardswish, 'hardswish');
/**
 * log(1 + eˣ), overflow-safe.
 * @example softplus(tensor([0, 100]))   // [0.693..., 100], no overflow
 */
export const softplus = act(Unary.softplus, 'softplus');
/**
 * x/(1 + |x|).
 * @example softsign(tensor([-1, 0, 3]))   // [-0.5, 0, 0.75]
 */
export const softsign = act(Unary.softsign, 'softsign');
/**
 * x·tanh(softplus(x)).
 * @example Dense(32, 32, mish)
 *          mish(0)   // 0
 */
export const mish = act(Unary.mish, 'mish');
/**
 * log σ(x) = −softplus(−x).
 * @example logsigmoid(tensor([0]))   // [-0.693...]
 */
export const logsigmoid = act(Unary.logsigmoid, 'logsigmoid');
/**
 * Alias (Flux's logσ).
 * @example logσ(tensor([-100]))   // [-100], where log(σ(x)) would give -Inf
 */
export const logσ = logsigmoid;
/**
 * sign(x), 0 at 0.
 * @example sign(tensor([-2, 0, 5]))   // [-1, 0, 1]
 */
export const sign = act(Unary.sign, 'sign');
/**
 * 1/x.
 * @example reciprocal(tensor([2, 4]))   // [0.5, 0.25]
 */
export const reciprocal = act(Unary.reciprocal, 'reciprocal');
/**
 * ln(1 + x).
 * @example log1p(tensor([0, 1e-8]))   // [0, 1e-8], accurate near 0
 */
export const log1p = act(Unary.log1p, 'log1p');

/**
 * x > 0 ? x : a·x (a = 0.01): `leakyrelu(x, 0.2)`.
 * @example leakyrelu(tensor([-1, 2]))        // [-0.01, 2]
 *          Chain(Dense(4, 4), (x) => leakyrelu(x, 0.2))
 */
export function leakyrelu(x: number, a?: number): number;
export function leakyrelu(x: TensorLike, a?: number): Tensor;
export function leakyrelu(x: TensorLike, a = 0.01): Tensor | number { return unary(Unary.leakyrelu, x as Tensor, a, 0, 'leakyrelu'); }
/**
 * x ≥ 0 ? x : α(eˣ − 1) (α = 1).
 * @example elu(tensor([-1, 1]))   // [-0.632..., 1]
 */
export function elu(x: number, alpha?: number): number;
export function elu(x: TensorLike, alpha?: number): Tensor;
export function elu(x: TensorLike, alpha = 1): Tensor | number { return unary(Unary.elu, x as Tensor, alpha, 0, 'elu'); }
/**
 * x ≥ 0 ? x : α(e^(x/α) − 1) (α = 1).
 * @example celu(tensor([-1, 1]), 2)   // [-0.787..., 1]
 */
export function celu(x: number, alpha?: number): number;
export function celu(x: TensorLike, alpha?: number): Tensor;
export function celu(x: TensorLike, alpha = 1): Tensor | number {
  if (alpha === 0) throw new RangeError('celu: alpha must be non-zero');
  return unary(Unary.celu, x as Tensor, alpha, 0, 'celu');
}
/**
 * min(max(x, lo), hi): `clamp(x, -1, 1)`.
 * @example clamp(tensor([-2, 0.5, 3]), -1, 1)   // [-1, 0.5, 1]
 */
export function clamp(x: TensorLike, lo: number, hi: number): Tensor {
  if (!(lo <= hi)) throw new RangeError(`clamp: lo (${lo}) must not exceed hi (${hi})`);
  return unary(Unary.clamp, x, lo, hi, 'clamp');
}
