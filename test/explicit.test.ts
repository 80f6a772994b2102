// Current Flux's explicit style: gradient((m) => loss(m, x, y), model) shaped like the model (as
// Zygote returns it), withgradient, update(state, model, grads) on setup's state tree, freeze /
// thaw / adjust on a state or a part of it, and the errors for the usual slips. Gradient values
// are compared with the implicit form's (the same tape, so equal bit for bit), the explicit loop
// with train, and the adjusted hyper-parameters with float64 arithmetic done here on every device.
import * as assert from 'uvu/assert';
import { test } from 'uvu';
import { forEachBackend } from './_helpers/backends.js';
import { assertClose } from './_helpers/allclose.js';
import {
  gradient, withgradient, params, setup, update, freeze, thaw, adjust, train, Grads,
  Chain, Dense, BatchNorm, Dropout, LayerNorm, relu, sigmoid, softmax, mse, sum, mul, add, square, tensor, rand, seed,
  scope, memory, Descent, Momentum, Adam, AdamW, OptimiserChain, ClipGrad, Tensor, withPolicy,
} from '../src/index.js';

/** The tree with each tensor replaced by its shape: what a gradient's structure looks like. */
const shapes = (x: unknown): unknown =>
  x instanceof Tensor ? x.shape : Array.isArray(x) ? x.map(shapes)
    : x instanceof Map ? new Map([...x].map(([k, v]) => [k, shapes(v)]))
      : x !== null && typeof x === 'object' ? Object.fromEntries(Object.entries(x).map(([k, v]) => [k, shapes(v)])) : x;
/** Copies of every parameter's values, in params order. */
const snap = async (m: unknown) => Promise.all([...params(m)].map(async (p) => Array.from(await p.data())));

// ---- shapes ----------------------------------------------------------------------------------
test('Dense: { weight, bias, σ: null }; no bias: bias null', () => withPolicy('ref', () => {
  const d = Dense(3, 2, relu), x = rand(3, 4);
  const g = gradient((m) => sum(m(x)), d);
  assert.ok(Array.isArray(g) && g.length === 1, 'one gradient per argument');
  assert.equal(shapes(g[0]), { weight: [2, 3], bias: [2], σ: null });
  assert.equal(Object.keys(g[0]!), ['weight', 'bias', 'σ'], 'the fields params() walks, in order; not the W/b aliases');
  const nb = Dense(3, 2, relu, { bias: false });
  assert.equal(shapes(gradient((m) => sum(m(x)), nb)[0]), { weight: [2, 3], bias: null, σ: null });
}));

test('Chain: { layers: [...] }, a parameterless layer (relu, softmax) is null; nested Chains nest', () => withPolicy('ref', () => {
  const m = Chain(Dense(3, 4, relu), relu, Dense(4, 2), softmax), x = rand(3, 5);
  const g = gradient((m) => sum(square(m(x))), m)[0];
  assert.equal(shapes(g), { layers: [{ weight: [4, 3], bias: [4], σ: null }, null, { weight: [2, 4], bias: [2], σ: null }, null] });
  const typed: Tensor | null = g.layers[0].weight;          // typed without a cast (Gradient<Chain<…>>)
  assert.ok(typed instanceof Tensor);
  const n = Chain(Chain(Dense(3, 3, sigmoid), Chain(Dense(3, 2))), Dense(2, 1));
  const gn = gradient((m) => sum(m(x)), n)[0];
  assert.equal(shapes(gn), { layers: [
    { layers: [{ weight: [3, 3], bias: [3], σ: null }, { layers: [{ weight: [2, 3], bias: [2], σ: null }] }] },
    { weight: [1, 2], bias: [1], σ: null }] });
  const inner = n.layers[0].layers[1].layers[0].weight;     // the typed path through the nested Chains
  assert.equal(Array.from(gn.layers[0].layers[1].layers[0].weight!.dataSync()),
    Array.from(gradient(() => sum(n(x)), params(n)).get(inner)!.dataSync()));
}));

test('BatchNorm: γ, β get gradients; running statistics and settings are null; Dropout is null', () => withPolicy('ref', () => {
  const m = Chain(Dense(3, 4), BatchNorm(4, relu), Dropout(0.3), LayerNorm(4), Dense(4, 1)), x = rand(3, 6);
  seed(3);
  const g = gradient((m) => sum(m(x)), m)[0];
  assert.equal(shapes(g.layers[1]), {
    chs: null, λ: null, gamma: [4], beta: [4], eps: null, momentum: null, track_stats: null, active: null, mu: null, sigma2: null,
  });
  assert.is(g.layers[2], null, 'Dropout has nothing trainable');
  assert.equal(shapes(g.layers[3]), { size: null, λ: null, gamma: [4], beta: [4], eps: null });
}));

test('several arguments give one gradient each; tensors are differentiated, numbers are constants', () => withPolicy('ref', () => {
  const d = Dense(2, 1), x = tensor([[1, 2, 3], [4, 5, 6]]), y = rand(1, 3);
  const [gm, gx, gk] = gradient((m, x, k) => mul(mse(m(x), y), k), d, x, 3);
  assert.equal(shapes(gm), { weight: [1, 2], bias: [1], σ: null });
  assert.equal(shapes(gx), [2, 3]);
  assert.is(gk, null);
  // dL/dx for a linear layer: Wᵀ·dL/dŷ; compared with the implicit form over [x]
  const want = gradient(() => mul(mse(d(x), y), 3), [x]).get(x)!;
  assert.equal(Array.from(gx!.dataSync()), Array.from(want.dataSync()));
  // a tensor argument: its gradient is a tensor; plain objects and arrays are mirrored
  const w = tensor([1, -2]), b = tensor([0.5]);
  const [g1] = gradient((t) => sum(square(t)), w);
  assert.equal(Array.from(g1!.dataSync()), [2, -4]);
  const [g2] = gradient((o) => sum(add(mul(o.w, o.n), o.p[0])), { w, n: 3, p: [b], name: 'x' });
  assert.equal(shapes(g2), { w: [2], n: null, p: [[1]], name: null });
  // a parameter the loss does not reach: null in its place, the structure stays
  const [g3] = gradient((o) => sum(o.w), { w, b });
  assert.equal(shapes(g3), { w: [2], b: null });
}));

test('tied weights: the same tensor at two paths gets the total gradient at both, updated once', () => withPolicy('ref', () => {
  const w = tensor([1, 2]), model = { a: w, b: w };
  const [g] = gradient((m) => add(sum(m.a), sum(mul(m.b, 2))), model);
  assert.is(g.a, g.b, 'one tensor, at both paths');
  assert.equal(Array.from(g.a!.dataSync()), [3, 3]);
  const st = setup(Descent(0.5), model);
  assert.is(st.a, st.b, 'one Leaf, at both paths');
  update(st, model, g);
  assert.equal(Array.from(w.dataSync()), [-0.5, 0.5], 'x − η·(1 + 2): the total, applied once');
  // gradients given per path (as Zygote gives them) are summed, as Optimisers.update! does
  update(st, model, { a: tensor([1, 1]), b: tensor([2, 2]) });
  assert.equal(Array.from(w.dataSync()), [-2, -1]);
}));

test('withgradient: { val, grad } with grad one gradient per argument; the implicit forms still work', () => withPolicy('ref', () => {
  const m = Chain(Dense(3, 2, sigmoid)), x = rand(3, 4), y = rand(2, 4);
  const { val, grad } = withgradient((m) => mse(m(x), y), m);
  assert.equal(Array.from(val.dataSync()), Array.from(mse(m(x), y).dataSync()));
  assert.equal(shapes(grad), [{ layers: [{ weight: [2, 3], bias: [2], σ: null }] }]);
  // implicit: a loss of no arguments with params(m), the model, a tensor or an array of tensors
  const gi = gradient(() => mse(m(x), y), params(m));
  assert.ok(gi instanceof Grads && gi.get(m.layers[0].weight) instanceof Tensor);
  assert.ok(gradient(() => mse(m(x), y), m) instanceof Grads, 'a model with a loss of no arguments: Grads, as before');
  assert.ok(gradient(() => sum(square(m.layers[0].bias as Tensor)), m.layers[0].bias as Tensor) instanceof Grads);
  const wi = withgradient(() => mse(m(x), y), [m.layers[0].weight]);
  assert.ok(wi.grad instanceof Grads && wi.val instanceof Tensor);
}));

test('the gradient tree: returned from a scope it survives, and the scope frees the rest', () => withPolicy('ref', () => {
  const m = Chain(Dense(3, 4, relu), Dense(4, 1)), x = rand(3, 5).keep(), y = rand(1, 5).keep();
  const before = memory().tensors;
  const g = scope(() => gradient((m) => mse(m(x), y), m)[0]);
  assert.is(memory().tensors, before + 4, 'the four gradients, nothing else');
  for (const l of g.layers) { assert.not.ok(l.weight!.disposed); assert.not.ok(l.bias!.disposed); }
  for (let i = 0; i < 5; i++) scope(() => { gradient((m) => mse(m(x), y), m); });
  assert.is(memory().tensors, before + 4, 'a gradient call inside a scope leaves nothing');
}));

// ---- the values equal the implicit form's, and the explicit loop reproduces train -------------
forEachBackend('explicit', (test, dev) => {
  test('every gradient equals the implicit-params gradient (Dense, BatchNorm, Dropout, nested Chain)', async () => {
    await dev.run(async () => {
      seed(11);
      const m = Chain(Dense(5, 7, relu), BatchNorm(7), Dropout(0.4), Chain(Dense(7, 3, sigmoid), LayerNorm(3)), Dense(3, 2));
      const x = rand(5, 9).keep(), y = rand(2, 9).keep();
      seed(99);                                         // the same dropout mask in both calls
      const gi = gradient(() => mse(m(x), y), params(m));
      seed(99);
      const [ge] = gradient((mm) => mse(mm(x), y), m);
      const pairs: [string, Tensor, Tensor | null][] = [
        ['layers[0].weight', m.layers[0].weight, ge.layers[0].weight], ['layers[0].bias', m.layers[0].bias as Tensor, ge.layers[0].bias],
        ['layers[1].gamma', m.layers[1].gamma as Tensor, ge.layers[1].gamma], ['layers[1].beta', m.layers[1].beta as Tensor, ge.layers[1].beta],
        ['layers[3].layers[0].weight', m.layers[3].layers[0].weight, ge.layers[3].layers[0].weight],
        ['layers[3].layers[1].gamma', m.layers[3].layers[1].gamma as Tensor, ge.layers[3].layers[1].gamma],
        ['layers[4].weight', m.layers[4].weight, ge.layers[4].weight], ['layers[4].bias', m.layers[4].bias as Tensor, ge.layers[4].bias],
      ];
      assert.is(pairs.length + 2, params(m).length, 'every parameter is checked (two more below)');
      for (const [path, p, g] of pairs) {
        assert.ok(g instanceof Tensor, `${path}: a tensor`);
        assert.is(g!.device, dev.name, `${path}: on ${dev.name}`);
        assert.equal(Array.from(await g!.data()), Array.from(await gi.get(p)!.data()), `${path}: equal to the implicit gradient`);
      }
      assert.equal(Array.from(await ge.layers[3].layers[0].bias!.data()), Array.from(await gi.get(m.layers[3].layers[0].bias as Tensor)!.data()));
      assert.equal(Array.from(await ge.layers[3].layers[1].beta!.data()), Array.from(await gi.get(m.layers[3].layers[1].beta as Tensor)!.data()));
    });
  });

  test('a hand-written loop, gradient then update(state, model, g), reproduces train exactly', async () => {
    await dev.run(async () => {
      const make = () => {
        seed(5);
        const m = Chain(Dense(4, 6, relu), BatchNorm(6), Dense(6, 3), softmax);
        const data = Array.from({ length: 5 }, () => [rand(4, 8).keep(), rand(3, 8).keep()] as [Tensor, Tensor]);
        return { m, data };
      };
      const loss = (m: ReturnType<typeof make>['m'], x: Tensor, y: Tensor) => mse(m(x), y);
      for (const rule of [() => Adam(0.01), () => Momentum(0.1, 0.9), () => OptimiserChain(ClipGrad(0.01), Descent(0.5))]) {
        const a = make(), b = make();
        await train(loss, a.m, a.data, setup(rule(), a.m));
        const st = setup(rule(), b.m);
        for (const [x, y] of b.data) scope(() => {
          const g = gradient((m) => loss(m, x, y), b.m)[0];
          update(st, b.m, g);
        });
        assert.equal(await snap(b.m), await snap(a.m), `${rule().constructor.name}: the loop equals train`);
        // and the running statistics moved the same way (BatchNorm trains inside gradient in both)
        assert.equal(Array.from(await (b.m.layers[1] as any).mu.data()), Array.from(await (a.m.layers[1] as any).mu.data()));
      }
    });
  });

  test('adjust changes the hyper-parameters the fused kernels read at the next step (Descent, Momentum, Adam, AdamW)', async () => {
    await dev.run(async () => {
      const x0 = [0.5, -1.25, 2], g1 = [1, -2, 0.5], g2 = [-0.5, 0.25, 3];
      const tol = dev.name === 'ref' ? { rtol: 1e-12, f32: false } : { rtol: 2e-6, atol: 1e-7 };
      // Descent: x − η₁g₁ − η₂g₂
      {
        const w = tensor(x0).keep(), st = setup(Descent(0.1), { w });
        update(st, { w }, { w: tensor(g1) });
        assert.is(adjust(st, 0.03), st);
        assert.is(st.w.rule.eta, 0.03);
        update(st, { w }, { w: tensor(g2) });
        assertClose(await w.data64(), x0.map((v, i) => v - 0.1 * g1[i] - 0.03 * g2[i]), tol, 'Descent');
      }
      // Momentum: v ← ρv + ηg; x −= v, with (η, ρ) changed in between
      {
        const w = tensor(x0).keep(), st = setup(Momentum(0.1, 0.9), { w });
        update(st, { w }, { w: tensor(g1) });
        adjust(st, { eta: 0.02, rho: 0.5 });
        update(st, { w }, { w: tensor(g2) });
        const v1 = g1.map((g) => 0.1 * g), v2 = v1.map((v, i) => 0.5 * v + 0.02 * g2[i]);
        assertClose(await w.data64(), x0.map((v, i) => v - v1[i] - v2[i]), tol, 'Momentum');
      }
      // Adam / AdamW (Optimisers.jl): βᵗ in the state was made with the old β, the moments use the new
      for (const [name, make, lambda] of [['Adam', () => Adam(0.1), 0], ['AdamW', () => AdamW({ eta: 0.1, lambda: 0.2 }), 0.3]] as const) {
        const w = tensor(x0).keep(), st = setup(make(), { w });
        update(st, { w }, { w: tensor(g1) });
        adjust(st, name === 'Adam' ? { eta: 0.05, beta: [0.5, 0.6], epsilon: 1e-3 } : { eta: 0.05, beta: [0.5, 0.6], epsilon: 1e-3, lambda });
        update(st, { w }, { w: tensor(g2) });
        const want = x0.map((x, i) => {
          let m = 0.1 * g1[i], v = 0.001 * g1[i] ** 2;                          // β = (0.9, 0.999), step 1
          const l1 = name === 'Adam' ? 0 : 0.2;
          x -= 0.1 * ((m / 0.1) / (Math.sqrt(v / 0.001) + 1e-8) + l1 * x);
          m = 0.5 * m + 0.5 * g2[i]; v = 0.6 * v + 0.4 * g2[i] ** 2;           // new β; βᵗ = (0.9², 0.999²)
          return x - 0.05 * ((m / (1 - 0.81)) / (Math.sqrt(v / (1 - 0.999 ** 2)) + 1e-3) + lambda * x);
        });
        assertClose(await w.data64(), want, tol, name);
      }
    });
  });
});

// ---- freeze, thaw, adjust on parts of the state ------------------------------------------------
test('setup mirrors the model: a Leaf per parameter with its rule, frozen flag and state', () => withPolicy('ref', () => {
  const m = Chain(Dense(2, 3, relu), Dropout(0.5), Dense(3, 1)), st = setup(Momentum(0.1), m);
  assert.equal(Object.keys(st), ['layers']);
  assert.is(st.layers[1], null);
  const leaf = st.layers[0].weight;
  assert.is(leaf.param, m.layers[0].weight);
  assert.is(leaf.rule, st.rule);
  assert.is(leaf.frozen, false);
  assert.is(leaf.state, undefined, 'made at the first update');
  assert.is(st.layers[0].σ, null);
  assert.is(st.params.length, 4);
  const x = rand(2, 4);
  update(st, m, gradient((m) => sum(m(x)), m)[0]);
  assert.ok(Array.isArray(leaf.state) && (leaf.state as Tensor[])[0] instanceof Tensor, 'Momentum velocity');
  assert.is(st.state.get(m.layers[0].weight), leaf.state, 'the same state saveModel reads');
  // an array model mirrors by index; a tensor model has no fields
  const w = tensor([1]), b = tensor([2]);
  const sa = setup(Descent(), [w, b]);
  assert.is(sa[1].param, b);
  update(sa, [w, b], [tensor([1]), null]);
  assert.equal(Array.from(w.dataSync()), [Math.fround(1 - 0.1)]);
  const sw = setup(Descent(1), w);
  update(sw, w, tensor([0.4]));
  assert.ok(Math.abs(w.dataSync()[0] - 0.5) < 1e-7);
}));

test('freeze / thaw: frozen parameters and their state are left alone, in update and in train', async () => {
  await withPolicy('ref', async () => {
    seed(2);
    const m = Chain(Dense(2, 3, relu), Dense(3, 1)), x = rand(2, 4).keep(), y = rand(1, 4).keep();
    const st = setup(Momentum(0.1), m), loss = (mm: typeof m, x: Tensor, y: Tensor) => mse(mm(x), y);
    assert.is(freeze(st.layers[0]), st.layers[0]);
    assert.ok(st.layers[0].weight.frozen && st.layers[0].bias!.frozen && !st.layers[1].weight.frozen);
    const w0 = await snap(m.layers[0]), w1 = await snap(m.layers[1]);
    update(st, m, gradient((mm) => loss(mm, x, y), m)[0]);
    assert.equal(await snap(m.layers[0]), w0, 'the frozen layer did not move');
    assert.not.equal(await snap(m.layers[1]), w1, 'the other did');
    assert.is(st.layers[0].weight.state, undefined, 'no state made for a frozen parameter');
    await train(loss, m, [[x, y]], st);                 // train's Grads path honours freeze too
    assert.equal(await snap(m.layers[0]), w0, 'train skipped the frozen layer');
    thaw(st);
    assert.not.ok(st.layers[0].weight.frozen);
    update(st, m, gradient((mm) => loss(mm, x, y), m)[0]);
    assert.not.equal(await snap(m.layers[0]), w0, 'thawed: it moves again');
    freeze(st);
    const all = await snap(m);
    update(st, m, gradient((mm) => loss(mm, x, y), m)[0]);
    assert.equal(await snap(m), all, 'a frozen state changes nothing');
    freeze(st.layers[1]); thaw(st.layers[1].bias!);      // a single Leaf
    assert.ok(st.layers[1].weight.frozen && !st.layers[1].bias!.frozen);
    assert.is(freeze(null), null, 'a part without parameters (state.layers[i] of a Dropout): nothing to do');
  });
});

test('adjust on a part of the state changes only that part; on the state, every leaf and st.rule', () => withPolicy('ref', () => {
  const m = Chain(Dense(2, 2), Dense(2, 1)), st = setup(Adam(0.01), m);
  const r0 = st.rule;
  assert.is(adjust(st.layers[1], { eta: 0.5, beta: [0.8, 0.9], nosuch: 1 }), st.layers[1]);
  assert.is(st.layers[1].weight.rule.eta, 0.5); assert.equal(st.layers[1].bias!.rule.beta, [0.8, 0.9]);
  assert.is(st.layers[1].weight.rule, st.layers[1].bias!.rule, 'leaves that shared a rule share its copy');
  assert.is(st.layers[0].weight.rule, r0); assert.is(st.rule, r0);
  adjust(st, 0.002);
  assert.is(st.rule.eta, 0.002);
  for (const l of [st.layers[0].weight, st.layers[0].bias!, st.layers[1].weight]) assert.is(l.rule.eta, 0.002);
  assert.equal(st.layers[1].weight.rule.beta, [0.8, 0.9], 'the part keeps its other changes');
  assert.is(st.layers[0].weight.rule, st.rule);
  // a subtree update with the matching parts of model and gradient
  const x = rand(2, 3), w0 = Array.from(m.layers[0].weight.dataSync()), b1 = Array.from((m.layers[1].bias as Tensor).dataSync());
  const g = gradient((mm) => sum(mm(x)), m)[0];
  update(st.layers[1], m.layers[1], g.layers[1]);
  assert.equal(Array.from(m.layers[0].weight.dataSync()), w0, 'only the part given');
  assert.not.equal(Array.from((m.layers[1].bias as Tensor).dataSync()), b1);
  assert.throws(() => adjust(st, -1), /adjust: eta must be a finite number ≥ 0, got -1/);
  assert.throws(() => adjust(st.layers[0], { eta: -2 }), /adjust: Adam: eta must be ≥ 0, got -2/);
  assert.is(st.layers[0].weight.rule.eta, 0.002, 'a refused adjust changes nothing');
}));

// ---- errors ------------------------------------------------------------------------------------
test('a gradient that does not match the model: the error names the path; nothing is updated', () => withPolicy('ref', () => {
  const m = Chain(Dense(2, 3), Dense(3, 1)), st = setup(Descent(0.1), m), x = rand(2, 4);
  const g = gradient((mm) => sum(mm(x)), m)[0];
  const before = [...params(m)].map((p) => Array.from(p.dataSync()));
  const unchanged = () => assert.equal([...params(m)].map((p) => Array.from(p.dataSync())), before, 'nothing updated');
  const bad = (gr: unknown, re: RegExp) => { assert.throws(() => update(st, m, gr as never), re); unchanged(); };
  bad({ layers: [g.layers[0], { ...g.layers[1], weight: tensor([[1, 2]]) }] },
    /^update: the gradient at layers\[1\]\.weight has shape \[1,2\], the parameter has shape \[1,3\]/);
  bad({ layers: [g.layers[0], g.layers[0].weight] }, /update: the gradient at layers\[1\] must be an object with the fields weight, bias, σ/);
  bad({ layers: [g.layers[0]] }, /update: the gradient at layers must be an array of 2 \(like the model\), got an array of length 1/);
  bad({ layers: [{ weight: g.layers[0].weight }, g.layers[1]] }, /update: the gradient at layers\[0\] has no field bias, where the model has parameters \(give null for no gradient/);
  bad({ layers: g.layers, extra: tensor([1]) }, /update: the gradient has a field extra that the model does not have/);
  bad({ layers: [{ ...g.layers[0], bias: 'x' }, g.layers[1]] }, /update: the gradient at layers\[0\]\.bias must be a tensor of shape \[3\] \(or null\), got "x"/);
  bad(g.layers[0].weight, /update: the gradient must be an object with the fields layers/);
  // a state made for another model of the same shape
  const m2 = Chain(Dense(2, 3), Dense(3, 1));
  assert.throws(() => update(st, m2, gradient((mm) => sum(mm(x)), m2)[0]),
    /update: the model's layers\[0\]\.weight is not the tensor this state was set up with; make the state from this model/);
  // null parts are skipped (Zygote's nothing)
  update(st, m, { layers: [null, null] }); unchanged();
}));

test('a non-scalar loss, a rule instead of a state, params with a loss that takes the model: clear errors', () => withPolicy('ref', () => {
  const m = Chain(Dense(2, 3)), x = rand(2, 4);
  assert.throws(() => gradient((mm) => mm(x), m), (e: Error) => e instanceof RangeError &&
    /^gradient: the loss must be a scalar \(one element\), got shape \[3,4\]; reduce it first, e\.g\. with sum/.test(e.message));
  assert.throws(() => withgradient((mm) => mm(x), m), /^withgradient: the loss must be a scalar/);
  const g = gradient((mm) => sum(mm(x)), m)[0];
  assert.throws(() => update(Descent(0.1), m, g),
    /^update: gradients shaped like the model need the state from setup: make it once, before the loop, with const state = setup\(rule, model\), then call update\(state, model, grads\); got the rule Descent$/);
  assert.throws(() => update(Descent(0.1) as never, m, g as never), /setup\(rule, model\)/);
  assert.throws(() => freeze(Adam()), /^freeze: expected the state from setup\(rule, model\) or a part of it such as state\.layers\[0\], got the rule Adam; make the state once/);
  assert.throws(() => freeze(m), /^freeze: expected the state .*, got a layer or function/);
  assert.throws(() => thaw({ w: tensor([1]) }), /^thaw: expected the state .*, got a model \(it holds a tensor at w\)/);
  assert.throws(() => freeze(undefined), /^freeze: expected the state .*, got undefined/);
  assert.throws(() => freeze({}), /^freeze: expected the state .*, got an object, which holds no optimiser state/);
  assert.throws(() => adjust(m as never, 0.1), /^adjust: expected a rule, a bound optimiser, or the state from setup/);
  assert.throws(() => setup(setup(Descent(), m) as never, m), /^setup: rule must be an optimiser rule .*already a setup state/);
  assert.throws(() => gradient((mm: typeof m) => sum(mm(x)), params(m) as never),
    /^gradient: params\(\.\.\.\) is for the implicit form, whose loss takes no arguments: .*pass the model itself: gradient\(\(m\) => loss\(m\(x\), y\), m\)/);
  assert.throws(() => (gradient as (f: unknown) => unknown)((mm: unknown) => mm), /^gradient: nothing to differentiate with respect to: pass the model/);
  assert.throws(() => gradient((mm: typeof m) => sum(mm(x)), undefined as never),
    /^gradient: no argument holds a tensor to differentiate with respect to \(got undefined\); pass the model/);
  assert.throws(() => gradient((a: number) => sum(mul(x, a)), 3), /^gradient: no argument holds a tensor .*got 3.*tensor\(3\)/);
  assert.throws(() => gradient((mm) => sum(gradient((m2) => sum(m2(x)), mm)[0].layers[0].weight!), m), /gradient: nested gradient calls are not supported/);
  assert.ok(gradient((mm) => sum(mm(x)), m)[0].layers[0].weight instanceof Tensor, 'the failed calls left no tape behind');
}));

test('a disposed tensor in the model, and a model with a field the state keeps for itself', () => withPolicy('ref', () => {
  const w = tensor([1, 2]).keep(), d = tensor([3]).keep();
  d.dispose();
  assert.throws(() => gradient((o) => sum(o.w), { w, p: [d] }), /^gradient: argument 1 \(p\[0\]\) is a disposed tensor$/);
  assert.throws(() => setup(Descent(), { state: w }), /^setup: the model's field state holds parameters, but a setup state keeps its own state/);
  const st = setup(Descent(0.5), { w, params: 3 });   // a field without parameters is not mirrored
  update(st, { w, params: 3 }, { w: tensor([1, 1]), params: null });
  assert.equal(Array.from(w.dataSync()), [0.5, 1.5]);
}));

test.run();
