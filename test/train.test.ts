// train and trainStep: the call forms, how items reach the loss, callbacks (every update, arrays,
// async), stop() and skip(), the non-finite check (before the update), trainStep's pre-update
// loss, train = a loop of trainStep bit-for-bit, async iterables, and flat memory.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  init, devices, withPolicy, seed, rand, tensor, memory, params, Chain, Dense, sigmoid, softmax, mse,
  Descent, SGD, Adam, setup, train, trainStep, stop, skip, repeated, zip, DataLoader, Tensor,
} from '../src/index.ts';
import { runtime } from '../src/runtime.ts';
import type { WebGPUBackend } from '../src/backends/webgpu.ts';
import { testNeedingGpu } from './_helpers/skip.ts';
import { settle } from './_helpers/gc.ts';

import { fixture, snap } from './_helpers/train.ts';

await init({ gpu: false });


test('v0.7 form: train(loss, params(m), data, rule) and with the model itself; the loss falls', async () => {
  const a = fixture(), b = fixture();
  const before = a.data.reduce((s, [x, y]) => s + a.loss(x, y).dataSync()[0], 0);
  const sum = await train(a.loss, a.ps, a.data, Descent(2));
  await train(b.loss, b.m, b.data, Descent(2));
  assert.equal(snap(a.m), snap(b.m), 'a model and params(model) train the same');
  assert.equal({ steps: sum.steps, skipped: sum.skipped, stopped: sum.stopped }, { steps: 6, skipped: 0, stopped: false });
  assert.ok(Number.isFinite(sum.loss));
  for (let e = 0; e < 20; e++) await train(a.loss, a.ps, a.data, Descent(2));
  const after = a.data.reduce((s, [x, y]) => s + a.loss(x, y).dataSync()[0], 0);
  assert.ok(after < before, `loss fell: ${before} -> ${after}`);
});

test('seed form: train(loss, data, SGD(params(m), η)) equals the v0.7 form with Descent(η)', async () => {
  const a = fixture(), b = fixture();
  await train(a.loss, zip(a.data.map((d) => d[0]), a.data.map((d) => d[1])), SGD(params(a.m), 0.5), {});
  await train(b.loss, b.ps, b.data, Descent(0.5));
  assert.equal(snap(a.m), snap(b.m));
});

test('current explicit form: train(loss, model, data, setup(rule, model)) gives the model first', async () => {
  const a = fixture(), b = fixture();
  const seen: unknown[] = [];
  await train((model: typeof a.m, x: Tensor, y: Tensor) => { seen.push(model); return mse(model(x), y); }, a.m, a.data, setup(Adam(0.01), a.m));
  await train(b.loss, b.ps, b.data, Adam(0.01));
  assert.ok(seen.length === 6 && seen.every((x) => x === a.m));
  assert.equal(snap(a.m), snap(b.m));
  const c = fixture();
  await train(c.loss, c.ps, c.data, setup(Adam(0.01), c.m));   // params(m) first: the loss gets no model
  assert.equal(snap(c.m), snap(b.m));
});

test('items: arrays are spread into the loss, anything else is one argument', async () => {
  const { ps, m } = fixture();
  const x = rand(4, 3).keep(), y = rand(2, 3).keep(), z = rand(2, 3).keep();
  const got: number[] = [];
  await train((...a: Tensor[]) => { got.push(a.length); return mse(m(a[0]), a[1] ?? 0); }, ps, [[x, y], [x, y, z], x], Descent(0.1));
  assert.equal(got, [2, 3, 1]);
  const one: unknown[] = [];
  await train((a: unknown) => { one.push(a); return mse(m(x), y); }, ps, [x, { x, y }], Descent(0.1));
  assert.ok(one[0] === x && (one[1] as { x: Tensor }).x === x, 'a tensor or an object is passed whole');
});

test('callbacks: called after every update, arrays in order, async ones awaited', async () => {
  const { loss, ps, data, m } = fixture();
  const w = (m.layers[0] as unknown as { weight: Tensor }).weight;
  let prev = Array.from(w.dataSync()), changed = 0, calls = 0;
  await train(loss, ps, data, Descent(1), {
    cb: () => { calls++; const now = Array.from(w.dataSync()); if (now.some((v, i) => v !== prev[i])) changed++; prev = now; },
  });
  assert.is(calls, 6);
  assert.is(changed, 6, 'each call sees a parameter updated since the previous one');
  const order: string[] = [];
  let pending = false;
  const slow = async () => { pending = true; await new Promise((r) => setTimeout(r, 2)); pending = false; order.push('async'); };
  const lossSeesNoPending = (x: Tensor, y: Tensor) => { assert.not.ok(pending, 'the async callback finished before the next step'); return loss(x, y); };
  const s = await train(lossSeesNoPending, ps, data.slice(0, 3), Descent(0.1), { cb: [() => order.push('a'), slow, () => order.push('c')] });
  assert.equal(order, ['a', 'async', 'c', 'a', 'async', 'c', 'a', 'async', 'c']);
  assert.is(s.steps, 3);
});

test('stop(): from a callback and from the loss, training ends cleanly', async () => {
  const a = fixture(), b = fixture();
  let n = 0;
  const s = await train(a.loss, a.ps, repeated(a.data[0]), Descent(0.5), { cb: () => { if (++n === 4) stop(); } });
  assert.equal([s.steps, s.stopped, n], [4, true, 4]);
  let k = 0;
  const s2 = await train((x: Tensor, y: Tensor) => { if (k++ === 2) stop(); return b.loss(x, y); }, b.ps, b.data, Descent(0.5));
  assert.equal([s2.steps, s2.stopped], [2, true]);
  const c = fixture();
  for (const it of c.data.slice(0, 2)) trainStep(c.loss, c.ps, it, Descent(0.5)).dispose();
  assert.equal(snap(b.m), snap(c.m), 'the stopped step made no update');
  assert.throws(() => stop(), /stop\(\) was called outside train/);
});

test('skip(): inside the loss, that item is not used for an update', async () => {
  const a = fixture(), b = fixture();
  let k = 0;
  const s = await train((x: Tensor, y: Tensor) => { if (k++ === 1) skip(); return a.loss(x, y); }, a.ps, a.data, Descent(0.5));
  assert.equal([s.steps, s.skipped, s.stopped], [5, 1, false]);
  await train(b.loss, b.ps, [b.data[0], ...b.data.slice(2)], Descent(0.5));
  assert.equal(snap(a.m), snap(b.m));
});

test('a non-finite loss throws naming the item (0-based) before its update; parameters untouched', async () => {
  const { loss, ps, data, m } = fixture();
  data[3] = [tensor(Float32Array.from({ length: 12 }, (_, i) => (i === 5 ? NaN : 0.5)), [4, 3]), data[3][1]];
  let last: number[][] = [];
  const err = await train(loss, ps, data, Adam(0.1), { cb: () => { last = snap(m); } }).then(() => null, (e: Error) => e);
  assert.ok(err instanceof Error);
  assert.is(err!.message, 'train: Loss is NaN on data item 3 (counting from 0), stopping training; ' +
    'argument 0 of the item (shape [4, 3]) holds NaN at index 5: the data has a non-finite value');
  assert.equal(snap(m), last, 'parameters as after item 2');
  const inf = (x: Tensor) => mse(m(x), 0).mul(Infinity);
  const e2 = await train(inf, ps, [rand(4, 1)], Descent(0.1)).then(() => null, (e: Error) => e);
  assert.match(e2!.message, /^train: Loss is Infinity on data item 0 \(counting from 0\), stopping training; the parameters and the item's tensors are all finite, so the loss computation made it/);
  assert.equal(snap(m), last);
});

test('a non-finite loss names the first non-finite parameter: by its path in the model, or its place in params', async () => {
  seed(3);
  const m = Chain(Dense(4, 5, sigmoid), Dense(rand(2, 5), tensor([0.5, NaN])), softmax);
  const x = rand(4, 3).keep(), y = rand(2, 3).keep();
  const msg = (p: Promise<unknown>) => p.then(() => '', (e: Error) => e.message);
  const want = 'holds NaN at index 1: an earlier update made it non-finite (try a smaller learning rate, or look for a gradient that overflowed)';
  assert.is(await msg(train((x: Tensor, y: Tensor) => mse(m(x), y), m, [[x, y]], Descent(0.1))),
    `train: Loss is NaN on data item 0 (counting from 0), stopping training; parameter layers.1.bias (shape [2]) ${want}`);
  assert.is(await msg(train((mm: typeof m, x: Tensor, y: Tensor) => mse(mm(x), y), m, [[x, y], [x, y]], setup(Adam(0.1), m), { epochs: 2 })),
    `train: Loss is NaN on data item 0 (counting from 0) of epoch 1, stopping training; parameter layers.1.bias (shape [2]) ${want}`);
  assert.is(await msg(train((x: Tensor, y: Tensor) => mse(m(x), y), params(m), [[x, y]], Descent(0.1))),
    `train: Loss is NaN on data item 0 (counting from 0), stopping training; parameter 3 of params (shape [2]) ${want}`);
  // both: the parameter first, then the input
  const bad = tensor(Float32Array.from({ length: 12 }, (_, i) => (i === 2 ? -Infinity : 0)), [4, 3]);
  assert.is(await msg(train((d: { x: Tensor; y: Tensor }) => mse(m(d.x), d.y), m, [{ x: bad, y }], Descent(0.1))),
    `train: Loss is NaN on data item 0 (counting from 0), stopping training; parameter layers.1.bias (shape [2]) ${want}; ` +
    "the item's x (shape [4, 3]) holds -Infinity at index 2: the data has a non-finite value");
});

test('train(loss, model, data, rule): a loss taking the model first gets it, as with setup(rule, model)', async () => {
  const a = fixture(), b = fixture(), c = fixture();
  const seen: unknown[] = [];
  const lossA = (mm: typeof a.m, x: Tensor, y: Tensor) => { seen.push(mm); return mse(mm(x), y); };
  const rule = Adam(0.01);
  await train(lossA, a.m, a.data, rule);
  await train(lossA, a.m, a.data, rule);                              // the rule's state carries over
  const st = setup(Adam(0.01), b.m);
  await train((mm: typeof b.m, x: Tensor, y: Tensor) => mse(mm(x), y), b.m, b.data, st);
  await train((mm: typeof b.m, x: Tensor, y: Tensor) => mse(mm(x), y), b.m, b.data, st);
  assert.ok(seen.length === 12 && seen.every((x) => x === a.m), 'the loss got the model every time');
  assert.equal(snap(a.m), snap(b.m), 'bit-for-bit the setup form');
  // a loss of the item only, with the model in place of params(m), stays the implicit form
  const r = Adam(0.01);
  await train(c.loss, c.m, c.data, r);
  await train(c.loss, c.m, c.data, r);
  assert.equal(snap(c.m), snap(b.m));
  // one-argument items: (m, d) gets the model, (d) does not
  const d = fixture(), e = fixture();
  const items = d.data.map(([x, y]) => ({ x, y }));
  await train((mm: typeof d.m, it: { x: Tensor; y: Tensor }) => mse(mm(it.x), it.y), d.m, items, Descent(0.5));
  await train((it: { x: Tensor; y: Tensor }) => mse(e.m(it.x), it.y), e.m, e.data.map(([x, y]) => ({ x, y })), Descent(0.5));
  assert.equal(snap(d.m), snap(e.m));
});

test('trainStep(loss, model, item, opt) gives the model first to a loss that takes it', () => {
  const a = fixture(), b = fixture();
  const [x, y] = a.data[0];
  const la = trainStep((mm: typeof a.m, x: Tensor, y: Tensor) => mse(mm(x), y), a.m, [x, y], Descent(0.5));
  const lb = trainStep(b.loss, b.ps, [b.data[0][0], b.data[0][1]], Descent(0.5));
  assert.is(la.dataSync()[0], lb.dataSync()[0]);
  assert.equal(snap(a.m), snap(b.m));
});

test('a loss that does not return a scalar tensor: the error says what to return', async () => {
  const { m, ps, data } = fixture();
  const msg = (p: Promise<unknown>) => p.then(() => '', (e: Error) => e.message);
  assert.is(await msg(train((x: Tensor, y: Tensor) => mse(m(x), y, { agg: 'none' }), ps, data, Descent(0.1))),
    "train: the loss returned a tensor of shape [2, 3]; it must be a scalar (one number): reduce it with mean(...) or sum(...) (a loss with agg: 'none' gives one value per element)");
  assert.match(await msg(train(((x: Tensor, y: Tensor) => mse(m(x), y).dataSync()[0]) as never, ps, data, Descent(0.1))),
    /^train: the loss returned the number [0-9.e-]+, not a tensor: return the tensor itself \(reading it with \.item\(\) or dataSync\(\) inside the loss cuts the gradient\)$/);
  assert.is(await msg(train(((x: Tensor, y: Tensor) => { mse(m(x), y); }) as never, ps, data, Descent(0.1))),
    'train: the loss returned undefined; it must return a scalar tensor (a braced arrow function needs `return`: (x, y) => { return mse(m(x), y); })');
  assert.is(await msg(train((async (x: Tensor, y: Tensor) => mse(m(x), y)) as never, ps, data, Descent(0.1))),
    'train: the loss returned a Promise; it must be synchronous (not async, no await inside)');
  assert.throws(() => trainStep((x: Tensor) => m(x), ps, data[0][0], Descent(0.1)), /^trainStep: the loss returned a tensor of shape \[2, 3\]; it must be a scalar/);
});

test('trainStep: returns the pre-update loss, updates once, and skips the update on a non-finite CPU loss', () => {
  const { loss, ps, data, m } = fixture();
  const [x, y] = data[0];
  const want = loss(x, y).dataSync()[0];
  const w0 = snap(m);
  const l = trainStep(loss, ps, [x, y], Descent(0.5));
  assert.ok(l instanceof Tensor && l.size === 1);
  assert.is(l.dataSync()[0], want);
  assert.not.equal(snap(m), w0);
  assert.ok(loss(x, y).dataSync()[0] < want);
  l.dispose();
  const w1 = snap(m);
  const bad = trainStep((x: Tensor) => mse(m(x), y).mul(NaN), ps, x, Descent(0.5));
  assert.ok(Number.isNaN(bad.dataSync()[0]));
  assert.equal(snap(m), w1, 'no update on NaN');
});

test('train equals a loop of trainStep bit-for-bit (Adam, DataLoader batches)', async () => {
  const a = fixture(1), b = fixture(1);
  const X = rand(4, 40).keep(), Y = rand(2, 40).keep();
  const optA = Adam(0.05), optB = Adam(0.05);
  for (let e = 0; e < 3; e++) await train(a.loss, a.ps, DataLoader([X, Y], { batchsize: 7 }), optA);
  for (let e = 0; e < 3; e++) for (const item of DataLoader([X, Y], { batchsize: 7 })) trainStep(b.loss, b.ps, item, optB).dispose();
  assert.equal(snap(a.m), snap(b.m));
});

test('async iterables are consumed with for await', async () => {
  const a = fixture(), b = fixture();
  async function* gen() { for (const d of a.data) { await new Promise((r) => setTimeout(r, 1)); yield d; } }
  const s = await train(a.loss, a.ps, gen(), Descent(0.5));
  assert.is(s.steps, 6);
  await train(b.loss, b.ps, b.data, Descent(0.5));
  assert.equal(snap(a.m), snap(b.m));
});

test('memory is flat: the same live tensors and CPU bytes after 50 and after 500 steps', async () => {
  const { loss, ps } = fixture();
  const X = rand(4, 50).keep(), Y = rand(2, 50).keep(), xt = rand(4, 9).keep(), yt = rand(2, 9).keep();
  const opt = Adam(0.01);
  let evals = 0;
  const cb = [() => { evals += loss(xt, yt).dataSync()[0] > 0 ? 1 : 0; }, async () => { await loss(xt, yt).item(); }];
  const epoch = () => train(loss, ps, DataLoader([X, Y], { batchsize: 5, shuffle: true }), opt, { cb });
  for (let e = 0; e < 5; e++) await epoch();                  // 50 steps: optimiser state exists now
  await settle();                                             // other tests' garbage: collected now, not mid-test
  const m50 = memory();
  for (let e = 0; e < 45; e++) await epoch();                 // 500 steps
  const m500 = memory();
  assert.is(evals, 500);
  assert.is(m500.tensors, m50.tensors, 'live tensors');
  assert.is(m500.cpu.bytes, m50.cpu.bytes, 'CPU bytes');
  for (let i = 0; i < 100; i++) trainStep(loss, ps, [X, Y], opt).dispose();
  assert.is(memory().tensors, m50.tensors, 'trainStep leaves nothing behind either');
});

test('argument errors name the problem', async () => {
  const { loss, ps, data } = fixture();
  const [x, y] = data[0];
  const msg = (p: Promise<unknown>) => p.then(() => '', (e: Error) => e.message);
  assert.is(await msg(train(loss, ps, data, 0.1 as never)), 'train: the optimiser must be a rule such as Descent(0.1) or a setup(rule, model) state, ' +
    'got 0.1; the forms are train(loss, model, data, setup(rule, model)) (the loss takes the model first), train(loss, ps, data, rule, { cb }) ' +
    'with ps = params(m), and train(loss, data, SGD(params(m), 0.1), { cb })');
  assert.match(await msg(train(loss, ps, data, undefined as never)), /^train: no optimiser was given; the forms are train\(loss, model, data, setup\(rule, model\)\)/);
  // the model left out: the rule sits where the model was due
  assert.is(await msg((train as (...a: unknown[]) => Promise<unknown>)(loss, data, Descent(0.1))),
    'train: Descent(...) came right after the data, so there is no model to train. Current Flux: train((m, x, y) => loss(m(x), y), ' +
    'model, data, setup(Descent(...), model)); or train(loss, params(m), data, Descent(...)); or bind the rule to the parameters: ' +
    'train(loss, data, SGD(params(m), 0.1))');
  assert.match(await msg((train as (...a: unknown[]) => Promise<unknown>)(loss, data, Adam(0.1), { cb: () => 0 })), /^train: Adam\(\.\.\.\) came right after the data, so there is no model/);
  assert.match(await msg(train(loss, ps, [x, y], Descent(0.1))), /pass \[\[x, y\]\]/);
  assert.match(await msg(train(loss, ps, 5 as never, Descent(0.1))), /data must be iterable/);
  assert.match(await msg(train(loss, ps, data, Descent(0.1), { callback: () => 0 } as never)), /unknown option callback/);
  assert.match(await msg(train(loss, ps, data, Descent(0.1), { cb: [() => 0, 3 as never] })), /cb\[1\] must be a function/);
  assert.match(await msg(train(3 as never, ps, data, Descent(0.1))), /loss must be a function/);
});

// Asked before the test is registered, so a missing adapter is a counted skip (uvu imports every
// file before running any test, so other files' init() has opened the device by then anyway).
await init();
const gpuMissing = devices().gpu.available ? null : `no adapter: ${(devices().gpu as { reason?: string }).reason}`;
testNeedingGpu(test, 'GPU: train reads the loss back once per step and matches the CPU run', gpuMissing, async () => {
  const a = fixture(), b = fixture();
  const X = rand(4, 12).keep(), Y = rand(2, 12).keep();
  await train(b.loss, b.ps, DataLoader([X, Y], { batchsize: 4 }), Descent(0.5));
  const be = runtime.gpu as unknown as WebGPUBackend, r0 = be.readbacks;
  const s = await withPolicy('gpu', () => train(a.loss, a.ps, DataLoader([X, Y], { batchsize: 4 }), Descent(0.5)));
  assert.is(s.steps, 3);
  assert.is(be.readbacks - r0, 3, 'one readback (the loss) per step');
  const pa = [...a.ps], pb = [...b.ps];
  for (let i = 0; i < pa.length; i++) {
    const va = await pa[i].data(), vb = pb[i].dataSync();
    for (let k = 0; k < va.length; k++) assert.ok(Math.abs(va[k] - vb[k]) < 1e-4, `param ${i}[${k}]: ${va[k]} vs ${vb[k]}`);
  }
  // data living on the GPU: a synchronous iteration throws; train drives the DataLoader with for await
  await withPolicy('gpu', async () => {
    const Xg = rand(4, 12).keep(), Yg = rand(2, 12).keep();
    assert.is(Xg.device, 'webgpu');
    const dl = DataLoader([Xg, Yg], { batchsize: 5, shuffle: true });
    assert.throws(() => [...dl], /lives on webgpu; iterate with `for await`/);
    const s2 = await train(a.loss, a.ps, dl, Descent(0.5));
    assert.is(s2.steps, 3);
    // a non-finite loss read back from the GPU names the input, read back too; no update happened
    const before = await Promise.all([...a.ps].map(async (p) => Array.from(await p.data())));
    const bad = tensor(Float32Array.from({ length: 12 }, (_, i) => (i === 4 ? NaN : 0.5)), [4, 3]).keep();
    const e = await train(a.loss, a.ps, [[bad, rand(2, 3).keep()]], Descent(0.5)).then(() => null, (err: Error) => err);
    assert.is(e?.message, 'train: Loss is NaN on data item 0 (counting from 0), stopping training; ' +
      'argument 0 of the item (shape [4, 3]) holds NaN at index 4: the data has a non-finite value');
    assert.equal(await Promise.all([...a.ps].map(async (p) => Array.from(await p.data()))), before);
  });
});

test.run();
