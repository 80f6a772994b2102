// Activations (the `act` rows of src/ops/codes.ts) against values that do not come from the code under test:
// 1. NNlib's own published test values (FluxML/NNlib.jl test/activations.jl at f71b71c7, the
//    numbers copied as they appear there), on every device;
// 2. a 100-digit computation written here from NNlib's definitions (src/activations.jl) with
//    BigInt fixed point (test/_helpers/exact.ts: series for exp, log, tanh, π; nothing shared
//    with src/backends/ref.ts), on every device, at a grid with the edge points: 0, the kinks
//    (0 for the relus/elus/selu, ±3 for hardσ/hardswish, 6 for relu6), ±1e-3 and ±20, ±100,
//    ±1000 (where eˣ overflows f32 and f64);
// 3. derivatives (autograd through the unaryGrad kernels, on every device) against central
//    differences of that 100-digit forward with h = 10⁻³⁰; at a kink, where the one-sided
//    differences disagree, the derivative must lie between them (NNlib picks one side).
// Plus softmax/logsoftmax by hand, NaN in relu, and the scalar forms.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tensor, scope, gradient, sum, mul, type Tensor } from '../src/index.js';
import * as A from '../src/index.js';
import { UNARY_OPS } from '../src/ops/codes.js';
import { forEachBackend, type Device } from './_helpers/backends.js';
import { assertClose, type Tol } from './_helpers/allclose.js';
import { gradcheck, input, reseed } from './_helpers/gradcheck.js';
import * as X from './_helpers/exact.js';

const { ONE, fx, dec, mul: xm, div: xd } = X;
type Fx = X.Fx;

// ---- 0. the oracle itself: known digits of π, e, ln 2, √2 (45 places) -----------------------
test('exact.ts reproduces π, e, ln 2 and √2 to 45 places (the oracle for what follows)', () => {
  const digits = (v: Fx) => (v / 10n ** 55n).toString();        // 45 digits after the point
  assert.is(digits(X.PI), '3141592653589793238462643383279502884197169399');
  assert.is(digits(X.exp(ONE)), '2718281828459045235360287471352662497757247093');
  assert.is(digits(X.log(2n * ONE)), '693147180559945309417232121458176568075500134');
  assert.is(digits(X.sqrt(2n * ONE)), '1414213562373095048801688724209698078569671875');
  assert.is(X.toNumber(X.tanh(fx(0.5))), Math.tanh(0.5), 'tanh(0.5), correctly rounded');
});

// ---- the definitions, from NNlib's src/activations.jl, in 100-digit arithmetic --------------
const σ = (x: Fx) => xd(ONE, ONE + X.exp(-x));
const softplus = (x: Fx) => X.log(ONE + X.exp(x));
const hardσ = (x: Fx) => X.min(X.max(xd(x + 3n * ONE, 6n * ONE), 0n), ONE);
const SELU_λ = dec('1.0507009873554804934193349852946'), SELU_α = dec('1.6732632423543772848170429916717');
const GELU_λ = X.sqrt(xd(2n * ONE, X.PI)), GELU_α = dec('0.044715');
const elu = (a: number) => (x: Fx) => (x >= 0n ? x : xm(fx(a), X.exp(x) - ONE));
const celu = (a: number) => (x: Fx) => (x >= 0n ? x : xm(fx(a), X.exp(xd(x, fx(a))) - ONE));
const leaky = (a: number) => (x: Fx) => X.max(xm(fx(a), x), x);

type Act = { name: string; f: (x: Tensor) => Tensor; exact: (x: Fx) => Fx };
const ACTS: Act[] = [
  { name: 'identity', f: A.identity, exact: (x) => x },
  { name: 'sigmoid', f: A.sigmoid, exact: σ },
  { name: 'hardsigmoid', f: A.hardsigmoid, exact: hardσ },
  { name: 'logsigmoid', f: A.logsigmoid, exact: (x) => -softplus(-x) },
  { name: 'relu', f: A.relu, exact: (x) => X.max(0n, x) },
  { name: 'relu6', f: A.relu6, exact: (x) => X.min(X.max(0n, x), 6n * ONE) },
  { name: 'leakyrelu', f: A.leakyrelu, exact: leaky(0.01) },
  { name: 'leakyrelu(x, 0.2)', f: (x) => A.leakyrelu(x, 0.2), exact: leaky(0.2) },
  { name: 'elu', f: A.elu, exact: elu(1) },
  { name: 'elu(x, 2)', f: (x) => A.elu(x, 2), exact: elu(2) },
  { name: 'celu', f: A.celu, exact: celu(1) },
  { name: 'celu(x, 2)', f: (x) => A.celu(x, 2), exact: celu(2) },
  { name: 'selu', f: A.selu, exact: (x) => xm(SELU_λ, x > 0n ? x : xm(SELU_α, X.exp(x) - ONE)) },
  { name: 'gelu', f: A.gelu, exact: (x) => xm(x / 2n, ONE + X.tanh(xm(GELU_λ, x + xm(GELU_α, xm(x, xm(x, x)))))) },
  { name: 'swish', f: A.swish, exact: (x) => xm(x, σ(x)) },
  { name: 'hardswish', f: A.hardswish, exact: (x) => xm(x, hardσ(x)) },
  { name: 'softplus', f: A.softplus, exact: softplus },
  { name: 'softsign', f: A.softsign, exact: (x) => xd(x, ONE + X.abs(x)) },
  { name: 'tanh', f: A.tanh, exact: X.tanh },
  { name: 'mish', f: A.mish, exact: (x) => xm(x, X.tanh(softplus(x))) },
];

test('every activation of the op table has an independent definition here', () => {
  const tested = new Set(ACTS.map((a) => a.f));
  const fns = UNARY_OPS.filter((r) => 'act' in r && r.act).map((r) => [r.name, (A as Record<string, unknown>)[r.name]] as const);
  assert.ok(fns.every(([, f]) => typeof f === 'function'), 'every activation row has a public function of its name');
  const missing = fns.filter(([, f]) => !tested.has(f as never));
  assert.equal(missing.map(([k]) => k), [], 'activations without an exact definition in ACTS');
});

// The grid: f32-exact points (every device sees the same inputs), with the kinks and extremes.
const GRID = [-1000, -100, -20, -7, -4, -3, -1, -0.5, -1e-3, 0, 1e-3, 0.5, 1, 3, 4, 6, 7, 20, 100, 1000].map(Math.fround);
const H = ONE / 10n ** 30n;
const memo = new Map<string, unknown>();
const once = <T>(key: string, f: () => T): T => (memo.has(key) ? memo.get(key) as T : (memo.set(key, f()), memo.get(key) as T));
const want = (a: Act) => once(`want ${a.name}`, () => GRID.map((x) => X.toNumber(a.exact(fx(x)))));
/** f'(x) by central differences of the exact forward, or at a kink the two one-sided ones. */
function slope(a: Act, x: number): { d: number } | { lo: number; hi: number } {
  const x0 = fx(x), f0 = a.exact(x0);
  const left = xd(f0 - a.exact(x0 - H), H), right = xd(a.exact(x0 + H) - f0, H);
  if (X.abs(left - right) <= ONE / 10n ** 20n) return { d: X.toNumber(xd(a.exact(x0 + H) - a.exact(x0 - H), 2n * H)) };
  const [l, r] = [X.toNumber(left), X.toNumber(right)];
  return { lo: Math.min(l, r), hi: Math.max(l, r) };
}

// Tolerances per device: ref computes in float64 (libm: a few ulp; rtol 1e-12 also covers eˣ − 1
// at x = −1e-3, which loses 3 digits), with an absolute 1e-90 for the oracle's own resolution
// (10⁻¹⁰⁰); its derivatives are formulas in y = f(x) (1 − y², y(1 − y), ...), which lose
// everything below an ulp of 1 once y saturates, hence an absolute 1e-15. wasm computes in f32
// (a few ulp of f32 through exp/tanh, an absolute floor for cancellation near 0); webgpu as the
// WGSL kernel suite allows (test/browser/kernel-suite.ts: unary 1e-4/1e-5, unaryGrad 1e-4/2e-5).
const FWD: Record<string, Tol> = { ref: { rtol: 1e-12, atol: 1e-90, f32: false }, wasm: { rtol: 4e-6, atol: 2e-7 }, webgpu: { rtol: 1e-4, atol: 1e-5 } };
const BWD: Record<string, Tol> = { ref: { rtol: 1e-10, atol: 1e-15, f32: false }, wasm: { rtol: 1e-5, atol: 1e-6 }, webgpu: { rtol: 1e-4, atol: 2e-5 } };
/** gelu's x/2·(1 + tanh u) cancels in its negative tail: in float64 an absolute error of an ulp
 *  of 1 times |x|/2 (x = −20: 2e-15), so there the reference gets that absolute tolerance. */
const fwdTol = (a: Act, dev: string): Tol => (dev === 'ref' && a.name === 'gelu' ? { ...FWD.ref, atol: 1e-14 } : FWD[dev]);
const vals = (t: Tensor) => t.data64();

/** d/dx of sum(f(x)) at every grid point, on `dev`, as float64. */
async function derivative(dev: Device, f: (x: Tensor) => Tensor): Promise<Float64Array> {
  return scope(async () => {
    const x = dev.run(() => tensor(Float64Array.from(GRID)));
    const g = dev.run(() => gradient(() => sum(f(x)), [x]));
    const d = await g.get(x)!.data64();
    g.dispose();
    return d;
  });
}

// NNlib's test/activations.jl values, as written there (x, then the value NNlib asserts).
const NNLIB: [string, (x: Tensor) => Tensor, number, number][] = [
  ['sigmoid', A.sigmoid, 0, 0.5], ['hardsigmoid', A.hardsigmoid, 0, 0.5], ['relu', A.relu, 0, 0],
  ['leakyrelu', A.leakyrelu, 0, 0], ['relu6', A.relu6, 0, 0], ['elu', A.elu, 0, 0], ['gelu', A.gelu, 0, 0],
  ['swish', A.swish, 0, 0], ['hardswish', A.hardswish, 0, 0], ['softplus', A.softplus, 0, Math.log(2)],
  ['softsign', A.softsign, 0, 0], ['selu', A.selu, 0, 0], ['celu', A.celu, 0, 0], ['mish', A.mish, 0, 0],
  ['relu', A.relu, 1, 1], ['leakyrelu', A.leakyrelu, 1, 1], ['relu6', A.relu6, 1, 1], ['elu', A.elu, 1, 1],
  ['gelu', A.gelu, 1, 0.8411919906082768], ['softsign', A.softsign, 1, 0.5],
  ['selu', A.selu, 1, 1.0507009873554804934193349852946], ['celu', A.celu, 1, 1],
  ['relu', A.relu, -1, 0], ['leakyrelu', A.leakyrelu, -1, -0.01], ['gelu', A.gelu, -1, -0.15880800939172324],
  ['softsign', A.softsign, -1, -0.5], ['mish', A.mish, -5, -0.033576237730161704],
  ['leakyrelu(x, 0.3)', (x) => A.leakyrelu(x, 0.3), 0.4, 0.4], ['leakyrelu(x, 0.3)', (x) => A.leakyrelu(x, 0.3), -0.4, -0.12],
  ['relu6', A.relu6, 10, 6], ['softplus', A.softplus, 1e8, 1e8], ['softplus', A.softplus, -1e8, 0],
  ['logsigmoid', A.logsigmoid, -100_000, -100_000], ['logsigmoid', A.logsigmoid, 100_000, 0],
  ['hardsigmoid', A.hardsigmoid, -100_000, 0], ['hardsigmoid', A.hardsigmoid, 100_000, 1],
];

forEachBackend('activations', (it, dev) => {
  // NaN and ±Inf are held to the same values on every device (gpu/common.wgsl does IEEE by hand).
  const ieee = (name: string, fn: () => Promise<void>) => it(name, fn);
  it('NNlib\'s published test values (test/activations.jl)', async () => {
    const bad: string[] = [];
    for (const [name, f, x, w] of NNLIB) {
      const got = (await scope(() => vals(dev.run(() => f(tensor([x]))))))[0];
      const tol = FWD[dev.name], w32 = tol.f32 === false ? w : Math.fround(w);
      // NNlib's ≈ is rtol √eps; here the device's tolerance, scaled to NNlib's inputs (1e8).
      if (!(Math.abs(got - w32) <= (tol.atol ?? 0) + (tol.rtol ?? 0) * Math.abs(w32))) bad.push(`${name}(${x}) = ${got}, NNlib: ${w}`);
    }
    assert.equal(bad, []);
  });

  for (const a of ACTS) {
    it(`${a.name}: 100-digit values at ${GRID.length} points, kinks and ±1000 included`, async () => {
      const got = await scope(async () => {
        const y = dev.run(() => a.f(tensor(Float64Array.from(GRID))));
        assert.is(y.device, dev.name);
        return vals(y);
      });
      for (const v of got) assert.ok(!Number.isNaN(v), `${a.name}: NaN at a finite input: ${got}`);
      assertClose(got, want(a), fwdTol(a, dev.name), `${a.name} at [${GRID}]`);
    });

    it(`${a.name}: derivative vs differences of the 100-digit forward (between the one-sided ones at a kink)`, async () => {
      const d = await derivative(dev, a.f), tol = BWD[dev.name], bad: string[] = [];
      const slopes = once(`slopes ${a.name}`, () => GRID.map((x) => slope(a, x)));
      GRID.forEach((x, i) => {
        const s = slopes[i], g = d[i];
        const r = (v: number) => (tol.f32 === false ? v : Math.fround(v));
        const allowed = (v: number) => (tol.atol ?? 0) + (tol.rtol ?? 0) * Math.abs(v);
        if ('d' in s) { if (!(Math.abs(g - r(s.d)) <= allowed(s.d))) bad.push(`x = ${x}: ${g}, differences: ${s.d}`); }
        else if (!(g >= r(s.lo) - allowed(s.lo) && g <= r(s.hi) + allowed(s.hi))) bad.push(`x = ${x} (a kink): ${g}, not in [${s.lo}, ${s.hi}]`);
      });
      assert.equal(bad, [], `${a.name} on ${dev.name}`);
    });
  }

  it('σ, softplus and logσ keep their tails at ±100, ±1000 (to an f32 subnormal)', async () => {
    // The grid's tolerance has an absolute floor; here the tails themselves: σ(−100) = 3.7e-44.
    const xs = [-1000, -100, 100, 1000], tol = { rtol: 1e-6, atol: dev.name === 'ref' ? 1e-90 : dev.name === 'wasm' ? 1e-44 : FWD.webgpu.atol, f32: dev.name !== 'ref' };
    for (const a of ACTS.filter((x) => ['sigmoid', 'softplus', 'logsigmoid'].includes(x.name))) {
      const got = await scope(() => vals(dev.run(() => a.f(tensor(xs)))));
      assertClose(got, xs.map((x) => X.toNumber(a.exact(fx(x)))), tol, `${a.name} at ${xs}`);
    }
  });

  it('softmax and logsoftmax: hand values, dims, 1000', async () => {
    const st = dev.name === 'ref' ? { rtol: 1e-12, atol: 1e-15, f32: false } : dev.name === 'wasm' ? { rtol: 3e-6, atol: 1e-7 } : FWD.webgpu;
    const on = (f: () => Tensor) => scope(() => vals(dev.run(f)));
    const sig = (x: number) => 1 / (1 + Math.exp(-x)), e = Math.exp;
    // e^k / (e + e² + e³) for k = 1, 2, 3
    assertClose(await on(() => A.softmax(tensor([1, 2, 3]))), [e(1), e(2), e(3)].map((v) => v / (e(1) + e(2) + e(3))), st, 'softmax');
    // x − 3 − log(1 + e^−1 + e^−2)
    const l = Math.log(1 + e(-1) + e(-2));
    assertClose(await on(() => A.logsoftmax(tensor([1, 2, 3]))), [1 - 3 - l, 2 - 3 - l, 3 - 3 - l], st, 'logsoftmax');
    // [[1, 2], [3, 4]]: dims 0 (Flux dims=1) normalises columns [1, 3], [2, 4] → σ(∓2) each;
    // dims 1 normalises rows [1, 2], [3, 4] → σ(∓1) each
    assertClose(await on(() => A.softmax(tensor([[1, 2], [3, 4]]))), [sig(-2), sig(-2), sig(2), sig(2)], st, 'softmax dims 0');
    assertClose(await on(() => A.softmax(tensor([[1, 2], [3, 4]]), 1)), [sig(-1), sig(1), sig(-1), sig(1)], st, 'softmax dims 1');
    // a large input: exp(1000 − max) = 1, the rest e^−1000 → 0; no NaN
    assertClose(await on(() => A.softmax(tensor([1000, 0, -1000]))), [1, 0, 0], st, 'softmax(1000)');
    assertClose(await on(() => A.softmax(tensor([1000, 1000]))), [0.5, 0.5], st, 'softmax(1000, 1000)');
    // logsoftmax([1000, 0]) = [−log(1 + e^−1000), −1000 − log(1 + e^−1000)] = [0, −1000]
    assertClose(await on(() => A.logsoftmax(tensor([1000, 0]))), [0, -1000], st, 'logsoftmax(1000)');
  });

  ieee('softmax of +Inf entries: they share the mass 1, the rest get 0', async () => {
    const on = (f: () => Tensor) => scope(() => vals(dev.run(f)));
    assertClose(await on(() => A.softmax(tensor([Infinity, 0, Infinity]))), [0.5, 0, 0.5], FWD[dev.name], 'softmax(+Inf)');
    assertClose(await on(() => A.softmax(tensor([Infinity, 1]))), [1, 0], FWD[dev.name], 'softmax(+Inf, 1)');
  });

  it('softmax and logsoftmax: gradients vs differences of the 100-digit forward', async () => {
    // loss = Σ wᵢ·s(x)ᵢ over one vector; exact s from the definition, exp(xᵢ − max)/Σ.
    const x = [1, -2, 0.5, 3, -0.25].map(Math.fround), w = [0.5, -1, 2, 0.25, -0.75];
    const soft = (xs: Fx[]) => { const es = xs.map(X.exp), z = es.reduce((s, v) => s + v, 0n); return es.map((v) => xd(v, z)); };
    const logsoft = (xs: Fx[]) => { const z = X.log(xs.map(X.exp).reduce((s, v) => s + v, 0n)); return xs.map((v) => v - z); };
    for (const [name, f, ex] of [['softmax', A.softmax, soft], ['logsoftmax', A.logsoftmax, logsoft]] as const) {
      const loss = (xs: Fx[]) => ex(xs).reduce((s, v, i) => s + xm(fx(w[i]), v), 0n);
      const fd = x.map((_, j) => {
        const at = (dh: Fx) => loss(x.map((v, i) => fx(v) + (i === j ? dh : 0n)));
        return X.toNumber(xd(at(H) - at(-H), 2n * H));
      });
      const got = await scope(async () => {
        const xt = dev.run(() => tensor(Float64Array.from(x))), wt = dev.run(() => tensor(Float64Array.from(w)));
        const g = dev.run(() => gradient(() => sum(mul(f(xt), wt)), [xt]));
        const d = await g.get(xt)!.data64();
        g.dispose();
        return d;
      });
      assertClose(got, fd, BWD[dev.name], `d ${name}`);
    }
  });

  ieee('relu(NaN) is NaN', async () => {
    const v = await scope(() => vals(dev.run(() => A.relu(tensor([NaN, -1, 2])))));
    assert.ok(Number.isNaN(v[0]));
    assert.equal([v[1], v[2]], [0, 2]);
  });
});

test('activations accept plain numbers, as NNlib scalar functions do', () => {
  assert.is(A.relu(-1), 0);
  assert.is(A.sigmoid(0), 0.5);
  assert.is(A.leakyrelu(-1, 0.5), -0.5);
  assert.is(A.σ, A.sigmoid);
  assert.is(A.logσ, A.logsigmoid);
  assert.is(A.hardσ, A.hardsigmoid);
});

// softmax/logsoftmax over a matrix and along each dim: gradients against finite differences on
// the float64 reference (the 100-digit check above covers one vector on every device).
reseed(7);
for (const [name, f] of [['softmax', (x: Tensor) => A.softmax(x)], ['softmax dims 1', (x: Tensor) => A.softmax(x, 1)],
  ['logsoftmax', (x: Tensor) => A.logsoftmax(x)], ['logsoftmax dims 1', (x: Tensor) => A.logsoftmax(x, 1)]] as const) {
  test(`${name} [4, 5]: gradient matches finite differences [ref]`, async () => {
    await gradcheck(f, [input([4, 5], -3, 3)], { rtol: 1e-5, atol: 1e-7, label: name });
  });
}

test.run();
