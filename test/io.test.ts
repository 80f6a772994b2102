// Saving and loading (src/io.ts): the safetensors container byte for byte, names of a model's
// tensors, save → load → continue giving bit-identical losses to an uninterrupted run on the CPU
// (Adam via setup, bound SGD/Momentum, an OptimiserChain with a schedule), and clear errors for
// files that do not match the model, with nothing changed by a failed load.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  init, withPolicy, seed, rand, tensor, memory, params, Chain, Dense, BatchNorm, sigmoid, softmax, relu, mse,
  Descent, SGD, Momentum, Adam, ClipNorm, ExpDecay, OptimiserChain, setup, trainStep, Tensor,
  saveModel, loadModel, namedTensors, encodeSafetensors, decodeSafetensors,
  type Rule, type StatefulOptimiser,
} from '../src/index.ts';

await init({ gpu: false });

test('encodeSafetensors: 8-byte LE header length, JSON header padded to 8, packed LE f32 data', () => {
  const w = new Float32Array([1, -2.5, 3, 4e-8, Math.PI, -0]);
  const b = new Float32Array([0.1]);
  const bytes = encodeSafetensors([['w', { shape: [2, 3], data: w }], ['b', { shape: [1], data: b }]], { note: 'hi' });
  const dv = new DataView(bytes.buffer);
  const n = Number(dv.getBigUint64(0, true));
  assert.is(n % 8, 0, 'header padded to a multiple of 8');
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  assert.equal(header.__metadata__, { note: 'hi' });
  assert.equal(header.w, { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] });
  assert.equal(header.b, { dtype: 'F32', shape: [1], data_offsets: [24, 28] });
  assert.is(bytes.length, 8 + n + 28);
  for (let i = 0; i < 6; i++) assert.is(Object.is(dv.getFloat32(8 + n + 4 * i, true), w[i]), true, `w[${i}] little-endian`);
  const back = decodeSafetensors(bytes);
  assert.equal([...back.tensors.keys()], ['w', 'b']);
  assert.equal(Array.from(back.tensors.get('w')!.data), Array.from(w));
  assert.equal(back.metadata, { note: 'hi' });
});

test('decodeSafetensors: files as other writers make them (no padding, F64/F16/BF16, unaligned, scalars)', () => {
  // A header the way Python's safetensors may write it: unpadded, keys in any order.
  const header = JSON.stringify({ s: { dtype: 'F32', shape: [], data_offsets: [0, 4] }, d: { dtype: 'F64', shape: [2], data_offsets: [4, 20] },
    h: { dtype: 'F16', shape: [3], data_offsets: [20, 26] }, bf: { dtype: 'BF16', shape: [1], data_offsets: [26, 28] } });
  const hb = new TextEncoder().encode(header);
  const raw = new Uint8Array(1 + 8 + hb.length + 28);        // 1 leading byte: an unaligned view
  const bytes = raw.subarray(1);
  const dv = new DataView(bytes.buffer, bytes.byteOffset);
  dv.setBigUint64(0, BigInt(hb.length), true);
  bytes.set(hb, 8);
  const o = 8 + hb.length;
  dv.setFloat32(o, 7.5, true); dv.setFloat64(o + 4, 0.1, true); dv.setFloat64(o + 12, -3, true);
  dv.setUint16(o + 20, 0x3c00, true); dv.setUint16(o + 22, 0xc000, true); dv.setUint16(o + 24, 0x0001, true);   // 1, -2, 2^-24
  dv.setUint16(o + 26, 0x3fc0, true);                                                                          // bf16 1.5
  const f = decodeSafetensors(bytes);
  assert.equal(f.tensors.get('s'), { shape: [], data: new Float32Array([7.5]) });
  assert.equal(Array.from(f.tensors.get('d')!.data), [Math.fround(0.1), -3]);
  assert.equal(Array.from(f.tensors.get('h')!.data), [1, -2, 2 ** -24]);
  assert.equal(Array.from(f.tensors.get('bf')!.data), [1.5]);
  assert.throws(() => decodeSafetensors(new Uint8Array(5)), /not a safetensors file \(5 bytes/);
  assert.throws(() => decodeSafetensors(bytes.subarray(0, bytes.length - 1)), /byte range \[26, 28\]/);
  const i8 = encodeSafetensors({ x: { shape: [1], data: new Float32Array(1) } });
  const txt = new TextDecoder().decode(i8).replace('"F32"', '"I8" ');
  assert.throws(() => decodeSafetensors(new TextEncoder().encode(txt)), /x has dtype I8/);
});

test('namedTensors: property paths in params order, hidden running statistics after', () => {
  const m = Chain(Dense(3, 4, relu), BatchNorm(4), Dense(4, 2, identity2(), { bias: false }));
  const names = namedTensors(m).map(([k, t]) => `${k} [${t.shape}]`);
  assert.equal(names, ['layers.0.weight [4,3]', 'layers.0.bias [4]', 'layers.1.gamma [4]', 'layers.1.beta [4]',
    'layers.2.weight [2,4]', 'layers.1.mu [4]', 'layers.1.sigma2 [4]']);
  const ps = [...params(m)];
  assert.ok(namedTensors(m).slice(0, ps.length).every(([, t], i) => t === ps[i]), 'trainable first, in params order');
});
function identity2() { return (x: Tensor) => x; }

/** The seed model at a small size, with deterministic data: 12 batches of 8. */
function fixture(s: number) {
  seed(s);
  const m = Chain(Dense(20, 8, sigmoid), Dense(8, 4), softmax);
  return { m, loss: (x: Tensor, y: Tensor) => mse(m(x), y) };
}
seed(99);
const DATA = Array.from({ length: 12 }, () => [rand(20, 8).keep(), rand(4, 8).keep()] as [Tensor, Tensor]);

/** Runs `steps` trainStep calls from `from`, returning the losses. */
function run(f: ReturnType<typeof fixture>, opt: StatefulOptimiser | Rule, from: number, steps: number): number[] {
  const out: number[] = [];
  for (let i = from; i < from + steps; i++) {
    const l = trainStep(f.loss, params(f.m), DATA[i % DATA.length], opt);
    out.push(l.dataSync()[0]); l.dispose();
  }
  return out;
}
const bits = (xs: number[]) => xs.map((x) => new Uint32Array(new Float32Array([x]).buffer)[0]);

const CASES: [string, (m: unknown) => StatefulOptimiser][] = [
  ['setup(Adam(0.01), m)', (m) => setup(Adam(0.01), m)],
  ['SGD(params(m), 0.5) (seed form)', (m) => SGD(params(m), 0.5)],
  ['setup(Momentum(0.1), m)', (m) => setup(Momentum(0.1), m)],
  ['setup(OptimiserChain(ClipNorm(1), ExpDecay(0.2, 0.5, 3), Adam()), m)', (m) => setup(OptimiserChain(ClipNorm(1), ExpDecay(0.2, 0.5, 3), Adam()), m)],
];
for (const [name, make] of CASES) {
  test(`save → load → continue = uninterrupted, bit for bit: ${name}`, () => withPolicy('cpu', async () => {
    const N = 7, M = 9;
    const a = fixture(1), oa = make(a.m);
    const whole = run(a, oa, 0, N + M);

    const b = fixture(1), ob = make(b.m);
    const first = run(b, ob, 0, N);
    assert.equal(bits(first), bits(whole.slice(0, N)), 'same start');
    const bytes = await saveModel(b.m, ob);

    const c = fixture(2), oc = make(c.m);                      // different initial weights
    run(c, oc, 5, 2);                                            // and some state of its own, to be replaced
    const before = memory().tensors;
    const r = loadModel(c.m, bytes, oc);
    assert.ok(r.optimiser);
    assert.ok(memory().tensors <= before, 'replaced state is freed');
    const rest = run(c, oc, N, M);
    assert.equal(bits(rest), bits(whole.slice(N)), 'the continued run is bit-identical');
    // And the weights saved at the end agree byte for byte.
    assert.equal(Array.from(await saveModel(c.m, oc)), Array.from(await saveModel(a.m, oa)));
  }));
}

test('weights only: loading into a fresh model gives the same outputs; a model is its own file format', async () => {
  const a = fixture(3);
  run(a, Descent(1), 0, 5);
  const bytes = await saveModel(a.m, null, { epoch: '5' });
  const b = fixture(4);
  const r = loadModel(b.m, bytes);
  assert.equal(r.metadata.epoch, '5');
  assert.is(r.optimiser, false);
  const x = DATA[0][0];
  assert.equal(Array.from(b.m(x).dataSync()), Array.from(a.m(x).dataSync()));
  assert.equal(Array.from(await saveModel(b.m, null, { epoch: '5' })), Array.from(bytes));
});

test('a file that does not match the model: one error listing the differences, nothing changed', async () => {
  const a = fixture(5);
  const bytes = await saveModel(a.m, setup(Adam(), a.m));
  seed(6);
  const other = Chain(Dense(20, 16, sigmoid), Dense(16, 4), Dense(4, 4), softmax);
  const snap = [...params(other)].map((p) => Array.from(p.dataSync()));
  const err = (() => { try { loadModel(other, bytes); } catch (e) { return e as Error; } })();
  assert.instance(err, RangeError);
  assert.match(err!.message, 'loadModel: the file does not match the model (5 differences)');
  assert.match(err!.message, 'layers.0.weight has shape [16,20] in the model but [8,20] in the file');
  assert.match(err!.message, 'missing layers.2.weight [4,4]');
  assert.equal([...params(other)].map((p) => Array.from(p.dataSync())), snap, 'nothing was overwritten');

  const small = Chain(Dense(20, 8, sigmoid), softmax);
  assert.throws(() => loadModel(small, bytes), /unexpected layers\.1\.weight \[4,8\] \(not in the model\)/);

  const b = fixture(5);
  assert.throws(() => loadModel(b.m, bytes, setup(Descent(), b.m)), /holds state of an Adam optimiser, but the optimiser given is Descent/);
  const wOnly = await saveModel(a.m);
  assert.throws(() => loadModel(b.m, wOnly, setup(Adam(), b.m)), /the file holds no optimiser state/);
  assert.throws(() => loadModel(b.m, bytes, Adam() as never), /opt must be a bound optimiser .* or a setup\(rule, model\) state/);
  assert.throws(() => loadModel(b.m, new Uint8Array([1, 2, 3])), /not a safetensors file/);
  const rejected = await saveModel(b.m, Adam() as never).then(() => null, (e: Error) => e);
  assert.match(rejected?.message ?? '', /saveModel: opt must be/);
});

test('tensors from anywhere: a model of plain tensors, and loading keeps the parameter objects', async () => {
  const w = tensor([[1, 2], [3, 4]]).keep(), v = tensor([5, 6]).keep();
  const model = { w, nested: [v] };
  const bytes = await saveModel(model);
  assert.equal(namedTensors(model).map(([k]) => k), ['w', 'nested.0']);
  const w2 = tensor([[0, 0], [0, 0]]).keep(), v2 = tensor([0, 0]).keep();
  const m2 = { w: w2, nested: [v2] };
  loadModel(m2, bytes);
  assert.is(m2.w, w2);
  assert.equal(Array.from(w2.dataSync()), [1, 2, 3, 4]);
  assert.equal(Array.from(v2.dataSync()), [5, 6]);
});

test.run();
