// Recurrent layers (src/nn/recurrent.ts) and their fused sequence op (src/ops/rnn.ts):
// - every step kernel on wasm and webgpu against the float64 reference at awkward sizes
//   (hid, batch not multiples of 4, batch 1, first and last step of a sequence);
// - every layer's output and final state on every device against a plain float64 transcription
//   of Flux's source (test/_helpers/rnn-oracle.ts), batched, unbatched, shared h0;
// - every gradient (x, h0/c0, Wi, Wh, bias, Wh_h̃, through the final state too) against finite
//   differences, and the fast devices' gradients against the reference's;
// - cells, Flux's names and shapes, options, errors that name the layer and the shapes;
// - leanness: one op per sequence in trace(), dispatches per step on webgpu, nothing leaked.
import { suite, test } from 'uvu';
import * as assert from 'uvu/assert';
import { forEachBackend, refDevice, available, gpuMissing } from './_helpers/backends.js';
import { testNeedingGpu } from './_helpers/skip.js';
import { assertClose } from './_helpers/allclose.js';
import { gradcheck, gradOn, weights, uniform, reseed, input } from './_helpers/gradcheck.js';
import { oracle, GATES, type Kind } from './_helpers/rnn-oracle.js';
import { seqCase, seqGradCases } from './_helpers/rnn-cases.js';
import {
  RNNCell, LSTMCell, GRUCell, GRUv3Cell, RNN, LSTM, GRU, GRUv3, initialstates, Chain, Dense, namedTensors, params,
  tensor, zeros, ones, rand, withPolicy, gradient, memory, trace, scope, sum, relu, tanh, sigmoid, leakyrelu, gelu, elu,
  identity, kaiming_uniform, Tensor, mul, add, mse, Adam, trainStep, seed, matmul, reshape,
} from '../src/index.js';
import { KERNELS, type KernelName } from '../src/backends/kernels.js';
import { runtime } from '../src/runtime.js';
import { Unary } from '../src/ops/codes.js';
import { ref, unaryRef } from '../src/backends/ref.js';
import type { Backend } from '../src/backends/backend.js';

// ---- kernels against the reference --------------------------------------------------------------
// rnnStep and rnnStepGrad, per kind: 0 RNN, 1 LSTM, 2 GRU, 3 and 4 GRUv3's two halves.
const STEP_KERNELS = ['rnnStep', 'rnnStepGrad'] as const satisfies readonly KernelName[];
type Step = (typeof STEP_KERNELS)[number];
const KINDS = [0, 1, 2, 3, 4];
/**
 * Each buffer's size per kind: s(q) = a [q·hid, ld] sequence buffer, t(q) = a [q·hid, b] state
 * buffer. A buffer a kind does not name gets t(1) too, so a write to it shows against the reference.
 */
const SIZES: Record<Step, Record<string, [kind: 's' | 't' | 'bias', q: number]>[]> = {
  rnnStep: [
    { g: ['s', 1], z: ['t', 1], bias: ['bias', 1], h: ['t', 1], y: ['s', 1], hp: ['s', 1] },
    { g: ['s', 4], z: ['t', 4], bias: ['bias', 4], h: ['t', 1], c: ['t', 1], y: ['s', 1], hp: ['s', 1], cp: ['s', 1] },
    { g: ['s', 3], z: ['t', 3], bias: ['bias', 3], h: ['t', 1], y: ['s', 1], hp: ['s', 1], cp: ['s', 1] },
    { g: ['s', 3], z: ['t', 2], bias: ['bias', 3], h: ['t', 1], c: ['t', 1], y: ['s', 1], hp: ['s', 1], cp: ['s', 1] },
    { g: ['s', 3], z: ['t', 1], bias: ['bias', 3], h: ['t', 1], y: ['s', 1], hp: ['s', 1] },
  ],
  rnnStepGrad: [
    { g: ['s', 1], s: ['s', 1], dy: ['s', 1], dh: ['t', 1], dz: ['t', 1] },
    { g: ['s', 4], s: ['s', 1], e: ['t', 1], dy: ['s', 1], dh: ['t', 1], dz: ['t', 4] },
    { g: ['s', 3], s: ['s', 1], e: ['s', 1], dy: ['s', 1], dh: ['t', 1], dz: ['t', 3] },
    { g: ['s', 3], s: ['s', 1], e: ['t', 1], dy: ['s', 1], dh: ['t', 1], dz: ['t', 2] },
    { g: ['s', 3], s: ['s', 1], dy: ['s', 1], dh: ['t', 1], dz: ['t', 1] },
  ],
};
/** [hid, b, len, t]: b below, at and past the SIMD width, 1, primes; the first and the last step. */
const GEOMS: [number, number, number, number][] = [[1, 1, 1, 0], [3, 5, 3, 2], [5, 4, 2, 0], [2, 7, 3, 1], [7, 3, 1, 0], [4, 9, 2, 1], [17, 17, 2, 1], [6, 1, 3, 2], [8, 2, 1, 0], [5, 8, 2, 1]];
const ACTS: [string, number, number][] = [['tanh', Unary.tanh, 0], ['relu', Unary.relu, 0], ['sigmoid', Unary.sigmoid, 0],
  ['leakyrelu 0.2', Unary.leakyrelu, 0.2], ['gelu', Unary.gelu, 0], ['identity', Unary.identity, 0], ['elu', Unary.elu, 1]];

/**
 * Runs kernel `name` on `be` and on the reference with the same f32-exact random buffers (outputs
 * start random too, so an element a step must not touch shows) and compares every buffer it may write.
 */
async function kernelCase(be: Backend, name: Step, stepKind: number, [hid, b, len, t]: number[], act: [string, number, number] | null) {
  const ld = len * b, args = KERNELS[name].args;
  const size = ([k, q]: [string, number]) => (k === 's' ? q * hid * ld : k === 't' ? q * hid * b : q * hid);
  const data = args.map(([arg, kind]) => (kind === 'in' || kind === 'out' || kind === 'inout' ? uniform(size(SIZES[name][stepKind][arg] ?? ['t', 1])) : null));
  const scalars: Record<string, number> = { hid, b, ld, off: t * b, kind: stepKind, act: act?.[1] ?? 0, alpha: act?.[2] ?? 0 };
  // the RNN's y (rnnStepGrad's s) is f(g), as the forward leaves them (some derivatives are read off y)
  if (name === 'rnnStepGrad' && stepKind === 0) data[1] = data[0]!.map((v) => Math.fround(unaryRef(scalars.act, v, scalars.alpha, Infinity)));
  const call = (dev: Backend, bufs: unknown[]) =>
    (dev as unknown as Record<string, (...a: unknown[]) => void>)[name](...args.map(([arg], i) => bufs[i] ?? scalars[arg]));
  const want = data.map((d) => (d ? Float64Array.from(d) : null));
  call(ref, want);
  const bufs = data.map((d) => { if (!d) return null; const p = be.alloc(d.length); be.write(p, d); return p; });
  call(be, bufs);
  const label = `${name} kind ${stepKind}${act ? ` ${act[0]}` : ''} hid ${hid} b ${b} len ${len} t ${t}`;
  for (let i = 0; i < args.length; i++) {
    const [arg, kind] = args[i];
    if (kind === 'out' || kind === 'inout') assertClose(await be.read(bufs[i], want[i]!.length), want[i]!, { rtol: 2e-5, atol: 2e-6 }, `${label}: ${arg}`);
  }
  bufs.forEach((p, i) => { if (p !== null) be.free(p, data[i]!.length); });
}

function kernelTests(t: ReturnType<typeof suite>, be: () => Backend) {
  for (const name of STEP_KERNELS) for (const kind of KINDS) {
    t(`${name} kind ${kind} vs the reference at awkward sizes`, async () => {
      reseed(name.length * 7 + 3 + kind);
      for (const g of GEOMS) {
        if (kind === 0) for (const a of ACTS) await kernelCase(be(), name, kind, g, a);
        else await kernelCase(be(), name, kind, g, null);
      }
    });
  }
}
const KW = suite('recurrent step kernels [wasm]');
kernelTests(KW, () => runtime.cpu!);
KW.run();
const KG = suite('recurrent step kernels [webgpu]');
if (runtime.gpu) kernelTests(KG, () => runtime.gpu!);
else testNeedingGpu(KG, 'recurrent step kernels on webgpu', `no adapter: ${gpuMissing}`, () => {});
KG.run();

// ---- layers against the Flux transcription, on every device ------------------------------------
interface FwdCase { kind: Kind; inp: number; H: number; len: number; B: number; shared?: boolean; σ?: (x: Tensor) => Tensor; act?: [number, number]; bias?: boolean }
const FWD: FwdCase[] = [
  ...(['rnn', 'lstm', 'gru', 'gruv3'] as Kind[]).flatMap((kind) => [
    { kind, inp: 3, H: 5, len: 7, B: 2 }, { kind, inp: 1, H: 1, len: 1, B: 1 }, { kind, inp: 4, H: 3, len: 5, B: 0 },
    { kind, inp: 5, H: 6, len: 3, B: 9, shared: true }, { kind, inp: 2, H: 17, len: 2, B: 5, bias: false },
  ]),
  { kind: 'rnn', inp: 3, H: 4, len: 4, B: 3, σ: relu, act: [Unary.relu, 0] },
  { kind: 'rnn', inp: 3, H: 4, len: 4, B: 3, σ: sigmoid, act: [Unary.sigmoid, 0] },
  { kind: 'rnn', inp: 3, H: 4, len: 4, B: 3, σ: leakyrelu, act: [Unary.leakyrelu, 0.01] },
  { kind: 'rnn', inp: 3, H: 4, len: 4, B: 3, σ: elu, act: [Unary.elu, 1] },
  { kind: 'rnn', inp: 3, H: 4, len: 4, B: 3, σ: gelu, act: [Unary.gelu, 0] },
  { kind: 'rnn', inp: 3, H: 4, len: 4, B: 3, σ: identity, act: [Unary.identity, 0] },
];
const LAYER = { rnn: RNN, lstm: LSTM, gru: GRU, gruv3: GRUv3 } as const;

forEachBackend('recurrent layers vs the Flux transcription', (it, dev) => {
  it('RNN, LSTM, GRU, GRUv3: output and final state (return_state), batched, unbatched, shared h0, no bias', async () => {
    reseed(41);
    for (const c of FWD) {
      const G = GATES[c.kind] * c.H, Bn = c.B || 1, sshape = c.B && !c.shared ? [c.H, c.B] : [c.H];
      const d = {
        x: uniform(c.inp * c.len * Bn), Wi: uniform(G * c.inp, -0.8, 0.8), Wh: uniform(G * c.H, -0.8, 0.8), b: c.bias === false ? null : uniform(G, -0.5, 0.5),
        h0: uniform(sshape[0] * (sshape[1] ?? 1)), c0: uniform(sshape[0] * (sshape[1] ?? 1)), Whh: uniform(c.H * c.H, -0.8, 0.8),
      };
      const want = oracle({ kind: c.kind, inp: c.inp, H: c.H, len: c.len, B: Bn, x: d.x, Wi: d.Wi, Wh: d.Wh, b: d.b, h0: d.h0, c0: d.c0, Whh: d.Whh, act: c.act?.[0], alpha: c.act?.[1] });
      const label = `${dev.name} ${c.kind} in ${c.inp} H ${c.H} len ${c.len} B ${c.B}${c.shared ? ' shared' : ''}${c.σ ? ` ${c.act![0]}` : ''}`;
      const got = await scope(async () => {
        const [y, s] = dev.run(() => {
          const opts = { return_state: true as const, bias: c.bias ?? true };
          const m = (c.kind === 'rnn' ? RNN(c.inp, c.H, c.σ ?? tanh, opts) : (LAYER[c.kind] as typeof LSTM)(c.inp, c.H, opts)) as any;
          const cell = m.cell;
          cell.Wi = tensor(d.Wi, [G, c.inp]); cell.Wh = tensor(d.Wh, [G, c.H]);
          if (d.b) cell[c.kind.startsWith('gru') ? 'b' : 'bias'] = tensor(d.b, [G]);
          if (c.kind === 'gruv3') cell['Wh_h̃'] = tensor(d.Whh, [c.H, c.H]);
          const x = tensor(d.x, c.B ? [c.inp, c.len, c.B] : [c.inp, c.len]);
          const h0 = tensor(d.h0, sshape), c0 = tensor(d.c0, sshape);
          return m(x, c.kind === 'lstm' ? [h0, c0] : h0) as [Tensor, Tensor | [Tensor, Tensor]];
        });
        assert.equal(y.shape, c.B ? [c.H, c.len, c.B] : [c.H, c.len], `${label}: output shape`);
        assert.is(y.device, dev.name, `${label}: ran on ${y.device}`);
        const [h, cT] = Array.isArray(s) ? s : [s, null];
        assert.equal(h.shape, c.B ? [c.H, c.B] : [c.H], `${label}: state shape`);
        return { y: await y.data64(), h: await h.data64(), c: cT ? await cT.data64() : null };
      });
      // a few f32 roundings per step, compounded over the steps through the recurrence
      const tol = dev.name === 'ref' ? { rtol: 1e-12, atol: 1e-12, f32: false } : { rtol: 1e-5, atol: 2e-6 * c.len * Math.max(c.H, c.inp) };
      assertClose(got.y, want.y, tol, `${label}: y`);
      assertClose(got.h, want.h, tol, `${label}: hT`);
      if (got.c) assertClose(got.c, want.c, tol, `${label}: cT`);
    }
  });

  it('cells: one step equals the oracle\'s first step; LSTMCell returns [h, [h, c]]; x [in] and [in, B]', async () => {
    reseed(43);
    for (const kind of ['rnn', 'lstm', 'gru', 'gruv3'] as Kind[]) for (const B of [0, 1, 6]) {
      const inp = 3, H = 5, G = GATES[kind] * H, Bn = B || 1;
      const d = { x: uniform(inp * Bn), Wi: uniform(G * inp), Wh: uniform(G * H), b: uniform(G), h0: uniform(H * Bn), c0: uniform(H * Bn), Whh: uniform(H * H) };
      const want = oracle({ kind, inp, H, len: 1, B: Bn, ...d });
      const got = await scope(async () => {
        const r = dev.run(() => {
          const CELLS = { rnn: RNNCell, lstm: LSTMCell, gru: GRUCell, gruv3: GRUv3Cell } as const;
          const cell = (CELLS[kind] as typeof LSTMCell)(inp, H) as any;
          cell.Wi = tensor(d.Wi, [G, inp]); cell.Wh = tensor(d.Wh, [G, H]); cell[kind.startsWith('gru') ? 'b' : 'bias'] = tensor(d.b, [G]);
          if (kind === 'gruv3') cell['Wh_h̃'] = tensor(d.Whh, [H, H]);
          const sh = B ? [H, B] : [H], x = tensor(d.x, B ? [inp, B] : [inp]);
          return cell(x, kind === 'lstm' ? [tensor(d.h0, sh), tensor(d.c0, sh)] : tensor(d.h0, sh));
        });
        const [y, s] = r;
        const shape = B ? [H, B] : [H];
        assert.equal(y.shape, shape);
        if (kind === 'lstm') { assert.ok(Array.isArray(s) && s[0] === y, 'LSTMCell: [h, [h, c]]'); assert.equal(s[1].shape, shape); }
        else assert.is(s, y, `${kind} cell: [h, h]`);
        return { y: await y.data64(), c: kind === 'lstm' ? await s[1].data64() : null };
      });
      const tol = dev.name === 'ref' ? { rtol: 1e-12, atol: 1e-12, f32: false } : { rtol: 1e-5, atol: 1e-5 };
      assertClose(got.y, want.y, tol, `${dev.name} ${kind} cell B ${B}: h′`);
      if (got.c) assertClose(got.c, want.c, tol, `${dev.name} ${kind} cell B ${B}: c′`);
    }
  });
});

// ---- gradients -------------------------------------------------------------------------------
const GR = suite('recurrent gradients vs finite differences (f64, ref)');
GR('every input of every layer: x, Wi, Wh, bias, h0 / c0, Wh_h̃, through the output and the final state', async () => {
  reseed(7);
  const failures: string[] = [];
  for (const c of seqGradCases()) {
    try { await gradcheck(c.f, c.inputs, { label: c.label }); } catch (e) { failures.push((e as Error).message); }
  }
  if (failures.length) assert.unreachable(`${failures.length} cases fail:\n${failures.join('\n')}`);
});
GR('RNN with other activations (relu, sigmoid, leakyrelu, gelu) and a longer sequence', async () => {
  reseed(8);
  for (const σ of [relu, sigmoid, leakyrelu, gelu] as ((x: Tensor) => Tensor)[]) {
    const c = seqCase('rnn', { inp: 3, H: 3, len: 6, B: 2, σ });
    await gradcheck(c.f, c.inputs, { label: c.label });
  }
  const long = seqCase('lstm', { inp: 2, H: 3, len: 13, B: 2, state: true });
  await gradcheck(long.f, long.inputs, { label: long.label });
});
GR('cells stepped by hand: the gradient flows through h and the LSTM\'s c from step to step', async () => {
  reseed(9);
  for (const kind of ['rnn', 'lstm', 'gru', 'gruv3'] as Kind[]) {
    const CELLS = { rnn: RNNCell, lstm: LSTMCell, gru: GRUCell, gruv3: GRUv3Cell } as const;
    const cell = withPolicy('ref', () => (CELLS[kind] as typeof LSTMCell)(2, 3)) as any;
    const G = GATES[kind] * 3;
    const f = (x: Tensor, Wi: Tensor, Wh: Tensor, h0: Tensor, c0: Tensor) => {
      Object.assign(cell, { Wi, Wh });
      let s: any = kind === 'lstm' ? [h0, c0] : h0, y: Tensor = h0;
      for (let t = 0; t < 3; t++) [y, s] = cell(stepOf(x, t), s);
      return kind === 'lstm' ? add(mul(y, y), s[1]) : mul(y, y);
    };
    await gradcheck(f, [input([2, 3, 2]), input([G, 2]), input([G, 3]), input([3, 2]), input([3, 2])], { label: `${kind} cell ×3` });
  }
});
/** Step t of x [in, len, B] as [in, B], through ops (so the gradient reaches x). */
function stepOf(x: Tensor, t: number): Tensor {
  const [inp, len, B] = x.shape, sel = new Float64Array(len); sel[t] = 1;
  // Σ_l x[:, l, :]·sel[l]: a reduction over len of x .* onehot
  return sum(mul(x, tensor(sel, [1, len, 1])), 1).view([inp, B]);
}
GR.run();

forEachBackend('recurrent gradients on the device vs the reference', (it, dev) => {
  it('the same gradients in f32 as the reference computes in f64', async () => {
    reseed(11);
    const cases = [...seqGradCases(), seqCase('lstm', { inp: 9, H: 17, len: 6, B: 5, state: true }), seqCase('gru', { inp: 5, H: 7, len: 9, B: 3 })];
    for (const c of cases) {
      const w = weights(c.f, c.inputs);
      const want = await gradOn(refDevice(), c.f, c.inputs, w), got = await gradOn(dev, c.f, c.inputs, w);
      want.forEach((g, k) => assertClose(got[k], g, { rtol: 1e-3, atol: 1e-4 }, `${dev.name} ${c.label}: gradient of input ${k}`));
    }
  });
}, { ref: false });

// ---- the API: Flux's names, shapes, options -------------------------------------------------------
const API = suite('recurrent layers: names, shapes, options');
API('parameters carry Flux 0.16\'s names and shapes (namedTensors), gates stacked per Flux', () => {
  const names = (m: unknown) => namedTensors(m).map(([k, t]) => `${k} [${t.shape.join(',')}]`);
  assert.equal(names(RNN(3, 5)), ['cell.Wi [5,3]', 'cell.Wh [5,5]', 'cell.bias [5]']);
  assert.equal(names(LSTM(3, 5)), ['cell.Wi [20,3]', 'cell.Wh [20,5]', 'cell.bias [20]']);
  assert.equal(names(GRU(3, 5)), ['cell.Wi [15,3]', 'cell.Wh [15,5]', 'cell.b [15]']);
  assert.equal(names(GRUv3(3, 5)), ['cell.Wi [15,3]', 'cell.Wh [15,5]', 'cell.b [15]', 'cell.Wh_h̃ [5,5]']);
  assert.equal(names(LSTMCell([3, 5])), ['Wi [20,3]', 'Wh [20,5]', 'bias [20]']);
  assert.equal(names(Chain(LSTM([3, 5]), Dense(5, 2))).slice(0, 3), ['layers.0.cell.Wi [20,3]', 'layers.0.cell.Wh [20,5]', 'layers.0.cell.bias [20]']);
  const g = GRUCell(2, 4);
  assert.is(g.bias, g.b, 'GRUCell: bias is an alias of Flux\'s b');
  assert.is(params(LSTM(3, 5)).length, 3);
  assert.is(String(LSTM(3, 5)), 'LSTM(3 => 5)');
  assert.is(String(GRUv3Cell(3, 5)), 'GRUv3Cell(3 => 5)');
});
API('initialisers are Flux\'s (glorot_uniform bounds, zero bias) and the options reach them', async () => {
  const m = LSTM(30, 50);
  const bound = Math.sqrt(6 / (30 + 200)), wi = await m.cell.Wi.data();
  assert.ok(wi.every((v) => Math.abs(v) <= bound) && wi.some((v) => Math.abs(v) > 0.9 * bound), 'Wi ~ U(±√(6/(fan_in+fan_out)))');
  assert.ok((await (m.cell.bias as Tensor).data()).every((v) => v === 0));
  const seen: number[][] = [];
  const init = (...d: number[]) => { seen.push(d); return ones(...d); };
  const g = GRUv3(4, 6, { init_kernel: init, init_recurrent_kernel: init, bias: false });
  assert.equal(seen, [[18, 4], [18, 6], [6, 6]]);
  assert.is(g.cell.b, false);
  assert.equal(namedTensors(g).map(([k]) => k), ['cell.Wi', 'cell.Wh', 'cell.Wh_h̃']);
  const k = RNN([3, 4], relu, { init_kernel: kaiming_uniform, bias: [1, 2, 3, 4] });
  assert.equal([...await (k.cell.bias as Tensor).data()], [1, 2, 3, 4]);
  assert.is(k.cell.σ, relu);
  assert.is(RNN(3, 4, { return_state: true }).cell.σ, tanh, 'RNN(in, out, options): σ defaults to tanh');
});
API('sequence layers: optional state, return_state, RNN(cell), initialstates, in a Chain, under gradient', async () => {
  const x = rand(3, 6, 2);
  const m = LSTM(3, 4, { return_state: true });
  const [y, [h, c]] = m(x);
  assert.equal([y.shape, h.shape, c.shape], [[4, 6, 2], [4, 2], [4, 2]]);
  // the final h is the output's last step
  const yv = await y.data(), hv = await h.data();
  for (let r = 0; r < 4; r++) for (let j = 0; j < 2; j++) assert.is(hv[r * 2 + j], yv[(r * 6 + 5) * 2 + j]);
  // the state carries over: two halves give what the whole sequence gives
  const whole = LSTM(m.cell);
  const x1 = tensor((await x.data()).filter((_, i) => Math.floor(i / 2) % 6 < 3), [3, 3, 2]);
  const x2 = tensor((await x.data()).filter((_, i) => Math.floor(i / 2) % 6 >= 3), [3, 3, 2]);
  const [, s1] = m(x1), [y2] = m(x2, s1);
  assertClose(await y2.data(), (await whole(x).data()).filter((_, i) => Math.floor(i / 2) % 6 >= 3), { rtol: 1e-6, atol: 1e-7 }, 'two halves');
  const [h0, c0] = initialstates(m) as [Tensor, Tensor];
  assert.equal([h0.shape, [...await c0.data()]], [[4], [0, 0, 0, 0]]);
  assert.equal((initialstates(GRU(2, 3)) as Tensor).shape, [3]);
  assert.equal((initialstates(RNNCell(2, 3)) as Tensor).shape, [3]);
  const net = Chain(GRU(3, 8), Dense(8, 2));
  assert.equal(net(x).shape, [2, 6, 2]);
  const gs = gradient(() => sum(net(x)), params(net));
  assert.is(gs.tensors().length, 5);
  for (const p of params(net)) assert.equal(gs.get(p)!.shape, p.shape);
  // any activation one step at a time in the cell; the sequence layer names the ones it fuses
  const sq = (t: Tensor) => mul(t, t);
  const cell = RNNCell(3, 4, sq, { bias: [0.1, -0.2, 0.3, 0.5] }), xc = rand(3, 2), hp = rand(4, 2), [hc, hn] = cell(xc, hp);
  assert.equal(hc.shape, [4, 2]);
  assert.is(hn, hc);
  // Flux's σ.(Wi·x .+ Wh·h .+ b), and its gradient, from the ops
  const flux = () => sq(add(add(matmul(cell.Wi, xc), matmul(cell.Wh, hp)), reshape(cell.bias as Tensor, [4, 1])));
  assertClose(await hc.data(), await flux().data(), { rtol: 1e-6, atol: 1e-7 }, 'RNNCell(sq)');
  const ps = params(cell), g1 = gradient(() => sum(cell(xc, hp)[0]), ps), g2 = gradient(() => sum(flux()), ps);
  for (const q of ps) assertClose(await g1.get(q)!.data(), await g2.get(q)!.data(), { rtol: 1e-5, atol: 1e-6 }, 'RNNCell(sq) gradient');
  assert.equal(cell(rand(3))[0].shape, [4]);
  assert.throws(() => RNN(cell), /RNN\(3 => 4\): σ must be one of fluxion's activations/);
});

API('errors name the layer, the argument and the shapes', () => {
  const m = LSTM(3, 5);
  assert.throws(() => m(rand(10, 3)), /LSTM\(3 => 5\): input has shape \[10, 3\], expected \[3, len\] or \[3, len, batch\] \(a sequence given as \[len, in\]\? permutedims it\)/);
  assert.throws(() => m(rand(3)), /LSTM\(3 => 5\): input has shape \[3\], expected \[3, len\] or \[3, len, batch\] \(one time step is the cell's job\)/);
  assert.throws(() => m(rand(3, 0, 2)), /LSTM\(3 => 5\): input has shape \[3, 0, 2\], expected \[3, len\]/);
  assert.throws(() => m(rand(3, 4, 2), [zeros(5, 3), zeros(5)]), /LSTM\(3 => 5\): initial state h has shape \[5, 3\], expected \[5\] or \[5, 2\]/);
  assert.throws(() => m(rand(3, 4, 2), [zeros(5), zeros(4)]), /LSTM\(3 => 5\): initial state c has shape \[4\]/);
  assert.throws(() => m(rand(3, 4), zeros(5) as never), /LSTM\(3 => 5\): the state must be \[h, c\]/);
  assert.throws(() => GRU(3, 5)(rand(3, 4), zeros(4)), /GRU\(3 => 5\): initial state h has shape \[4\]/);
  assert.throws(() => GRUCell(3, 5)(rand(4, 2)), /GRUCell\(3 => 5\): input has shape \[4, 2\], expected \[3\] or \[3, batch\]/);
  assert.throws(() => LSTM(0, 5), /LSTM\(0 => 5\): in and out must be positive integers/);
  assert.throws(() => GRUv3([3, 5, 2] as never), /GRUv3: expected \[in, out\], got \[3, 5, 2\]/);
  assert.throws(() => LSTM(3, 5, relu as never), /LSTM\(3 => 5\): options must be an object/);
  assert.throws(() => LSTM(3, 5, { init: 1 } as never), /LSTM\(3 => 5\): unknown option init/);
  assert.throws(() => LSTM(3, 5, { bias: [1, 2] }), /LSTM\(3 => 5\): bias has shape \[2\], expected \[20\]/);
  assert.throws(() => LSTM(3, 5, { init_kernel: () => zeros(2) }), /LSTM\(3 => 5\): init_kernel returned a tensor of shape \[2\], expected shape \[20, 3\]/);
  assert.throws(() => LSTM(GRUCell(3, 5) as never), /LSTM: expected \(in, out, \.\.\.\), \(\[in, out\], \.\.\.\) or a LSTMCell/);
  assert.throws(() => RNN(3, 5, 'tanh' as never), /RNN\(3 => 5\): σ must be a function/);
  const bad = LSTM(3, 5); bad.cell.Wh = zeros(20, 4);
  assert.throws(() => bad(rand(3, 2)), /LSTM\(3 => 4\): Wi has shape \[20, 3\], expected \[16, 3\]/);
});
API.run();

// ---- leanness: one op per sequence, a fixed number of dispatches per step, nothing left over -----
const LEAN = suite('recurrent layers: dispatches and memory');
LEAN('trace: forward and backward of an LSTM are one op each, whatever the length', () => {
  for (const len of [4, 32]) {
    const m = LSTM(8, 16), x = rand(8, len, 4), ps = params(m);
    const t = trace(() => gradient(() => sum(m(x)), ps));
    const ops = t.records.map((r) => r.op);
    assert.equal(ops.filter((o) => o === 'rnnSeq').length, 2, `len ${len}: ${ops.join(', ')}`);
    assert.ok(ops.length <= 8, `len ${len}: ${ops.length} ops: ${ops.join(', ')}`);
    t.result.dispose();
  }
});
LEAN('memory: a gradient through each layer leaves nothing behind but its gradients', () => {
  for (const make of [() => RNN(4, 6), () => LSTM(4, 6, { return_state: true }), () => GRU(4, 6), () => GRUv3(4, 6)]) {
    const m = make() as any, x = rand(4, 5, 3).keep(), ps = params(m);
    const f = () => { const r = m(x); return sum(Array.isArray(r) ? add(sum(r[0]), sum(r[1][1] ?? r[1])) : r); };
    gradient(f, ps).dispose();
    const before = memory();
    const gs = gradient(f, ps);
    assert.is(memory().tensors, before.tensors + gs.tensors().length, String(m));
    gs.dispose();
    const after = memory();
    assert.is(after.tensors, before.tensors, String(m));
    assert.is(after.cpu.bytes, before.cpu.bytes, String(m));
    scope(() => { m(x); });
    assert.is(memory().tensors, before.tensors, `${m}: inference`);
    x.dispose();
  }
});
LEAN('training: GRU + Dense learns to echo the previous step\'s input with trainStep and Adam; memory stays flat', () => {
  seed(5);
  const m = Chain(GRU(3, 16), Dense(16, 3)), ps = params(m), opt = Adam(0.01);
  // y_t = x_{t-1} (zero at t = 0): needs the state
  const xv = rand(3, 8, 16).dataSync().map((v) => v - 0.5), yv = new Float32Array(xv.length);   // seeded
  for (let i = 0; i < 3; i++) for (let t = 1; t < 8; t++) for (let j = 0; j < 16; j++) yv[(i * 8 + t) * 16 + j] = xv[(i * 8 + t - 1) * 16 + j];
  const x = tensor(xv, [3, 8, 16]).keep(), y = tensor(yv, [3, 8, 16]).keep();
  const loss = (a: Tensor, b: Tensor) => mse(m(a), b);
  const first = trainStep(loss, ps, [x, y], opt).dataSync()[0];
  let tensors = 0, last = first;
  for (let s = 1; s <= 300; s++) {
    last = trainStep(loss, ps, [x, y], opt).dataSync()[0];
    if (s === 100) tensors = memory().tensors;
  }
  assert.is(memory().tensors, tensors, 'tensors after 100 and 300 steps');
  assert.ok(last < first / 10, `loss ${first} → ${last}`);
  x.dispose(); y.dispose();
});
const gpuBe = runtime.gpu as (Backend & { dispatches: number }) | null;
testNeedingGpu(LEAN, 'webgpu: 2 dispatches a step forward and 2 backward for the LSTM (3 and 4 more per sequence)', gpuBe ? null : `no adapter: ${gpuMissing}`, async () => {
  const counts: number[][] = [];
  for (const len of [3, 9]) {
    await withPolicy('gpu', async () => {
      const m = LSTM(5, 7), x = rand(5, len, 2), ps = params(m);
      const d0 = gpuBe!.dispatches;
      const y = m(x);
      const d1 = gpuBe!.dispatches;
      const gs = gradient(() => sum(m(x)), ps);
      const d2 = gpuBe!.dispatches;
      counts.push([d1 - d0, d2 - d1]);
      await gs.tensors()[0].data();
      gs.dispose(); y.dispose();
    });
  }
  // the per-step cost is the difference between the two lengths over their 6 extra steps
  assert.is((counts[1][0] - counts[0][0]) / 6, 2, `forward dispatches ${counts}`);
  assert.ok((counts[1][1] - counts[0][1]) / 6 <= 4, `forward + backward dispatches ${counts}`);
});
LEAN.run();
