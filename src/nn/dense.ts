// Dense: y = σ.(W·x .+ b), Flux's fully connected layer. W is [out, in], x is [in] or
// [in, B] (N-d input is reshaped to [in, :] and back, as in Flux). Activations the fused
// `dense` op supports run inside it (one matmul + one bias/activation pass); any other
// function is applied after dense(identity).

import { Tensor, toTensor, describe, type TensorLike } from '../tensor.js';
import { dense } from '../ops/dense.js';
import { Unary, UNARY_OPS, FUSED } from '../ops/codes.js';
import * as u from '../ops/unary.js';
import { softmax, logsoftmax } from '../ops/softmax.js';
import { reshape } from '../ops/shape.js';
import { makeLayer, alias, biasArg, ioArgs, type Layer } from './layer.js';
import { glorot_uniform, initWeight, type Init } from './init.js';
import { options, fail } from '../check.js';

/**
 * An activation: any function on tensors (elementwise).
 * @example const act: Activation = (x) => mul(x, sigmoid(x));
 *          Dense(10, 10, act)
 */
export type Activation = (x: Tensor) => Tensor;

/** Unary op code of the activations the fused op can run, identified by function identity. */
const CODES = new Map<unknown, number>([...FUSED].map((c) => [(u as Record<string, unknown>)[UNARY_OPS[c].name], c]));
/** The fused op's code for activation σ (undefined: σ runs after the fused op). */
export const fusedCode = (σ: unknown): number | undefined => CODES.get(σ);

/**
 * What `Dense(in, out, σ, opts)` accepts: `bias` (false, or the initial values) and `init` (the weight initialiser).
 * @example Dense(784, 32, relu, { init: kaiming_uniform, bias: false })
 */
export interface DenseOptions { bias?: boolean | TensorLike; init?: Init }
export type Dense = Layer<{ weight: Tensor; bias: Tensor | false; σ: Activation; W: Tensor; b: Tensor | false }>;

/**
 * A fully connected layer y = σ.(W·x .+ b) with W [out, in] (glorot_uniform) and b [out] (zeros).
 * Also `Dense([in, out], σ)` for Flux's `in => out`, and `Dense(W, bias = true, σ)`.
 * @example const d = Dense(784, 32, relu);
 *          d(rand(784, 64)).shape            // [32, 64]
 */
export function Dense(inp: number, out: number, σ?: Activation, opts?: DenseOptions): Dense;
export function Dense(io: readonly [number, number], σ?: Activation, opts?: DenseOptions): Dense;
export function Dense(W: Tensor, bias?: boolean | TensorLike, σ?: Activation): Dense;
export function Dense(a: number | readonly number[] | Tensor, b?: unknown, c?: unknown, d?: unknown): Dense {
  let W: Tensor, bias: boolean | TensorLike, σ: unknown, name: string;
  if (a instanceof Tensor) {
    if (a.disposed) fail('Dense', 'weight must be a live tensor', a);
    if (a.rank !== 2) throw new RangeError(`Dense: weight must be a matrix [out, in], got shape [${a.shape.join(', ')}]`);
    W = a; bias = (b === undefined ? true : b) as boolean | TensorLike; σ = c === undefined ? u.identity : c;
    name = `Dense(${a.shape[1]} => ${a.shape[0]})`;
    checkAct(σ, name);
  } else {
    let inp: number, out: number, act: unknown, o: unknown;
    [inp, out, name, [act, o]] = ioArgs('Dense', [a, b, c, d]);
    const opts = options<DenseOptions>(name, o, ['bias', 'init']);
    σ = act === undefined ? u.identity : act;
    checkAct(σ, name);
    W = initWeight(name, opts.init ?? glorot_uniform, [out, inp]);
    bias = opts.bias ?? true;
  }
  const bt = biasArg(name, bias, W.shape[0]);
  W.keep(); if (bt) bt.keep();
  const m = makeLayer(name, { weight: W, bias: bt, σ: σ as Activation }, (self, x) => forward(self as Dense, name, x));
  alias(m, 'W', 'weight'); alias(m, 'b', 'bias');
  return m as Dense;
}

export function checkAct(σ: unknown, name: string): void {
  if (σ === softmax || σ === logsoftmax) {
    const f = σ === softmax ? 'softmax' : 'logsoftmax';
    throw new TypeError(`${name}: ${f} is not elementwise and cannot be a Dense activation; ` +
      `put it in the Chain instead: Chain(${name}, ${f})`);
  }
  if (typeof σ !== 'function') throw new TypeError(`${name}: activation must be a function, got ${describe(σ)}`);
}

function forward(m: Dense, name: string, x0: Tensor): Tensor {
  const x = toTensor(x0, name, 'x'), W = m.weight, σ = m.σ;
  const code = fusedCode(σ), fused = code !== undefined;
  if (x.rank === 0 || x.shape[0] !== W.shape[1])
    throw new RangeError(`${name}: input has ${x.rank ? x.shape[0] : 0} features, expected ${W.shape[1]} (input shape [${x.shape.join(', ')}])` +
      (x.rank === 2 && x.shape[1] === W.shape[1] ? `; observations are the last dimension (one column each, as in Flux), so this looks ` +
        `like one row per observation: pass transpose(x), shape [${x.shape[1]}, ${x.shape[0]}]` : ''));
  const flat = x.rank > 2 ? reshape(x, [x.shape[0], -1]) : x;
  let y = dense(W, flat, m.bias || null, fused ? code : Unary.identity, 0, name);
  if (!fused) y = σ(y);
  return x.rank > 2 ? reshape(y, [W.shape[0], ...x.shape.slice(1)]) : y;
}
