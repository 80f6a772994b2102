// Normalisation layers, composed from ops (mean, sub, square, sqrt, div): no kernels of their
// own, and gradients come from the ops.
// LayerNorm: Ba et al. 2016, https://arxiv.org/abs/1607.06450 — over the first dims of each sample.
// BatchNorm: Ioffe & Szegedy 2015, https://arxiv.org/abs/1502.03167 — per channel over the batch.
// Layout as in Flux (features first, batch last): the channel axis is rank−2 ([C, B] → 0,
// [W, H, C, B] → 2). Variances are biased, eps = 1e-5 is added inside the square root.

import { Tensor, toTensor, ones, zeros, scope, describe, sameShape } from '../tensor.js';
import { noGrad, recording } from '../autograd.js';
import { mean } from '../ops/reduce.js';
import { add, sub, mul, div } from '../ops/binary.js';
import { square, sqrt, identity } from '../ops/unary.js';
import { reshape } from '../ops/shape.js';
import { makeLayer, hidden, MODAL, type Layer, type Mode } from './layer.js';
import type { Activation } from './dense.js';
import { options, bool, fail, show, MAX_SIZE } from '../check.js';

/** (x − μ)/√(σ² + ε) with μ, σ² (biased) over `axes`; returns the normalised x and the stats. */
function normalise(x: Tensor, axes: number[], eps: number) {
  const mu = mean(x, axes), d = sub(x, mu), v = mean(square(d), axes);
  return { y: div(d, sqrt(add(v, eps))), mu, v };
}
/** γ·y + β with γ, β reshaped (a recorded view) to broadcast along `shape`. */
function affine(y: Tensor, g: Tensor | false, b: Tensor | false, shape: number[]): Tensor {
  if (g) y = mul(y, reshape(g, shape));
  if (b) y = add(y, reshape(b, shape));
  return y;
}
function checkEps(name: string, eps: number): void {
  if (typeof eps !== 'number' || !(eps >= 0 && eps < Infinity)) throw new RangeError(`${name}: eps must be a non-negative number, got ${describe(eps)}`);
}

export interface LayerNormOptions { affine?: boolean; eps?: number }
export type LayerNorm = Layer<{ size: number[]; λ: Activation; gamma: Tensor | false; beta: Tensor | false; eps: number }>;

/**
 * Normalises each sample over its first `size.length` dims (biased variance + eps 1e-5), then
 * y = λ.(γ .* x̂ .+ β) with γ = 1, β = 0 of shape `size`.
 * @example const ln = LayerNorm(32);
 *          ln(randn(32, 8))               // each column: mean 0, variance ≈ 1
 */
export function LayerNorm(size: number | readonly number[], λ: Activation = identity, opts: LayerNormOptions = {}): LayerNorm {
  if (typeof size !== 'number' && !Array.isArray(size)) fail('LayerNorm', 'size must be a positive integer or an array of them', size);
  const sz = typeof size === 'number' ? [size] : [...size];
  const name = `LayerNorm(${sz.map(show).join(', ')})`;
  if (!sz.length || !sz.every((n) => Number.isInteger(n) && n > 0) || sz.reduce((a, n) => a * n, 1) > MAX_SIZE)
    throw new RangeError(`LayerNorm: size must be positive integers, got ${describe(size)}`);
  if (typeof λ !== 'function') throw new TypeError(`${name}: λ must be a function, got ${describe(λ)}`);
  const { affine: aff = true, eps = 1e-5 } = options<LayerNormOptions>(name, opts, ['affine', 'eps']);
  bool(name, 'affine', aff);
  checkEps(name, eps);
  const axes = sz.map((_, i) => i);
  const props = { size: sz, λ, gamma: aff ? ones(sz).keep() : false as const, beta: aff ? zeros(sz).keep() : false as const, eps };
  return makeLayer(name, props, (self, x0) => {
    const x = toTensor(x0, name, 'x');
    if (x.rank < sz.length || !sameShape(x.shape.slice(0, sz.length), sz))
      throw new RangeError(`${name}: input shape [${x.shape.join(', ')}] must start with [${sz.join(', ')}]`);
    const bshape = [...sz, ...Array(x.rank - sz.length).fill(1)];
    const y = affine(normalise(x, axes, self.eps).y, self.gamma, self.beta, bshape);
    return self.λ === identity ? y : self.λ(y);
  });
}

export interface BatchNormOptions { affine?: boolean; track_stats?: boolean; eps?: number; momentum?: number; active?: boolean | null }
export type BatchNorm = Layer<{
  chs: number; λ: Activation; gamma: Tensor | false; beta: Tensor | false; eps: number; momentum: number;
  track_stats: boolean; active: Mode; mu: Tensor; sigma2: Tensor;
}>;

/**
 * Normalises each channel (axis rank−2) with batch statistics in training (automatic: inside
 * `gradient`) and running statistics in test mode; then y = λ.(γ .* x̂ .+ β).
 * Running stats: μ ← (1−m)μ + m·μ_b, σ² ← (1−m)σ² + m·M/(M−1)·σ²_b (m = 0.1, M values per channel).
 * @example const bn = BatchNorm(16);
 *          trainmode(bn); bn(randn(16, 32)); bn.mu  // running mean, moved 10% toward the batch mean
 */
export function BatchNorm(chs: number, λ: Activation = identity, opts: BatchNormOptions = {}): BatchNorm {
  const name = `BatchNorm(${show(chs)})`;
  if (!Number.isInteger(chs) || chs < 1 || chs > MAX_SIZE) throw new RangeError(`BatchNorm: channels must be a positive integer, got ${describe(chs)}`);
  if (typeof λ !== 'function') throw new TypeError(`${name}: λ must be a function, got ${describe(λ)}`);
  const { affine: aff = true, track_stats = true, eps = 1e-5, momentum = 0.1, active = null } =
    options<BatchNormOptions>(name, opts, ['affine', 'track_stats', 'eps', 'momentum', 'active']);
  bool(name, 'affine', aff); bool(name, 'track_stats', track_stats);
  if (active !== null) bool(name, 'active', active);
  checkEps(name, eps);
  if (typeof momentum !== 'number' || !(momentum >= 0 && momentum <= 1))
    throw new RangeError(`${name}: momentum must be in [0, 1], got ${describe(momentum)}`);
  const props = { chs, λ, gamma: aff ? ones(chs).keep() : false as const, beta: aff ? zeros(chs).keep() : false as const,
    eps, momentum, track_stats, active };
  const m = makeLayer(name, props, (self, x0) => {
    const x = toTensor(x0, name, 'x'), s = self as BatchNorm, c = x.rank - 2;
    if (x.rank < 2 || x.shape[c] !== chs)
      throw new RangeError(`${name}: input shape [${x.shape.join(', ')}] must have ${chs} channels at axis rank−2 (e.g. [${chs}, batch])`);
    const bshape = x.shape.map((d, i) => (i === c ? d : 1));
    const train = s.active ?? recording();
    let y: Tensor;
    if (train || !s.track_stats) {
      const M = x.size / chs;
      if (M === 1) throw new RangeError(`${name}: training needs more than one value per channel (input shape [${x.shape.join(', ')}])`);
      const axes = x.shape.flatMap((_, i) => (i === c ? [] : [i]));
      const n = normalise(x, axes, s.eps);
      y = n.y;
      if (train && s.track_stats) updateStats(s, n.mu, n.v, M);
    } else {
      y = div(sub(x, reshape(s.mu, bshape)), sqrt(add(reshape(s.sigma2, bshape), s.eps)));
    }
    y = affine(y, s.gamma, s.beta, bshape);
    return s.λ === identity ? y : s.λ(y);
  });
  // Running statistics are state, not parameters: hidden from params().
  hidden(m, 'mu', zeros(chs).keep());
  hidden(m, 'sigma2', ones(chs).keep());
  hidden(m, MODAL, true, false);
  return m as BatchNorm;
}

function updateStats(s: BatchNorm, mu: Tensor, v: Tensor, M: number): void {
  const m = s.momentum, C = s.chs;
  noGrad(() => scope(() => {
    s.mu.assign(add(mul(s.mu, 1 - m), mul(mu.view([C]), m)));
    s.sigma2.assign(add(mul(s.sigma2, 1 - m), mul(v.view([C]), m * M / (M - 1))));
  }));
}
