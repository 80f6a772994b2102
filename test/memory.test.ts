// The memory bar: a long training loop shows flat numbers. 10,000 steps of a small MLP
// (16→32→8, sigmoid, batch 4, mse written from ops): forward, gradient and an SGD update, with
// memory() (live tensors, CPU bytes) and the Wasm memory size identical at step 100 and step
// 10,000. Two ways to write the loop without leaking:
//   1. the whole step inside scope(() => …): everything it creates is freed at its end, so
//      even an update written from ops (p.assign(sub(p, mul(g, 0.1)))) leaks nothing;
//   2. no scope: gradient() frees its tape itself; the user disposes the Grads it returns
//      (grads.dispose()) and updates with the fused in-place descentStep, which allocates
//      nothing. Any other tensor created outside a scope is the user's to dispose.
// Also: the allocator reuses blocks, and running out of memory is a clear RangeError.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import './_helpers/backends.js';
import { settle } from './_helpers/gc.js';
import {
  tensor, zeros, rand, randn, seed, scope, gradient, matmul, add, sub, mul, mean, square, sigmoid, memory,
  withPolicy, Tensor, Chain, Conv, MaxPool, flatten, Dense, relu, onehotbatch, logitcrossentropy, Adam, params,
  DataLoader, train, stop,
} from '../src/index.js';
import { descentStep } from '../src/ops/optim.js';

const STEPS = 10_000;

function mlp() {
  seed(1);
  const ps = [randn(32, 16).mul(0.3), randn(32).mul(0.1), randn(8, 32).mul(0.3), randn(8).mul(0.1)];
  for (const p of ps) p.keep();
  const x = rand(16, 4).keep(), y = rand(8, 4).keep();
  const [W1, b1, W2, b2] = ps;
  const loss = () => mean(square(sub(add(matmul(W2, sigmoid(add(matmul(W1, x), b1))), b2), y)));
  const free = () => { for (const t of [...ps, x, y]) t.dispose(); };
  return { ps, loss, free };
}
const snapshot = () => { const m = memory(); return { tensors: m.tensors, bytes: m.cpu.bytes, wasm: m.cpu.wasmMemory }; };

test(`${STEPS} steps inside scope (update written from ops): memory flat from step 100`, async () => withPolicy('cpu', async () => {
  const { ps, loss, free } = mlp();
  const first = await scope(() => loss()).item();
  await settle();                                             // other tests' garbage: collected now, not mid-loop
  let at100 = snapshot();
  const t0 = performance.now();
  for (let i = 1; i <= STEPS; i++) {
    scope(() => {
      const gs = gradient(loss, ps);
      for (const p of ps) p.assign(sub(p, mul(gs.get(p)!, 0.5)));
    });
    if (i === 100) at100 = snapshot();
  }
  const ms = performance.now() - t0, atEnd = snapshot();
  const last = await scope(() => loss()).item();
  console.log(`  scope loop: ${STEPS} steps in ${(ms / 1000).toFixed(1)} s; loss ${first.toFixed(4)} → ${last.toFixed(4)}`);
  assert.equal(atEnd, at100, 'tensors, cpu bytes and wasm memory at step 10,000 equal step 100');
  assert.ok(last < first / 2, 'the loop trains');
  free();
}));

test(`${STEPS} steps without scope (gradient + descentStep + grads.dispose()): memory flat`, async () => withPolicy('cpu', async () => {
  const { ps, loss, free } = mlp();
  // One step first: an update outside train makes the device's finite guard once (a kept
  // 1-element tensor, src/ops/optim.ts); from then on no tensor may outlive a step.
  { const gs = gradient(loss, ps); for (const p of ps) descentStep(p, gs.get(p)!, 0.5); gs.dispose(); }
  await settle();
  const start = snapshot();
  let at100 = start;
  for (let i = 1; i <= STEPS; i++) {
    const gs = gradient(loss, ps);
    for (const p of ps) descentStep(p, gs.get(p)!, 0.5);
    gs.dispose();
    if (i === 100) at100 = snapshot();
  }
  const atEnd = snapshot();
  assert.equal(atEnd, at100);
  assert.is(atEnd.tensors, start.tensors, 'no tensor outlives a step');
  assert.is(atEnd.bytes, start.bytes);
  free();
}));

test('LeNet-5 (Conv, MaxPool, Dense, Adam) under train: memory flat from step 50 to step 500', async () => withPolicy('cpu', async () => {
  seed(5);
  const m = Chain(Conv([5, 5], [1, 6], relu), MaxPool([2, 2]), Conv([5, 5], [6, 16], relu), MaxPool([2, 2]),
    flatten, Dense(256, 120, relu), Dense(120, 84, relu), Dense(84, 10));
  const X = rand(28, 28, 1, 64).keep(), Y = onehotbatch(Array.from({ length: 64 }, (_, j) => j % 10), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]).keep();
  const loss = (a: Tensor, b: Tensor) => logitcrossentropy(m(a), b);
  const opt = Adam(1e-3), ps = params(m), data = DataLoader([X, Y], { batchsize: 4, shuffle: true });
  await settle();
  let step = 0, at50 = snapshot(), atEnd = at50;
  while (step < 500) {
    await train(loss, ps, data, opt, { cb: () => { step++; if (step === 50) at50 = snapshot(); if (step === 500) { atEnd = snapshot(); stop(); } } });
  }
  assert.equal(atEnd, at50, 'tensors, cpu bytes and wasm memory at step 500 equal step 50');
  X.dispose(); Y.dispose();
}));

test('the allocator reuses blocks: a repeated pattern of sizes keeps Wasm memory flat', () => withPolicy('cpu', () => {
  const sizes = [1, 3, 17, 64, 257, 1000, 4096, 16385, 65537, 250_000, 1_000_000];
  const round = () => {
    const ts = sizes.map((n) => zeros(n));
    ts.push(...sizes.slice(0, 5).map((n) => zeros(n, 3)));
    for (const t of ts.reverse()) t.dispose();
  };
  const bytes0 = memory().cpu.bytes;
  for (let i = 0; i < 5; i++) round();
  const w = memory().cpu.wasmMemory;
  for (let i = 0; i < 500; i++) round();
  assert.is(memory().cpu.wasmMemory, w, 'wasm memory did not grow');
  assert.is(memory().cpu.bytes, bytes0, 'every byte came back');
}));

test('out of memory is a clear RangeError, the instance survives, nothing leaks', async () => withPolicy('cpu', async () => {
  await settle();
  const before = snapshot();
  for (const n of [5e9, 2 ** 30, 1.5e9]) {
    let err: unknown = null;
    try { zeros(n); } catch (e) { err = e; }
    assert.instance(err, RangeError, `zeros(${n}) should throw a RangeError`);
    assert.match((err as Error).message, /out of (CPU )?memory/i);
    const after = snapshot();
    assert.is(after.tensors, before.tensors, 'no tensor left behind');
    assert.is(after.bytes, before.bytes, 'live bytes unchanged');
  }
  assert.ok(memory().cpu.wasmMemory <= 2 ** 31, `a request that cannot fit does not grow the memory (now ${memory().cpu.wasmMemory} bytes)`);
  const y = add(tensor([1, 2]), 1);
  assert.equal(Array.from(await y.data()), [2, 3], 'a later op still works');
  y.dispose();
}));

test.run();
void Tensor;
