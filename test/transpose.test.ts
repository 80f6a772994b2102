// Lazy transpose (issue 15, item 8): `transpose(x)` of a matrix is a view on x's storage, as
// Julia's `W'`. matmul reads it in place through its transposed variants; every other reader
// (ops, data(), reshape, assign) gets it materialised, once, in place. On every device: values
// against the float64 reference at awkward sizes, gradients against finite differences through
// transpose-then-matmul and transpose-then-other-ops, transpose of a transpose, reshape, moves
// between devices, migrate, and memory (tensors and bytes back to where they were, the
// FinalizationRegistry path included).
import { test, suite } from 'uvu';
import * as assert from 'uvu/assert';
import { forEachBackend, refDevice, type Device } from './_helpers/backends.js';
import { assertClose, sumTol } from './_helpers/allclose.js';
import { gradcheck, gradOn, weights, input, uniform, reseed, type Fn, type Input } from './_helpers/gradcheck.js';
import { settle } from './_helpers/gc.js';
import {
  tensor, scope, matmul, transpose, reshape, add, mul, sum, tanh, softmax, sigmoid, memory, gradient, trace,
  withPolicy, Tensor,
} from '../src/index.js';
import { moveTo } from '../src/tensor.js';
import { runtime } from '../src/runtime.js';

const bytesOn = (d: Device['name']) => { const m = memory(); return d === 'wasm' ? m.cpu.bytes : d === 'webgpu' ? m.gpu.bytes : m.ref.bytes; };
const snap = (d: Device['name']) => ({ tensors: memory().tensors, bytes: bytesOn(d) });

/** The row-major values of the transpose of a rows×cols row-major matrix. */
function transposed(v: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = v[r * cols + c];
  return out;
}
/** op(A)·op(B) in float64 from row-major data. */
function product(a: ArrayLike<number>, [ar, ac]: number[], ta: boolean, b: ArrayLike<number>, [br, bc]: number[], tb: boolean): Float64Array {
  const A = ta ? transposed(a, ar, ac) : Float64Array.from(a), B = tb ? transposed(b, br, bc) : Float64Array.from(b);
  const m = ta ? ac : ar, k = ta ? ar : ac, n = tb ? br : bc, out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) out[i * n + j] += A[i * k + p] * B[p * n + j];
  return out;
}

// ---- every device: what a view is, and the values through matmul and other ops ---------------------
const SIZES = [1, 2, 3, 5, 17, 64, 65];
const other = (n: number) => SIZES[(SIZES.indexOf(n) + 3) % SIZES.length];

forEachBackend('lazy transpose', (T, dev) => {
  T('a matrix transpose is a view: same storage, nothing allocated, values read transposed', async () => {
    const empty = snap(dev.name);
    const X = dev.run(() => tensor(uniform(35), [5, 7]));
    const before = snap(dev.name);
    const Y = transpose(X);
    assert.equal(Y.shape, [7, 5]);
    assert.ok(Y.transposed, 'a [5,7] transpose is lazy');
    assert.is(Y.raw, X.raw, 'it shares the storage');
    assert.is(bytesOn(dev.name), before.bytes, 'no bytes allocated');
    assert.is(Y.device, dev.name);
    assertClose(await Y.data64(), transposed(await X.data64(), 5, 7), { rtol: 0 }, 'data() of the view');
    assert.not.ok(Y.transposed, 'reading it materialised it');
    assert.is.not(Y.raw, X.raw, 'into storage of its own');
    assertClose(await X.data64(), await dev.run(() => X.data64()), { rtol: 0 });
    Y.dispose(); X.dispose();
    assert.equal(snap(dev.name), empty, 'both freed');
  });

  T('vectors, rows, columns and empty matrices are plain views (same layout as their transpose)', () => {
    for (const shape of [[6], [1, 6], [6, 1], [1, 1], [0, 4], [4, 0], []]) {
      const x = dev.run(() => tensor(uniform(shape.reduce((a, b) => a * b, 1)), shape));
      const y = transpose(x);
      assert.not.ok(y.transposed, `[${shape}]`);
      assert.is(y.raw, x.raw, `[${shape}] shares storage`);
      y.dispose(); x.dispose();
    }
  });

  T('matmul through lazy transposes, with and without flags, matches float64 at awkward sizes', async () => {
    reseed(150);
    for (const m of SIZES) {
      const k = other(m), n = other(k);
      // A is m×k logically; it is given as A itself or as transpose(At) for At k×m; same for B.
      const a = uniform(m * k), b = uniform(k * n);
      const at = transposed(a, m, k), bt = transposed(b, k, n);
      const want = product(a, [m, k], false, b, [k, n], false);
      const tol = { rtol: 1e-5, atol: sumTol(k) };
      await scope(async () => {
        const [A, At, B, Bt] = dev.run(() => [tensor(a, [m, k]), tensor(at, [k, m]), tensor(b, [k, n]), tensor(bt, [n, k])]);
        const forms: [string, () => Tensor][] = [
          ['A·transpose(Bt)', () => matmul(A, transpose(Bt))],
          ['transpose(At)·B', () => matmul(transpose(At), B)],
          ['transpose(At)·transpose(Bt)', () => matmul(transpose(At), transpose(Bt))],
          ['transpose(A) with transA', () => matmul(transpose(At), B, { transA: false })],
          ['transpose(A)ᵀ via transA', () => matmul(transpose(A), B, { transA: true })],
          ['transpose(B)ᵀ via transB', () => matmul(A, transpose(B), { transB: true })],
          ['both views, both flags', () => matmul(transpose(A), transpose(B), { transA: true, transB: true })],
          ['transpose(transpose(A))·B', () => matmul(transpose(transpose(A)), B)],
        ];
        for (const [label, f] of forms) {
          const y = dev.run(f);
          assert.equal(y.shape, [m, n], label);
          assert.is(y.device, dev.name, `${label}: ran where its inputs live`);
          assertClose(await y.data64(), want, tol, `${label} at m=${m} k=${k} n=${n}`);
        }
        // matrix-vector: a lazy transpose times a vector
        const v = dev.run(() => tensor(b.subarray(0, k), [k]));
        assertClose(await dev.run(() => matmul(transpose(At), v)).data64(), product(a, [m, k], false, b.subarray(0, k), [k, 1], false), tol, `transpose(At)·v m=${m}`);
      });
    }
  });

  T('matmul reads the view in place: the view stays lazy and nothing is transposed', async () => {
    const A = dev.run(() => tensor(uniform(12 * 9), [12, 9])), X = dev.run(() => tensor(uniform(10 * 9), [10, 9]));
    const Xt = transpose(X);
    const tr = await trace(() => scope(() => matmul(A, Xt).sum()));
    assert.equal(tr.records.map((r) => r.op), ['matmul', 'reduce'], 'only the product and the sum ran');
    assert.ok(Xt.transposed, 'the view is still lazy after matmul read it');
    // another op materialises it once, and the trace shows that one transpose
    const tr2 = await trace(() => scope(() => { add(Xt, 1); return mul(Xt, 2).sum(); }));
    assert.equal(tr2.records.map((r) => r.op), ['transpose', 'unary', 'unary', 'reduce'], 'materialised once, by the first op');
    assert.not.ok(Xt.transposed);
    for (const t of [A, X, Xt]) t.dispose();
  });

  T('other ops read the values of the transpose (materialised), the original is untouched', async () => {
    reseed(151);
    const xv = uniform(6 * 11), xt = transposed(xv, 6, 11);
    await scope(async () => {
      const X = dev.run(() => tensor(xv, [6, 11]));
      const cases: [string, (t: Tensor) => Tensor, (v: Float64Array) => Float64Array][] = [
        ['tanh', (t) => tanh(t), (v) => v.map(Math.tanh)],
        ['add 1', (t) => add(t, 1), (v) => v.map((x) => Math.fround(x + 1))],
        ['sum over dim 1', (t) => sum(t, 1), (v) => Float64Array.from({ length: 11 }, (_, r) => v.subarray(r * 6, r * 6 + 6).reduce((a, b) => a + b, 0))],
        ['reshape [66]', (t) => reshape(t, [66]), (v) => v],
        ['reshape [6, 11] (the storage\'s own shape)', (t) => reshape(t, [6, 11]), (v) => v],
        ['view [2, 33]', (t) => t.view([2, 33]), (v) => v],
        ['transpose(transpose(·))', (t) => transpose(transpose(t)), (v) => v],
      ];
      for (const [label, f, ref] of cases) {
        const y = dev.run(() => f(transpose(X)));
        assertClose(await y.data64(), ref(xt), { rtol: 1e-5, atol: 1e-6 }, label);
      }
      assertClose(await X.data64(), xv, { rtol: 0 }, 'the original keeps its values and layout');
      assert.not.ok(X.transposed);
    });
  });

  T('transpose of a lazy transpose is a plain view of the original storage', async () => {
    const X = dev.run(() => tensor(uniform(15), [3, 5]));
    const before = snap(dev.name);
    const Y = transpose(X), Z = transpose(Y);
    assert.equal(Z.shape, [3, 5]);
    assert.not.ok(Z.transposed);
    assert.is(Z.raw, X.raw, 'the same storage as the original');
    assert.ok(Y.transposed, 'taking the transpose of Y did not materialise Y');
    assert.is(bytesOn(dev.name), before.bytes);
    assertClose(await Z.data64(), await X.data64(), { rtol: 0 });
    Y.dispose(); Z.dispose();
    assert.equal(snap(dev.name), before);
    X.dispose();
  });

  T('assigning into a lazy transpose writes its own copy (as the copying transpose did), not the original', async () => {
    const xv = uniform(6);
    const X = dev.run(() => tensor(xv, [2, 3]));
    const Y = transpose(X);
    Y.assign([[1, 2], [3, 4], [5, 6]]);
    assert.equal(Array.from(await Y.data()), [1, 2, 3, 4, 5, 6]);
    assertClose(await X.data64(), xv, { rtol: 0 });
    X.dispose(); Y.dispose();
  });

  T('memory: views, materialised views, and the original disposed first free everything', async () => {
    const before = snap(dev.name);
    scope(() => {
      const X = dev.run(() => tensor(uniform(40), [5, 8]));
      const A = transpose(X), B = transpose(X), C = transpose(A);
      tanh(A);                      // A materialised
      matmul(B, X);                 // B read in place
      reshape(C, [40]);
      return null;
    });
    assert.equal(snap(dev.name), before, 'a scope frees views and what materialising made');
    // the original disposed before its view: the view keeps the storage alive
    const X = dev.run(() => tensor([[1, 2, 3], [4, 5, 6]]));
    const Y = transpose(X);
    X.dispose();
    assert.equal(Array.from(await Y.data()), [1, 4, 2, 5, 3, 6]);
    Y.dispose();
    const X2 = dev.run(() => tensor([[1, 2, 3], [4, 5, 6]])), Y2 = transpose(X2);
    X2.dispose(); Y2.dispose();                     // never materialised
    Y2.dispose();                                   // a second dispose is a no-op
    assert.equal(snap(dev.name), before, 'nothing left');
    try { await Y2.data(); assert.unreachable('data() of a disposed view'); }
    catch (e) { assert.match((e as Error).message, /disposed/); }
  });

  T('gradients on this device match ref through transpose → matmul and transpose → other ops', async () => {
    const cases: [string, Fn, () => Input[]][] = [
      ['dY·transpose(X)', (a, x) => matmul(a, transpose(x)), () => [input([6, 4]), input([5, 4])]],
      ['transpose(W)·x, softmax', (w, x) => softmax(matmul(transpose(w), x), 0), () => [input([7, 5]), input([7, 3])]],
      ['transpose(A)·transpose(B) with transA', (a, b) => matmul(transpose(a), transpose(b), { transA: true }), () => [input([4, 6]), input([5, 6])]],
      ['tanh(transpose(X)) .* transpose(Y)', (x, y) => mul(tanh(transpose(x)), transpose(y)), () => [input([3, 5]), input([3, 5])]],
      ['sum(transpose(X), 1) + reshape', (x) => add(sum(transpose(x), 1), reshape(transpose(x), [20]).sum()), () => [input([4, 5])]],
    ];
    for (const [label, f, mk] of cases) {
      reseed(label.length);
      const inputs = mk(), w = weights(f, inputs);
      const want = await gradOn(refDevice(), f, inputs, w), got = await gradOn(dev, f, inputs, w);
      want.forEach((g, k) => assertClose(got[k], g, { rtol: 1e-3, atol: 1e-4 }, `${label}: gradient of input ${k}`));
    }
  });
});

// ---- float64: gradients against finite differences -------------------------------------------------
const G = suite('lazy transpose: gradients vs finite differences (ref)');
G('transpose then matmul, each side, with flags, and transpose of a transpose', async () => {
  reseed(152);
  await gradcheck((a, x) => matmul(a, transpose(x)), [input([4, 3]), input([5, 3])], { label: 'A·transpose(X)' });
  await gradcheck((w, x) => matmul(transpose(w), x), [input([6, 4]), input([6, 3])], { label: 'transpose(W)·x' });
  await gradcheck((w, v) => matmul(transpose(w), v), [input([6, 4]), input([6])], { label: 'transpose(W)·v' });
  await gradcheck((a, b) => matmul(transpose(a), transpose(b), { transA: true, transB: true }), [input([3, 4]), input([4, 5])], { label: 'both views, both flags' });
  await gradcheck((a, b) => matmul(transpose(transpose(a)), b), [input([3, 4]), input([4, 2])], { label: 'transpose(transpose(A))·B' });
  await gradcheck((x) => matmul(x, transpose(x)), [input([4, 3])], { label: 'X·transpose(X) (a tensor used twice)' });
});
G('transpose then other ops (materialised on the way)', async () => {
  reseed(153);
  await gradcheck((x) => sigmoid(transpose(x)), [input([3, 4])], { label: 'σ(transpose(X))' });
  await gradcheck((x, b) => add(transpose(x), b), [input([3, 4]), input([4, 1])], { label: 'transpose(X) .+ b' });
  await gradcheck((x) => sum(reshape(transpose(x), [2, 6]), 0), [input([3, 4])], { label: 'reshape(transpose(X))' });
  await gradcheck((x) => softmax(transpose(x), 1), [input([5, 3])], { label: 'softmax(transpose(X), 1)' });
  await gradcheck((x) => transpose(x), [input([7])], { label: 'transpose of a vector' });
});
G('a gradient that is a lazy transpose reads right and leaves nothing behind', async () => withPolicy('ref', async () => {
  const x = tensor([[1, 2, 3], [4, 5, 6]]), w = tensor([[1, 10], [100, 1000], [1e4, 1e5]]);
  const before = memory().tensors;
  const gs = gradient(() => sum(mul(transpose(x), w)), [x]);
  assert.equal(Array.from(await gs.get(x)!.data()), [1, 100, 1e4, 10, 1000, 1e5], 'dx = wᵀ');
  assert.is(memory().tensors, before + 1, 'only the gradient survives the call');
  gs.dispose();
  assert.is(memory().tensors, before);
  x.dispose(); w.dispose();
}));
G.run();

// ---- moves between devices, migrate, and the FinalizationRegistry ------------------------------------
test('a lazy transpose moved to another device stays lazy there and reads right', async () => {
  const X = withPolicy('cpu', () => tensor(uniform(12), [3, 4]));
  const Y = transpose(X);
  const before = memory().ref.bytes;
  const R = moveTo(Y, runtime.ref!);
  assert.is(R.device, 'ref');
  assert.ok(R.transposed, 'the moved view holds the transpose, as the original did');
  assert.ok(Y.transposed, 'moving it did not materialise the source');
  assertClose(await R.data64(), transposed(await X.data64(), 3, 4), { rtol: 0 });
  R.dispose(); Y.dispose(); X.dispose();
  assert.is(memory().ref.bytes, before);
});
test('migrating a parameter with lazy transposes of it: they keep the old values; a reshape view still blocks', async () => {
  const W = withPolicy('cpu', () => tensor([[1, 2], [3, 4], [5, 6]])).keep();
  const Wt = transpose(W);
  W.migrate(runtime.ref!);
  assert.is(W.device, 'ref');
  W.assign([[0, 0], [0, 0], [0, 0]]);
  assert.equal(Array.from(await Wt.data()), [1, 3, 5, 2, 4, 6], 'the view reads the values it had (as a copy would)');
  assert.is(Wt.device, 'wasm');
  const v = W.view([6]);
  assert.throws(() => W.migrate(runtime.cpu!), /views of it exist/);
  v.dispose(); Wt.dispose(); W.dispose();
});
test('a lazy transpose no scope owns, dropped without dispose, is freed by the FinalizationRegistry', async () => {
  await settle();
  const before = memory();
  let X: Tensor | null = withPolicy('cpu', () => tensor(uniform(64 * 64), [64, 64]));
  let Y: Tensor | null = transpose(X);
  let Z: Tensor | null = transpose(X);
  // a migrate after the views die must not count them (tviews counted down by the registry too)
  X.keep();
  Y = null; Z = null;
  await settle();
  assert.is(memory().tensors, before.tensors + 1, 'the two views were collected');
  X.migrate(runtime.ref!);
  X.dispose();
  X = null;
  assert.equal(memory().tensors, before.tensors);
  assert.is(memory().cpu.bytes, before.cpu.bytes);
  void Y; void Z;
});
test('a dropped lazy transpose with a live original keeps the original\'s storage counted right', async () => {
  await settle();
  const X = withPolicy('cpu', () => tensor(uniform(9), [3, 3])).keep();
  (() => { transpose(X); })();
  await settle();
  const v = X.view([9]);
  assert.throws(() => X.migrate(runtime.ref!), /views of it exist/, 'the reshape view blocks; the collected transpose does not hide it');
  v.dispose();
  X.migrate(runtime.ref!);
  X.dispose();
});
test.run();
