// Pooling (src/ops/pool.ts, src/nn/pool.ts): maxpool/meanpool and the layers against pooling
// written out plainly (test/_helpers/conv.ts) at awkward geometries on every device; NNlib's
// routing of a max window's gradient to its first maximum; gradients by finite differences
// (f64, ref) and on the fast devices; Flux's output sizes, show and errors. Wasm and WebGPU
// need the pool/poolGrad kernels.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  tensor, maxpool, meanpool, MaxPool, MeanPool, GlobalMaxPool, GlobalMeanPool, AdaptiveMaxPool, AdaptiveMeanPool, SamePad,
  Conv, Chain, params, gradient, sum, mul, withPolicy, scope, zeros, Tensor,
} from '../src/index.js';
import { forEachBackend, refDevice } from './_helpers/backends.js';
import { gradcheck, gradOn, weights, input, uniform, reseed } from './_helpers/gradcheck.js';
import { assertClose, sumTol } from './_helpers/allclose.js';
import { directPool, GEOMETRIES } from './_helpers/conv.js';

const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const onRef = <T>(f: () => T) => withPolicy('ref', () => scope(f));
/** Halves on [-2, 2]: windows with ties. */
const halves = (n: number) => uniform(n, -2, 2).map((v) => Math.round(2 * v) / 2);
// Pooling takes no dilation in NNlib's maxpool/meanpool: the geometries without it.
const CASES = GEOMETRIES.map((g) => ({ ...g, o: { ...g.o, dilation: g.k.map(() => 1) } }));

forEachBackend('pool', (it, dev) => {
  it('maxpool and meanpool match the definition (padding, stride ≠ window, 1-D to 3-D, batch 1)', async () => {
    reseed(31);
    for (const { label, size, k, o } of CASES) for (const n of [1, 3]) for (const mean of [false, true]) {
      const xs = [...size, 2, n], x = mean ? uniform(prod(xs)) : halves(prod(xs)), want = directPool(x, xs, k, o, mean);
      const y = dev.run(() => (mean ? meanpool : maxpool)(tensor(x, xs), k, { pad: o.pad, stride: o.stride }));
      assert.equal([...y.shape], want.shape, `${label} shape`);
      assertClose(await y.data64(), want.y, mean ? { rtol: 1e-5, atol: sumTol(prod(k)) } : { rtol: 0 }, `${mean ? 'mean' : 'max'}pool ${label} batch ${n} [${dev.name}]`);
    }
  });

  it("a max window's gradient goes to its first maximum, the first spatial dim fastest (NNlib)", async () => {
    // one 2×2 window: x[1,0] and x[0,1] tie at the maximum; NNlib walks w (dim 0) fastest, so x[1,0] gets dy
    const x = dev.run(() => tensor([[[[1]], [[3]]], [[[3]], [[2]]]]));
    const g = dev.run(() => gradient(() => mul(maxpool(x, [2, 2]), 5).sum(), [x]).get(x)!);
    assert.equal(Array.from(await g.data()), [0, 0, 5, 0]);
    const all = dev.run(() => tensor([7, 7, 7, 7], [2, 2, 1, 1]));
    assert.equal(Array.from(await dev.run(() => gradient(() => sum(maxpool(all, [2, 2])), [all]).get(all)!).data()), [1, 0, 0, 0]);
  });

  it('layers: MaxPool, MeanPool, GlobalMaxPool, GlobalMeanPool, AdaptiveMaxPool, AdaptiveMeanPool', async () => {
    reseed(32);
    const xs = [12, 8, 3, 2], x = uniform(prod(xs)), one = { stride: [1, 1], pad: [0, 0, 0, 0], dilation: [1, 1] };
    const cases: [string, (t: Tensor) => Tensor, { y: Float64Array; shape: number[] }][] = [
      ['MaxPool([3, 2])', MaxPool([3, 2]), directPool(x, xs, [3, 2], { ...one, stride: [3, 2] }, false)],
      ['MeanPool([5, 3], pad 1, stride 2)', MeanPool([5, 3], { pad: 1, stride: 2 }), directPool(x, xs, [5, 3], { ...one, pad: [1, 1, 1, 1], stride: [2, 2] }, true)],
      ['GlobalMaxPool', GlobalMaxPool(), directPool(x, xs, [12, 8], one, false)],
      ['GlobalMeanPool', GlobalMeanPool(), directPool(x, xs, [12, 8], one, true)],
      // Flux: stride = size ÷ out, window = size − (out − 1)·stride
      ['AdaptiveMaxPool([5, 3])', AdaptiveMaxPool([5, 3]), directPool(x, xs, [4, 4], { ...one, stride: [2, 2] }, false)],
      ['AdaptiveMeanPool([4, 8])', AdaptiveMeanPool([4, 8]), directPool(x, xs, [3, 1], { ...one, stride: [3, 1] }, true)],
    ];
    for (const [label, l, want] of cases) {
      const y = dev.run(() => l(tensor(x, xs)));
      assert.equal([...y.shape], want.shape, `${label} shape`);
      assertClose(await y.data64(), want.y, { rtol: 1e-5, atol: sumTol(96) }, `${label} [${dev.name}]`);
    }
  });
});

forEachBackend('pool gradients', (it, dev) => {
  it('gradients match the reference device', async () => {
    reseed(33);
    for (const { label, size, k, o } of CASES) for (const mean of [false, true]) {
      const inputs = [input([...size, 2, 3])], f = (x: Tensor) => (mean ? meanpool : maxpool)(x, k, { pad: o.pad, stride: o.stride });
      const w = weights(f, inputs), want = await gradOn(refDevice(), f, inputs, w), got = await gradOn(dev, f, inputs, w);
      assertClose(got[0], want[0], { rtol: 1e-5, atol: sumTol(prod(k)) }, `∂ ${mean ? 'mean' : 'max'}pool ${label} [${dev.name}]`);
    }
  });
}, { ref: false });

test('gradients of maxpool, meanpool and the layers match finite differences (f64)', async () => {
  reseed(34);
  for (const { label, size, k, o } of CASES) for (const mean of [false, true]) {
    // a max window wholly in the padding is −Inf (as NNlib's), which finite differences cannot difference
    const pad = mean ? o.pad : o.pad.map((p, i) => Math.min(p, k[i >> 1] - 1));
    await gradcheck((x) => (mean ? meanpool : maxpool)(x, k, { pad, stride: o.stride }), [input([...size, 2, 2])], { label: `${mean ? 'mean' : 'max'}pool ${label}` });
  }
  for (const l of [GlobalMaxPool(), GlobalMeanPool(), AdaptiveMaxPool([2, 3]), AdaptiveMeanPool([3, 2]), MaxPool([2, 2], { pad: SamePad() })])
    await gradcheck((x) => l(x), [input([7, 6, 2, 2])], { label: String(l) });
  await gradcheck((x, w) => Chain(Conv(w, false), MaxPool([2, 2]))(x), [input([7, 6, 2, 2]), input([2, 2, 2, 3])], { label: 'Conv → MaxPool' });
});

test('Flux output sizes, defaults and show', () => onRef(() => {
  const xs = zeros([100, 100, 3, 2]);
  const cases: [(x: Tensor) => Tensor, string, number[]][] = [
    [MaxPool([5, 5], { pad: SamePad() }), 'MaxPool((5, 5), pad=2)', [20, 20, 3, 2]],
    [MeanPool([5, 5], { pad: SamePad() }), 'MeanPool((5, 5), pad=2)', [20, 20, 3, 2]],
    [MaxPool([2, 2]), 'MaxPool((2, 2))', [50, 50, 3, 2]],
    [MaxPool([3, 2], { stride: 1 }), 'MaxPool((3, 2), stride=1)', [98, 99, 3, 2]],
    [MeanPool([4, 4], { pad: [1, 0, 2, 3], stride: [3, 2] }), 'MeanPool((4, 4), pad=(1, 0, 2, 3), stride=(3, 2))', [33, 51, 3, 2]],
    [GlobalMaxPool(), 'GlobalMaxPool()', [1, 1, 3, 2]],
    [GlobalMeanPool(), 'GlobalMeanPool()', [1, 1, 3, 2]],
    [AdaptiveMaxPool([25, 25]), 'AdaptiveMaxPool((25, 25))', [25, 25, 3, 2]],
    [AdaptiveMeanPool([7, 13]), 'AdaptiveMeanPool((7, 13))', [7, 13, 3, 2]],
  ];
  for (const [l, s, want] of cases) { assert.is(String(l), s); assert.equal([...l(xs).shape], want, s); }
  assert.equal([...MaxPool([5], { pad: 2, stride: 3 })(zeros([100, 7, 50])).shape], [34, 7, 50]);
  assert.is(String(MaxPool([5], { pad: 2, stride: 3 })), 'MaxPool((5,), pad=2, stride=3)');
  assert.equal([...GlobalMaxPool()(zeros([3, 5, 7])).shape], [1, 5, 7]);
  assert.equal([...GlobalMeanPool()(zeros([3, 4, 5, 6, 7])).shape], [1, 1, 1, 6, 7]);
  const m = MaxPool([2, 2]);
  assert.equal([m.k, m.stride, m.pad], [[2, 2], [2, 2], [0, 0, 0, 0]]);
  assert.is(params(Chain(Conv([3, 3], [3, 4]), MaxPool([2, 2]), GlobalMeanPool())).length, 2, 'pooling layers have no parameters');
  const x = tensor(uniform(100 * 100 * 3 * 2), [100, 100, 3, 2]);
  assert.equal(Array.from(AdaptiveMaxPool([25, 25])(x).buf as Float64Array), Array.from(MaxPool([4, 4])(x).buf as Float64Array), 'AdaptiveMaxPool((25, 25)) is MaxPool((4, 4)) on 100×100');
}));

test('errors name the layer or function, the expected and the received shape or value', () => onRef(() => {
  const cases: [() => unknown, RegExp][] = [
    [() => MaxPool([2, 2])(zeros([28, 28, 2])), /^MaxPool\(\(2, 2\)\): expected input of shape \[w, h, channels, batch\] \(rank 4\), got shape \[28, 28, 2\]$/],
    [() => MeanPool([3])(zeros([2, 1, 1])), /^MeanPool\(\(3,\)\): the window \(size 3, dilation 1: 3\) is larger than the input plus padding \(2 \+ 0 \+ 0\) along spatial dim 0$/],
    [() => GlobalMaxPool()(zeros([4, 4])), /^GlobalMaxPool\(\): expected input of shape \[spatial…, channels, batch\] \(rank 3 to 5\), got shape \[4, 4\]$/],
    [() => AdaptiveMaxPool([25, 25])(zeros([10, 100, 3, 1])), /^AdaptiveMaxPool\(\(25, 25\)\): the output \(25, 25\) is larger than the input, shape \[10, 100, 3, 1\]$/],
    [() => AdaptiveMeanPool([2])(zeros([10, 10, 3, 1])), /^AdaptiveMeanPool\(\(2,\)\): expected input of shape \[w, channels, batch\] \(rank 3\), got shape \[10, 10, 3, 1\]$/],
    [() => MaxPool([0, 2]), /^MaxPool: window must be 1 to 3 positive integers \(the spatial dims\), such as \[5, 5\], got \[0, 2\]$/],
    [() => MaxPool([2, 2], { stride: [1, 2, 3] }), /^MaxPool\(\(2, 2\)\): stride must be an integer ≥ 1 or 2 of them, got \[1, 2, 3\]$/],
    [() => MaxPool([2, 2], { dilation: 2 } as never), /^MaxPool\(\(2, 2\)\): unknown option dilation \(options: pad, stride\)$/],
    [() => maxpool(zeros([4, 4, 1, 1]), 2 as never), /^maxpool: window must be 1 to 3 positive integers/],
    [() => meanpool(zeros([4, 1, 1]), [2, 2]), /^meanpool: expected input of shape \[w, h, channels, batch\] \(rank 4\), got shape \[4, 1, 1\]$/],
  ];
  for (const [call, want] of cases) {
    let err: unknown = null;
    try { call(); } catch (e) { err = e; }
    assert.ok(err instanceof Error, `${want}: nothing was thrown`);
    assert.match((err as Error).message, want);
  }
}));

test.run();
