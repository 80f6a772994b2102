// dot_product_attention and MultiHeadAttention (issue 12, item 2) against NNlib's and Flux's
// definitions, written out below with loops over Julia's indices (0-based): per head h (features
// h·d .. h·d + d − 1), α[j, i, h, b] = softmax over keys j of Σ_d k[hd + d, j, b]·q[hd + d, i, b]/√d
// (+ bias, masked keys at −Inf), y[h·dv + d, i, b] = Σ_j α[j, i, h, b]·v[h·dv + d, j, b]; the layer
// wraps it in its four Dense projections. On every device: forward vs the definition, at awkward
// sizes (odd lengths, 3 heads, no batch, two batch dims). On the reference: gradients by finite
// differences; on the fast devices: gradients vs the reference's. Then the layer's forms, names,
// dropout, errors and temporaries.
import * as assert from 'uvu/assert';
import { suite } from 'uvu';
import { forEachBackend, fast, refDevice } from './_helpers/backends.js';
import { assertClose } from './_helpers/allclose.js';
import { gradcheck, gradOn, weights, input, reseed, uniform, type Fn } from './_helpers/gradcheck.js';
import {
  MultiHeadAttention, dot_product_attention, make_causal_mask, tensor, rand, seed, memory, withPolicy, namedTensors,
  params, gradient, sum, trainmode, testmode, scope, Tensor,
} from '../src/index.js';

const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/**
 * NNlib's dot_product_attention written out: q [qk, Lq, B], k [qk, Lk, B], v [dv, Lk, B] (B the
 * product of the batch dims, row-major), mask and bias already [Lk, Lq, H, B] or null.
 */
function attnDef(q: ArrayLike<number>, k: ArrayLike<number>, v: ArrayLike<number>, [qk, Lq, Lk, dvAll, B]: number[], H: number,
  mask: ((j: number, i: number, h: number, b: number) => boolean) | null, bias: ((j: number, i: number, h: number, b: number) => number) | null) {
  const d = qk / H, dv = dvAll / H, α = new Float64Array(Lk * Lq * H * B), y = new Float64Array(dvAll * Lq * B);
  const A = (j: number, i: number, h: number, b: number) => ((j * Lq + i) * H + h) * B + b;
  for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) for (let i = 0; i < Lq; i++) {
    const logits = new Float64Array(Lk);
    for (let j = 0; j < Lk; j++) {
      let s = 0;
      for (let e = 0; e < d; e++) s += k[((h * d + e) * Lk + j) * B + b] * q[((h * d + e) * Lq + i) * B + b];
      logits[j] = s / Math.sqrt(d) + (bias ? bias(j, i, h, b) : 0);
      if (mask && !mask(j, i, h, b)) logits[j] = -Infinity;
    }
    const mx = Math.max(...logits), ex = logits.map((l) => Math.exp(l - mx)), tot = ex.reduce((a, c) => a + c, 0);
    for (let j = 0; j < Lk; j++) α[A(j, i, h, b)] = ex[j] / tot;
    for (let e = 0; e < dv; e++) {
      let s = 0;
      for (let j = 0; j < Lk; j++) s += α[A(j, i, h, b)] * v[((h * dv + e) * Lk + j) * B + b];
      y[((h * dv + e) * Lq + i) * B + b] = s;
    }
  }
  return { y, α };
}
/** Flux's Dense without activation on [in, L, B]: W [out, in], bias [out] or none. */
function denseDef(W: ArrayLike<number>, bias: ArrayLike<number> | null, x: ArrayLike<number>, out: number, inp: number, cols: number) {
  const y = new Float64Array(out * cols);
  for (let o = 0; o < out; o++) for (let c = 0; c < cols; c++) {
    let s = bias ? bias[o] : 0;
    for (let f = 0; f < inp; f++) s += W[o * inp + f] * x[f * cols + c];
    y[o * cols + c] = s;
  }
  return y;
}
const data = async (t: Tensor) => [...(await t.data64())];

forEachBackend('attention: the definitions', (test, dev) => {
  const on = <T>(fn: () => T) => dev.run(fn);
  const tol = { rtol: 2e-5, atol: 2e-6, f32: dev.name !== 'ref' };

  test('dot_product_attention: heads, lengths, batch dims (none, one, two) against the written-out definition', async () => {
    reseed(31);
    //       qk, Lq, Lk, dv, batch dims, nheads
    const cases: [number, number, number, number, number[], number][] = [
      [6, 5, 7, 9, [3], 3], [6, 5, 7, 9, [3], 1], [4, 1, 1, 2, [1], 2], [8, 3, 11, 4, [], 2], [6, 4, 3, 6, [2, 3], 3], [10, 13, 2, 5, [5], 5],
    ];
    for (const [qk, Lq, Lk, dv, batch, H] of cases) {
      const q = uniform(qk * Lq * prod(batch), -2, 2), k = uniform(qk * Lk * prod(batch), -2, 2), v = uniform(dv * Lk * prod(batch));
      const want = attnDef(q, k, v, [qk, Lq, Lk, dv, prod(batch)], H, null, null);
      const [y, α] = on(() => dot_product_attention(tensor(q, [qk, Lq, ...batch]), tensor(k, [qk, Lk, ...batch]), tensor(v, [dv, Lk, ...batch]), { nheads: H }));
      const label = `q [${qk}, ${Lq}, ${batch}], k [${qk}, ${Lk}], v [${dv}, ${Lk}], ${H} heads`;
      assert.equal([...y.shape], [dv, Lq, ...batch], `y shape, ${label}`);
      assert.equal([...α.shape], [Lk, Lq, H, ...batch], `α shape, ${label}`);
      assert.is(y.device, dev.name);
      assertClose(await data(α), want.α, tol, `α, ${label}`);
      assertClose(await data(y), want.y, tol, `y, ${label}`);
    }
  });

  test('masks (causal, per batch, booleans) hide keys with −Inf; a bias is added; a query seeing no key is NaN, as NNlib', async () => {
    reseed(32);
    const [qk, L, dv, B, H] = [4, 6, 6, 3, 2];
    const q = uniform(qk * L * B, -2, 2), k = uniform(qk * L * B, -2, 2), v = uniform(dv * L * B), bias = uniform(L * L * H * B);
    const [qt, kt, vt] = on(() => [tensor(q, [qk, L, B]), tensor(k, [qk, L, B]), tensor(v, [dv, L, B])]);
    const causal = (j: number, i: number) => j <= i;
    const want = attnDef(q, k, v, [qk, L, L, dv, B], H, causal, null);
    const [y, α] = on(() => dot_product_attention(qt, kt, vt, { nheads: H, mask: make_causal_mask(qt) }));
    assertClose(await data(α), want.α, tol, 'causal α');
    assertClose(await data(y), want.y, tol, 'causal y');
    const a = await data(α);
    for (let j = 0; j < L; j++) for (let i = 0; i < j; i++) assert.is(a[((j * L + i) * H) * B], 0, `key ${j} is hidden from query ${i}: exactly 0`);
    // booleans [L, L] as the mask, and a bias [L, L, H, B]
    const bools = Array.from({ length: L }, (_, j) => Array.from({ length: L }, (_, i) => causal(j, i)));
    const wb = attnDef(q, k, v, [qk, L, L, dv, B], H, causal, (j, i, h, b) => bias[((j * L + i) * H + h) * B + b]);
    const [yb, αb] = on(() => dot_product_attention(qt, kt, vt, tensor(bias, [L, L, H, B]), { nheads: H, mask: bools }));
    assertClose(await data(αb), wb.α, tol, 'boolean mask and bias: α');
    assertClose(await data(yb), wb.y, tol, 'boolean mask and bias: y');
    // a padding mask per batch element [L, 1, 1, B]: batch b sees keys j < L − b
    const pad = Array.from({ length: L * B }, (_, n) => (Math.floor(n / B) < L - (n % B) ? 1 : 0));
    const wp = attnDef(q, k, v, [qk, L, L, dv, B], H, (j, _i, _h, b) => j < L - b, null);
    const [yp, αp] = on(() => dot_product_attention(qt, kt, vt, { nheads: H, mask: tensor(pad, [L, 1, 1, B]) }));
    assertClose(await data(αp), wp.α, tol, 'padding mask: α');
    assertClose(await data(yp), wp.y, tol, 'padding mask: y');
    // key 0 hidden from query 0 too: that query sees no key
    const none = bools.map((row, j) => row.map((c, i) => c && !(i === 0)));
    const [yn, αn] = on(() => dot_product_attention(qt, kt, vt, { nheads: H, mask: none }));
    const an = await data(αn), ynv = await data(yn);
    for (let j = 0; j < L; j++) assert.ok(Number.isNaN(an[((j * L) * H) * B]), 'query 0 with every key masked: NaN (softmax of all −Inf)');
    assert.ok(Number.isNaN(ynv[0]) && !Number.isNaN(ynv[B]), 'y is NaN for that query only');
  });

  test('MultiHeadAttention: out_proj(attention(q_proj(q), k_proj(k), v_proj(v))), its call forms, with and without bias', async () => {
    reseed(33);
    for (const [dims, bias, H] of [[[[5, 7, 3], [6, 9], 4], true, 3], [[5, 6, 4], false, 2], [6, false, 1]] as const) {
      seed(1);
      const mha = on(() => MultiHeadAttention(dims as never, { nheads: H, bias }));
      const [qi, ki, vi] = [mha.q_proj, mha.k_proj, mha.v_proj].map((d) => d.weight.shape[1]);
      const [qk, vd, out] = [mha.q_proj.weight.shape[0], mha.v_proj.weight.shape[0], mha.out_proj.weight.shape[0]];
      const [Lq, Lk, B] = [5, 4, 3];
      const q = uniform(qi * Lq * B), k = uniform(ki * Lk * B), v = uniform(vi * Lk * B);
      const w = await Promise.all([mha.q_proj, mha.k_proj, mha.v_proj, mha.out_proj].map(async (d) => [await data(d.weight), d.bias ? await data(d.bias) : null] as const));
      const P = (i: number, x: ArrayLike<number>, o: number, n: number, cols: number) => denseDef(w[i][0], w[i][1], x, o, n, cols);
      const a = attnDef(P(0, q, qk, qi, Lq * B), P(1, k, qk, ki, Lk * B), P(2, v, vd, vi, Lk * B), [qk, Lq, Lk, vd, B], H, null, null);
      const want = P(3, a.y, out, vd, Lq * B);
      const [y, α] = on(() => mha(tensor(q, [qi, Lq, B]), tensor(k, [ki, Lk, B]), tensor(v, [vi, Lk, B])));
      assert.equal([...y.shape], [out, Lq, B]);
      assert.equal([...α.shape], [Lk, Lq, H, B]);
      assertClose(await data(α), a.α, { ...tol, rtol: 1e-4, atol: 1e-5 }, `${mha}: α`);
      assertClose(await data(y), want, { ...tol, rtol: 1e-4, atol: 1e-5 }, `${mha}: y`);
    }
    // self-attention and shared key/value are the three-argument call
    const mha = on(() => MultiHeadAttention(6, { nheads: 2 }));
    const x = on(() => rand(6, 5, 2)), kv = on(() => rand(6, 3, 2)), m = on(() => make_causal_mask(x));
    const same = async (p: [Tensor, Tensor], r: [Tensor, Tensor], what: string) => {
      assertClose(await data(p[0]), await data(r[0]), { rtol: 0, f32: false }, `${what}: y`);
      assertClose(await data(p[1]), await data(r[1]), { rtol: 0, f32: false }, `${what}: α`);
    };
    await same(on(() => mha(x)), on(() => mha(x, x, x)), 'mha(x)');
    await same(on(() => mha(x, { mask: m })), on(() => mha(x, x, x, null, { mask: m })), 'mha(x, { mask })');
    await same(on(() => mha(x, kv)), on(() => mha(x, kv, kv)), 'mha(q, kv)');
  });
});

// ---- gradients ----------------------------------------------------------------------------------
const G = suite('attention: gradients');
G('dot_product_attention: d q, k, v, bias by finite differences (ref), masked and not', async () => {
  reseed(41);
  const [qk, L, dv, B, H] = [4, 3, 4, 2, 2];
  const mask = Array.from({ length: L }, (_, j) => Array.from({ length: L }, (_, i) => j <= i));
  const ins = () => [input([qk, L, B], -2, 2), input([qk, L, B], -2, 2), input([dv, L, B]), input([L, L, H, 1])];
  for (const m of [null, mask]) {
    await gradcheck((q, k, v, b) => dot_product_attention(q, k, v, b, { nheads: H, mask: m })[0], ins(), { label: `y, mask ${!!m}`, rtol: 1e-5, atol: 1e-7 });
    await gradcheck((q, k, v, b) => dot_product_attention(q, k, v, b, { nheads: H, mask: m })[1], ins(), { label: `α, mask ${!!m}`, rtol: 1e-5, atol: 1e-7 });
  }
});

/** The layer with its weights replaced by inputs (Dense reads its weight at each call). */
const layerFn = (mha: ReturnType<typeof MultiHeadAttention>, mask: unknown): Fn => (x, Wq, Wk, Wv, Wo, bo) => {
  mha.q_proj.weight = Wq; mha.k_proj.weight = Wk; mha.v_proj.weight = Wv; mha.out_proj.weight = Wo; mha.out_proj.bias = bo;
  return mha(x, { mask: mask as never })[0];
};
G('MultiHeadAttention: d input and every weight by finite differences (ref)', async () => {
  reseed(42);
  const mha = withPolicy('ref', () => MultiHeadAttention([4, 6, 5], { nheads: 3, bias: true }));
  const causal = withPolicy('ref', () => make_causal_mask(rand(1, 3)).keep());
  await gradcheck(layerFn(mha, causal), [input([4, 3, 2]), input([6, 4]), input([6, 4]), input([6, 4]), input([5, 6]), input([5])],
    { label: 'MultiHeadAttention([4, 6, 5]; nheads=3)', rtol: 1e-5, atol: 1e-7 });
});
G('the fast devices\' gradients equal the reference\'s (causal self-attention, 4 heads, odd lengths)', async () => {
  reseed(43);
  const f = (dev: ReturnType<typeof refDevice>) => {
    const mha = dev.run(() => MultiHeadAttention(8, { nheads: 4, bias: true }));
    const mask = dev.run(() => make_causal_mask(rand(1, 7)).keep());
    return layerFn(mha, mask);
  };
  const inputs = [input([8, 7, 3]), input([8, 8]), input([8, 8]), input([8, 8]), input([8, 8]), input([8])];
  const w = weights(f(refDevice()), inputs), want = await gradOn(refDevice(), f(refDevice()), inputs, w);
  for (const dev of fast()) {
    const got = await gradOn(dev, f(dev), inputs, w);
    got.forEach((g, i) => assertClose(g, want[i], { rtol: 1e-4, atol: 2e-5 }, `${dev.name}: d input ${i}`));
  }
});
G.run();

// ---- the layer: forms, names, dropout, errors, temporaries ---------------------------------------
const L = suite('MultiHeadAttention: the layer');
L('dims forms as Flux\'s, parameters named as Flux\'s, shown as Flux shows it', () => withPolicy('cpu', () => {
  const shapes = (m: ReturnType<typeof MultiHeadAttention>) => namedTensors(m).map(([k, t]) => `${k} [${t.shape}]`);
  const a = MultiHeadAttention(64);
  assert.is(String(a), 'MultiHeadAttention(64; nheads=8)');
  assert.is(a.nheads, 8);
  assert.equal(shapes(a), ['q_proj.weight [64,64]', 'k_proj.weight [64,64]', 'v_proj.weight [64,64]', 'out_proj.weight [64,64]'], 'bias = false by default');
  const b = MultiHeadAttention([64, 1024, 1024], { nheads: 8 });
  assert.is(String(b), 'MultiHeadAttention(64 => 1024 => 1024; nheads=8)');
  const [y, α] = b(rand(64, 10, 2));
  assert.equal([...y.shape], [1024, 10, 2], 'Flux\'s docstring example, batch 2');
  assert.equal([...α.shape], [10, 10, 8, 2]);
  const c = MultiHeadAttention([[3, 4, 5], [6, 8], 8], { nheads: 2, bias: true });
  assert.is(String(c), 'MultiHeadAttention((3, 4, 5) => (6, 8) => 8; nheads=2)');
  assert.equal(shapes(c), ['q_proj.weight [6,3]', 'q_proj.bias [6]', 'k_proj.weight [6,4]', 'k_proj.bias [6]',
    'v_proj.weight [8,5]', 'v_proj.bias [8]', 'out_proj.weight [8,8]', 'out_proj.bias [8]']);
  assert.is(String(MultiHeadAttention([3, [6, 8], 8], { nheads: 2 })), 'MultiHeadAttention(3 => (6, 8) => 8; nheads=2)');
  assert.is(params(c).length, 8);
  seed(3);
  const d1 = MultiHeadAttention(4, { nheads: 2 }).q_proj.weight.dataSync();
  seed(3);
  const d2 = MultiHeadAttention(4, { nheads: 2, init: (...s: number[]) => rand(...s) }).q_proj.weight.dataSync();
  assert.ok(d1.some((x) => x < 0) && d2.every((x) => x >= 0), 'glorot_uniform by default; init replaces it');
}));

L('dropout on the scores: active in training (automatic inside gradient, or trainmode), off in testmode', () => withPolicy('cpu', () => {
  seed(5);
  const mha = MultiHeadAttention(6, { nheads: 2, dropout_prob: 0.5 }), x = rand(6, 9, 4);
  const clean = Array.from(mha(x)[1].dataSync());
  let kept = 0, dropped = 0;
  gradient(() => {
    const [y, α] = mha(x);
    Array.from(α.dataSync()).forEach((a, i) => {
      if (a === 0) dropped++;
      else { kept++; assert.ok(Math.abs(a - 2 * clean[i]) <= 1e-6 * (1 + clean[i]), `kept scores are scaled by 1/(1−p): ${a} vs 2·${clean[i]}`); }
    });
    return sum(y);
  }, mha);
  assert.ok(kept > 200 && dropped > 200, `about half of ${clean.length} scores dropped: ${dropped}`);
  trainmode(mha);
  assert.ok(Array.from(mha(x)[1].dataSync()).some((a) => a === 0), 'trainmode: active outside gradient too');
  testmode(mha);
  assert.equal(Array.from(mha(x)[1].dataSync()), clean, 'testmode: the scores as without dropout');
}));

L('errors name the layer or function and the shapes', () => withPolicy('cpu', () => {
  const mha = MultiHeadAttention(8, { nheads: 2 });
  const q = rand(8, 5, 3);
  const cases: [() => unknown, RegExp][] = [
    [() => mha(rand(5, 8, 3)), /^MultiHeadAttention\(8; nheads=2\): q has shape \[5, 8, 3\], expected \[8, len, batch\] \(a sequence given as \[len, in\]\? permutedims it\)$/],
    [() => mha(q, rand(7, 4, 3)), /^MultiHeadAttention\(8; nheads=2\): k has shape \[7, 4, 3\], expected \[8, len, batch\]$/],
    [() => mha(q, rand(8, 4, 3), rand(8, 5, 3)), /^MultiHeadAttention\(8; nheads=2\): expected q \[qk, q_len, b\.\.\.\], k \[qk, kv_len, b\.\.\.\], v \[v, kv_len, b\.\.\.\], nheads = 2 dividing qk and v, got q \[8,5,3\], k \[8,4,3\], v \[8,5,3\]$/],
    [() => mha(q, rand(8, 4, 2)), /^MultiHeadAttention\(8; nheads=2\): expected q .*, got q \[8,5,3\], k \[8,4,2\], v \[8,4,2\]$/],
    [() => mha(q, { mask: rand(4, 5) }), /^MultiHeadAttention\(8; nheads=2\): mask has shape \[4, 5\], expected one that broadcasts to the scores \[5,5,2,3\]$/],
    [() => mha(q, { mask: rand(5, 5), bias: 1 } as never), /^MultiHeadAttention\(8; nheads=2\): unknown option bias \(options: mask\)$/],
    [() => mha(q, q, q, null, q), /^MultiHeadAttention\(8; nheads=2\): expected \(q, k\?, v\?, bias\?, \{ mask \}\?\), got 5 arguments$/],
    [() => MultiHeadAttention([4, 8] as never), /^MultiHeadAttention: dims must be a positive integer or \[in, qkv, out\]/],
    [() => MultiHeadAttention([4, [8, 8, 8], 4] as never), /^MultiHeadAttention: dims must be/],
    [() => MultiHeadAttention(8, { nheads: 0 }), /^MultiHeadAttention: nheads must be an integer ≥ 1, got 0$/],
    [() => MultiHeadAttention(8, { heads: 2 } as never), /^MultiHeadAttention: unknown option heads/],
    [() => MultiHeadAttention(6), /^MultiHeadAttention: nheads must divide qk_dim = 6 and v_dim = 6, got 8$/],
    [() => dot_product_attention(rand(6, 5), rand(4, 5), rand(4, 5)), /^dot_product_attention: expected q \[qk, q_len, b\.\.\.\], .*, got q \[6,5\], k \[4,5\], v \[4,5\]$/],
    [() => dot_product_attention(rand(6, 5), rand(6, 5), rand(4, 5), { nheads: 4 }), /^dot_product_attention: expected .*, nheads = 4 dividing qk and v, got q \[6,5\]/],
    [() => dot_product_attention(rand(6), rand(6), rand(6)), /^dot_product_attention: expected .*, got q \[6\], k \[6\], v \[6\]$/],
    [() => dot_product_attention(q, q, q, { nheads: 2 }, {}), /^dot_product_attention: give the options once/],
    [() => dot_product_attention(q, q, q, { fdrop: 1 } as never), /^dot_product_attention: fdrop must be a function/],
  ];
  for (const [call, want] of cases) {
    let err: unknown = null;
    try { call(); } catch (e) { err = e; }
    assert.ok(err instanceof Error, `${want}: nothing was thrown`);
    assert.match((err as Error).message, want);
  }
}));

L('a forward pass in a scope and a gradient leave only their results', () => withPolicy('cpu', () => {
  const mha = MultiHeadAttention(8, { nheads: 4, bias: true }), x = rand(8, 6, 2).keep(), mask = make_causal_mask(x).keep();
  const before = memory().tensors;
  const [y, α] = scope(() => mha(x, { mask }));   // a layer's intermediates belong to the caller's scope, as any composite's
  assert.is(memory().tensors, before + 2, 'y and α');
  y.dispose(); α.dispose();
  const g = gradient(() => sum(mha(x, { mask })[0]), params(mha));
  assert.is(memory().tensors, before + 8, 'the 8 gradients');
  g.dispose();
  assert.is(memory().tensors, before);
  x.dispose(); mask.dispose();
}));
L.run();
