// Layers (src/nn/): Dense, Chain, params, Dropout, LayerNorm, BatchNorm, train/test modes and
// the initialisers, against FLUX_SEMANTICS 2.8–2.9 with hand-computed values; gradients of the
// layers against central finite differences on the float64 reference.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  init, tensor, ones, zeros, seed, withPolicy, scope, gradient, mul, sum, memory, Tensor, Params,
  Dense, Chain, Dropout, LayerNorm, BatchNorm, params, trainmode, testmode, mse,
  relu, sigmoid, tanh, leakyrelu, softplus, softmax, logsoftmax, identity,
  glorot_uniform, glorot_normal, kaiming_uniform, kaiming_normal, nfan,
} from '../src/index.js';
import { assertClose } from './_helpers/allclose.js';
import { gradcheck, input, reseed } from './_helpers/gradcheck.js';

await init({ gpu: false });
const vals = (t: Tensor) => Array.from(t.backend.readSync(t.buf, t.size)!);
const sig = (x: number) => 1 / (1 + Math.exp(-x));
const onRef = <T>(f: () => T) => withPolicy('ref', () => scope(f));
const F32 = { rtol: 2e-6, atol: 1e-7 }, F64 = { rtol: 1e-12, atol: 1e-14, f32: false };

// ---------------------------------------------------------------- Dense
// W = [1 −2; 0.5 1; −1 −1], b = [0.5, −1, 0]
// x = [1, 2]:  W·x = [1−4, 0.5+2, −1−2] = [−3, 2.5, −3];  + b = [−2.5, 1.5, −3]
// x = [0, −1]: W·x = [2, −1, 1];                            + b = [2.5, −2, 1]
const W0 = [[1, -2], [0.5, 1], [-1, -1]], B0 = [0.5, -1, 0];
const Z1 = [-2.5, 1.5, -3], Z2 = [2.5, -2, 1];
const batch = (f: (z: number) => number) => [f(Z1[0]), f(Z2[0]), f(Z1[1]), f(Z2[1]), f(Z1[2]), f(Z2[2])]; // [3, 2] row-major

for (const [pol, tol] of [['ref', F64], ['auto', F32]] as const) {
  const dev = pol === 'ref' ? 'ref' : 'wasm';
  const acts: [string, unknown, (z: number) => number][] = [
    ['identity', identity, (z) => z], ['relu', relu, (z) => Math.max(z, 0)], ['sigmoid', sigmoid, sig],
    ['tanh', tanh, Math.tanh], ['leakyrelu (not fused)', leakyrelu, (z) => (z > 0 ? z : 0.01 * z)],
    ['softplus (not fused)', softplus, (z) => Math.log1p(Math.exp(z))],
  ];
  for (const [n, σ, f] of acts) {
    test(`Dense ${n} on a vector and a batch, hand-set weights [${dev}]`, () => withPolicy(pol, () => scope(() => {
      const d = Dense(tensor(W0), tensor(B0), σ as typeof relu);
      const yv = d(tensor([1, 2]));
      assert.equal(yv.shape, [3]);
      assert.is(yv.device, dev);
      assertClose(vals(yv), Z1.map(f), tol, `${n} vector`);
      const yb = d(tensor([[1, 0], [2, -1]]));            // columns [1, 2] and [0, −1]
      assert.equal(yb.shape, [3, 2]);
      assertClose(vals(yb), batch(f), tol, `${n} batch`);
    })));
  }
}

test('Dense forms: (in, out), ([in, out]), bias false, init, aliases, N-d input', () => onRef(() => {
  const d = Dense(2, 3, relu, { init: ones });
  assert.equal(d.weight.shape, [3, 2]);
  assert.equal(vals(d.weight), [1, 1, 1, 1, 1, 1]);
  assert.equal(vals(d.bias as Tensor), [0, 0, 0]);               // Flux: bias zeros
  assert.is(d.W, d.weight); assert.is(d.b, d.bias);
  assert.ok(d.weight.kept && (d.bias as Tensor).kept);
  const p = Dense([784, 32], sigmoid);
  assert.equal(p.weight.shape, [32, 784]);
  assert.is(p.σ, sigmoid);
  const nb = Dense(2, 3, identity, { bias: false, init: ones });
  assert.is(nb.bias, false);
  assert.is(params(nb).length, 1);
  assert.equal(vals(nb(tensor([1, 2]))), [3, 3, 3]);
  // [in, 2, 2] is reshaped to [in, 4] and back: each column [1, 2] gives [3, 3, 3]
  const y = nb(tensor([[[1, 1], [1, 1]], [[2, 2], [2, 2]]]));
  assert.equal(y.shape, [3, 2, 2]);
  assert.equal(vals(y), Array(12).fill(3));
  // replacing the weight takes effect at the next call
  nb.weight = zeros(3, 2).keep();
  assert.equal(vals(nb(tensor([1, 2]))), [0, 0, 0]);
}));

test('Dense default init is glorot_uniform from the seeded stream', () => onRef(() => {
  seed(5); const d = Dense(20, 10);
  seed(5); const w = glorot_uniform(10, 20);
  assert.equal(vals(d.weight), vals(w));
}));

test('Dense errors name the layer and the shapes', () => onRef(() => {
  const d = Dense(784, 32);
  assert.throws(() => d(zeros(783, 64)), (e: Error) => e instanceof RangeError &&
    e.message === 'Dense(784 => 32): input has 783 features, expected 784 (input shape [783, 64])');
  assert.throws(() => d(tensor(1)), /Dense\(784 => 32\): input has 0 features/);
  assert.throws(() => Dense(32, 10, softmax as typeof relu), (e: Error) =>
    /Dense\(32 => 10\): softmax is not elementwise.*Chain\(Dense\(32 => 10\), softmax\)/.test(e.message));
  assert.throws(() => Dense(32, 10, logsoftmax as typeof relu), /logsoftmax is not elementwise/);
  assert.throws(() => Dense(0, 10), /Dense\(0 => 10\): in and out must be positive integers/);
  assert.throws(() => Dense(2.5, 10), /positive integers/);
  assert.throws(() => Dense(2, 3, 5 as unknown as typeof relu), /Dense\(2 => 3\): activation must be a function/);
  assert.throws(() => Dense(2, 3, relu, { init: () => zeros(2, 3) }), /init returned a tensor of shape \[2,3\], expected shape \[3, 2\]/);
  assert.throws(() => Dense(tensor(W0), tensor([1, 2])), /bias has shape \[2\], expected \[3\]/);
}));

// ---------------------------------------------------------------- initialisers
test('initialisers: Flux fan formulas, bounds and moments (seeded)', () => onRef(() => {
  assert.equal(nfan([10, 20]), [20, 10]);                     // [out, in] → (fan_in, fan_out)
  assert.equal(nfan([7]), [1, 7]);                            // vector n → (1, n)
  assert.equal(nfan([3, 3, 4, 8]), [36, 72]);                 // conv [k, k, cin, cout] → 9·4, 9·8
  seed(1);
  const stats = (t: Tensor) => {
    const v = vals(t); const m = v.reduce((a, b) => a + b, 0) / v.length;
    return { m, sd: Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length), amax: Math.max(...v.map(Math.abs)) };
  };
  // glorot_uniform(100, 200): fan_in 200, fan_out 100, bound √(6/300) = 0.141421, sd = bound/√3 = 0.081650
  let s = stats(glorot_uniform(100, 200));
  assert.ok(s.amax <= Math.sqrt(6 / 300) && s.amax > 0.99 * Math.sqrt(6 / 300), `glorot_uniform max ${s.amax}`);
  assert.ok(Math.abs(s.sd / Math.sqrt(2 / 300) - 1) < 0.03 && Math.abs(s.m) < 0.002, `glorot_uniform sd ${s.sd}`);
  s = stats(glorot_uniform(100, 200, { gain: 2 }));          // gain doubles the bound: 0.282843
  assert.ok(s.amax <= 2 * Math.sqrt(6 / 300) && s.amax > 1.98 * Math.sqrt(6 / 300));
  s = stats(glorot_normal([100, 200]));                       // sd √(2/300) = 0.081650
  assert.ok(Math.abs(s.sd / Math.sqrt(2 / 300) - 1) < 0.03, `glorot_normal sd ${s.sd}`);
  // kaiming_uniform: bound √3·√2/√200 = √(6/200) = 0.173205
  s = stats(kaiming_uniform(100, 200));
  assert.ok(s.amax <= Math.sqrt(6 / 200) && s.amax > 0.99 * Math.sqrt(6 / 200), `kaiming_uniform max ${s.amax}`);
  s = stats(kaiming_normal(100, 200));                        // sd √2/√200 = 0.1
  assert.ok(Math.abs(s.sd / 0.1 - 1) < 0.03, `kaiming_normal sd ${s.sd}`);
  s = stats(kaiming_normal(100, 200, { gain: 1 }));          // sd 1/√200 = 0.070711
  assert.ok(Math.abs(s.sd / Math.sqrt(1 / 200) - 1) < 0.03);
  seed(3); const a = vals(glorot_normal(3, 4)); seed(3);
  assert.equal(vals(glorot_normal(3, 4)), a);                 // reproducible
  assert.throws(() => glorot_uniform(3, -1), /glorot_uniform: shape \[3, -1\]/);
  assert.throws(() => kaiming_normal(3, 4, { gain: NaN }), /kaiming_normal: gain must be a finite number/);
}));

// ---------------------------------------------------------------- Chain and params
test('Chain: order, indexing, function layers, nesting', () => onRef(() => {
  const d = Dense(tensor(W0), tensor(B0));
  const double = (x: Tensor) => mul(x, 2);
  const m = Chain(d, relu, double);
  // relu([−2.5, 1.5, −3]) = [0, 1.5, 0]; ·2 = [0, 3, 0]
  assert.equal(vals(m(tensor([1, 2]))), [0, 3, 0]);
  assert.is(m.layers[0], d); assert.is(m[0], d); assert.is(m.layers[2], double);
  assert.is(m.layers.length, 3);
  const outer = Chain(Chain(d), Chain([relu, double]));
  assert.equal(vals(outer(tensor([1, 2]))), [0, 3, 0]);
  assert.equal(vals(Chain()(tensor([1, 2]))), [1, 2]);       // an empty Chain is the identity
  assert.throws(() => Chain(d, 3 as unknown as typeof relu), /Chain: layer 1 must be a function \(a layer\), got number 3/);
}));

test('params: every trainable tensor once, in order; shared layers and nested containers', () => onRef(() => {
  const a = Dense(2, 3), b = Dense(3, 2);
  const ps = params(Chain(a, relu, b));
  assert.ok(ps instanceof Params);
  assert.equal(ps.order, [a.weight, a.bias, b.weight, b.bias]);
  assert.is(params(Chain(a, a, Chain(a))).length, 2);        // tied layer counted once
  assert.equal(params({ enc: a, more: [b, { w: a.weight }] }).order, [a.weight, a.bias, b.weight, b.bias]);
  assert.equal(params([a.weight, b.bias]).order, [a.weight, b.bias]);
  assert.is(params(ps), ps);
  const bn = BatchNorm(3);
  assert.equal(params(bn).order, [bn.gamma, bn.beta]);       // running stats are not trainable
  assert.throws(() => params(3), /params: argument 0 must be a model, a tensor or an array of them, got number 3/);
}));

test('gradient(f, m) equals gradient(f, params(m))', () => onRef(() => {
  seed(2);
  const m = Chain(Dense(3, 4, tanh), Dense(4, 2));
  const x = tensor([[1, -1], [0.5, 2], [-3, 0]]), y = tensor([[0, 1], [1, 0]]);
  const g1 = gradient(() => mse(m(x), y), m), g2 = gradient(() => mse(m(x), y), params(m));
  for (const p of params(m)) assert.equal(vals(g1.get(p)!), vals(g2.get(p)!));
  assert.is([...g1].length, 4);
}));

reseed(11);
test('gradients of Dense and Chain match finite differences [ref]', async () => {
  const chain = (act: typeof relu) => (W1: Tensor, b1: Tensor, W2: Tensor, x: Tensor) =>
    Chain(Dense(W1, b1, act), Dense(W2, false, identity))(x);
  for (const act of [tanh, sigmoid, leakyrelu, softplus, relu]) {
    await gradcheck(chain(act), [input([4, 3]), input([4]), input([2, 4]), input([3, 5])], { label: `Chain ${act.name}` });
  }
  // a vector input
  await gradcheck((W: Tensor, b: Tensor, x: Tensor) => Dense(W, b, sigmoid)(x), [input([3, 2]), input([3]), input([2])]);
});

// ---------------------------------------------------------------- Dropout
test('Dropout: kept entries scaled 1/(1−p), drop rate p, test mode identity', () => onRef(() => {
  seed(4);
  const d = Dropout(0.3);
  const x = ones(100, 100);
  assert.is(d(x), x);                                        // automatic mode, not in gradient: identity
  trainmode(d);
  const v = vals(d(x));
  const keep = 1 / 0.7;                                       // 1.4285714
  assert.ok(v.every((z) => z === 0 || Math.abs(z - keep) < 1e-12));
  const zerosFrac = v.filter((z) => z === 0).length / v.length;
  assert.ok(Math.abs(zerosFrac - 0.3) < 0.015, `drop rate ${zerosFrac}`);   // 10⁴ draws: sd 0.0046
  const meanV = v.reduce((a, b) => a + b, 0) / v.length;
  assert.ok(Math.abs(meanV - 1) < 0.03, `mean ${meanV}`);     // E[y] = x
  testmode(d);
  assert.equal(vals(d(tensor([1, 2, 3]))), [1, 2, 3]);
  trainmode(d, 'auto');
  assert.is(d.active, null);
  assert.is(Dropout(0)(x), x);
  trainmode(d); assert.equal(vals(Dropout(1, { active: true })(tensor([1, 2]))), [0, 0]);
}));

test('Dropout: automatic mode is active inside gradient, mask shared along dims', () => onRef(() => {
  seed(9);
  const d = Dropout(0.5);
  const x = tensor(Array(20).fill(1), [4, 5]);
  const g = gradient(() => sum(mul(d(x), 1)), [x]).get(x)!;
  const v = vals(g);                                          // d sum(mask .* x)/dx = mask
  assert.ok(v.every((z) => z === 0 || z === 2) && v.includes(0) && v.includes(2), `${v}`);
  const col = Dropout(0.5, { dims: 1, active: true })(tensor(Array(40).fill(1), [4, 10]));
  const c = vals(col);
  for (let j = 0; j < 10; j++) for (let i = 1; i < 4; i++) assert.is(c[i * 10 + j], c[j]);   // one draw per column
  const w = withPolicy('auto', () => Dropout(0.5, { active: true })(ones(64)));      // on the Wasm CPU
  assert.is(w.device, 'wasm');
  assert.ok(vals(w).every((z) => z === 0 || z === 2));
  w.dispose();
  assert.throws(() => Dropout(1.5), /Dropout: p must be in \[0, 1\], got number 1.5/);
  assert.throws(() => Dropout(0.5, { dims: 3, active: true })(ones(2, 2)), /Dropout\(0.5\): dims 3 out of range for input shape \[2, 2\]/);
}));

// ---------------------------------------------------------------- LayerNorm
// x = [1 4; 2 5; 3 9] ([3, 2]): column 1 = [1, 2, 3], mean 2, biased var (1+0+1)/3 = 2/3;
// column 2 = [4, 5, 9], mean 6, deviations [−2, −1, 3], var (4+1+9)/3 = 14/3.
const LN_X = [[1, 4], [2, 5], [3, 9]];
const s1 = Math.sqrt(2 / 3 + 1e-5), s2 = Math.sqrt(14 / 3 + 1e-5);
const LN_Y = [-1 / s1, -2 / s2, 0, -1 / s2, 1 / s1, 3 / s2];
for (const [pol, tol] of [['ref', F64], ['auto', F32]] as const) {
  test(`LayerNorm: hand values, affine γ/β [${pol === 'ref' ? 'ref' : 'wasm'}]`, () => withPolicy(pol, () => scope(() => {
    const ln = LayerNorm(3);
    assertClose(vals(ln(tensor(LN_X))), LN_Y, tol, 'LayerNorm');
    assertClose(vals(ln(tensor([1, 2, 3]))), [-1 / s1, 0, 1 / s1], tol, 'LayerNorm vector');
    ln.gamma = tensor([1, 2, 3]).keep(); ln.beta = tensor([0, 1, 0]).keep();   // row r: γ_r·ŷ + β_r
    assertClose(vals(ln(tensor(LN_X))), [-1 / s1, -2 / s2, 1, 1 - 2 / s2, 3 / s1, 9 / s2], tol, 'LayerNorm affine');
  })));
}

test('LayerNorm: several dims, no affine, λ, errors', () => onRef(() => {
  // LayerNorm([2, 2]) over the first two dims of [2, 2, 1]: values [1, 2, 3, 4], mean 2.5, var 1.25
  const ln = LayerNorm([2, 2], identity, { affine: false });
  assert.is(params(ln).length, 0);
  const s = Math.sqrt(1.25 + 1e-5);
  assertClose(vals(ln(tensor([[[1], [2]], [[3], [4]]]))), [-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s], F64, 'LayerNorm([2, 2])');
  assertClose(vals(LayerNorm(3, relu)(tensor(LN_X))), LN_Y.map((v) => Math.max(v, 0)), F64, 'LayerNorm λ');
  assert.throws(() => LayerNorm(3)(zeros(4, 2)), /LayerNorm\(3\): input shape \[4, 2\] must start with \[3\]/);
  assert.throws(() => LayerNorm(0), /LayerNorm: size must be positive integers/);
}));

test('gradients of LayerNorm match finite differences [ref]', async () => {
  const ln = withPolicy('ref', () => LayerNorm(4));
  await gradcheck((x: Tensor, g: Tensor, b: Tensor) => { ln.gamma = g; ln.beta = b; return ln(x); },
    [input([4, 3]), input([4]), input([4])], { label: 'LayerNorm' });
});

// ---------------------------------------------------------------- BatchNorm
// x = [1 2 3; 4 6 8] ([2 channels, 3 samples]).
// channel 0: mean 2, biased var 2/3, unbiased 1;    channel 1: mean 6, biased var 8/3, unbiased 4.
// running after one step (m = 0.1): μ = [0.1·2, 0.1·6] = [0.2, 0.6];
//   σ² = [0.9·1 + 0.1·1, 0.9·1 + 0.1·4] = [1, 1.3]
// after a second step: μ = [0.9·0.2 + 0.2, 0.9·0.6 + 0.6] = [0.38, 1.14]; σ² = [1, 0.9·1.3 + 0.4] = [1, 1.57]
const BN_X = [[1, 2, 3], [4, 6, 8]];
const c0 = Math.sqrt(2 / 3 + 1e-5), c1 = Math.sqrt(8 / 3 + 1e-5);
for (const [pol, tol] of [['ref', F64], ['auto', F32]] as const) {
  test(`BatchNorm: training, running stats, test mode [${pol === 'ref' ? 'ref' : 'wasm'}]`, () => withPolicy(pol, () => scope(() => {
    const bn = BatchNorm(2);
    const x = tensor(BN_X);
    trainmode(bn);
    assertClose(vals(bn(x)), [-1 / c0, 0, 1 / c0, -2 / c1, 0, 2 / c1], tol, 'BatchNorm train');
    assertClose(vals(bn.mu), [0.2, 0.6], tol, 'running mean'); assertClose(vals(bn.sigma2), [1, 1.3], tol, 'running var');
    bn(x);
    assertClose(vals(bn.mu), [0.38, 1.14], tol, 'running mean 2'); assertClose(vals(bn.sigma2), [1, 1.57], tol, 'running var 2');
    testmode(bn);
    // (x − μ)/√(σ² + ε) with μ = [0.38, 1.14], σ² = [1, 1.57]; stats unchanged in test mode
    const t0 = Math.sqrt(1 + 1e-5), t1 = Math.sqrt(1.57 + 1e-5);
    const want = [1, 2, 3].map((v) => (v - 0.38) / t0).concat([4, 6, 8].map((v) => (v - 1.14) / t1));
    assertClose(vals(bn(x)), want, tol, 'BatchNorm test');
    assertClose(vals(bn.mu), [0.38, 1.14], tol, 'running mean kept');
    // affine: γ = [2, 1], β = [0, −1] in test mode
    bn.gamma = tensor([2, 1]).keep(); bn.beta = tensor([0, -1]).keep();
    assertClose(vals(bn(x)), want.map((v, i) => (i < 3 ? 2 * v : v - 1)), tol, 'BatchNorm test affine');
  })));
}

test('BatchNorm: automatic mode, channel axis rank−2, errors', () => onRef(() => {
  const bn = BatchNorm(2);
  const x = tensor(BN_X);
  // automatic, outside gradient: running stats μ = 0, σ² = 1 → x/√(1 + ε)
  assertClose(vals(bn(x)), [1, 2, 3, 4, 6, 8].map((v) => v / Math.sqrt(1 + 1e-5)), F64, 'BatchNorm auto test');
  assert.equal(vals(bn.mu), [0, 0]);
  gradient(() => sum(bn(x)), bn);                            // automatic, inside gradient: training
  assertClose(vals(bn.mu), [0.2, 0.6], F64, 'auto train mean');
  // [2, 2, 2] = [L, C, B], channel axis 1; x[l, c, b] = 4l + 2c + b.
  // channel 0: {0, 1, 4, 5}: mean 2.5, deviations ±1.5, ±2.5, var (2.25·2 + 6.25·2)/4 = 4.25
  // channel 1: {2, 3, 6, 7}: mean 4.5, var 4.25.  running μ = [0.25, 0.45], σ² = 0.9 + 0.1·(4/3)·4.25
  const b3 = BatchNorm(2, identity, { active: true });
  const y = vals(b3(tensor([0, 1, 2, 3, 4, 5, 6, 7], [2, 2, 2])));
  const s = Math.sqrt(4.25 + 1e-5);
  assertClose(y, [-2.5, -1.5, -2.5, -1.5, 1.5, 2.5, 1.5, 2.5].map((v) => v / s), F64, 'BatchNorm rank 3');
  assertClose(vals(b3.mu), [0.25, 0.45], F64, 'rank 3 mean');
  assertClose(vals(b3.sigma2), [0.9 + 0.1 * 4.25 * 4 / 3, 0.9 + 0.1 * 4.25 * 4 / 3], F64, 'rank 3 var');
  assert.throws(() => BatchNorm(2, identity, { active: true })(zeros(2, 1)),
    /BatchNorm\(2\): training needs more than one value per channel \(input shape \[2, 1\]\)/);
  assert.throws(() => bn(zeros(3, 4)), /BatchNorm\(2\): input shape \[3, 4\] must have 2 channels at axis rank−2/);
  assert.throws(() => BatchNorm(2, identity, { momentum: 2 }), /momentum must be in \[0, 1\]/);
}));

// BatchNorm on images and volumes: per channel (axis rank−2) over every other axis, as Flux.
const bnDef = (x: Float64Array, shape: number[]) => {
  const c = shape.length - 2, C = shape[c], inner = shape.slice(c + 1).reduce((a, b) => a * b, 1);
  const chan = (i: number) => Math.floor(i / inner) % C, M = x.length / C;
  const mu = new Float64Array(C), v = new Float64Array(C);
  x.forEach((z, i) => { mu[chan(i)] += z / M; });
  x.forEach((z, i) => { v[chan(i)] += (z - mu[chan(i)]) ** 2 / M; });
  return { y: x.map((z, i) => (z - mu[chan(i)]) / Math.sqrt(v[chan(i)] + 1e-5)), mu, v, M, chan };
};
for (const [pol, tol] of [['ref', F64], ['auto', { rtol: 1e-5, atol: 1e-5 }]] as const) {
  test(`BatchNorm on [w, h, c, n] and [w, h, d, c, n]: per channel over the other axes [${pol === 'ref' ? 'ref' : 'wasm'}]`, () => withPolicy(pol, () => scope(() => {
    reseed(41);
    for (const shape of [[5, 4, 3, 2], [3, 2, 4, 3, 2]]) {
      const x = Float64Array.from(input(shape, -2, 3).data), C = shape[shape.length - 2], want = bnDef(x, shape);
      const bn = BatchNorm(C, identity, { active: true });
      bn.gamma = tensor(Array.from({ length: C }, (_, i) => i + 1)).keep(); bn.beta = tensor(Array.from({ length: C }, (_, i) => -i)).keep();
      assertClose(vals(bn(tensor(x, shape))), Array.from(want.y, (z, i) => (want.chan(i) + 1) * z - want.chan(i)), tol, `BatchNorm train [${shape}]`);
      assertClose(vals(bn.mu), Array.from(want.mu, (m) => 0.1 * m), tol, `running mean [${shape}]`);
      assertClose(vals(bn.sigma2), Array.from(want.v, (v) => 0.9 + 0.1 * v * want.M / (want.M - 1)), tol, `running var [${shape}]`);
      testmode(bn);
      const mu = vals(bn.mu), s2 = vals(bn.sigma2);
      assertClose(vals(bn(tensor(x, shape))), Array.from(x, (z, i) => (want.chan(i) + 1) * (z - mu[want.chan(i)]) / Math.sqrt(s2[want.chan(i)] + 1e-5) - want.chan(i)), tol, `BatchNorm test [${shape}]`);
    }
    assert.throws(() => BatchNorm(3)(zeros([5, 4, 2, 2])), /BatchNorm\(3\): input shape \[5, 4, 2, 2\] must have 3 channels at axis rank−2/);
  })));
}

test('gradients of BatchNorm on [w, h, c, n] match finite differences [ref]', async () => {
  const bn = withPolicy('ref', () => BatchNorm(3, tanh, { active: true }));
  await gradcheck((x: Tensor, g: Tensor, b: Tensor) => { bn.gamma = g; bn.beta = b; return bn(x); },
    [input([4, 3, 3, 2]), input([3]), input([3])], { label: 'BatchNorm 4-d' });
});

test('Dropout on [w, h, c, n]: dims [2] drops whole channels, [2, 3] per observation too, any dims', () => onRef(() => {
  seed(11);
  const shape = [4, 3, 6, 5], x = ones(shape);
  for (const dims of [[2], [2, 3], [0, 3], [0, 2]]) {   // [0, 2]: a mask [4, 1, 6, 1], four strided blocks
    const v = vals(Dropout(0.5, { dims, active: true })(x));
    const strides = [90, 30, 5, 1], drawn = new Map<string, number>();
    for (let i = 0; i < v.length; i++) {
      assert.ok(v[i] === 0 || v[i] === 2);
      const key = dims.map((d) => Math.floor(i / strides[d]) % shape[d]).join(',');
      if (!drawn.has(key)) drawn.set(key, v[i]);
      assert.is(v[i], drawn.get(key), `dims [${dims}]: one value per index of the dims ${key}`);
    }
    assert.is(drawn.size, dims.reduce((a, d) => a * shape[d], 1));
    assert.ok([...drawn.values()].includes(0) && [...drawn.values()].includes(2), `dims [${dims}] draws both`);
  }
}));

test('trainmode/testmode reach Dropout and BatchNorm inside Chains', () => onRef(() => {
  const d = Dropout(0.5), bn = BatchNorm(2);
  const m = Chain(Dense(2, 2), Chain(bn, d));
  assert.is(trainmode(m), m);
  assert.is(d.active, true); assert.is(bn.active, true);
  testmode(m); assert.is(d.active, false); assert.is(bn.active, false);
  testmode(m, false); assert.is(d.active, true);
  testmode(m, 'auto'); assert.is(bn.active, null);
  assert.throws(() => trainmode(m, 1 as unknown as boolean), /trainmode: mode must be true, false or 'auto'/);
}));

test('gradients of BatchNorm (training) match finite differences [ref]', async () => {
  const bn = withPolicy('ref', () => BatchNorm(3, tanh, { active: true }));
  await gradcheck((x: Tensor, g: Tensor, b: Tensor) => { bn.gamma = g; bn.beta = b; return bn(x); },
    [input([3, 4]), input([3]), input([3])], { label: 'BatchNorm' });
});

test('a gradient step through a Chain leaves no tensors behind', () => withPolicy('ref', () => {
  const m = Chain(Dense(3, 4, relu), LayerNorm(4), Dropout(0.2), BatchNorm(4), Dense(4, 2), softmax);
  const x = tensor([[1, 2], [3, 4], [5, 6]]).keep(), y = tensor([[1, 0], [0, 1]]).keep();
  scope(() => gradient(() => mse(m(x), y), m).dispose());    // warm-up (cached scalars)
  const before = memory().tensors;
  scope(() => gradient(() => mse(m(x), y), m).dispose());
  assert.ok(memory().tensors <= before, `${memory().tensors - before} tensors leaked`);
}));

test.run();
