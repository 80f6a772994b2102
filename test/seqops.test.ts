// The sequence-model ops (issue 12, item 1) against their Julia definitions: NNlib's batched_mul,
// gather, scatter, make_causal_mask and softmax(x; dims), Base's cat/vcat/hcat/stack/selectdim,
// MLUtils' chunk. Each is checked on every device against a definition written out here with
// nested loops over Julia's multi-indices (0-based), and against the examples of NNlib's and
// MLUtils' docstrings. Then: the gradients of an attention-shaped composite on the fast devices
// against the reference, scatter-add's summation order (deterministic, bit for bit, on every
// device), the temporaries the index ops make (none survives a call), and the errors.
// (Per-op device sweeps and finite-difference gradients: ops.test.ts and autograd.test.ts.)
import * as assert from 'uvu/assert';
import { suite } from 'uvu';
import { forEachBackend, fast, refDevice } from './_helpers/backends.js';
import { assertClose, sumTol } from './_helpers/allclose.js';
import { uniform, reseed, gradOn, weights, input, type Fn } from './_helpers/gradcheck.js';
import {
  tensor, rand, scope, memory, withPolicy, Tensor, batched_mul,
  gather, scatter, cat, vcat, hcat, stack, chunk, slice, selectdim, make_causal_mask, softmax, logsoftmax,
  permutedims, mul, add, sum,
} from '../src/index.js';
import { runtime } from '../src/runtime.js';

const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
/** Row-major strides: element (i0, i1, …) of shape s sits at Σ ik·stride[k]. */
const stridesOf = (s: readonly number[]) => s.map((_, i) => prod(s.slice(i + 1)));
const at = (s: readonly number[], ix: number[]) => ix.reduce((acc, v, k) => acc + v * stridesOf(s)[k], 0);
/** Every multi-index of shape s, row-major. */
function* indices(s: readonly number[]): Generator<number[]> {
  const n = prod(s), ix = s.map(() => 0);
  for (let i = 0; i < n; i++) {
    yield [...ix];
    for (let k = s.length - 1; k >= 0; k--) { if (++ix[k] < s[k]) break; ix[k] = 0; }
  }
}
const data = async (t: Tensor) => [...(await t.data64())];

// ---- the definitions, written out ----------------------------------------------------------------
/** C[i, j, z…] = Σ_p op(A)[i, p, z…]·op(B)[p, j, z…]; a matrix or a batch of 1 is used for every z. */
function bmmDef(a: Float64Array, as: number[], b: Float64Array, bs: number[], ta: boolean, tb: boolean) {
  const m = ta ? as[1] : as[0], k = ta ? as[0] : as[1], n = tb ? bs[0] : bs[1];
  const batch = as.length > 2 && prod(as.slice(2)) > 1 ? as.slice(2) : bs.slice(2);
  const cs = [m, n, ...batch], c = new Float64Array(prod(cs));
  const zIn = (s: number[], z: number[]) => (s.length > 2 && prod(s.slice(2)) > 1 ? z : s.slice(2).map(() => 0));
  for (const [i, j, ...z] of indices(cs)) {
    let acc = 0;
    for (let p = 0; p < k; p++) {
      acc += a[at(as, [...(ta ? [p, i] : [i, p]), ...zIn(as, z)])] * b[at(bs, [...(tb ? [j, p] : [p, j]), ...zIn(bs, z)])];
    }
    c[at(cs, [i, j, ...z])] = acc;
  }
  return { shape: cs, data: c };
}

forEachBackend('seqops: definitions', (test, dev) => {
  const on = <T>(fn: () => T) => dev.run(fn);
  const tol = (k: number) => ({ rtol: 1e-5, atol: sumTol(k), f32: dev.name !== 'ref' });

  test('batched_mul: every layout against the written-out product (N-d batches, broadcasts, transposes)', async () => {
    reseed(11);
    const cases: [number[], number[], boolean, boolean][] = [
      [[3, 4, 5], [4, 6, 5], false, false], [[4, 3, 5], [4, 6, 5], true, false], [[3, 4, 5], [6, 4, 5], false, true],
      [[4, 3, 7], [6, 4, 7], true, true], [[3, 4, 1], [4, 2, 6], false, false], [[3, 4, 6], [2, 4, 1], false, true],
      [[5, 3], [3, 2, 4], false, false], [[5, 3, 4], [2, 5], true, true], [[2, 3], [3, 4], false, false],
      [[3, 2, 2, 3], [3, 4, 2, 3], true, false], [[7, 9, 17], [9, 5, 17], false, false], [[6, 7, 20], [5, 7, 20], false, true],
    ];
    for (const [as, bs, ta, tb] of cases) {
      const a = uniform(prod(as)), b = uniform(prod(bs)), want = bmmDef(a, as, b, bs, ta, tb);
      const c = on(() => batched_mul(tensor(a, as), tensor(b, bs), { transA: ta, transB: tb }));
      assert.equal([...c.shape], want.shape, `shape of [${as}] ⊠ [${bs}]`);
      assert.is(c.device, dev.name);
      assertClose(await data(c), want.data, tol(ta ? as[0] : as[1]), `[${as}]${ta ? 'ᵀ' : ''} ⊠ [${bs}]${tb ? 'ᵀ' : ''}`);
    }
  });

  test('batched_mul: the shapes of NNlib\'s docstring; transA read in place', async () => {
    const shape = (t: Tensor) => [...t.shape];
    on(() => {
      const A = rand(2, 5, 17), B = rand(5, 9, 17);
      assert.equal(shape(batched_mul(A, B)), [2, 9, 17]);
      assert.equal(shape(batched_mul(A, rand(9, 5, 17), { transB: true })), [2, 9, 17]);
      assert.equal(shape(batched_mul(A, rand(5, 9, 1))), [2, 9, 17]);
      assert.equal(shape(batched_mul(rand(16, 8, 32), rand(8, 4))), [16, 4, 32]);
      assert.equal(shape(batched_mul(rand(16, 8), rand(8, 4, 32))), [16, 4, 32]);
    });
    // with transA read in place = with a copy
    const A = uniform(3 * 4 * 5);
    const At = on(() => tensor(A, [3, 4, 5])), R = on(() => tensor(uniform(3 * 2 * 5), [3, 2, 5]));
    assertClose(await data(on(() => batched_mul(At, R, { transA: true }))), await data(on(() => batched_mul(permutedims(At, [1, 0, 2]), R))),
      { rtol: 1e-6, f32: false }, 'transA in place = a transposed copy');
  });

  test('gather: NNlib\'s docstring examples, 0-based; multi-dim and cartesian indices', async () => {
    assert.equal(await data(on(() => gather(tensor([1, 20, 300, 4000]), [1, 3, 1]))), [20, 4000, 20]);
    const m = on(() => gather(tensor([[1, 2, 3], [4, 5, 6]]), [0, 2, 0, 2, 0]));
    assert.equal([...m.shape], [2, 5]);
    assert.equal(await data(m), [1, 3, 1, 3, 1, 4, 6, 4, 6, 4]);
    // src = reshape(1:15, 3, 5) in Julia (column-major): src[i, j] = i + 3j (0-based, +1)
    const src = on(() => tensor(Array.from({ length: 3 }, (_, i) => Array.from({ length: 5 }, (_, j) => i + 1 + 3 * j))));
    assert.equal(await data(on(() => gather(src, [0, 1], [1, 3]))), [4, 11]);
    // dst[:, k…] = src[:, idx[k…]] for an index matrix, src [2, 3, 4]
    reseed(3);
    const s = uniform(24), idx = [[3, 0, 3], [1, 2, 2]], g = on(() => gather(tensor(s, [2, 3, 4]), idx));
    assert.equal([...g.shape], [2, 3, 2, 3]);
    const want: number[] = [];
    for (const [a, b, k, l] of indices([2, 3, 2, 3])) want.push(s[at([2, 3, 4], [a, b, idx[k][l]])]);
    assert.equal(await data(g), want.map(Math.fround));
    // a typed array and a CPU tensor of indices work alike; a scalar index drops the axis
    assert.equal(await data(on(() => gather(tensor([5, 6, 7]), new Int32Array([2, 0])))), [7, 5]);
    assert.equal(await data(on(() => gather(tensor([5, 6, 7]), withPolicy('cpu', () => tensor([1, 1]))))), [6, 6]);
    assert.equal([...on(() => gather(tensor([[5, 6, 7]]), 2)).shape], [1]);
  });

  test('scatter: NNlib\'s docstring examples and empty positions', async () => {
    assert.equal(await data(on(() => scatter('+', tensor([10, 100, 1000]), [2, 0, 1]))), [100, 1000, 10]);
    assert.equal(await data(on(() => scatter('+', tensor([[1, 2, 3, 4], [5, 6, 7, 8]]), [1, 0, 0, 4]))), [5, 1, 0, 0, 4, 13, 5, 0, 0, 8]);
    const x = on(() => tensor([1, 2, 3, 4, 5]));
    assert.equal(await data(on(() => scatter('+', x, [0, 2, 0, 2, 2]))), [4, 0, 11]);
    assert.equal(await data(on(() => scatter('+', x, [0, 2, 0, 2, 2], { dstsize: [4] }))), [4, 0, 11, 0]);
    // dst[:, idx[k…]] op= src[:, k…] for an index matrix
    reseed(5);
    const s = uniform(2 * 2 * 3), idx = [[4, 0, 4], [1, 0, 4]], want = new Float64Array(2 * 5);
    for (const [a, k, l] of indices([2, 2, 3])) want[a * 5 + idx[k][l]] += s[at([2, 2, 3], [a, k, l])];
    assertClose(await data(on(() => scatter('+', tensor(s, [2, 2, 3]), idx))), want, tol(4), 'scatter + by an index matrix');
  });

  test('cat, vcat, hcat, stack: Julia\'s results, ranks padded with trailing 1s', async () => {
    const a = on(() => tensor([[1, 2], [3, 4]])), b = on(() => tensor([[5, 6]]));
    assert.equal(await data(on(() => vcat(a, b))), [1, 2, 3, 4, 5, 6]);
    assert.equal(await data(on(() => hcat(a, tensor([[7], [8]])))), [1, 2, 7, 3, 4, 8]);
    assert.equal(await data(on(() => hcat(tensor([1, 2]), tensor([3, 4])))), [1, 3, 2, 4]);          // vectors become columns
    assert.equal(await data(on(() => vcat(tensor([1, 2]), tensor([3]), tensor(4)))), [1, 2, 3, 4]);
    const c3 = on(() => cat([a, a], { dims: 2 }));                                                   // a new third axis
    assert.equal([...c3.shape], [2, 2, 2]);
    assert.equal(await data(c3), [1, 1, 2, 2, 3, 3, 4, 4]);
    const st = on(() => stack([tensor([1, 2, 3]), tensor([4, 5, 6])]));
    assert.equal([...st.shape], [3, 2]);
    assert.equal(await data(st), [1, 4, 2, 5, 3, 6]);
    assert.equal(await data(on(() => stack([tensor([1, 2, 3]), tensor([4, 5, 6])], { dims: 0 }))), [1, 2, 3, 4, 5, 6]);
    // cat along every axis of a 3-d shape against the definition
    reseed(7);
    for (let axis = 0; axis < 3; axis++) {
      const shapes = [1, 3, 2].map((d) => [2, 3, 4].map((e, i) => (i === axis ? d : e))), xs = shapes.map((s) => uniform(prod(s)));
      const outShape = [2, 3, 4].map((e, i) => (i === axis ? 6 : e)), want: number[] = [];
      for (const ix of indices(outShape)) {
        let v = ix[axis], p = 0;
        while (v >= shapes[p][axis]) v -= shapes[p++][axis];
        want.push(xs[p][at(shapes[p], ix.map((u, i) => (i === axis ? v : u)))]);
      }
      assert.equal(await data(on(() => cat(xs.map((x, i) => tensor(x, shapes[i])), axis))), want.map(Math.fround), `cat dims ${axis}`);
    }
  });

  test('slice, selectdim and chunk: MLUtils\' examples, every piece a view of the right entries', async () => {
    // x = reshape(1:20, 5, 4) (column-major) is x[i, j] = 1 + i + 5j
    const x = on(() => tensor(Array.from({ length: 5 }, (_, i) => Array.from({ length: 4 }, (_, j) => 1 + i + 5 * j))));
    const rows = on(() => chunk(x, 2, { dims: 0 }));
    assert.equal(rows.map((t) => [...t.shape]), [[3, 4], [2, 4]]);
    assert.equal(await data(rows[0]), [1, 6, 11, 16, 2, 7, 12, 17, 3, 8, 13, 18]);
    assert.equal(await data(rows[1]), [4, 9, 14, 19, 5, 10, 15, 20]);
    const cols = on(() => chunk(x, { size: 2, dims: 1 }));
    assert.equal(await data(cols[1]), [11, 16, 12, 17, 13, 18, 14, 19, 15, 20]);
    assert.equal(on(() => chunk(tensor(Array.from({ length: 10 }, (_, i) => i + 1)), 3)).map((t) => t.size), [4, 4, 2]);
    assert.equal(on(() => chunk(tensor([1, 2, 3, 4, 5, 6]), { size: 4 })).map((t) => t.size), [4, 2]);
    assert.equal(on(() => chunk(rand(2, 5), 4)).map((t) => t.shape[1]), [2, 2, 1]);                  // fewer than n, as MLUtils
    assert.equal(await data(on(() => slice(x, 1, 1, 2))), [6, 11, 7, 12, 8, 13, 9, 14, 10, 15]);
    const s = on(() => selectdim(x, 1, 3));
    assert.equal([...s.shape], [5]);
    assert.equal(await data(s), [16, 17, 18, 19, 20]);
  });

  test('make_causal_mask: m[i, j] = i ≤ j, of the length along dims', async () => {
    for (const len of [1, 2, 5]) {
      const m = on(() => make_causal_mask(rand(3, len, 2)));
      assert.equal([...m.shape], [len, len]);
      const want: number[] = [];
      for (const [i, j] of indices([len, len])) want.push(i <= j ? 1 : 0);
      assert.equal(await data(m), want);
    }
    assert.equal([...on(() => make_causal_mask(rand(4, 7), { dims: 0 })).shape], [4, 4]);
  });

  test('softmax and logsoftmax over several adjacent axes = the definition', async () => {
    reseed(9);
    const shape = [3, 4, 5], x = uniform(60, -3, 3);
    for (const dims of [[0], [1], [2], [0, 1], [1, 2], [0, 1, 2], [2, 1]]) {
      const want = new Float64Array(60), keep = [0, 1, 2].filter((a) => !dims.includes(a));
      for (const ix of indices(shape)) {
        let s = 0;
        for (const jx of indices(shape)) if (keep.every((a) => jx[a] === ix[a])) s += Math.exp(x[at(shape, jx)]);
        want[at(shape, ix)] = Math.exp(x[at(shape, ix)]) / s;
      }
      assertClose(await data(on(() => softmax(tensor(x, shape), { dims }))), want, tol(60), `softmax dims [${dims}]`);
      assertClose(await data(on(() => logsoftmax(tensor(x, shape), dims))), want.map(Math.log), { rtol: 1e-5, atol: 1e-5 }, `logsoftmax dims [${dims}]`);
    }
    assertClose(await data(on(() => tensor(x, shape).softmax({ dims: 1 }))), await data(on(() => softmax(tensor(x, shape), 1))), { rtol: 0, f32: false }, 'method');
  });
});

// ---- an attention-shaped composite: gradients on the fast devices match the reference ----------
const G = suite('seqops: gradients of a causal attention composite, fast devices vs ref');
G('scores = Kᵀ·Q per head, causal mask, softmax over keys, V·α, one output column gathered', async () => {
  reseed(21);
  const [dh, len, B] = [4, 5, 6];
  const f: Fn = (q, k, v) => {
    const scores = batched_mul(k, q, { transA: true }).mul(0.5);                     // [len (keys), len (queries), B]
    const mask = make_causal_mask(q).view([len, len, 1]);                              // key ≤ query
    const alpha = softmax(add(scores, mul(add(mask, -1), 1e4)), { dims: 0 });
    const y = batched_mul(v, alpha);                                                   // [dh, len, B]
    return gather(cat([y, slice(y, 1, 0, 1)], 1), [5, 0, 3, 3]);                   // columns of the last axis
  };
  const inputs = [input([dh, len, B]), input([dh, len, B]), input([dh, len, B])];
  const w = weights(f, inputs), want = await gradOn(refDevice(), f, inputs, w);
  for (const dev of fast()) {
    const got = await gradOn(dev, f, inputs, w);
    got.forEach((g, i) => assertClose(g, want[i], { rtol: 1e-4, atol: 1e-5 }, `${dev.name}: d input ${i}`));
  }
});
G.run();

// ---- scatter-add is deterministic: one fixed summation order on every device --------------------
forEachBackend('seqops: scatter-add order', (test, dev) => {
  test('each sum is the f32 sum of its sources in ascending order, bit for bit, every run', async () => {
    if (dev.name === 'ref') return;                               // f64: the f32 order is the fast devices' contract
    reseed(17);
    const rows = 3, K = 4099, V = 7, x = uniform(rows * K, -1, 1).map((v) => v * 1000);
    const ix = Array.from({ length: K }, (_, j) => (j * 5 + (j >> 3)) % V);
    const want = new Float64Array(rows * V);
    for (let r = 0; r < rows; r++) for (let j = 0; j < K; j++) want[r * V + ix[j]] = Math.fround(want[r * V + ix[j]] + Math.fround(x[r * K + j]));
    const xs = dev.run(() => tensor(x, [rows, K]));
    const a = await data(dev.run(() => scatter('+', xs, ix))), b = await data(dev.run(() => scatter('+', xs, ix)));
    assert.equal(a, [...want], 'the ascending f32 sum');
    assert.equal(b, a, 'the same bits twice');
    // gather's gradient is the same scatter-add
    const W = dev.run(() => tensor(uniform(rows * V), [rows, V]));
    const { gradient } = await import('../src/index.js');
    const g = dev.run(() => gradient(() => sum(mul(gather(W, ix), xs)), [W]));
    assert.equal(await data(g.get(W)!), [...want], 'gather\'s gradient');
  });
});

// ---- the temporaries of the index ops die with the call ------------------------------------------
const M = suite('seqops: temporaries');
M('gather, scatter, selectdim, cat, stack, chunk and their gradients leave only their results', async () => withPolicy('cpu', async () => {
  const { gradient } = await import('../src/index.js');
  const W = rand(4, 9).keep(), X = rand(4, 6, 3).keep();
  const before = memory().tensors;
  const outs = [gather(W, [1, 8, 1]),
    scatter('+', W, [0, 2, 2, 1, 0, 0, 2, 2, 1]),
    selectdim(X, 1, 2), hcat(W, W),
    stack([W, W]), batched_mul(X, X, { transA: true })];
  assert.is(memory().tensors, before + outs.length, 'one tensor per call');
  for (const t of outs) t.dispose();
  const pieces = chunk(X, 3, 1);
  assert.is(memory().tensors, before + 3);
  for (const t of pieces) t.dispose();
  const g = gradient(() => sum(mul(gather(W, [[1, 2], [2, 2]]), 2)).add(sum(scatter('+', X, [0, 1, 0]))), [W, X]);
  assert.is(memory().tensors, before + 2, 'the two gradients');
  g.dispose();
  assert.is(memory().tensors, before);
  W.dispose(); X.dispose();
}));
M.run();

// ---- errors name the function, the argument and the shapes -------------------------------------
const E = suite('seqops: errors');
E('bad shapes and indices are refused with the shapes in the message', () => withPolicy('cpu', () => {
  const cases: [() => unknown, RegExp][] = [
    [() => batched_mul(rand(3, 4, 5), rand(5, 2, 5)), /^batched_mul: A \[3,4,5\] and B \[5,2,5\] do not fit A \[m, k, batch\.\.\.\], B \[k, n, batch\.\.\.\]$/],
    [() => batched_mul(rand(3, 4, 5), rand(4, 2, 6)), /^batched_mul: A \[3,4,5\] and B \[4,2,6\] do not fit/],
    [() => batched_mul(rand(3, 4, 2, 3), rand(4, 2, 3, 2)), /^batched_mul: A \[3,4,2,3\] and B \[4,2,3,2\] do not fit/],
    [() => batched_mul(rand(3), rand(3, 2, 2)), /^batched_mul: A \[3\] and B \[3,2,2\] do not fit A \[m, k, batch\.\.\.\]/],
    [() => batched_mul(rand(3, 4, 2), rand(4, 2, 2), { transA: 1 as never }), /^batched_mul: transA must be true or false, got 1$/],
    [() => gather(rand(2, 3), [0, 3]), /^gather: idx\[1\] = 3 is not an index in \[0, 3\) into dim 1 of \[2,3\] \(indices count from 0\)$/],
    [() => gather(rand(2, 3), [0.5]), /^gather: idx\[0\] = 0\.5 is not an index/],
    [() => gather(rand(2, 3), 'a' as never), /^gather: idx must be 0-based integer indices/],
    [() => gather(rand(2, 3), [0], [1, 2]), /^gather: index 1 has shape \[2\], expected index 0's \[1\]$/],
    [() => gather(rand(3), [0], [0]), /^gather: src has shape \[3\], expected 2 or more dims/],
    [() => scatter('max' as never, rand(3), [0, 1, 2]), /^scatter: op must be '\+', got "max"$/],
    [() => scatter('+', rand(3), [0, 1, 2], { init: 1 } as never), /^scatter: unknown option init \(options: dstsize\)$/],
    [() => scatter('+', rand(2, 3), [0, 1]), /^scatter: src has shape \[2, 3\], expected \[\.\.\., 2\]$/],
    [() => scatter('+', rand(2, 3), [0, 1, 5], { dstsize: [2, 4] }), /^scatter: idx\[2\] = 5 is not an index in \[0, 4\)/],
    [() => scatter('+', rand(2, 3), [0, 1, 1], { dstsize: [3, 4] }), /^scatter: dstsize has shape \[3, 4\], expected \[2,n\]$/],
    [() => cat([rand(2, 3), rand(3, 3)], 1), /^cat: input 1 has shape \[3, 3\], expected input 0's \[2,3\] outside dims 1$/],
    [() => cat([rand(2, 3)], undefined as never), /^cat: dims is required/],
    [() => cat([], 0), /^cat: xs must be a non-empty array of tensors, got \[\]$/],
    [() => vcat(rand(2, 3), rand(2, 4)), /^vcat: input 1 has shape \[2, 4\], expected input 0's \[2,3\] outside dims 0$/],
    [() => stack([rand(2, 3), rand(3, 2)]), /^stack: input 1 has shape \[3, 2\], expected input 0's \[2,3\]$/],
    [() => stack([rand(2)], { dims: 2 }), /^stack: dims must be an integer in \[0, 1\], got 2$/],
    [() => slice(rand(2, 5), 1, 3, 3), /^slice: start 3 \+ len 3 > 5, dim 1 of \[2,5\]$/],
    [() => slice(rand(2, 5), 2, 0, 1), /^slice: dims must be an integer in \[0, 1\], got 2$/],
    [() => selectdim(rand(2, 5), 1, 5), /^selectdim: i must be an integer in \[0, 4\], got 5$/],
    [() => selectdim(rand(2, 5), 1, [0] as never), /^selectdim: i must be an integer in \[0, 4\], got \[0\]$/],
    [() => chunk(rand(2, 5), 0), /^chunk: n must be an integer ≥ 1, got 0$/],
    [() => chunk(rand(2, 5), { size: [2, 2] } as never), /^chunk: size must be an integer ≥ 1, got \[2, 2\]$/],
    [() => softmax(rand(2, 3), 2), /^softmax: dims 2 must be adjacent axes of shape \[2,3\] \(0-based\)$/],
    [() => logsoftmax(rand(2, 3), [0, 0]), /^logsoftmax: dims \[0, 0\] must be adjacent axes/],
    [() => softmax(rand(2, 3, 4), [0, 2]), /^softmax: dims \[0, 2\] must be adjacent axes of shape \[2,3,4\] \(0-based\)$/],
    [() => softmax(rand(2, 3), { dim: 1 } as never), /^softmax: unknown option dim \(options: dims\)$/],
    [() => make_causal_mask(rand(4)), /^make_causal_mask: dims 1 must be an axis of shape \[4\] \(0-based\)$/],
  ];
  for (const [call, want] of cases) {
    let err: unknown = null;
    try { call(); } catch (e) { err = e; }
    assert.ok(err instanceof Error, `${want}: nothing was thrown`);
    assert.match((err as Error).message, want);
  }
}));
E('indices held by a GPU tensor are refused with what to do instead', () => {
  if (!runtime.gpu) return;
  const idx = withPolicy('gpu', () => tensor([0, 1]));
  assert.throws(() => withPolicy('cpu', () => gather(rand(2, 3), idx)), /^gather: idx must be a live CPU tensor, got a tensor of shape \[2\]$/);
  idx.dispose();
});
E.run();
