// Losses (src/losses.ts) against Flux.Losses, FLUX_SEMANTICS 2.6: one hand-computed case per
// loss (on the float64 reference and on the Wasm CPU), the edge cases of the table (xlogy with
// zero targets, agg variants, dims, label_smoothing's α, siamese margin, tversky β, focal γ = 0),
// argument errors, and every loss's gradient against central finite differences on `ref`.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  init, tensor, withPolicy, scope, sum, mul, trace, Tensor,
  mse, mae, msle, huber_loss, label_smoothing, crossentropy, logitcrossentropy, binarycrossentropy,
  logitbinarycrossentropy, kldivergence, poisson_loss, hinge_loss, squared_hinge_loss, dice_coeff_loss,
  tversky_loss, binary_focal_loss, focal_loss, siamese_contrastive_loss,
} from '../src/index.js';
import { assertClose } from './_helpers/allclose.js';
import { gradcheck, input, reseed } from './_helpers/gradcheck.js';

await init({ gpu: false });
const vals = (t: Tensor) => Array.from(t.backend.readSync(t.buf, t.size)!);
const E = 2 ** -23;                                           // Float32 eps, Flux's default ε
const { log, exp } = Math, LN2 = Math.LN2;
const T = (v: number[] | number[][]) => tensor(v);

// [name, () => loss, expected value(s), expected shape]
type Case = [string, () => Tensor, number | number[], number[]?];
const CASES: Case[] = [
  // ŷ − y = [−1, 0, −2, 3]; squares [1, 0, 4, 9]: mean 14/4, sum 14
  ['mse', () => mse(T([1, 2, 3, 4]), T([2, 2, 5, 1])), 3.5],
  ['mse agg sum', () => mse(T([1, 2, 3, 4]), T([2, 2, 5, 1]), { agg: 'sum' }), 14],
  ['mse agg none', () => mse(T([1, 2, 3, 4]), T([2, 2, 5, 1]), { agg: 'none' }), [1, 0, 4, 9], [4]],
  ['mse agg function', () => mse(T([1, 2, 3, 4]), T([2, 2, 5, 1]), { agg: (l) => mul(sum(l), 0.5) }), 7],
  ['mse scalar y', () => mse(T([1, 2]), 1), 0.5],                          // (0² + 1²)/2
  ['mse [2, 2]', () => mse(T([[1, 2], [3, 4]]), T([[0, 0], [0, 0]])), 7.5], // (1+4+9+16)/4
  // |ŷ − y| = [1, 0, 2, 3]: mean 6/4
  ['mae', () => mae(T([1, 2, 3, 4]), T([2, 2, 5, 1])), 1.5],
  // log((2+ε)/(1+ε))² and log((1+ε)/(4+ε))² ≈ (ln 2)², (2 ln 2)²; mean ≈ 2.5(ln 2)²
  ['msle', () => msle(T([2, 1]), T([1, 4])), (log((2 + E) / (1 + E)) ** 2 + log((1 + E) / (4 + E)) ** 2) / 2],
  ['msle eps 0', () => msle(T([2, 1]), T([1, 4]), { eps: 0 }), 2.5 * LN2 ** 2],
  // a = [0.5, 1, 3], δ = 1: 0.5·0.25 = 0.125; a = δ is linear: 1·(1 − 0.5) = 0.5; 1·(3 − 0.5) = 2.5
  ['huber_loss', () => huber_loss(T([0, 0, 0]), T([0.5, 1, 3])), (0.125 + 0.5 + 2.5) / 3],
  // δ = 2: 0.125, 0.5·1 = 0.5, 2·(3 − 1) = 4
  ['huber_loss delta 2', () => huber_loss(T([0, 0, 0]), T([0.5, 1, 3]), { delta: 2 }), (0.125 + 0.5 + 4) / 3],
  // y·0.7 + 0.3/3 for 3 classes
  ['label_smoothing', () => label_smoothing(T([[1, 0], [0, 1], [0, 0]]), 0.3), [0.8, 0.1, 0.1, 0.8, 0.1, 0.1], [3, 2]],
  // binary: y·0.8 + 0.2/2
  ['label_smoothing binary', () => label_smoothing(T([0, 1]), 0.2, { dims: 'binary' }), [0.1, 0.9], [2]],
  // columns (samples): ŷ₁ = [0.1, 0.9, 0], y₁ = [0, 1, 0] → −log(0.9 + ε); ŷ₂ = [0.5, 0.25, 0.25], y₂ = [1, 0, 0] → −log(0.5 + ε)
  ['crossentropy', () => crossentropy(T([[0.1, 0.5], [0.9, 0.25], [0, 0.25]]), T([[0, 1], [1, 0], [0, 0]])), (-log(0.9 + E) - log(0.5 + E)) / 2],
  ['crossentropy agg sum', () => crossentropy(T([[0.1, 0.5], [0.9, 0.25], [0, 0.25]]), T([[0, 1], [1, 0], [0, 0]]), { agg: 'sum' }), -log(0.9 + E) - log(0.5 + E)],
  ['crossentropy agg none', () => crossentropy(T([[0.1, 0.5], [0.9, 0.25], [0, 0.25]]), T([[0, 1], [1, 0], [0, 0]]), { agg: 'none' }), [-log(0.9 + E), -log(0.5 + E)], [1, 2]],
  // the same data with samples as rows, dims 1
  ['crossentropy dims 1', () => crossentropy(T([[0.1, 0.9, 0], [0.5, 0.25, 0.25]]), T([[0, 1, 0], [1, 0, 0]]), { dims: 1 }), (-log(0.9 + E) - log(0.5 + E)) / 2],
  // a zero target at ŷ = 0 contributes exactly 0 (xlogy), even with eps 0: −log(1)/1 = 0
  ['crossentropy zero targets', () => crossentropy(T([[0], [1]]), T([[0], [1]]), { eps: 0 }), 0],
  // column 1: −logsoftmax([1, 2, 3])[3] = log(1 + e⁻¹ + e⁻²); column 2: −logsoftmax([0, 0, 0])[1] = log 3
  ['logitcrossentropy', () => logitcrossentropy(T([[1, 0], [2, 0], [3, 0]]), T([[0, 1], [0, 0], [1, 0]])), (log(1 + exp(-1) + exp(-2)) + log(3)) / 2],
  // −log(0.9+ε); −log(1−0.2+ε); ŷ = y = 1: −log(1+ε); ŷ = y = 0: −log(1+ε); y = 1, ŷ = 0: −log ε = 23 ln 2 (finite)
  ['binarycrossentropy', () => binarycrossentropy(T([0.9, 0.2, 1, 0, 0]), T([1, 0, 1, 0, 1])),
    (-log(0.9 + E) - log(0.8 + E) - 2 * log(1 + E) + 23 * LN2) / 5],
  // (1 − y)ŷ − logσ(ŷ): y=1, ŷ=0: log 2; y=0, ŷ=2: 2 + log(1 + e⁻²); y=1, ŷ=−1: log(1 + e)
  ['logitbinarycrossentropy', () => logitbinarycrossentropy(T([0, 2, -1]), T([1, 0, 1])), (LN2 + 2 + log(1 + exp(-2)) + log(1 + exp(1))) / 3],
  // ŷ = 1000, y = 0: 1000 − logσ(1000) = 1000; ŷ = −1000, y = 1: −logσ(−1000) = 1000 (finite)
  ['logitbinarycrossentropy ±1000', () => logitbinarycrossentropy(T([1000, -1000]), T([0, 1])), 1000],
  // column 1: y = [0.5, 0.5], ŷ = [0.25, 0.75]: Σ y log y = −log 2, ce = −(0.5 log(0.25+ε) + 0.5 log(0.75+ε));
  // column 2: y = [0, 1] (a zero target: y log y = 0), ŷ = [0.5, 0.5]: ce = −log(0.5+ε)
  ['kldivergence', () => kldivergence(T([[0.25, 0.5], [0.75, 0.5]]), T([[0.5, 0], [0.5, 1]])),
    (-LN2) / 2 + (-(0.5 * log(0.25 + E) + 0.5 * log(0.75 + E)) - log(0.5 + E)) / 2],
  // ŷ − y log ŷ: 1 − 0 (xlogy), 2 − log 2, 0.5 − 3 log 0.5
  ['poisson_loss', () => poisson_loss(T([1, 2, 0.5]), T([0, 1, 3])), (1 + 2 - LN2 + 0.5 - 3 * log(0.5)) / 3],
  // 1 − ŷy = [0.5, 3, 3, −2] → max(0, ·) = [0.5, 3, 3, 0]
  ['hinge_loss', () => hinge_loss(T([0.5, -2, 2, 3]), T([1, 1, -1, 1])), 6.5 / 4],
  ['squared_hinge_loss', () => squared_hinge_loss(T([0.5, -2, 2, 3]), T([1, 1, -1, 1])), (0.25 + 9 + 9) / 4],
  // Σyŷ = 1.5, Σy² = 2, Σŷ² = 1.25: 1 − (2·1.5 + 1)/(2 + 1.25 + 1)
  ['dice_coeff_loss', () => dice_coeff_loss(T([0.5, 1, 0]), T([1, 1, 0])), 1 - 4 / 4.25],
  ['dice_coeff_loss smooth 0.5', () => dice_coeff_loss(T([0.5, 1, 0]), T([1, 1, 0]), { smooth: 0.5 }), 1 - 3.5 / 3.75],
  // TP = 0.5 + 1 = 1.5, FP = Σ(1−y)ŷ = 0.2, FN = Σy(1−ŷ) = 0.5: 1 − 2.5/(1.5 + 0.7·0.2 + 0.3·0.5 + 1)
  ['tversky_loss', () => tversky_loss(T([0.5, 1, 0.2]), T([1, 1, 0])), 1 - 2.5 / 2.79],
  // β = 0.2 weighs FP by 0.2 and FN by 0.8 (Flux's code): 1 − 2.5/(1.5 + 0.04 + 0.4 + 1)
  ['tversky_loss beta 0.2', () => tversky_loss(T([0.5, 1, 0.2]), T([1, 1, 0]), { beta: 0.2 }), 1 - 2.5 / 2.94],
  // pₜ = [0.9 + ε, 1 − (0.2 + ε)]; (1 − pₜ)²·(−log pₜ)
  ['binary_focal_loss', () => binary_focal_loss(T([0.9, 0.2]), T([1, 0])),
    ((0.1 - E) ** 2 * -log(0.9 + E) + (0.2 + E) ** 2 * -log(0.8 - E)) / 2],
  // columns: ŷ = [0.1, 0.9], y = [0, 1] → −(1 − 0.9 − ε)² log(0.9 + ε); ŷ = [0.6, 0.4], y = [1, 0] → −(0.4 − ε)² log(0.6 + ε)
  ['focal_loss', () => focal_loss(T([[0.1, 0.6], [0.9, 0.4]]), T([[0, 1], [1, 0]])),
    (-((0.1 - E) ** 2) * log(0.9 + E) - (0.4 - E) ** 2 * log(0.6 + E)) / 2],
  // (1 − y)ŷ² + y max(0, m − ŷ)²: y=0: 0.25; y=1, ŷ=0.3: 0.7² = 0.49; y=1, ŷ=1.5: 0
  ['siamese_contrastive_loss', () => siamese_contrastive_loss(T([0.5, 0.3, 1.5]), T([0, 1, 1])), 0.74 / 3],
  // margin 2: 0.25, 1.7² = 2.89, 0.5² = 0.25
  ['siamese_contrastive_loss margin 2', () => siamese_contrastive_loss(T([0.5, 0.3, 1.5]), T([0, 1, 1]), { margin: 2 }), 3.39 / 3],
];

for (const [pol, tol] of [['ref', { rtol: 1e-12, atol: 1e-15, f32: false }], ['auto', { rtol: 1e-5, atol: 2e-7 }]] as const) {
  const dev = pol === 'ref' ? 'ref' : 'wasm';
  for (const [name, f, want, shape] of CASES) {
    test(`${name} [${dev}]`, () => withPolicy(pol, () => scope(() => {
      const l = f();
      assert.is(l.device, dev);
      assert.equal(l.shape, shape ?? []);                     // a loss is a scalar tensor
      assertClose(vals(l), typeof want === 'number' ? [want] : want, tol, name);
    })));
  }
}

test('binary_focal_loss with gamma 0 equals binarycrossentropy', () => withPolicy('ref', () => scope(() => {
  const ŷ = T([0.9, 0.2, 0.6, 0.01]), y = T([1, 0, 0, 1]);
  // pₜ = y(ŷ+ε) + (1−y)(1−ŷ−ε) vs bce's 1−ŷ+ε: equal up to 2ε relative (Flux tests ≈)
  assertClose(vals(binary_focal_loss(ŷ, y, { gamma: 0 })), vals(binarycrossentropy(ŷ, y)), { rtol: 1e-6, f32: false }, 'γ = 0');
})));

test('kldivergence of identical distributions is ≈ 0; mse hot path is 3 ops', () => withPolicy('ref', () => scope(() => {
  const p = T([[0.2, 0.5], [0.8, 0.5]]);
  assertClose(vals(kldivergence(p, p)), [0], { atol: 1e-6, f32: false }, 'KL(p‖p)');
  const a = T([[1, 2], [3, 4]]), b = T([[0, 0], [0, 0]]);
  const t = trace(() => mse(a, b));
  assert.equal(t.records.map((r) => r.op), ['binary', 'unary', 'reduce']);  // sub, square, mean
})));

test('errors name the loss, the argument and the shapes', () => withPolicy('ref', () => scope(() => {
  const a = T([[1, 2], [3, 4]]);
  assert.throws(() => mse(tensor(new Float32Array(640), [10, 64]), tensor(new Float32Array(320), [10, 32])),
    (e: Error) => e instanceof RangeError && e.message === 'mse: ŷ has shape [10, 64] but y has shape [10, 32]');
  assert.throws(() => crossentropy(a, T([1, 2])), /crossentropy: ŷ has shape \[2, 2\] but y has shape \[2\]/);
  assert.throws(() => mse(a, a, { agg: 'max' as 'sum' }), /mse: agg must be 'mean', 'sum', 'none' or a function, got string max/);
  assert.throws(() => mse(a, a, { agg: () => 3 as unknown as Tensor }), /mse: agg returned number 3, expected a tensor/);
  assert.throws(() => mse(a, a, { delta: 1 }), /mse: unknown option 'delta' \(options: agg\)/);
  assert.throws(() => tversky_loss(a, a, { β: 0.5 } as object), /tversky_loss: unknown option 'β' \(options: beta\)/);
  assert.throws(() => huber_loss(a, a, { delta: -1 }), /huber_loss: delta must be a positive number, got number -1/);
  assert.throws(() => crossentropy(a, a, { eps: -1 }), /crossentropy: eps must be in \[0, 1\), got number -1/);
  assert.throws(() => crossentropy(a, a, { dims: 2 }), /dims 2 out of range/);
  assert.throws(() => mse('x' as unknown as Tensor, a), /mse: argument ŷ must be a tensor, number or array, got string x/);
  // FLUX_SEMANTICS 2.6: siamese margin < 0 is an error ("Margin must be non-negative")
  assert.throws(() => siamese_contrastive_loss(a, a, { margin: -1 }), /siamese_contrastive_loss: margin must be non-negative, got number -1/);
  assert.is(vals(siamese_contrastive_loss(T([0.5]), T([1]), { margin: 0 }))[0], 0);   // margin 0 allowed
  assert.throws(() => binary_focal_loss(a, a, { gamma: -1 }), /binary_focal_loss: gamma must be a non-negative number/);
  // label_smoothing: 0 < α < 1, dims 0 or 'binary'
  for (const α of [0, 1, 1.5, -0.1, NaN])
    assert.throws(() => label_smoothing(a, α), /label_smoothing: α must be in \(0, 1\)/);
  assert.throws(() => label_smoothing(a, 0.1, { dims: 1 as 0 }), /label_smoothing: dims must be 0 \(the class axis; Flux's dims=1\) or 'binary'/);
})));

test("a new user's shapes: class labels for a cross-entropy, observations as rows, a vector for one output row", () => withPolicy('ref', () => scope(() => {
  const logits = tensor(new Float32Array(15), [3, 5]), labels = [0, 2, 1, 1, 0];
  const onehot = ': y looks like class labels (one number per observation); cross-entropy takes one-hot targets of ŷ\'s shape, ' +
    'one column per observation: y = onehotbatch(labels, [0, 1, 2])';
  for (const [name, f] of [['crossentropy', crossentropy], ['logitcrossentropy', logitcrossentropy], ['kldivergence', kldivergence],
    ['focal_loss', focal_loss]] as const) {
    assert.throws(() => f(logits, labels), (e: Error) => e instanceof RangeError && e.message === `${name}: ŷ has shape [3, 5] but y has shape [5]${onehot}`, name);
    assert.throws(() => f(logits, tensor(labels)), (e: Error) => e.message === `${name}: ŷ has shape [3, 5] but y has shape [5]${onehot}`, `${name}, a tensor`);
  }
  // one observation: a label as a number, or a one-element array
  assert.throws(() => crossentropy(tensor([0.2, 0.5, 0.3]), 2), (e: Error) => e.message === 'crossentropy: y is the number 2, not a target of ' +
    'ŷ\'s shape [3]: a class label must be one-hot encoded, onehot(2, [0, 1, 2]) for one observation or onehotbatch(labels, [0, 1, 2])');
  assert.throws(() => logitcrossentropy(tensor([0.2, 0.5, 0.3]), [2]), /^logitcrossentropy: ŷ has shape \[3\] but y has shape \[1\]: y looks like class labels/);
  assert.throws(() => crossentropy(tensor(new Float32Array(24), [12, 2]), 7), /onehot\(7, Array\.from\(\{ length: 12 \}, \(_, i\) => i\)\)/);
  assert.ok(Number.isFinite(vals(crossentropy(tensor([0.2, 0.8]), 1))[0]), 'a constant target in [0, 1] stays allowed (Flux)');
  // regression losses get no label hint
  assert.throws(() => mse(logits, labels), (e: Error) => e.message === 'mse: ŷ has shape [3, 5] but y has shape [5]');
  // observations as rows: y transposed
  assert.throws(() => mse(logits, tensor(new Float32Array(15), [5, 3])), (e: Error) => e.message === 'mse: ŷ has shape [3, 5] but y has shape [5, 3]: ' +
    'y looks transposed. Observations are the last dimension (one column each, as in Flux), so y should be [3, 5]: build it that way or pass transpose(y)');
  assert.throws(() => logitcrossentropy(logits, tensor(new Float32Array(15), [5, 3])), /^logitcrossentropy: .*: y looks transposed\. Observations are the last dimension/);
  // one output row and a vector of targets
  assert.throws(() => mse(tensor(new Float32Array(4), [1, 4]), [1, 2, 3, 4]), (e: Error) => e.message === 'mse: ŷ has shape [1, 4] but y has shape [4]: ' +
    'ŷ is one row of 4 observations (observations are the last dimension); make y the same row: reshape(y, [1, 4])');
})));

// Gradients with respect to ŷ and y on the reference device, with inputs in each loss's domain.
reseed(21);
const P = (shape: number[]) => input(shape, 0.05, 0.95);      // probabilities
const fixedY = (shape: number[], data: number[]) => ({ shape, data: Float64Array.from(data) });
const GRADS: [string, (ŷ: Tensor, y: Tensor) => Tensor, ReturnType<typeof input>[]][] = [
  ['mse', (a, b) => mse(a, b), [input([3, 4]), input([3, 4])]],
  ['mse agg sum', (a, b) => mse(a, b, { agg: 'sum' }), [input([3, 4]), input([3, 4])]],
  ['mae', (a, b) => mae(a, b), [input([3, 4]), input([3, 4])]],
  ['msle', (a, b) => msle(a, b), [input([3, 4], 0.1, 3), input([3, 4], 0.1, 3)]],
  ['huber_loss', (a, b) => huber_loss(a, b, { delta: 0.7 }), [input([3, 4], -2, 2), input([3, 4], -2, 2)]],
  ['label_smoothing', (y) => label_smoothing(y, 0.2), [P([3, 4])]],
  ['crossentropy', (a, b) => crossentropy(a, b), [P([3, 4]), P([3, 4])]],
  ['crossentropy dims 1 agg none', (a, b) => crossentropy(a, b, { dims: 1, agg: 'none' }), [P([3, 4]), P([3, 4])]],
  ['logitcrossentropy', (a, b) => logitcrossentropy(a, b), [input([3, 4], -3, 3), P([3, 4])]],
  ['binarycrossentropy', (a, b) => binarycrossentropy(a, b), [P([3, 4]), P([3, 4])]],
  ['logitbinarycrossentropy', (a, b) => logitbinarycrossentropy(a, b), [input([3, 4], -4, 4), P([3, 4])]],
  ['kldivergence', (a, b) => kldivergence(a, b), [P([3, 4]), P([3, 4])]],
  ['poisson_loss', (a, b) => poisson_loss(a, b), [input([3, 4], 0.1, 3), input([3, 4], 0, 4)]],
  ['hinge_loss', (a, b) => hinge_loss(a, b), [input([3, 4], -2, 2), fixedY([3, 4], [1, -1, 1, 1, -1, -1, 1, -1, 1, 1, -1, 1])]],
  ['squared_hinge_loss', (a, b) => squared_hinge_loss(a, b), [input([3, 4], -2, 2), fixedY([3, 4], [1, -1, 1, 1, -1, -1, 1, -1, 1, 1, -1, 1])]],
  ['dice_coeff_loss', (a, b) => dice_coeff_loss(a, b), [P([3, 4]), P([3, 4])]],
  ['tversky_loss', (a, b) => tversky_loss(a, b, { beta: 0.3 }), [P([3, 4]), P([3, 4])]],
  ['binary_focal_loss', (a, b) => binary_focal_loss(a, b), [P([3, 4]), fixedY([3, 4], [1, 0, 0, 1, 1, 1, 0, 0, 1, 0, 1, 0])]],
  ['focal_loss', (a, b) => focal_loss(a, b, { gamma: 1.5 }), [P([3, 4]), P([3, 4])]],
  ['siamese_contrastive_loss', (a, b) => siamese_contrastive_loss(a, b, { margin: 1.2 }), [input([3, 4], 0, 2), P([3, 4])]],
];
for (const [name, f, inputs] of GRADS) {
  test(`${name}: gradient matches finite differences [ref]`, async () => {
    await gradcheck(f as (...x: Tensor[]) => Tensor, inputs, { rtol: 1e-5, atol: 1e-8, label: name });
  });
}

test.run();
