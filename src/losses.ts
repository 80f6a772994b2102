// Flux.Losses (current definitions, FLUX_SEMANTICS 2.6), composed from ops so every loss has
// a gradient without kernels of its own. ŷ and y have the same shape (or y is a scalar);
// `agg` reduces the per-element (or, with `dims`, per-sample) losses: 'mean' (default), 'sum',
// 'none' (the array itself) or any function tensor → tensor. Axes count from 0, so Flux's
// class dimension `dims=1` is `dims: 0` here. ε defaults to Float32's eps (2⁻²³).

import { Tensor, toTensor, sameShape, describe, type TensorLike } from './tensor.js';
import { add, sub, mul, div, pow, xlogy, greater } from './ops/binary.js';
import { abs, square, log, neg, relu, logsigmoid } from './ops/unary.js';
import { sum, mean, sumsq } from './ops/reduce.js';
import { logsoftmax } from './ops/softmax.js';
import { isPlain, show } from './check.js';

/**
 * How a loss reduces its per-element values: 'mean' (the default), 'sum', 'none' (the array), or a function.
 * @example mse(yhat, y, { agg: 'sum' })
 *          mse(yhat, y, { agg: (l) => mean(mul(l, weights)) })   // a weighted mean
 */
export type Agg = 'mean' | 'sum' | 'none' | ((l: Tensor) => Tensor);
/**
 * Options the losses take (each loss reads the ones it documents): `agg`, `dims`, `eps`, `delta`, ...
 * @example crossentropy(yhat, y, { dims: 0, eps: 1e-7 })
 *          huber_loss(yhat, y, { delta: 0.5, agg: 'sum' })
 */
export interface LossOptions {
  agg?: Agg; dims?: number | readonly number[]; eps?: number; delta?: number;
  beta?: number; gamma?: number; margin?: number; smooth?: number;
}
/** Float32 machine epsilon, Flux's default ε for Float32 arrays. */
export const EPS32 = 2 ** -23;

// ---- argument handling (once per call; nothing per element) ----
function opts(fn: string, o: LossOptions | undefined, allowed: string): LossOptions {
  if (o === undefined) return {};
  if (!isPlain(o)) throw new TypeError(`${fn}: options must be an object, got ${show(o)}`);
  for (const k in o) {
    if (!allowed.split(' ').includes(k)) throw new TypeError(`${fn}: unknown option '${k}' (options: ${allowed.split(' ').join(', ')})`);
  }
  return o;
}
function pair(fn: string, ŷ0: TensorLike, y0: TensorLike, classes = false): [Tensor, Tensor] {
  const ŷ = toTensor(ŷ0, fn, 'ŷ'), y = toTensor(y0, fn, 'y');
  if (!sameShape(ŷ.shape, y.shape) && y.rank !== 0)
    throw new RangeError(`${fn}: ŷ has shape [${ŷ.shape.join(', ')}] but y has shape [${y.shape.join(', ')}]${hint(ŷ.shape, y.shape, classes)}`);
  // A plain number is a constant target (Flux allows y = 1); a class label (2) is not a probability.
  if (classes && typeof y0 === 'number' && !(y0 >= 0 && y0 <= 1) && ŷ.rank > 0)
    throw new RangeError(`${fn}: y is the number ${y0}, not a target of ŷ's shape [${ŷ.shape.join(', ')}]: a class label must be one-hot ` +
      `encoded, onehot(${y0}, ${classList(ŷ.shape[0])}) for one observation or onehotbatch(labels, ${classList(ŷ.shape[0])})`);
  return [ŷ, y];
}
/** The classes 0..n-1 as code to paste. */
const classList = (n: number) => (n <= 10 ? `[${Array.from({ length: n }, (_, i) => i).join(', ')}]` : `Array.from({ length: ${n} }, (_, i) => i)`);
/**
 * What a new user most likely did when the shapes differ: gave class labels where one-hot targets
 * go, laid observations out as rows (fluxion, as Flux, puts them in the last dimension), or gave a
 * vector for a one-row output.
 */
function hint(ŷ: readonly number[], y: readonly number[], classes: boolean): string {
  const r = ŷ.length;
  if (classes && r >= 1 && ŷ[0] > 1 && (sameShape(y, ŷ.slice(1)) || (r === 1 && y.length === 1 && y[0] === 1)))
    return `: y looks like class labels (one number per observation); cross-entropy takes one-hot targets of ŷ's shape, ` +
      `one column per observation: y = onehotbatch(labels, ${classList(ŷ[0])})`;
  if (r === 2 && y.length === 2 && y[0] === ŷ[1] && y[1] === ŷ[0])
    return `: y looks transposed. Observations are the last dimension (one column each, as in Flux), so y should be ` +
      `[${ŷ.join(', ')}]: build it that way or pass transpose(y)`;
  if (r === 2 && ŷ[0] === 1 && y.length === 1 && y[0] === ŷ[1])
    return `: ŷ is one row of ${ŷ[1]} observations (observations are the last dimension); make y the same row: reshape(y, [1, ${ŷ[1]}])`;
  return '';
}
function num(fn: string, name: string, v: unknown, dflt: number, ok: (x: number) => boolean = Number.isFinite, what = 'a finite number'): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !ok(v)) throw new RangeError(`${fn}: ${name} must be ${what}, got ${describe(v)}`);
  return v;
}
const epsOf = (fn: string, o: LossOptions) => num(fn, 'eps', o.eps, EPS32, (x) => x >= 0 && x < 1, 'in [0, 1)');
const dimsOf = (o: LossOptions) => o.dims ?? 0;
function aggregate(fn: string, l: Tensor, agg: Agg | undefined): Tensor {
  if (agg === undefined || agg === 'mean') return mean(l);
  if (agg === 'sum') return sum(l);
  if (agg === 'none') return l;
  if (typeof agg === 'function') {
    const r = agg(l);
    if (!(r instanceof Tensor)) throw new TypeError(`${fn}: agg returned ${describe(r)}, expected a tensor`);
    return r;
  }
  throw new TypeError(`${fn}: agg must be 'mean', 'sum', 'none' or a function, got ${describe(agg)}`);
}

// ---- regression ----

/**
 * Mean squared error agg((ŷ − y).²): 3 ops (sub, square, mean).
 * @example mse(m(x), y)
 *          mse(ŷ, y, { agg: 'sum' })
 */
export function mse(ŷ: TensorLike, y: TensorLike, o?: LossOptions): Tensor {
  const agg = opts('mse', o, 'agg').agg, [a, b] = pair('mse', ŷ, y);
  return aggregate('mse', square(sub(a, b)), agg);
}

/**
 * Mean absolute error agg(|ŷ − y|).
 * @example mae(tensor([1, 2]), tensor([2, 4]))   // (1 + 2)/2 = 1.5
 *          mae(ŷ, y, { agg: 'sum' })
 */
export function mae(ŷ: TensorLike, y: TensorLike, o?: LossOptions): Tensor {
  const agg = opts('mae', o, 'agg').agg, [a, b] = pair('mae', ŷ, y);
  return aggregate('mae', abs(sub(a, b)), agg);
}

/**
 * Mean squared log error agg(log((ŷ + ε)/(y + ε)).²).
 * @example msle(ŷ, y)
 *          msle(ŷ, y, { eps: 1e-6 })
 */
export function msle(ŷ: TensorLike, y: TensorLike, o0?: LossOptions): Tensor {
  const o = opts('msle', o0, 'agg eps'), e = epsOf('msle', o), [a, b] = pair('msle', ŷ, y);
  return aggregate('msle', square(log(div(add(a, e), add(b, e)))), o.agg);
}

/**
 * Huber loss: 0.5a² where a = |ŷ − y| < δ, else δ(a − 0.5δ). Huber 1964, https://doi.org/10.1214/aoms/1177703732
 * @example huber_loss(ŷ, y)
 *          huber_loss(ŷ, y, { delta: 0.5 })
 */
export function huber_loss(ŷ: TensorLike, y: TensorLike, o0?: LossOptions): Tensor {
  const o = opts('huber_loss', o0, 'agg delta'), [a, b] = pair('huber_loss', ŷ, y);
  const δ = num('huber_loss', 'delta', o.delta, 1, (x) => x > 0 && Number.isFinite(x), 'a positive number');
  const e = abs(sub(a, b));
  const small = greater(δ, e);                       // 1 where a < δ; comparisons carry no gradient
  const quad = mul(mul(square(e), small), 0.5);
  const lin = mul(mul(add(e, -0.5 * δ), δ), sub(1, small));
  return aggregate('huber_loss', add(quad, lin), o.agg);
}

/**
 * Smoothed labels: y(1 − α) + α/size(y, 0) (dims 0, the class axis: Flux's dims=1), or
 * y(1 − α) + α/2 (dims 'binary': Flux's dims=0). Szegedy et al. 2016, https://arxiv.org/abs/1512.00567
 * @example label_smoothing(onehotbatch(labels, 0:9), 0.1)
 *          label_smoothing(tensor([0, 1]), 0.2, { dims: 'binary' })   // [0.1, 0.9]
 */
export function label_smoothing(y0: TensorLike, α: number, o: { dims?: 0 | 'binary' } = {}): Tensor {
  const dims = (opts('label_smoothing', o as LossOptions, 'dims') as { dims?: 0 | 'binary' }).dims ?? 0;
  const y = toTensor(y0, 'label_smoothing', 'y');
  if (typeof α !== 'number' || !(α > 0 && α < 1)) throw new RangeError(`label_smoothing: α must be in (0, 1), got ${describe(α)}`);
  if (dims !== 0 && dims !== 'binary')
    throw new RangeError(`label_smoothing: dims must be 0 (the class axis; Flux's dims=1) or 'binary' (Flux's dims=0), got ${describe(dims)}`);
  if (dims === 0 && y.rank === 0) throw new RangeError('label_smoothing: y must have a class axis (dims 0), got a scalar');
  return add(mul(y, 1 - α), α / (dims === 0 ? y.shape[0] : 2));
}

// ---- classification ----

/**
 * Cross entropy agg(−sum(y .* log(ŷ + ε), dims)) of probabilities ŷ (after softmax); a zero
 * target contributes exactly 0 (xlogy).
 * @example crossentropy(softmax(logits), onehotbatch(labels, classes))
 *          crossentropy(ŷ, y, { agg: 'sum' })
 */
export function crossentropy(ŷ: TensorLike, y: TensorLike, o0?: LossOptions): Tensor {
  const o = opts('crossentropy', o0, 'agg dims eps'), [a, b] = pair('crossentropy', ŷ, y, true);
  return aggregate('crossentropy', neg(sum(xlogy(b, add(a, epsOf('crossentropy', o))), dimsOf(o))), o.agg);
}

/**
 * Cross entropy of logits: agg(−sum(y .* logsoftmax(ŷ, dims), dims)); stabler than
 * crossentropy(softmax(ŷ), y).
 * @example logitcrossentropy(m(x), onehotbatch(labels, classes))
 *          logitcrossentropy(ŷ, y, { dims: 0 })
 */
export function logitcrossentropy(ŷ: TensorLike, y: TensorLike, o0?: LossOptions): Tensor {
  const o = opts('logitcrossentropy', o0, 'agg dims'), [a, b] = pair('logitcrossentropy', ŷ, y, true);
  const d = dimsOf(o);
  if (typeof d !== 'number') throw new RangeError(`logitcrossentropy: dims must be one axis, got ${JSON.stringify(d)}`);
  return aggregate('logitcrossentropy', neg(sum(mul(b, logsoftmax(a, d)), d)), o.agg);
}

/**
 * Binary cross entropy agg(−y log(ŷ + ε) − (1 − y) log(1 − ŷ + ε)) of probabilities ŷ.
 * @example binarycrossentropy(sigmoid(m(x)), y)
 *          binarycrossentropy(ŷ, y, { eps: 1e-7 })
 */
export function binarycrossentropy(ŷ: TensorLike, y: TensorLike, o0?: LossOptions): Tensor {
  const o = opts('binarycrossentropy', o0, 'agg eps'), [a, b] = pair('binarycrossentropy', ŷ, y);
  const e = epsOf('binarycrossentropy', o);
  const l = add(xlogy(b, add(a, e)), xlogy(sub(1, b), sub(1 + e, a)));
  return aggregate('binarycrossentropy', neg(l), o.agg);
}

/**
 * Binary cross entropy of logits: agg((1 − y)·ŷ − logσ(ŷ)), stable for any ŷ.
 * @example logitbinarycrossentropy(m(x), y)
 *          logitbinarycrossentropy(ŷ, y, { agg: 'sum' })
 */
export function logitbinarycrossentropy(ŷ: TensorLike, y: TensorLike, o0?: LossOptions): Tensor {
  const o = opts('logitbinarycrossentropy', o0, 'agg'), [a, b] = pair('logitbinarycrossentropy', ŷ, y);
  return aggregate('logitbinarycrossentropy', sub(mul(sub(1, b), a), logsigmoid(a)), o.agg);
}

/**
 * Kullback-Leibler divergence of y from ŷ: agg(sum(y log y, dims)) + crossentropy(ŷ, y).
 * @example kldivergence(softmax(m(x)), p)
 *          kldivergence(ŷ, y, { dims: 0, agg: 'sum' })
 */
export function kldivergence(ŷ: TensorLike, y: TensorLike, o0?: LossOptions): Tensor {
  const o = opts('kldivergence', o0, 'agg dims eps'), [a, b] = pair('kldivergence', ŷ, y, true);
  const entropy = aggregate('kldivergence', sum(xlogy(b, b), dimsOf(o)), o.agg);
  return add(entropy, crossentropy(a, b, o));
}

/**
 * Poisson negative log-likelihood agg(ŷ − y log ŷ) (ŷ is the predicted rate).
 * @example poisson_loss(exp(m(x)), counts)
 *          poisson_loss(ŷ, y, { agg: 'sum' })
 */
export function poisson_loss(ŷ: TensorLike, y: TensorLike, o0?: LossOptions): Tensor {
  const o = opts('poisson_loss', o0, 'agg'), [a, b] = pair('poisson_loss', ŷ, y);
  return aggregate('poisson_loss', sub(a, xlogy(b, a)), o.agg);
}

/**
 * Hinge loss agg(max(0, 1 − ŷ·y)) for labels y ∈ {−1, 1}.
 * @example hinge_loss(m(x), y)
 *          hinge_loss(tensor([0.5]), tensor([1]))   // 0.5
 */
export function hinge_loss(ŷ: TensorLike, y: TensorLike, o0?: LossOptions): Tensor {
  const o = opts('hinge_loss', o0, 'agg'), [a, b] = pair('hinge_loss', ŷ, y);
  return aggregate('hinge_loss', relu(sub(1, mul(a, b))), o.agg);
}

/**
 * Squared hinge loss agg(max(0, 1 − ŷ·y)²) for labels y ∈ {−1, 1}.
 * @example squared_hinge_loss(m(x), y)
 *          squared_hinge_loss(tensor([0.5]), tensor([1]))   // 0.25
 */
export function squared_hinge_loss(ŷ: TensorLike, y: TensorLike, o0?: LossOptions): Tensor {
  const o = opts('squared_hinge_loss', o0, 'agg'), [a, b] = pair('squared_hinge_loss', ŷ, y);
  return aggregate('squared_hinge_loss', square(relu(sub(1, mul(a, b)))), o.agg);
}

// ---- segmentation (whole-array losses, no agg) ----

/**
 * Dice loss 1 − (2·sum(y .* ŷ) + s)/(sum(y²) + sum(ŷ²) + s). Milletari et al. 2016, https://arxiv.org/abs/1606.04797
 * @example dice_coeff_loss(sigmoid(m(x)), mask)
 *          dice_coeff_loss(ŷ, y, { smooth: 0.5 })
 */
export function dice_coeff_loss(ŷ: TensorLike, y: TensorLike, o0?: LossOptions): Tensor {
  const o = opts('dice_coeff_loss', o0, 'smooth'), [a, b] = pair('dice_coeff_loss', ŷ, y);
  const s = num('dice_coeff_loss', 'smooth', o.smooth, 1);
  const num_ = add(mul(sum(mul(b, a)), 2), s);
  return sub(1, div(num_, add(add(sumsq(b), sumsq(a)), s)));
}

/**
 * Tversky loss 1 − (TP + 1)/(TP + β·FP + (1 − β)·FN + 1) with TP = sum(y .* ŷ),
 * FP = sum((1 − y) .* ŷ), FN = sum(y .* (1 − ŷ)) (Flux's code; its docstring swaps β and 1 − β).
 * Salehi et al. 2017, https://arxiv.org/abs/1706.05721
 * @example tversky_loss(sigmoid(m(x)), mask)
 *          tversky_loss(ŷ, y, { beta: 0.5 })
 */
export function tversky_loss(ŷ: TensorLike, y: TensorLike, o0?: LossOptions): Tensor {
  const o = opts('tversky_loss', o0, 'beta'), [a, b] = pair('tversky_loss', ŷ, y);
  const β = num('tversky_loss', 'beta', o.beta, 0.7);
  const tp = mul(b, a);
  const den = add(add(tp, mul(mul(sub(1, b), a), β)), mul(mul(b, sub(1, a)), 1 - β));
  return sub(1, div(add(sum(tp), 1), add(sum(den), 1)));
}

// ---- focal and contrastive ----

/**
 * Binary focal loss agg((1 − pₜ)^γ · (−log pₜ)), pₜ = y·p + (1 − y)(1 − p), p = ŷ + ε;
 * γ = 0 gives binarycrossentropy. Lin et al. 2017, https://arxiv.org/abs/1708.02002
 * @example binary_focal_loss(sigmoid(m(x)), y)
 *          binary_focal_loss(ŷ, y, { gamma: 1 })
 */
export function binary_focal_loss(ŷ: TensorLike, y: TensorLike, o0?: LossOptions): Tensor {
  const o = opts('binary_focal_loss', o0, 'agg gamma eps'), [a, b] = pair('binary_focal_loss', ŷ, y);
  const γ = num('binary_focal_loss', 'gamma', o.gamma, 2, (x) => x >= 0 && Number.isFinite(x), 'a non-negative number');
  const p = add(a, epsOf('binary_focal_loss', o));
  const pt = add(mul(b, p), mul(sub(1, b), sub(1, p)));
  return aggregate('binary_focal_loss', mul(pow(sub(1, pt), γ), neg(log(pt))), o.agg);
}

/**
 * Focal loss agg(sum(−y .* (1 − p)^γ .* log p, dims)), p = ŷ + ε, for probabilities ŷ.
 * Lin et al. 2017, https://arxiv.org/abs/1708.02002
 * @example focal_loss(softmax(m(x)), onehotbatch(labels, classes))
 *          focal_loss(ŷ, y, { gamma: 1 })
 */
export function focal_loss(ŷ: TensorLike, y: TensorLike, o0?: LossOptions): Tensor {
  const o = opts('focal_loss', o0, 'agg dims gamma eps'), [a, b] = pair('focal_loss', ŷ, y, true);
  const γ = num('focal_loss', 'gamma', o.gamma, 2, (x) => x >= 0 && Number.isFinite(x), 'a non-negative number');
  const p = add(a, epsOf('focal_loss', o));
  return aggregate('focal_loss', neg(sum(mul(mul(b, pow(sub(1, p), γ)), log(p)), dimsOf(o))), o.agg);
}

/**
 * Contrastive loss agg((1 − y)·ŷ² + y·max(0, margin − ŷ)²) of distances ŷ, y = 1 for
 * dissimilar pairs. Hadsell et al. 2006, https://doi.org/10.1109/CVPR.2006.100
 * @example siamese_contrastive_loss(distances, y)
 *          siamese_contrastive_loss(ŷ, y, { margin: 2 })
 */
export function siamese_contrastive_loss(ŷ: TensorLike, y: TensorLike, o0?: LossOptions): Tensor {
  const o = opts('siamese_contrastive_loss', o0, 'agg margin'), [a, b] = pair('siamese_contrastive_loss', ŷ, y);
  const margin = num('siamese_contrastive_loss', 'margin', o.margin, 1, (x) => x >= 0 && Number.isFinite(x), 'non-negative');
  const far = square(relu(sub(margin, a)));
  return aggregate('siamese_contrastive_loss', add(mul(sub(1, b), square(a)), mul(b, far)), o.agg);
}
