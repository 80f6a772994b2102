// Optimisers against FLUX_SEMANTICS.md 2.5. (a) Every rule's first steps on the float64 reference
// device against values worked out by hand from the table's formulas (the arithmetic is in the
// expressions and comments). (b) Every rule cuts a quadratic loss on the Wasm CPU device.
// (c) Modifiers and schedules. (d) The fused kernels (Wasm) equal the tensor-op formulas (ref).
// (e) The seed form, setup/update, adjust, and argument errors.
import { init } from '../src/index.js';
await init({ gpu: false });

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  tensor, scope, withPolicy, seed, randn, gradient, sum, square, sub, Params, Tensor, memory,
  Descent, Momentum, Nesterov, RMSProp, Rprop, Adam, RAdam, AdaMax, OAdam, AdaGrad, AdaDelta, AMSGrad,
  NAdam, AdamW, AdaBelief, Lion, WeightDecay, SignDecay, ClipGrad, ClipNorm, OptimiserChain, AccumGrad,
  ExpDecay, InvDecay, SGD, ADAM, NADAM, ADAMW, ADAGrad, ADADelta,
  update, setup, adjust, isBound, OptimiserState, type Rule,
} from '../src/index.js';
import { assertClose } from './_helpers/allclose.js';
import { settle } from './_helpers/gc.js';

const sq = Math.sqrt;
/** Runs `rule` on the reference device from x0 with gradients gs (one update each); returns x. */
async function run(rule: Rule, x0: number[], gs: number[][]): Promise<Float64Array> {
  return withPolicy('ref', async () => {
    const x = tensor(x0).keep();
    for (const g of gs) scope(() => { update(rule, [x], [tensor(g)]); });
    return x.data64();
  });
}
const exact = (got: ArrayLike<number>, want: number[], label: string) =>
  assertClose(got, want, { rtol: 1e-10, atol: 1e-12, f32: false }, label);

// Shared inputs for (a): x0 = [1, 2], g1 = [0.5, −1], g2 = [1, 1].
const X0 = [1, 2], G1 = [0.5, -1], G2 = [1, 1];
const E = 1e-8;

interface Case { name: string; make: () => Rule; gs: number[][]; want: number[]; x0?: number[] }
const FIRST: Case[] = [
  // Δ = ηg = 0.1·[0.5, −1]
  { name: 'Descent', make: () => Descent(0.1), gs: [G1], want: [1 - 0.05, 2 + 0.1] },
  // v1 = 0.1·g1 = [0.05, −0.1]; x1 = [0.95, 2.1]; v2 = 0.9·v1 + 0.1·g2 = [0.145, 0.01]; x2 = x1 − v2
  { name: 'Momentum', make: () => Momentum(0.1, 0.9), gs: [G1, G2], want: [0.95 - 0.145, 2.1 - 0.01] },
  // ρ = 0.5. Δ1 = −ρ²·0 + 1.5·0.1·g1 = [0.075, −0.15]; v1 = −0.1·g1 = [−0.05, 0.1];
  // Δ2 = −0.25·v1 + 0.15·g2 = [0.0125 + 0.15, −0.025 + 0.15]
  { name: 'Nesterov', make: () => Nesterov(0.1, 0.5), gs: [G1, G2], want: [1 - 0.075 - 0.1625, 2 + 0.15 - 0.125] },
  // q = 0.1·g² = [0.025, 0.1]; Δ = 0.1·g/(√q + ε)
  { name: 'RMSProp', make: () => RMSProp(0.1, 0.9), gs: [G1], want: [1 - 0.05 / (sq(0.025) + E), 2 + 0.1 / (sq(0.1) + E)] },
  // centred: l = 0.1·g = [0.05, −0.1]; q − l² = [0.0225, 0.09] → √ = [0.15, 0.3]
  { name: 'RMSProp centred', make: () => RMSProp({ eta: 0.1, centred: true }), gs: [G1], want: [1 - 0.05 / (0.15 + E), 2 + 0.1 / (0.3 + E)] },
  // η = 0.1: step 1: gprev·g = 0 → ηᵢ = 0.1, Δ = 0.1·sign(g1) = [0.1, −0.1] → [0.9, 2.1].
  // step 2 (g2 = [1, 1]): products [0.5, −1]: η₀ = min(0.12, 50), gprev₀ = 1 → Δ₀ = 0.12;
  //   η₁ = max(0.05, 1e-6), gprev₁ = 0 → Δ₁ = 0 → [0.78, 2.1].
  // step 3 (g2): products [1, 0]: η₀ = 0.144 → Δ₀ = 0.144; η₁ stays 0.05, gprev₁ = 1 → Δ₁ = 0.05
  { name: 'Rprop', make: () => Rprop(0.1), gs: [G1, G2, G2], want: [0.9 - 0.12 - 0.144, 2.1 - 0 - 0.05] },
  // m = 0.1g, v = 0.001g² → m̂ = g, v̂ = g² → Δ1 = 0.1·g/(|g| + ε).
  // step 2: m = [0.045 + 0.1, −0.09 + 0.1] = [0.145, 0.01], v = 0.999v + 0.001 = [0.00124975, 0.001999],
  //   1 − β₁² = 0.19, 1 − β₂² = 0.001999: Δ2 = 0.1·(m/0.19)/(√(v/0.001999) + ε)
  { name: 'Adam', make: () => Adam(0.1), gs: [G1, G2], want: [
    1 - 0.05 / (0.5 + E) - 0.1 * (0.145 / 0.19) / (sq(0.00124975 / 0.001999) + E),
    2 + 0.1 / (1 + E) - 0.1 * (0.01 / 0.19) / (sq(0.001999 / 0.001999) + E)] },
  // d = g/(|g| + ε) ≈ [1, −1]; couple: Δ = 0.1·(d + 0.5·x) = 0.1·([1, −1] + [0.5, 1])
  { name: 'AdamW', make: () => AdamW(0.1, [0.9, 0.999], 0.5), gs: [G1], want: [1 - 0.1 * (0.5 / (0.5 + E) + 0.5), 2 - 0.1 * (-1 / (1 + E) + 1)] },
  // couple=false: Δ = 0.1·d + 0.5·x = [0.1 + 0.5, −0.1 + 1]
  { name: 'AdamW couple=false', make: () => AdamW({ eta: 0.1, lambda: 0.5, couple: false }), gs: [G1],
    want: [1 - 0.1 * 0.5 / (0.5 + E) - 0.5, 2 + 0.1 / (1 + E) - 1] },
  // ρ∞ = 2/0.001 − 1 = 1999. t = 1: ρ = 1999 − 2·0.999/0.001 = 1 ≤ 4 → Δ1 = 0.1·m/(1 − 0.9) = 0.1·g1.
  // t = 2: ρ = 1999 − 4·0.998001/0.001999 ≈ 2.0 ≤ 4 → Δ2 = 0.1·[0.145, 0.01]/0.19
  { name: 'RAdam (ρ ≤ 4)', make: () => RAdam(0.1), gs: [G1, G2], want: [1 - 0.05 - 0.1 * 0.145 / 0.19, 2 + 0.1 - 0.1 * 0.01 / 0.19] },
  // u = max(0, |g1|) = [0.5, 1]; Δ1 = 0.1/(1 − 0.9)·m/(u + ε) = [0.05/(0.5 + ε), −0.1/(1 + ε)].
  // step 2: m = [0.145, 0.01], u = max(0.999·u, 1) = [1, 1]; Δ2 = (0.1/0.19)·m/(1 + ε)
  { name: 'AdaMax', make: () => AdaMax(0.1), gs: [G1, G2], want: [
    1 - 0.05 / (0.5 + E) - (0.1 / 0.19) * 0.145 / (1 + E), 2 + 0.1 / (1 + E) - (0.1 / 0.19) * 0.01 / (1 + E)] },
  // β = (0.5, 0.9). step 1: m̂ = g, v̂ = g² → term1 = 0.1·g/(|g| + ε); Δ1 = 2·term1 − 0.
  // step 2: m = 0.5·[0.25, −0.5] + 0.5 = [0.625, 0.25], v = 0.9·[0.025, 0.1] + 0.1 = [0.1225, 0.19];
  //   1 − β₁² = 0.75, 1 − β₂² = 0.19: term2 = 0.1·(m/0.75)/(√(v/0.19) + ε); Δ2 = 2·term2 − term1
  (() => {
    const t1 = [0.05 / (0.5 + E), -0.1 / (1 + E)];
    const t2 = [0.1 * (0.625 / 0.75) / (sq(0.1225 / 0.19) + E), 0.1 * (0.25 / 0.75) / (sq(0.19 / 0.19) + E)];
    return { name: 'OAdam', make: () => OAdam(0.1), gs: [G1, G2], want: [1 - 2 * t1[0] - (2 * t2[0] - t1[0]), 2 - 2 * t1[1] - (2 * t2[1] - t1[1])] };
  })(),
  // ε = 0.75 makes the ε start visible: acc = 0.75 + g² = [1, 1.75]; Δ = 0.1·g/(√acc + 0.75)
  { name: 'AdaGrad (acc starts at ε)', make: () => AdaGrad(0.1, 0.75), gs: [G1], want: [1 - 0.05 / (1 + 0.75), 2 + 0.1 / (sq(1.75) + 0.75)] },
  // defaults: acc = ε + g², Δ = 0.1·g/(√acc + ε)
  { name: 'AdaGrad', make: () => AdaGrad(), gs: [G1], want: [1 - 0.05 / (sq(0.25 + E) + E), 2 + 0.1 / (sq(1 + E) + E)] },
  // ε = 0.01. step 1: acc = 0.1·g1² = [0.025, 0.1]; Δ1 = g1·√(0 + 0.01)/√(acc + 0.01) = [0.05/√0.035, −0.1/√0.11];
  //   Δacc = 0.1·Δ1². step 2: acc = 0.9·acc + 0.1 = [0.1225, 0.19]; Δ2 = 1·√(Δacc + 0.01)/√(acc + 0.01)
  (() => {
    const d1 = [0.05 / sq(0.035), -0.1 / sq(0.11)];
    const d2 = d1.map((d, i) => sq(0.1 * d * d + 0.01) / sq([0.1225, 0.19][i] + 0.01));
    return { name: 'AdaDelta', make: () => AdaDelta(0.9, 0.01), gs: [G1, G2], want: [1 - d1[0] - d2[0], 2 - d1[1] - d2[1]] };
  })(),
  // defaults (the v0.7–v0.11 bug left x unchanged): Δ = g·√ε/√(0.1g² + ε) ≈ ±1.6e-4, ±3.2e-4
  { name: 'AdaDelta moves x', make: () => AdaDelta(), gs: [G1], want: [1 - 0.5 * sq(E) / sq(0.025 + E), 2 + sq(E) / sq(0.1 + E)] },
  // ε = 0.01, so m = v = v̂ = 0.01 at the start. step 1: m = 0.009 + 0.1·g1 = [0.059, −0.091];
  //   v = 0.00999 + 0.001·g1² = [0.01024, 0.01099] = v̂; Δ1 = 0.1·m/(√v̂ + 0.01).
  // step 2 (g = 0): m = 0.9m = [0.0531, −0.0819]; v = 0.999v shrinks but v̂ = max(v̂, v) stays
  { name: 'AMSGrad (ε start, max)', make: () => AMSGrad(0.1, [0.9, 0.999], 0.01), gs: [G1, [0, 0]], want: [
    1 - 0.0059 / (sq(0.01024) + 0.01) - 0.00531 / (sq(0.01024) + 0.01),
    2 + 0.0091 / (sq(0.01099) + 0.01) + 0.00819 / (sq(0.01099) + 0.01)] },
  // m = 0.1g, v = 0.001g²: num = 0.9·0.1g/(1 − 0.81) + 0.1g/0.1 = g·(0.09/0.19 + 1);
  //   den = √(0.001g²·0.999/0.001) + ε = |g|·√0.999 + ε; Δ = 0.1·num/den
  { name: 'NAdam', make: () => NAdam(0.1), gs: [G1], want: [
    1 - 0.1 * 0.5 * (0.09 / 0.19 + 1) / (0.5 * sq(0.999) + E), 2 + 0.1 * (0.09 / 0.19 + 1) / (sq(0.999) + E)] },
  // m = 0.1g; s = 0.001·(g − 0.1g)² + ε = 0.00081g² + 1e-16; m̂ = g, ŝ = 0.81g² + 1e-13
  { name: 'AdaBelief', make: () => AdaBelief(0.1), gs: [G1], want: [
    1 - 0.1 * 0.5 / (sq(0.2025 + 1e-13) + 1e-16), 2 + 0.1 / (sq(0.81 + 1e-13) + 1e-16)] },
  // β = (0.5, 0.9). step 1: m = 0.9g1 = [0.45, −0.9]; Δ1 = 0.1·sign(0.4g1 + 0.5m) = [0.1, −0.1].
  // step 2, g = [−0.1, 1]: m = 0.9g + 0.1m = [−0.045, 0.81]; 0.4g + 0.5m = [−0.0625, 0.805] → Δ2 = [−0.1, 0.1]
  // (the paper's form, sign(0.5·0.45 + 0.5·(−0.1)) > 0, would give +0.1 for the first element)
  { name: 'Lion', make: () => Lion(0.1, [0.5, 0.9]), gs: [G1, [-0.1, 1]], want: [1 - 0.1 + 0.1, 2 + 0.1 - 0.1] },
];
for (const c of FIRST) test(`first steps: ${c.name}`, async () => exact(await run(c.make(), c.x0 ?? X0, c.gs), c.want, c.name));

test('first steps: RAdam switches to the rectified step when ρ > 4 (t = 5)', async () => {
  // With g = 1 constant: m = 1 − β₁ᵗ and v = 1 − β₂ᵗ, so m̂ = v̂ = 1. ρₜ = 1999 − 2t·0.999ᵗ/(1 − 0.999ᵗ):
  // ρ₄ = 1999 − 8·0.996006/0.003994 ≈ 3.998 ≤ 4 (Δ = η·m̂ = η), ρ₅ ≈ 4.997 > 4 (Δ = η·r/(1 + ε)).
  const b5 = 0.999 ** 5, rho5 = 1999 - 10 * b5 / (1 - b5);
  const r = sq((rho5 - 4) * (rho5 - 2) * 1999 / ((1999 - 4) * (1999 - 2) * rho5));
  exact(await run(RAdam(0.1), [0], [[1], [1], [1], [1], [1]]), [-0.4 - 0.1 * r / (1 + E)], 'RAdam t=5');
});

// ---- (b) every rule cuts f(x) = Σ(x − c)² on the Wasm CPU device.
// x and c are randn(17) (|x − c| up to ~3), so rules whose steps are ~η per element need
// η ≥ 0.01·3 to get there in 300 steps: RMSProp and Lion run with η = 0.03. Lion's steps are
// exactly ±η, so it ends in a band of width ~η around c: its factor is 1e3 (RMSProp, 1e5).
// OAdam's optimistic step oscillates: 1e3.
// AdaDelta with the default ε = 1e-8 starts with steps of ~√ε and takes thousands of steps,
// so it runs with ε = 1e-4 here.
const QUAD: [string, () => Rule, number][] = [
  ['Descent', () => Descent(0.1), 1e6], ['Momentum', () => Momentum(0.01, 0.9), 1e6],
  ['Nesterov', () => Nesterov(0.01, 0.9), 1e6], ['RMSProp', () => RMSProp(0.03), 1e5],
  ['RMSProp centred', () => RMSProp({ eta: 0.03, centred: true }), 1e5], ['Rprop', () => Rprop(0.1), 1e6],
  ['Adam', () => Adam(0.1), 1e6], ['RAdam', () => RAdam(0.1), 1e6], ['AdaMax', () => AdaMax(0.1), 1e6],
  ['OAdam', () => OAdam(0.1), 1e3], ['AdaGrad', () => AdaGrad(0.5), 1e6], ['AdaDelta', () => AdaDelta(0.9, 1e-4), 1e5],
  ['AMSGrad', () => AMSGrad(0.1), 1e6], ['NAdam', () => NAdam(0.1), 1e6], ['AdamW', () => AdamW(0.1), 1e6],
  ['AdaBelief', () => AdaBelief(0.1), 1e6], ['Lion', () => Lion(0.03), 1e3],
  ['OptimiserChain(ClipGrad, Adam)', () => OptimiserChain(ClipGrad(1), Adam(0.1)), 1e6],
];
for (const [name, make, factor] of QUAD) {
  test(`quadratic: ${name} cuts Σ(x − c)² by ≥ ${factor.toExponential(0)} in 300 steps (wasm)`, async () => {
    seed(7);
    const c = randn(17).keep(), x = randn(17).keep(), rule = make();
    assert.is(x.device, 'wasm');
    const loss = () => sum(square(sub(x, c)));
    const l0 = await scope(() => loss()).item();
    for (let i = 0; i < 300; i++) scope(() => { update(rule, [x], gradient(loss, [x])); });
    const l1 = await scope(() => loss()).item();
    assert.ok(l1 * factor < l0, `${name}: loss ${l0} → ${l1}, a factor ${(l0 / l1).toPrecision(3)} < ${factor}`);
  });
}

// ---- (c) modifiers and schedules (Descent(1) after a transform makes x ← x − g').
test('WeightDecay adds λx (default λ = 5e-4)', async () => {
  // g' = g + 0.5·x = [0.5 + 0.5, −1 + 1] = [1, 0]; Δ = 0.1·g'
  exact(await run(OptimiserChain(WeightDecay(0.5), Descent(0.1)), X0, [G1]), [0.9, 2], 'WeightDecay');
  assert.is(WeightDecay().lambda, 5e-4);
});
test('SignDecay adds λ·sign(x)', async () => {
  // x = [1, −2]: g' = [0.5 + 0.5, −1 − 0.5] = [1, −1.5]
  exact(await run(OptimiserChain(SignDecay(0.5), Descent(1)), [1, -2], [G1]), [0, -0.5], 'SignDecay');
});
test('ClipGrad clamps to [−δ, δ]', async () => {
  exact(await run(OptimiserChain(ClipGrad(0.7), Descent(1)), X0, [[0.5, -1]]), [0.5, 2.7], 'ClipGrad');  // g' = [0.5, −0.7]
});
test('ClipNorm rescales each array to norm ≤ ω, on its own norm', async () => {
  await withPolicy('ref', async () => {
    const a = tensor([0, 0]).keep(), b = tensor([0, 0]).keep(), rule = OptimiserChain(ClipNorm(1), Descent(1));
    // ‖[3, 4]‖ = 5 → [0.6, 0.8]; ‖[0.3, 0.4]‖ = 0.5 ≤ 1 → unchanged (a global norm would scale it)
    update(rule, [a, b], [tensor([3, 4]), tensor([0.3, 0.4])]);
    exact(await a.data64(), [-0.6, -0.8], 'a'); exact(await b.data64(), [-0.3, -0.4], 'b');
  });
  exact(await run(OptimiserChain(ClipNorm(1, 1), Descent(1)), [0, 0], [[3, 4]]), [-3 / 7, -4 / 7], 'p = 1');   // ‖·‖₁ = 7
  exact(await run(OptimiserChain(ClipNorm(1, Infinity), Descent(1)), [0, 0], [[3, 4]]), [-0.75, -1], 'p = ∞');  // ‖·‖∞ = 4
});
test('ClipNorm throws on a non-finite norm, naming it; throw: false does not', async () => {
  await withPolicy('ref', async () => {
    const x = tensor([1, 2]).keep();
    assert.throws(() => update(OptimiserChain(ClipNorm(1), Descent(1)), [x], [tensor([NaN, 1])]), /ClipNorm: gradient has 2-norm NaN/);
    exact(await x.data64(), [1, 2], 'x untouched');
    update(OptimiserChain(ClipNorm({ omega: 1, throw: false }), Descent(1)), [x], [tensor([Infinity, 0])]);
  });
});
test('OptimiserChain applies rules in order; empty chain = Descent(1)', async () => {
  // g = [3, −3], x = [1, 2]. Clip then decay: [1, −1] + x = [2, 1]. Decay then clip: clamp([4, −1]) = [1, −1]
  exact(await run(OptimiserChain(ClipGrad(1), WeightDecay(1), Descent(1)), X0, [[3, -3]]), [-1, 1], 'clip, decay');
  exact(await run(OptimiserChain(WeightDecay(1), ClipGrad(1), Descent(1)), X0, [[3, -3]]), [0, 3], 'decay, clip');
  exact(await run(OptimiserChain(), X0, [G1]), [0.5, 3], 'empty');
  // a fused rule at the end gets the transformed gradient: Momentum(0.1, 0.9) on g' = [1, 0]
  exact(await run(OptimiserChain(WeightDecay(0.5), Momentum(0.1, 0.9)), X0, [G1]), [0.9, 2], 'chain → Momentum');
});
test('AccumGrad averages n gradients and skips the updates in between', async () => {
  // mean([3, 0], [0, 3], [6, 6]) = [3, 3] applied at the 3rd step only; the 4th starts a new round
  const rule = OptimiserChain(AccumGrad(3), Descent(1));
  exact(await run(rule, X0, [[3, 0]]), X0, 'after 1');
  exact(await run(OptimiserChain(AccumGrad(3), Descent(1)), X0, [[3, 0], [0, 3]]), X0, 'after 2');
  exact(await run(OptimiserChain(AccumGrad(3), Descent(1)), X0, [[3, 0], [0, 3], [6, 6]]), [-2, -1], 'after 3');
  exact(await run(OptimiserChain(AccumGrad(3), Descent(1)), X0, [[3, 0], [0, 3], [6, 6], [9, 9]]), [-2, -1], 'after 4');
  exact(await run(AccumGrad(2), X0, [[2, 2], [4, 0]]), [-2, 1], 'alone: x − mean');
});
test('ExpDecay: η ← max(η·decay, clip) every decay_step steps, once across parameters', async () => {
  // η = 1, decay 0.5, every 2 steps, clip 0.2, g = 1: Δ = 1, 0.5, 0.5, 0.25, 0.25, 0.2 (0.125 clipped)
  exact(await run(ExpDecay(1, 0.5, 2, 0.2), [0], [[1], [1], [1], [1], [1], [1]]), [-(1 + 0.5 + 0.5 + 0.25 + 0.25 + 0.2)], 'one param');
  await withPolicy('ref', async () => {
    const a = tensor([0]).keep(), b = tensor([0]).keep(), rule = ExpDecay(1, 0.5, 2, 0.2);
    for (let i = 0; i < 2; i++) update(rule, [a, b], [tensor([1]), tensor([1])]);
    // both parameters reach n = 2 in the same step: η decays once (0.5), not twice (0.25)
    assert.is(rule.eta, 0.5);
    exact(await b.data64(), [-1.5], 'b');
  });
  // start = 2: no decay at n = 2 (not > start); at n = 4: Δ = 1, 1, 1, 0.5
  exact(await run(ExpDecay({ eta: 1, decay: 0.5, decay_step: 2, start: 2 }), [0], [[1], [1], [1], [1]]), [-3.5], 'start');
});
test('InvDecay: Δ = g/(1 + γn), n = 1, 2, …', async () => {
  // γ = 0.5, g = 1: 1/1.5 + 1/2 + 1/2.5
  exact(await run(InvDecay(0.5), [0], [[1], [1], [1]]), [-(1 / 1.5 + 0.5 + 0.4)], 'InvDecay');
  exact(await run(OptimiserChain(InvDecay(1), Descent(0.1)), [0], [[1], [1]]), [-(0.1 / 2 + 0.1 / 3)], 'in a chain');
});

// ---- (d) the fused kernels (Wasm) equal the tensor-op formulas (float64 reference).
/** The same rule without its fused step: update falls back to apply + x ← x − Δ. */
const unfused = (r: Rule): Rule => ({ init: (x) => r.init(x), apply: (s, x, g) => r.apply(s, x, g) });
const FUSED: [string, () => Rule][] = [
  ['Descent', () => Descent(0.1)], ['Momentum', () => Momentum(0.05, 0.8)], ['Adam', () => Adam(0.01)],
  ['AdamW', () => AdamW(0.01, [0.9, 0.99], 0.1)], ['AdamW couple=false', () => AdamW({ eta: 0.01, lambda: 0.1, couple: false })],
  ['chain → Adam', () => OptimiserChain(WeightDecay(0.1), Adam(0.01))],
];
for (const [name, make] of FUSED) {
  test(`fused ${name} (wasm) = tensor-op formula (ref), 3 steps, 37 elements`, async () => {
    seed(3);
    const x0 = await randn(37).data(), gs = [await randn(37).data(), await randn(37).data(), await randn(37).data()];
    const fast = make();
    assert.ok(typeof (fast.step) === 'function', 'has a fused step');
    const xw = tensor(x0).keep();
    for (const g of gs) scope(() => { update(fast, [xw], [tensor(g)]); });
    const want = await run(unfused(make()), Array.from(x0), gs.map((g) => Array.from(g)));
    assertClose(await xw.data(), want, { rtol: 1e-6, atol: 1e-6 }, name);
  });
}
test('fused Descent/Momentum/Adam/AdamW updates allocate no tensors', () => {
  for (const rule of [Descent(0.1), Momentum(), Adam(), AdamW({ lambda: 0.1 })]) {
    const x = randn(33).keep(), g = randn(33).keep();
    update(rule, [x], [g]);                      // first step creates the state
    const before = tensor(0).id;
    update(rule, [x], [g]); update(rule, [x], [g]);
    assert.is(tensor(0).id, before + 1, `${rule.constructor.name} created tensors`);
  }
});

test('updates free their temporaries: live tensors stay constant after the first step', async () => {
  await settle();                                             // other tests' garbage: collected now, not mid-test
  const rules = [OAdam(), Rprop(), NAdam(), RMSProp({ centred: true }), OptimiserChain(AccumGrad(2), ClipNorm(1), AdamW()), ExpDecay()];
  for (const rule of rules) {
    const x = randn(9).keep(), g = randn(9).keep();
    update(rule, [x], [g]);
    const live = memory().tensors;
    for (let i = 0; i < 5; i++) update(rule, [x], [g]);
    assert.is(memory().tensors, live, `${rule.constructor.name} leaked tensors`);
  }
});

// ---- (e) seed form, setup/update, adjust, aliases, errors.
test('seed form: SGD(params, 0.1) is a bound optimiser; opt() applies the last gradients', async () => {
  await withPolicy('ref', async () => {
    const x = tensor([1, 2]).keep(), ps = new Params([x]);
    const opt = SGD(ps, 0.1);
    assert.ok(isBound(opt)); assert.not.ok(isBound(Descent(0.1)));
    assert.is(opt.params, ps); assert.ok(opt.rule instanceof Descent); assert.is(opt.rule.eta, 0.1);
    assert.throws(() => opt(), /Descent\(params\)\(\): no gradients to apply/);
    opt.grads = [tensor(G1)];
    opt();                                      // x ← x − 0.1·[0.5, −1]
    exact(await x.data64(), [0.95, 2.1], 'opt()');
    opt();                                      // the same gradients again
    exact(await x.data64(), [0.9, 2.2], 'opt() twice');
    opt.step([tensor([1, 1])]);                 // remembered: opt() repeats it
    opt();
    exact(await x.data64(), [0.9 - 0.2, 2.2 - 0.2], 'step, opt()');
    const gs = gradient(() => sum(x), ps);      // d Σx = [1, 1]
    update(opt, opt.params, gs);
    assert.is(opt.grads, gs);
    exact(await x.data64(), [0.7 - 0.1, 2 - 0.1], 'update(bound)');
  });
});
test('seed form: Adam(params) keeps state like update(bound, ps, gs)', async () => {
  await withPolicy('ref', async () => {
    const a = tensor([1, 2]).keep(), b = tensor([1, 2]).keep();
    const oa = Adam(new Params([a])), ob = ADAM(new Params([b]), 0.001);
    assert.ok(oa.rule instanceof Adam); assert.is(oa.rule.eta, 0.001);
    for (const g of [G1, G2]) { oa.step([tensor(g)]); update(ob, ob.params, [tensor(g)]); }
    exact(await a.data64(), Array.from(await b.data64()), 'same');
    const c = tensor([1]).keep(), chained = OptimiserChain(new Params([c]), ClipGrad(0.5), Descent(1));
    chained.step([tensor([2])]);
    exact(await c.data64(), [0.5], 'bound chain');
  });
});
test('setup + update(state, model, grads): explicit style; parameters without a gradient are skipped', async () => {
  await withPolicy('ref', async () => {
    const w = tensor([1, 2]).keep(), b = tensor([3]).keep(), model = { w, b };
    const st = setup(Momentum(0.1, 0.9), model);
    assert.ok(st instanceof OptimiserState);
    update(st, model, new Map([[w, tensor(G1)]]));           // b has no gradient: skipped
    exact(await w.data64(), [0.95, 2.1], 'w'); exact(await b.data64(), [3], 'b');
    // adjust(state, η) keeps the momentum: v = 0.9·[0.05, −0.1] + 0.2·[1, 1] = [0.245, 0.11]
    assert.is(adjust(st, 0.2), st); assert.is(st.rule.eta, 0.2); assert.is(st.rule.rho, 0.9);
    update(st, model, new Map([[w, tensor(G2)]]));
    exact(await w.data64(), [0.95 - 0.245, 2.1 - 0.11], 'after adjust');
  });
});
test('adjust: a rule gives a validated copy, unknown keys ignored, bound optimisers change in place', async () => {
  const r = Adam(0.1), r2 = adjust(r, { eta: 0.01, beta: [0.8, 0.99], bogus: 1 });
  assert.is(r.eta, 0.1); assert.is(r2.eta, 0.01); assert.equal(r2.beta, [0.8, 0.99]); assert.is(r2.epsilon, 1e-8);
  assert.ok(r2 instanceof Adam);
  const ch = adjust(OptimiserChain(ClipGrad(1), Adam(0.1)), { eta: 0.5 });
  assert.is((ch.rules[1] as InstanceType<typeof Adam>).eta, 0.5); assert.is((ch.rules[0] as InstanceType<typeof ClipGrad>).delta, 1);
  assert.throws(() => adjust(r, { eta: -1 }), /Adam: eta must be ≥ 0, got -1/);
  const opt = SGD(new Params([tensor([0]).keep()]), 0.1);
  assert.is(adjust(opt, 0.3), opt); assert.is(opt.rule.eta, 0.3);
  // the implicit state goes with the copy: Momentum's v survives adjust
  await withPolicy('ref', async () => {
    const x = tensor([0]).keep(), m = Momentum(0.1, 0.9);
    update(m, [x], [tensor([1])]);                            // v = 0.1, x = −0.1
    update(adjust(m, 1), [x], [tensor([1])]);                 // v = 0.09 + 1 = 1.09
    exact(await x.data64(), [-0.1 - 1.09], 'momentum kept');
  });
});
test('defaults follow Optimisers.jl', () => {
  const d = (r: object) => JSON.parse(JSON.stringify(r));
  assert.equal(d(Descent()), { eta: 0.1 });
  assert.equal(d(Momentum()), { eta: 0.01, rho: 0.9 });
  assert.equal(d(Nesterov()), { eta: 0.001, rho: 0.9 });
  assert.equal(d(RMSProp()), { eta: 0.001, rho: 0.9, epsilon: 1e-8, centred: false });
  assert.equal(d(Rprop()), { eta: 1e-3, ell: [0.5, 1.2], gamma: [1e-6, 50] });
  for (const R of [Adam, RAdam, AdaMax, AMSGrad, NAdam]) assert.equal(d(R()), { eta: 0.001, beta: [0.9, 0.999], epsilon: 1e-8 });
  assert.equal(d(OAdam()), { eta: 0.001, beta: [0.5, 0.9], epsilon: 1e-8 });
  assert.equal(d(AdaGrad()), { eta: 0.1, epsilon: 1e-8 });
  assert.equal(d(AdaDelta()), { rho: 0.9, epsilon: 1e-8 });
  assert.equal(d(AdamW()), { eta: 0.001, beta: [0.9, 0.999], epsilon: 1e-8, lambda: 0, couple: true });
  assert.equal(d(AdaBelief()), { eta: 0.001, beta: [0.9, 0.999], epsilon: 1e-16 });
  assert.equal(d(Lion()), { eta: 0.001, beta: [0.9, 0.999] });
  assert.equal(d(SignDecay()), { lambda: 1e-3 });
  assert.equal(d(ClipGrad()), { delta: 10 });
  assert.equal(d(ClipNorm()), { omega: 10, p: 2, throw: true });
  assert.equal(d(ExpDecay()), { eta: 0.001, decay: 0.1, decay_step: 1000, clip: 1e-4, start: 0 });
  assert.equal(d(InvDecay()), { gamma: 0.001 });
  // callable with or without new, positional or options
  assert.ok(new Adam(0.1) instanceof Adam); assert.is(Adam({ eta: 0.2 }).eta, 0.2);
  assert.equal(Adam(1e-3, [0.8, 0.9]).beta, [0.8, 0.9]);
  assert.is(SGD, Descent); assert.is(NADAM, NAdam); assert.is(ADAMW, AdamW); assert.is(ADAGrad, AdaGrad); assert.is(ADADelta, AdaDelta); assert.is(ADAM, Adam);
});
test('bad arguments throw errors naming the function, argument and value', () => {
  assert.throws(() => Adam(-1), /Adam: eta must be ≥ 0, got -1/);
  assert.throws(() => Adam(0.1, [1, 0.9] as never), /Adam: beta must be a pair of numbers in \[0, 1\), got \[1, 0.9\]/);
  assert.throws(() => Momentum({ rho: 1 }), /Momentum: rho must be in \[0, 1\), got 1/);
  assert.throws(() => Descent(NaN), /Descent: eta must be ≥ 0, got NaN/);
  assert.throws(() => AccumGrad(0), /AccumGrad: n must be an integer ≥ 1, got 0/);
  assert.throws(() => ClipNorm(1, 0), /ClipNorm: p must be > 0/);
  assert.throws(() => RMSProp({ centred: 1 as never }), /RMSProp: centred must be true or false, got 1/);
  assert.throws(() => Rprop(0.1, [1.2, 0.5]), /Rprop: ell must be a pair/);
  assert.throws(() => Adam({ etaa: 1 } as never), /Adam: unknown option etaa/);
  assert.throws(() => (Descent as (...a: unknown[]) => unknown)(0.1, 2), /Descent: expected at most 1 arguments/);
  assert.throws(() => OptimiserChain(Descent(), 3 as never), /OptimiserChain: argument 1 must be a rule/);
  assert.throws(() => ExpDecay({ decay_step: 0 }), /ExpDecay: decay_step must be an integer ≥ 1, got 0/);
  withPolicy('ref', () => {
    const x = tensor([1, 2]).keep(), y = tensor([5]).keep();
    assert.throws(() => update(Descent(), [y, x], [tensor([1]), tensor([1, 2, 3])]),
      /update: gradient for a parameter of shape \[2\] has shape \[3\]/);
    assert.equal(Array.from(y.dataSync()), [5], 'nothing updated');
    assert.throws(() => update(42 as never, [x], [tensor([1, 2])]), /update: opt must be a rule/);
    assert.throws(() => update(Descent(), [x], 'g' as never), /update: grads must be a Grads/);
    assert.throws(() => setup({} as never, [x]), /setup: rule must be an optimiser rule/);
    assert.throws(() => adjust(Descent(), 'fast' as never), /adjust: changes must be a number/);
  });
});

test.run();
