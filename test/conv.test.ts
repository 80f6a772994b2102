// Convolution (src/ops/conv.ts, src/nn/conv.ts): conv, Conv, CrossCor and ConvTranspose against
// a direct convolution written out plainly in test/_helpers/conv.ts (not through im2col) at
// awkward geometries (odd sizes, stride > kernel, dilation, padding larger than the kernel,
// groups, batch 1, 1-D to 3-D) on every device; the transposed convolution against its own
// definition and as conv's adjoint; gradients for x, w and b by finite differences (f64, ref)
// and the same gradients on the fast devices; Flux's output sizes, SamePad, show, errors; a
// small convnet that trains; save/load. Wasm and WebGPU need the im2col/col2im/pool kernels.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  tensor, conv, Conv, CrossCor, ConvTranspose, MaxPool, Dense, Chain, SamePad, flatten, params, namedTensors, saveModel, loadModel,
  relu, sigmoid, tanh, leakyrelu, identity, gradient, logitcrossentropy, onehotbatch, Adam, trainStep, setup, seed, withPolicy, scope, ones,
  zeros, rand, glorot_uniform, memory, maxpool, sum, Tensor,
} from '../src/index.js';
import { forEachBackend, refDevice } from './_helpers/backends.js';
import { gradcheck, gradOn, weights, input, uniform, reseed, type Input } from './_helpers/gradcheck.js';
import { assertClose, sumTol } from './_helpers/allclose.js';
import { directConv, outSize, GEOMETRIES, type Win } from './_helpers/conv.js';
import { prod, unflat, flat } from './_helpers/index.js';

const onRef = <T>(f: () => T) => withPolicy('ref', () => scope(f));

/** [label, x shape, w shape, window, groups]: every geometry with channels 3 → 4 and a grouped one 4 → 6. */
const CASES: [string, number[], number[], Win, number][] = GEOMETRIES.flatMap(({ label, size, k, o }, i) => [
  [label, [...size, 3, 1 + (i % 3)], [...k, 3, 4], o, 1] as [string, number[], number[], Win, number],
  [`${label}, groups 2`, [...size, 4, 2], [...k, 2, 6], o, 2] as [string, number[], number[], Win, number],
]);

/** The transposed convolution written out: y[o·s + κ·d − lo, g·outg + j, m] += x[o, ci, m]·w[κ′, j, ci]. */
function directConvT(x: Float64Array, xs: number[], w: Float64Array, ws: number[], o: Win & { groups: number; outpad: number[] }) {
  const nd = ws.length - 2, outg = ws[nd], cin = ws[nd + 1], ing = cin / o.groups, n = xs[nd + 1], ks = ws.slice(0, nd);
  const size = xs.slice(0, nd).map((v, i) => (v - 1) * o.stride[i] + 1 + (ks[i] - 1) * o.dilation[i] - o.pad[2 * i] - o.pad[2 * i + 1] + o.outpad[i]);
  const cout = outg * o.groups, y = new Float64Array(prod(size) * cout * n);
  for (let p = 0; p < prod(xs.slice(0, nd)); p++) for (let kk = 0; kk < prod(ks); kk++) {
    const oi = unflat(p, xs.slice(0, nd)), ki = unflat(kk, ks), yi = oi.map((q, i) => q * o.stride[i] + ki[i] * o.dilation[i] - o.pad[2 * i]);
    if (yi.some((v, i) => v < 0 || v >= size[i])) continue;
    const wk = ki.map((v, i) => ks[i] - 1 - v);      // Flux's ConvTranspose flips, as its Conv does
    for (let ci = 0; ci < cin; ci++) for (let j = 0; j < outg; j++) for (let m = 0; m < n; m++) {
      const g = Math.floor(ci / ing);
      y[flat([...yi, g * outg + j, m], [...size, cout, n])] += x[flat([...oi, ci, m], xs)] * w[flat([...wk, j, ci], ws)];
    }
  }
  return { y, shape: [...size, cout, n] };
}

forEachBackend('conv', (it, dev) => {
  it('conv matches the direct convolution (flipped and not, groups, every awkward geometry)', async () => {
    reseed(21);
    for (const [label, xs, ws, o, groups] of CASES) for (const flipped of [false, true]) {
      const x = uniform(prod(xs)), w = uniform(prod(ws)), want = directConv(x, xs, w, ws, { ...o, groups, flip: !flipped });
      const y = dev.run(() => conv(tensor(x, xs), tensor(w, ws), { ...o, groups, flipped }));
      assert.equal([...y.shape], want.shape, `${label} shape`);
      assertClose(await y.data64(), want.y, { rtol: 1e-5, atol: sumTol(prod(ws.slice(0, -1))) }, `conv ${label} flipped ${flipped} [${dev.name}]`);
      y.dispose();
    }
  });

  it('Conv, CrossCor and ConvTranspose layers match their definitions (bias, activation)', async () => {
    reseed(22);
    for (const [label, xs, ws, o, groups] of CASES) {
      const x = uniform(prod(xs)), w = uniform(prod(ws)), nd = ws.length - 2, b = uniform(ws[nd + 1]);
      const tol = { rtol: 1e-5, atol: 2 * sumTol(prod(ws.slice(0, -1))) };
      for (const [kind, σ, f] of [['Conv', relu, (v: number) => Math.max(v, 0)], ['Conv', leakyrelu, (v: number) => (v > 0 ? v : 0.01 * v)],
        ['CrossCor', tanh, Math.tanh]] as const) {
        if (kind === 'CrossCor' && groups > 1) continue;
        const want = directConv(x, xs, w, ws, { ...o, groups, flip: kind === 'Conv' });
        const y = dev.run(() => {
          const W = tensor(w, ws), B = tensor(b, [ws[nd + 1]]);
          const l = kind === 'Conv' ? Conv(W, B, σ, { ...o, groups }) : CrossCor(W, B, σ, o);
          return l(tensor(x, xs));
        });
        const C = ws[nd + 1], n = xs[nd + 1];
        assertClose(await y.data64(), want.y.map((v, i) => f(v + b[Math.floor(i / n) % C])), tol, `${kind} ${label} [${dev.name}]`);
      }
      // ConvTranspose with w [k…, 3, in], in = the input's channels: upsampling by the stride
      const wt = [...ws.slice(0, nd), 3, xs[nd]], W2 = uniform(prod(wt)), bt = uniform(3 * groups), outpad = o.stride.map((s) => s - 1);
      const want = directConvT(x, xs, W2, wt, { ...o, groups, outpad });
      const y = dev.run(() => ConvTranspose(tensor(W2, wt), tensor(bt, [3 * groups]), sigmoid, { ...o, groups, outpad })(tensor(x, xs)));
      assert.equal([...y.shape], want.shape, `ConvTranspose ${label} shape`);
      const C = 3 * groups, n = xs[nd + 1];
      assertClose(await y.data64(), want.y.map((v, i) => 1 / (1 + Math.exp(-(v + bt[Math.floor(i / n) % C])))), tol, `ConvTranspose ${label} [${dev.name}]`);
    }
  });

});

forEachBackend('conv gradients', (it, dev) => {
  it('gradients for x, w and b match the reference device', async () => {
    reseed(23);
    for (const [label, xs, ws, o, groups] of CASES) {
      const nd = ws.length - 2, inputs: Input[] = [input(xs), input(ws), input([ws[nd + 1]])];
      const f = (x: Tensor, w: Tensor, b: Tensor) => Conv(w, b, tanh, { ...o, groups })(x);
      const w = weights(f, inputs), want = await gradOn(refDevice(), f, inputs, w), got = await gradOn(dev, f, inputs, w);
      const K = prod(ws.slice(0, -1)) * prod(outSize(xs.slice(0, nd), ws.slice(0, nd), o)) * xs[nd + 1];
      got.forEach((g, i) => assertClose(g, want[i], { rtol: 1e-4, atol: 4 * sumTol(K) }, `∂ input ${i} of Conv ${label} [${dev.name}]`));
    }
  });
}, { ref: false });

test('gradients of conv for x, w, b match finite differences (f64), every geometry, groups, flips, transposed', async () => {
  reseed(24);
  for (const [label, xs, ws, o, groups] of CASES) {
    const nd = ws.length - 2, C = ws[nd + 1];
    await gradcheck((x, w, b) => Conv(w, b, tanh, { ...o, groups })(x), [input(xs), input(ws), input([C])], { label: `Conv ${label}` });
    if (groups === 1) await gradcheck((x, w) => CrossCor(w, false, identity, o)(x), [input(xs), input(ws)], { label: `CrossCor ${label}` });
    const wt = [...ws.slice(0, nd), 3, xs[nd]];
    await gradcheck((x, w, b) => ConvTranspose(w, b, sigmoid, { ...o, groups })(x), [input(xs), input(wt), input([3 * groups])], { label: `ConvTranspose ${label}` });
  }
});

test('the transposed convolution is the adjoint of conv: ⟨conv(x, w), y⟩ = ⟨x, ConvTranspose(w)(y)⟩', () => onRef(() => {
  reseed(25);
  for (const [label, xs, ws, o, groups] of CASES) {
    const x = tensor(uniform(prod(xs)), xs), w = tensor(uniform(prod(ws)), ws), cx = conv(x, w, { ...o, groups });
    const y = tensor(uniform(cx.size), cx.shape);
    const opad = xs.slice(0, -2).map((v, i) => (v + o.pad[2 * i] + o.pad[2 * i + 1] - (ws[i] - 1) * o.dilation[i] - 1) % o.stride[i]);
    const ty = ConvTranspose(w, false, identity, { ...o, groups, outpad: opad })(y);
    assert.equal([...ty.shape], xs, `${label}: ConvTranspose with outpad restores the input size`);
    const dot = (a: Tensor, b: Tensor) => (a.buf as Float64Array).reduce((s, v, i) => s + v * (b.buf as Float64Array)[i], 0);
    const l = dot(cx, y), r = dot(x, ty);
    assert.ok(Math.abs(l - r) <= 1e-10 * Math.max(1, Math.abs(l)), `${label}: ${l} vs ${r}`);
  }
}));

test('Flux output sizes: Conv, stride, SamePad, asymmetric pad, dilation, CrossCor, ConvTranspose, 1-D and 3-D', () => onRef(() => {
  const xs = zeros([100, 100, 3, 2]);
  const cases: [(x: Tensor) => Tensor, number[]][] = [
    [Conv([5, 5], [3, 7], relu, { bias: false }), [96, 96, 7, 2]],
    [Conv([5, 5], [3, 7], identity, { stride: 2 }), [48, 48, 7, 2]],
    [Conv([5, 5], [3, 7], identity, { stride: 2, pad: SamePad() }), [50, 50, 7, 2]],
    [Conv([2, 2], [3, 7], identity, { pad: SamePad() }), [100, 100, 7, 2]],
    [Conv([1, 1], [3, 7], identity, { pad: [20, 10, 0, 0] }), [130, 100, 7, 2]],
    [Conv([5, 5], [3, 7], identity, { stride: 2, dilation: 4 }), [42, 42, 7, 2]],
    [Conv([5, 5], [3, 9], identity, { stride: 2, pad: 2, groups: 3 }), [50, 50, 9, 2]],
    [CrossCor([5, 5], [3, 7], identity, { stride: 3, pad: [2, 0] }), [34, 32, 7, 2]],
    [ConvTranspose([5, 5], [3, 7], relu), [104, 104, 7, 2]],
    [ConvTranspose([5, 5], [3, 7], identity, { stride: 2 }), [203, 203, 7, 2]],
    [ConvTranspose([5, 5], [3, 7], identity, { stride: 2, outpad: 1 }), [204, 204, 7, 2]],
    [ConvTranspose([5, 5], [3, 7], identity, { stride: 3, pad: SamePad() }), [300, 300, 7, 2]],
  ];
  for (const [l, want] of cases) assert.equal([...l(xs).shape], want, String(l));
  assert.equal([...Conv(tensor(uniform(60), [3, 4, 5]), zeros(5), sigmoid)(zeros([100, 4, 64])).shape], [98, 5, 64]);
  assert.equal([...ConvTranspose(tensor(uniform(60), [3, 4, 5]), zeros(4), sigmoid)(zeros([100, 5, 64])).shape], [102, 4, 64]);
  assert.equal([...Conv([3, 3, 3], [2, 4], relu, { pad: 1 })(zeros([5, 6, 7, 2, 1])).shape], [5, 6, 7, 4, 1]);
  assert.equal([...conv(zeros([28, 28, 3, 16]), zeros([5, 5, 3, 8]), { stride: 2, pad: 1 }).shape], [13, 13, 8, 16]);
}));

test('Conv shows as Flux shows it; defaults: glorot_uniform weight [k…, in/groups, out], zero bias', () => onRef(() => {
  const shows: [unknown, string][] = [
    [Conv([5, 5], [1, 6], relu), 'Conv((5, 5), 1 => 6, relu)'],
    [Conv([2, 2], [3, 7], identity, { pad: SamePad() }), 'Conv((2, 2), 3 => 7, pad=(1, 0, 1, 0))'],
    [Conv([5, 5], [3, 7], identity, { stride: 2, pad: SamePad() }), 'Conv((5, 5), 3 => 7, pad=2, stride=2)'],
    [Conv([5, 5], [3, 7], relu, { bias: false }), 'Conv((5, 5), 3 => 7, relu, bias=false)'],
    [Conv([5, 5], [3, 6], relu, { groups: 3, bias: false }), 'Conv((5, 5), 3 => 6, relu, groups=3, bias=false)'],
    [Conv([3], [4, 5], sigmoid, { pad: [2], dilation: 2 }), 'Conv((3,), 4 => 5, σ, pad=2, dilation=2)'],
    [CrossCor([5, 5], [3, 7], identity, { stride: [3, 1], pad: [2, 0] }), 'CrossCor((5, 5), 3 => 7, pad=(2, 0), stride=(3, 1))'],
    [ConvTranspose([5, 5], [3, 7], relu, { stride: 2, outpad: 1 }), 'ConvTranspose((5, 5), 3 => 7, relu, stride=2, outpad=1)'],
    [Conv(tensor(uniform(60), [3, 4, 5]), true, sigmoid), 'Conv((3,), 4 => 5, σ)'],
    [ConvTranspose(tensor(uniform(60), [3, 4, 5])), 'ConvTranspose((3,), 5 => 4)'],
  ];
  for (const [l, s] of shows) assert.is(String(l), s);
  seed(7); const c = Conv([5, 5], [4, 6], relu, { groups: 2 });
  seed(7); const g = glorot_uniform(5, 5, 2, 6);
  assert.equal([...c.weight.shape], [5, 5, 2, 6]);
  assert.equal(Array.from(c.weight.buf as Float64Array), Array.from(g.buf as Float64Array), 'glorot_uniform from the seeded stream');
  assert.equal(Array.from((c.bias as Tensor).buf as Float64Array), [0, 0, 0, 0, 0, 0]);
  assert.equal([...ConvTranspose([3, 3], [4, 6], relu, { groups: 2 }).weight.shape], [3, 3, 3, 4], 'ConvTranspose weight [k…, out/groups, in]');
  assert.equal([c.stride, c.pad, c.dilation, c.groups], [[1, 1], [0, 0, 0, 0], [1, 1], 2]);
  const own = Conv([3, 3], [2, 2], relu, { init: ones, bias: tensor([1, 2]) });
  assert.equal(Array.from(own.weight.buf as Float64Array), Array(36).fill(1));
  assert.equal(Array.from((own.bias as Tensor).buf as Float64Array), [1, 2]);
  assert.is(params(Chain(c, CrossCor([3, 3], [6, 1]), ConvTranspose([2, 2], [1, 2], relu, { bias: false }))).length, 5);
}));

test('errors name the layer, the expected and the received shape or value', () => onRef(() => {
  const c = Conv([5, 5], [1, 6], relu);
  const cases: [() => unknown, RegExp][] = [
    [() => c(zeros([28, 28, 3, 2])), /^Conv\(\(5, 5\), 1 => 6, relu\): expected input of shape \[w, h, 1, batch\] \(rank 4\), got shape \[28, 28, 3, 2\]$/],
    [() => c(zeros([28, 28, 2])), /^Conv\(\(5, 5\), 1 => 6, relu\): expected input of shape \[w, h, 1, batch\] \(rank 4\), got shape \[28, 28, 2\]$/],
    [() => c(zeros([4, 28, 1, 2])), /^Conv\(\(5, 5\), 1 => 6, relu\): the window \(size 5, dilation 1: 5\) is larger than the input plus padding \(4 \+ 0 \+ 0\) along spatial dim 0$/],
    [() => ConvTranspose([3], [2, 4])(zeros([5, 4, 1])), /^ConvTranspose\(\(3,\), 2 => 4\): expected input of shape \[w, 2, batch\] \(rank 3\), got shape \[5, 4, 1\]$/],
    [() => CrossCor([3, 3], [6, 1])(zeros([5, 5, 1, 1])), /^CrossCor\(\(3, 3\), 6 => 1\): expected input of shape \[w, h, 6, batch\]/],
    [() => Conv([5, 5], [3, 7], relu, { groups: 2 }), /^Conv\(\(5, 5\), 3 => 7\): groups 2 must divide both 3 and 7$/],
    [() => Conv([5, 5], [3, 6], relu, { pad: [1, 2, 3] }), /^Conv\(\(5, 5\), 3 => 6\): pad must be an integer ≥ 0 or 2 of them or 4 \(\[lo, hi\] per dim\), or SamePad\(\), got \[1, 2, 3\]$/],
    [() => Conv([5, 5], [3, 6], relu, { stride: 0 }), /^Conv\(\(5, 5\), 3 => 6\): stride must be an integer ≥ 1 or 2 of them, got 0$/],
    [() => Conv([5, 5], [3, 6], relu, { strides: 2 } as never), /^Conv\(\(5, 5\), 3 => 6\): unknown option strides/],
    [() => CrossCor([5, 5], [3, 6], relu, { groups: 3 } as never), /^CrossCor\(\(5, 5\), 3 => 6\): unknown option groups/],
    [() => ConvTranspose([5, 5], [3, 6], relu, { stride: 2, outpad: 2 }), /^ConvTranspose\(\(5, 5\), 3 => 6\): outpad must be smaller than the stride \(2, 2\), got \(2, 2\)$/],
    [() => Conv([5, 5, 5, 5], [3, 6]), /^Conv: kernel size must be 1 to 3 positive integers/],
    [() => Conv([5, 5], [3] as never), /^Conv: channels must be \[in, out\], two positive integers, got \[3\]$/],
    [() => Conv([5, 5], [3, 6], relu, { init: () => zeros(2) }), /^Conv\(\(5, 5\), 3 => 6\): init returned a tensor of shape \[2\], expected shape \[5, 5, 3, 6\]$/],
    [() => Conv(zeros([5, 5]), true), /^Conv: weight must be \[k…, in, out\] with 1 to 3 spatial dims, got shape \[5, 5\]$/],
    [() => Conv(zeros([3, 2, 4]), zeros(3)), /^Conv\(\(3,\), 2 => 4\): bias has shape \[3\], expected \[4\]$/],
    [() => conv(zeros([5, 5, 2, 1]), zeros([3, 3, 2, 4]), { groups: 3 }), /^conv: groups 3 must divide the output channels 4/],
    [() => conv(zeros([5, 2, 1]), zeros([3, 2])), /^conv: w must be \[k…, cin\/groups, cout\] with 1 to 3 spatial dims, got shape \[3, 2\]$/],
    [() => ConvTranspose([2, 2], [3, 6], relu, { stride: 4, pad: SamePad() }), /SamePad\(\) needs a kernel at least as large as the stride/],
  ];
  for (const [call, want] of cases) {
    let err: unknown = null;
    try { call(); } catch (e) { err = e; }
    assert.ok(err instanceof Error, `${want}: nothing was thrown`);
    assert.match((err as Error).message, want);
  }
}));

test('no tensors are left behind: a refused call with array arguments, a gradient step of a convnet', () => onRef(() => {
  const before = memory().tensors;
  assert.throws(() => conv([[1, 2]], [[[1]]]), /^conv: expected input of shape/);
  assert.throws(() => maxpool([[[1, 2]]], [3]), /^maxpool: the window/);
  assert.is(memory().tensors, before, 'the tensors made from arrays are freed');
  const m = Chain(Conv([3, 3], [2, 4], relu, { groups: 2 }), MaxPool([2, 2]), ConvTranspose([2, 2], [4, 2]), flatten, Dense(18, 2));
  const x = rand([6, 6, 2, 3]).keep();
  scope(() => gradient(() => sum(m(x)), m).dispose());          // warm-up (cached scalars)
  const held = memory().tensors;
  scope(() => gradient(() => sum(m(x)), m).dispose());
  assert.ok(memory().tensors <= held, `${memory().tensors - held} tensors leaked`);
}));

test('flatten keeps the batch dim: [w, h, c, n] → [w·h·c, n], a view', () => onRef(() => {
  const x = rand([4, 3, 2, 5]), y = flatten(x);
  assert.equal([...y.shape], [24, 5]);
  assert.is(y.storage, x.storage);
  assert.equal([...flatten(rand(7)).shape], [1, 7]);
  assert.throws(() => flatten(tensor(1)), /^flatten: expected an array with a batch dim, got a scalar/);
}));

test('a small convnet (Conv → MaxPool → flatten → Dense) trains: the loss goes down', () => onRef(() => {
  seed(3); reseed(26);
  const m = Chain(Conv([3, 3], [1, 4], relu), MaxPool([2, 2]), Conv([2, 2], [4, 6], relu, { pad: SamePad() }), flatten, Dense(54, 3));
  // three classes of 8×8 images: a bright left half, top half, or centre
  const N = 12, X = new Float64Array(64 * N), labels: number[] = [];
  for (let j = 0; j < N; j++) {
    const cls = j % 3;
    labels.push(cls);
    for (let a = 0; a < 8; a++) for (let b = 0; b < 8; b++) {
      const on = cls === 0 ? a < 4 : cls === 1 ? b < 4 : a >= 2 && a < 6 && b >= 2 && b < 6;
      X[(a * 8 + b) * N + j] = (on ? 1 : 0) + 0.1 * uniform(1)[0];
    }
  }
  const x = tensor(X, [8, 8, 1, N]).keep(), y = onehotbatch(labels, [0, 1, 2]).keep();
  const loss = (xx: Tensor, yy: Tensor) => logitcrossentropy(m(xx), yy);
  const first = (loss(x, y).buf as Float64Array)[0];
  const opt = setup(Adam(0.01), m);
  let last = first;
  for (let i = 0; i < 30; i++) last = (trainStep(loss, params(m), [x, y], opt).buf as Float64Array)[0];
  assert.ok(last < 0.5 * first, `loss ${first} → ${last}`);
}));

test('a Conv model saves and loads (namedTensors, safetensors), weights and biases by name', async () => {
  const make = () => withPolicy('ref', () => Chain(Conv([3, 3], [2, 4], relu), ConvTranspose([2, 2], [4, 3]), MaxPool([2, 2]), flatten, Dense(12, 2)));
  seed(1); const a = make();
  seed(2); const b = make();
  assert.equal(namedTensors(a).map(([n]) => n), ['layers.0.weight', 'layers.0.bias', 'layers.1.weight', 'layers.1.bias', 'layers.4.weight', 'layers.4.bias']);
  loadModel(b, await saveModel(a, null));
  const x = withPolicy('ref', () => rand([6, 6, 2, 3]));
  assertClose(await withPolicy('ref', () => b(x)).data64(), await withPolicy('ref', () => a(x)).data64(), { rtol: 1e-6 }, 'loaded model');
});

test.run();
