// Activations (src/nn/activations.ts) against NNlib's definitions, FLUX_SEMANTICS 2.7: values
// computed by hand from the table's formulas, at X = [-4, -1, -0.5, 0, 0.5, 1, 4, 7] (both
// branches of every piecewise rule and the clamps of relu6/hardσ), on the float64 reference
// and on the Wasm CPU; gradients against central finite differences on the reference.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { init, tensor, withPolicy, scope, type Tensor } from '../src/index.js';
import * as A from '../src/nn/activations.js';
import { assertClose } from './_helpers/allclose.js';
import { gradcheck, input, reseed } from './_helpers/gradcheck.js';

await init({ gpu: false });
/** The values in the device's precision (float64 on ref), synchronously. */
const vals = (t: Tensor) => t.backend.readSync(t.buf, t.size)!;

const X = [-4, -1, -0.5, 0, 0.5, 1, 4, 7];
const e = Math.exp;
/** σ(x) = 1/(1+e⁻ˣ); softplus(x) = log(1+eˣ); SELU's λ, α. */
const sig = (x: number) => 1 / (1 + e(-x));
const L = 1.0507009873554805, Al = 1.6732632423543772;

// name → [f, expected at X], each expected written from the spec's formula.
const TABLE: [string, (x: Tensor) => Tensor, number[]][] = [
  ['identity', A.identity, X],
  // 1/(1+e^4) = 0.01798620996, 1/(1+e) = 0.26894142137, 1/(1+e^0.5) = 0.37754066880, 1/2, ...
  ['sigmoid', A.sigmoid, [0.017986209962091555, 0.2689414213699951, 0.37754066879814546, 0.5,
    0.6224593312018546, 0.7310585786300049, 0.9820137900379085, 0.9990889488055994]],
  // clamp((x+3)/6, 0, 1): (-1+3)/6 = 1/3, (-0.5+3)/6 = 5/12, 3/6, 3.5/6 = 7/12, 4/6, then 1
  ['hardsigmoid', A.hardsigmoid, [0, 1 / 3, 5 / 12, 0.5, 7 / 12, 2 / 3, 1, 1]],
  // −softplus(−x) = −log(1 + e^−x): −log(1+e^4) = −4.01814993, −log 2 at 0, ...
  ['logsigmoid', A.logsigmoid, [-4.0181499279178094, -1.3132616875182228, -0.9740769841801067, -Math.LN2,
    -0.4740769841801067, -0.31326168751822286, -0.018149927917809738, -0.0009114664537742447]],
  ['relu', A.relu, [0, 0, 0, 0, 0.5, 1, 4, 7]],
  ['relu6', A.relu6, [0, 0, 0, 0, 0.5, 1, 4, 6]],                       // clamp(7, 0, 6) = 6
  ['leakyrelu', A.leakyrelu, [-0.04, -0.01, -0.005, 0, 0.5, 1, 4, 7]],   // 0.01·x below 0
  ['leakyrelu(x, 0.2)', (x) => A.leakyrelu(x, 0.2), [-0.8, -0.2, -0.1, 0, 0.5, 1, 4, 7]],
  // e^x − 1: e^−4 − 1 = −0.98168436, e^−1 − 1 = −0.63212056, e^−0.5 − 1 = −0.39346934
  ['elu', A.elu, [e(-4) - 1, e(-1) - 1, e(-0.5) - 1, 0, 0.5, 1, 4, 7]],
  ['elu(x, 2)', (x) => A.elu(x, 2), [2 * (e(-4) - 1), 2 * (e(-1) - 1), 2 * (e(-0.5) - 1), 0, 0.5, 1, 4, 7]],
  ['celu', A.celu, [e(-4) - 1, e(-1) - 1, e(-0.5) - 1, 0, 0.5, 1, 4, 7]],
  // α(e^(x/α) − 1) with α = 2: 2(e^−2 − 1) = −1.72932943
  ['celu(x, 2)', (x) => A.celu(x, 2), [2 * (e(-2) - 1), 2 * (e(-0.5) - 1), 2 * (e(-0.25) - 1), 0, 0.5, 1, 4, 7]],
  // λ·α(e^x − 1) below 0, λx above: λ·α(e^−4 − 1) = −1.72589863, λ·0.5 = 0.52535049
  ['selu', A.selu, [L * Al * (e(-4) - 1), L * Al * (e(-1) - 1), L * Al * (e(-0.5) - 1), 0, L * 0.5, L, 4 * L, 7 * L]],
  // x/2·(1 + tanh(√(2/π)(x + 0.044715x³))): at 1: ½(1 + tanh(0.79788456·1.044715)) = 0.84119199
  ['gelu', A.gelu, [-7.024594819227126e-05, -0.15880800939172324, -0.15428599017485606, 0,
    0.34571400982514394, 0.8411919906082768, 3.9999297540518075, 6.999999999999997]],
  // x·σ(x): −4·0.01798621 = −0.07194484, −σ(−1) = −0.26894142, ...
  ['swish', A.swish, [-4 * sig(-4), -sig(-1), -0.5 * sig(-0.5), 0, 0.5 * sig(0.5), sig(1), 4 * sig(4), 7 * sig(7)]],
  // x·hardσ(x): −1·(1/3), −0.5·(5/12), 0.5·(7/12), 1·(2/3), 4·1, 7·1
  ['hardswish', A.hardswish, [0, -1 / 3, -5 / 24, 0, 7 / 24, 2 / 3, 4, 7]],
  // log(1 + e^x): log(1+e^−4) = 0.01814993, log 2, 4 + log(1+e^−4) = 4.01814993
  ['softplus', A.softplus, [0.018149927917809738, 0.31326168751822286, 0.4740769841801067, Math.LN2,
    0.9740769841801067, 1.3132616875182228, 4.0181499279178094, 7.000911466453775]],
  ['softsign', A.softsign, [-0.8, -0.5, -1 / 3, 0, 1 / 3, 0.5, 0.8, 0.875]],   // x/(1+|x|): −4/5, 7/8
  ['tanh', A.tanh, X.map(Math.tanh)],
  // x·tanh(softplus(x)): 1·tanh(1.31326169) = 0.86509839
  ['mish', A.mish, [-0.07259174079202535, -0.30340146137410895, -0.22074377465173, 0,
    0.3752452113048951, 0.8650983882673103, 3.9974128069762385, 6.999988379809741]],
];

const DEVICES = [['ref', { rtol: 1e-12, atol: 1e-15, f32: false }], ['auto', { rtol: 3e-6, atol: 2e-7 }]] as const;

for (const [pol, tol] of DEVICES) {
  const dev = pol === 'ref' ? 'ref' : 'wasm';
  for (const [name, f, want] of TABLE) {
    test(`${name} matches NNlib at X [${dev}]`, () => withPolicy(pol, () => scope(() => {
      const y = f(tensor(X));
      assert.is(y.device, dev);
      assertClose(vals(y), want, tol, name);
    })));
  }

  test(`σ, softplus and logσ stay finite at ±100 and ±1000 [${dev}]`, () => withPolicy(pol, () => scope(() => {
    const x = tensor([-1000, -100, 100, 1000]);
    // σ(−100) = e^−100/(1+e^−100) = 3.72e−44 (an f32 subnormal); σ(−1000) underflows to 0
    const t = 3.720075976020836e-44;
    const cases: [string, Tensor, number[]][] = [
      ['sigmoid', A.sigmoid(x), [0, t, 1, 1]],
      ['softplus', A.softplus(x), [0, t, 100, 1000]],        // x + log1p(e^−x) for x ≥ 0
      ['logsigmoid', A.logsigmoid(x), [-1000, -100, -t, 0]],
    ];
    for (const [n, y, want] of cases) {
      const v = vals(y);
      for (const z of v) assert.ok(Number.isFinite(z), `${n}: ${v} holds NaN/Inf`);
      assertClose(v, want, { rtol: 1e-6, atol: 1e-43 }, n);
    }
  })));

  test(`relu(NaN) is NaN [${dev}]`, () => withPolicy(pol, () => scope(() => {
    const v = vals(A.relu(tensor([NaN, -1, 2])));
    assert.ok(Number.isNaN(v[0]));
    assert.equal([v[1], v[2]], [0, 2]);
  })));

  test(`softmax and logsoftmax: hand values, dims, 1000 and +Inf [${dev}]`, () => withPolicy(pol, () => scope(() => {
    const st = { rtol: 3e-6, atol: 1e-7 };
    // e^k / (e + e² + e³) for k = 1, 2, 3
    assertClose(vals(A.softmax(tensor([1, 2, 3]))), [0.09003057317038046, 0.24472847105479767, 0.6652409557748219], st, 'softmax');
    // x − 3 − log(1 + e^−1 + e^−2)
    const l = Math.log(1 + e(-1) + e(-2));
    assertClose(vals(A.logsoftmax(tensor([1, 2, 3]))), [1 - 3 - l, 2 - 3 - l, 3 - 3 - l], st, 'logsoftmax');
    // [[1, 2], [3, 4]]: dims 0 (Flux dims=1) normalises columns [1, 3], [2, 4] → σ(∓2) each;
    // dims 1 normalises rows [1, 2], [3, 4] → σ(∓1) each
    const m = tensor([[1, 2], [3, 4]]);
    assertClose(vals(A.softmax(m)), [sig(-2), sig(-2), sig(2), sig(2)], st, 'softmax dims 0');
    assertClose(vals(A.softmax(m, 1)), [sig(-1), sig(1), sig(-1), sig(1)], st, 'softmax dims 1');
    // a large input: exp(1000 − max) = 1, the rest e^−1000 → 0; no NaN
    assertClose(vals(A.softmax(tensor([1000, 0, -1000]))), [1, 0, 0], st, 'softmax(1000)');
    assertClose(vals(A.softmax(tensor([1000, 1000]))), [0.5, 0.5], st, 'softmax(1000, 1000)');
    // +Inf entries share the mass 1, the rest get 0
    assertClose(vals(A.softmax(tensor([Infinity, 0, Infinity]))), [0.5, 0, 0.5], st, 'softmax(+Inf)');
    assertClose(vals(A.softmax(tensor([Infinity, 1]))), [1, 0], st, 'softmax(+Inf, 1)');
    // logsoftmax([1000, 0]) = [−log(1 + e^−1000), −1000 − log(1 + e^−1000)] = [0, −1000]
    assertClose(vals(A.logsoftmax(tensor([1000, 0]))), [0, -1000], st, 'logsoftmax(1000)');
  })));
}

test('activations accept plain numbers, as NNlib scalar functions do', () => {
  assert.is(A.relu(-1), 0);
  assert.is(A.sigmoid(0), 0.5);
  assert.is(A.leakyrelu(-1, 0.5), -0.5);
  assert.is(A.σ, A.sigmoid);
  assert.is(A.logσ, A.logsigmoid);
  assert.is(A.hardσ, A.hardsigmoid);
});

// Gradients on the reference device: inputs in [−8, 8] (random, away from the kinks of relu,
// relu6, hardσ, hardswish, leakyrelu with probability ~1).
const GRADS: [string, (x: Tensor) => Tensor][] = [
  ...TABLE.map(([n, f]) => [n, f] as [string, (x: Tensor) => Tensor]),
  ['softmax', (x) => A.softmax(x)], ['softmax dims 1', (x) => A.softmax(x, 1)],
  ['logsoftmax', (x) => A.logsoftmax(x)], ['logsoftmax dims 1', (x) => A.logsoftmax(x, 1)],
];
reseed(7);
for (const [name, f] of GRADS) {
  const lo = name.startsWith('softmax') || name.startsWith('logsoftmax') ? -3 : -8;
  test(`${name}: gradient matches finite differences [ref]`, async () => {
    await gradcheck(f, [input([4, 5], lo, -lo)], { rtol: 1e-5, atol: 1e-7, label: name });
  });
}

test.run();
