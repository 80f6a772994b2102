// Embedding (issue 12, item 2) against Flux's definition: `m(i) = weight[:, i]` for indices of
// any shape (0-based here), `weight * x` for a one-hot x, weight [dim, vocab] drawn like randn32.
// On every device the lookup equals the columns picked out by hand; the gradient of the weight
// (scatter-add of the output's gradient, repeated indices summed) equals finite differences on
// the reference and the reference's on the fast devices; errors name the layer, the index and vocab.
import * as assert from 'uvu/assert';
import { suite } from 'uvu';
import { forEachBackend, fast, refDevice } from './_helpers/backends.js';
import { assertClose } from './_helpers/allclose.js';
import { gradcheck, gradOn, weights, input, reseed, uniform, type Fn } from './_helpers/gradcheck.js';
import {
  Embedding, tensor, seed, memory, withPolicy, onehotbatch, namedTensors, params, gradient, sum, mul,
} from '../src/index.js';

const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
/** weight[:, idx] for every index, in the index array's row-major order: [dim, idx…] row-major. */
function columns(W: ArrayLike<number>, dim: number, vocab: number, idx: readonly number[]): number[] {
  const out = new Array<number>(dim * idx.length);
  for (let r = 0; r < dim; r++) idx.forEach((v, j) => { out[r * idx.length + j] = W[r * vocab + v]; });
  return out;
}
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

forEachBackend('Embedding', (test, dev) => {
  const on = <T>(fn: () => T) => dev.run(fn);
  const exact = { rtol: 0, atol: 0, f32: dev.name !== 'ref' };

  test('indices of every shape and kind give [dim, shape…], each entry a column of weight', async () => {
    reseed(3);
    const [dim, vocab] = [5, 7], W = uniform(dim * vocab);
    const m = on(() => Embedding(tensor(W, [dim, vocab])));
    const cases: [unknown, number[], number[]][] = [   // input, its indices flat, its shape
      [[3, 0, 6, 3], [3, 0, 6, 3], [4]],
      [[[1, 2, 2], [6, 0, 5]], [1, 2, 2, 6, 0, 5], [2, 3]],
      [[[[4], [4]], [[0], [1]]], [4, 4, 0, 1], [2, 2, 1]],
      [new Int32Array([6, 5, 4]), [6, 5, 4], [3]],
      [new Float32Array([2, 2]), [2, 2], [2]],
      [[], [], [0]],
    ];
    for (const [x, flat, shape] of cases) {
      const y = on(() => m(x as number[]));
      assert.equal([...y.shape], [dim, ...shape], `shape for indices of shape [${shape}]`);
      assert.is(y.device, dev.name);
      assertClose(await y.data64(), columns(W, dim, vocab, flat), exact, `indices ${JSON.stringify(flat)}`);
    }
    const one = on(() => m(4));
    assert.equal([...one.shape], [dim], 'one index: a column, as Flux\'s m(i)');
    assertClose(await one.data64(), columns(W, dim, vocab, [4]), exact, 'm(4)');
    // a CPU tensor of indices (any device's layer reads it on the host)
    const ix = withPolicy('cpu', () => tensor([[0, 6], [3, 3], [1, 2]]));
    const y = on(() => m(ix));
    assert.equal([...y.shape], [dim, 3, 2]);
    assertClose(await y.data64(), columns(W, dim, vocab, [0, 6, 3, 3, 1, 2]), exact, 'a tensor of indices');
  });

  test('a one-hot input is weight · x (Flux\'s Bool method): onehotbatch, booleans, N-d', async () => {
    reseed(4);
    const [dim, vocab] = [3, 6], W = uniform(dim * vocab);
    const m = on(() => Embedding(tensor(W, [dim, vocab])));
    const labels = range(vocab), idx = [5, 0, 2, 2, 1];
    const byIndex = await on(() => m(idx)).data64();
    const hot = on(() => m(onehotbatch(idx, labels)));
    assert.equal([...hot.shape], [dim, idx.length]);
    assertClose(await hot.data64(), byIndex, { rtol: 1e-6, atol: 1e-7, f32: dev.name !== 'ref' }, 'onehotbatch');
    const bools = labels.map((l) => idx.map((i) => i === l));   // [vocab, 5] nested booleans
    assertClose(await on(() => m(bools)).data64(), byIndex, { rtol: 1e-6, atol: 1e-7, f32: dev.name !== 'ref' }, 'booleans');
    const vec = on(() => m(labels.map((l) => l === 3)));
    assert.equal([...vec.shape], [dim], 'a one-hot vector gives a vector');
    assertClose(await vec.data64(), columns(W, dim, vocab, [3]), { rtol: 1e-6, atol: 1e-7, f32: dev.name !== 'ref' }, 'one-hot vector');
    // [vocab, 2, 2] one-hot: [dim, 2, 2]
    const nd = labels.map((l) => [[l === 1, l === 4], [l === 0, l === 1]]);
    const y = on(() => m(nd));
    assert.equal([...y.shape], [dim, 2, 2]);
    assertClose(await y.data64(), columns(W, dim, vocab, [1, 4, 0, 1]), { rtol: 1e-6, atol: 1e-7, f32: dev.name !== 'ref' }, 'N-d one-hot');
  });
});

const G = suite('Embedding: gradients');
G('d weight by finite differences (ref), repeated indices summed; indices and one-hot alike', async () => {
  reseed(5);
  const idx = [[2, 0, 2], [4, 2, 1]];
  await gradcheck((W) => Embedding(W)(idx), [input([3, 5])], { label: 'Embedding(W)(indices)' });
  await gradcheck((W) => Embedding(W)(onehotbatch([1, 4, 4, 0], [0, 1, 2, 3, 4])), [input([3, 5])], { label: 'Embedding(W)(one-hot)' });
});
G('the fast devices\' gradients equal the reference\'s (gather\'s scatter-add)', async () => {
  reseed(6);
  const idx = Array.from({ length: 97 }, (_, j) => (j * 7 + (j >> 2)) % 13);
  const f: Fn = (W) => Embedding(W)(idx).mul(Embedding(W)(idx.slice().reverse()));
  const inputs = [input([11, 13])], w = weights(f, inputs), want = await gradOn(refDevice(), f, inputs, w);
  for (const dev of fast()) {
    const [got] = await gradOn(dev, f, inputs, w);
    assertClose(got, want[0], { rtol: 1e-4, atol: 1e-5 }, `${dev.name}: d weight`);
  }
});
G.run();

const C = suite('Embedding: construction, parameters, errors');
C('forms, init (randn32 by default, seeded), names, parameters', () => withPolicy('cpu', () => {
  seed(7);
  const m = Embedding([300, 40]);
  assert.equal([...m.weight.shape], [40, 300], 'weight is [dim, vocab], as Flux\'s out × in');
  assert.is(String(m), 'Embedding(300 => 40)');
  const v = m.weight.dataSync(), n = v.length, mean = v.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
  assert.ok(Math.abs(mean) < 0.02 && Math.abs(sd - 1) < 0.02, `randn32: mean ${mean}, sd ${sd} over ${n} draws`);
  seed(7);
  assert.equal([...Embedding(300, 40).weight.dataSync()], [...v], 'Embedding(vocab, dim) is the same layer, from the seeded stream');
  const z = Embedding([4, 2], { init: (...d: number[]) => tensor(new Float32Array(prod(d)), d) });
  assert.equal([...z.weight.dataSync()], [0, 0, 0, 0, 0, 0, 0, 0], 'init(dim, vocab)');
  assert.equal(namedTensors(m).map(([k, t]) => [k, [...t.shape]]), [['weight', [40, 300]]]);
  assert.is(params(m).length, 1);
  const W = tensor([[1, 2, 3]]);
  assert.is(Embedding(W).weight, W, 'Embedding(W) uses W');
}));

C('errors name the layer, the index and vocab; bad forms are refused', () => withPolicy('cpu', () => {
  const m = Embedding([5, 3]);
  const cases: [() => unknown, RegExp][] = [
    [() => m([0, 5]), /^Embedding\(5 => 3\): x\[1\] = 5 is not an index in \[0, 5\) into dim 1 of \[3,5\] \(indices count from 0\)$/],
    [() => m([[1, 2], [-1, 0]]), /^Embedding\(5 => 3\): x\[2\] = -1 is not an index in \[0, 5\)/],
    [() => m([1.5]), /^Embedding\(5 => 3\): x\[0\] = 1\.5 is not an index/],
    [() => m(NaN), /^Embedding\(5 => 3\): x\[0\] = NaN is not an index/],
    [() => m(tensor([2, 7])), /^Embedding\(5 => 3\): x\[1\] = 7 is not an index/],
    [() => m('abc' as never), /^Embedding\(5 => 3\): x must be 0-based integer indices, got \"abc\"$/],
    [() => m(onehotbatch([0, 1], [0, 1, 2])), /^Embedding\(5 => 3\): a one-hot x has shape \[3, 2\], expected \[5, \.\.\.\] \(vocab first\)$/],
    [() => m([[true, false]]), /^Embedding\(5 => 3\): a one-hot x has shape \[1, 2\], expected \[5, \.\.\.\]/],
    [() => Embedding([5] as never), /^Embedding: expected \[in, out\], got \[5\]$/],
    [() => Embedding(0, 3), /^Embedding\(0 => 3\): in and out must be positive integers, got number 0$/],
    [() => Embedding([5, 3], { init: () => tensor([1]) }), /^Embedding\(5 => 3\): init returned a tensor of shape \[1\], expected shape \[3, 5\]$/],
    [() => Embedding([5, 3], { bias: true } as never), /^Embedding\(5 => 3\): unknown option bias \(options: init\)$/],
    [() => Embedding(tensor([1, 2])), /^Embedding: weight must be a live matrix \[dim, vocab\], got a tensor of shape \[2\]$/],
  ];
  for (const [call, want] of cases) {
    let err: unknown = null;
    try { call(); } catch (e) { err = e; }
    assert.ok(err instanceof Error, `${want}: nothing was thrown`);
    assert.match((err as Error).message, want);
  }
}));

C('a lookup and its gradient leave only their results', () => withPolicy('cpu', () => {
  const m = Embedding([6, 4]), before = memory().tensors;
  const y = m([[1, 2], [5, 5]]);
  assert.is(memory().tensors, before + 1);
  const g = gradient(() => sum(mul(m([[1, 2], [5, 5]]), 2)), [m.weight]);
  assert.is(memory().tensors, before + 2, 'the output and the one gradient');
  const col = Array.from(g.get(m.weight)!.dataSync());
  assert.equal(col.filter((_, i) => i % 6 === 5), [4, 4, 4, 4], 'index 5 twice: 2 + 2 in each row');
  assert.equal(col.filter((_, i) => i % 6 === 0), [0, 0, 0, 0], 'index 0 unused: 0');
  g.dispose(); y.dispose();
  assert.is(memory().tensors, before);
}));
C.run();
