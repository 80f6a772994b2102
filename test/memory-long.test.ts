// Long loops (issue 10, items 3 and 4), on a tiny model so the step counts are the issue's:
//   - the idiomatic manual loop, `for (const [x, y] of DataLoader(...)) trainStep(...)` with
//     nothing disposed by hand, is flat for 100,000 steps: memory() (live tensors, CPU bytes,
//     Wasm size) identical at step 1,000 and 100,000;
//   - the scheduler's decision memo stays bounded when every batch size from 1 to 8,000 occurs
//     once (a stand-in GPU makes every op a decision);
//   - the FinalizationRegistry watches only tensors no scope owns: a `train` step registers
//     nothing (every intermediate registered and unregistered grew RSS by ~41 MB over 5,000
//     steps), while a tensor that leaves every scope unreferenced is still collected.
// RSS is printed, not asserted (noisy on a shared machine); bench/memory.bench.ts reports it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import v8 from 'node:v8';
import vm from 'node:vm';
import {
  init, rand, seed, scope, train, trainStep, Dense, Chain, sigmoid, mse, params, Descent, DataLoader, repeated, memory,
  withPolicy, setProfile, getProfile, DEFAULT_PROFILE, add, tensor, type Tensor, type Profile,
} from '../src/index.ts';
import { runtime } from '../src/runtime.ts';
import { ref } from '../src/backends/ref.ts';
import type { Backend } from '../src/backends/backend.ts';
import * as scheduler from '../src/scheduler.ts';

await init({ gpu: false });
v8.setFlagsFromString('--expose-gc');
const gc: () => void = vm.runInNewContext('gc');

const snapshot = () => { const m = memory(); return { tensors: m.tensors, bytes: m.cpu.bytes, wasm: m.cpu.wasmMemory }; };
const MB = (b: number) => (b / 2 ** 20).toFixed(1);

test('100,000 steps of for (const [x, y] of DataLoader(...)) trainStep(...): memory() flat, nothing disposed by hand', () => withPolicy('cpu', () => {
  seed(4);
  const m = Dense(4, 2), ps = params(m), opt = Descent(0.05);
  const X = rand(4, 64).keep(), Y = rand(2, 64).keep();
  const dl = DataLoader([X, Y], { batchsize: 8, shuffle: true }) as Iterable<Tensor[]>;
  const loss = (x: Tensor, y: Tensor) => mse(m(x), y);
  const STEPS = 100_000;
  let at1000 = snapshot(), atEnd = at1000, rss1000 = 0, first = NaN, last = NaN;
  const t0 = process.cpuUsage();
  for (let step = 0; step < STEPS;) {
    for (const [x, y] of dl) {
      const l = trainStep(loss, ps, [x, y], opt);
      step++;
      if (step === 1) first = l.dataSync()[0];
      if (step === 1000) { at1000 = snapshot(); rss1000 = process.memoryUsage().rss; }
      if (step === STEPS) { last = l.dataSync()[0]; atEnd = snapshot(); break; }
    }
  }
  const cpu = process.cpuUsage(t0);
  console.log(`  manual loop: ${STEPS} steps, ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s CPU; loss ${first.toFixed(4)} → ${last.toFixed(4)}; ` +
    `memory() at 1,000 ${JSON.stringify(at1000)}, at 100,000 ${JSON.stringify(atEnd)}; RSS ${MB(rss1000)} → ${MB(process.memoryUsage().rss)} MB`);
  assert.equal(atEnd, at1000, 'live tensors, CPU bytes and Wasm memory at step 100,000 equal step 1,000');
  assert.ok(last < first, 'the loop trains');
  X.dispose(); Y.dispose();
}));

test('a trainStep at every batch size from 1 to 8,000 once leaves no tensor and no byte behind', () => withPolicy('cpu', () => {
  seed(5);
  const m = Dense(4, 2), ps = params(m), opt = Descent(0.01);
  const loss = (x: Tensor, y: Tensor) => mse(m(x), y);
  const X = rand(4, 8000).keep(), Y = rand(2, 8000).keep();
  trainStep(loss, ps, [X, Y], opt);
  const before = snapshot();
  for (let n = 1; n <= 8000; n++) {
    for (const b of DataLoader([X, Y], { batchsize: n }) as Iterable<Tensor[]>) { trainStep(loss, ps, b, opt); break; }
  }
  const after = snapshot();
  // The Wasm size is the allocator's reuse across sizes (src/backends/wasm.ts): printed, not asserted here.
  console.log(`  every batch size once: live ${before.bytes} → ${after.bytes} bytes, Wasm ${MB(before.wasm)} → ${MB(after.wasm)} MB`);
  assert.equal([after.tensors, after.bytes], [before.tensors, before.bytes]);
  X.dispose(); Y.dispose();
}));

/** A GPU stand-in for placement (reference arithmetic, no synchronous reads): every op is a decision. */
function fakeGpu(): Backend {
  return { ...ref, name: 'webgpu', alloc: (n: number) => new Float64Array(n), free() {}, bytes: () => 0, readSync: () => null, has: () => true };
}
const FAST: Profile = { ...DEFAULT_PROFILE, source: 'test: fast GPU' };

test('the decision memo stays bounded when every batch size from 1 to 8,000 occurs once', () => {
  const prev = runtime.gpu, prevProfile = getProfile();
  runtime.gpu = fakeGpu();
  setProfile(FAST);
  try {
    const w = rand(2, 4).keep();
    const sizes: number[] = [];
    for (let n = 1; n <= 8000; n++) {
      scope(() => { add(w.matmul(rand(4, n)), 1); });
      if (n % 2000 === 0) sizes.push(scheduler.decisionCount());
    }
    console.log(`  decision memo after 2,000 / 4,000 / 6,000 / 8,000 batch sizes: ${sizes.join(' / ')} entries (cap ${scheduler.DECISIONS_MAX})`);
    assert.ok(sizes.every((n) => n <= scheduler.DECISIONS_MAX), `at most ${scheduler.DECISIONS_MAX} entries`);
    assert.is(sizes[sizes.length - 1], scheduler.DECISIONS_MAX, 'the cap was reached, so eviction was exercised');
    // an evicted decision is recomputed to the same device
    const dev = () => scope(() => add(w.matmul(rand(4, 1)), 1).device);
    assert.is(dev(), dev());
    w.dispose();
  } finally { runtime.gpu = prev; setProfile(prevProfile); }
});

/** Counts FinalizationRegistry registrations while `fn` runs (every registry: the prototype's method). */
async function registrations(fn: () => unknown): Promise<number> {
  const proto = FinalizationRegistry.prototype, orig = proto.register;
  let n = 0;
  proto.register = function (this: FinalizationRegistry<unknown>, ...a: Parameters<typeof orig>) { n++; return orig.apply(this, a); };
  try { await fn(); } finally { proto.register = orig; }
  return n;
}

test('a train step registers nothing with the FinalizationRegistry; a manual step only what leaves every scope', async () => withPolicy('cpu', async () => {
  seed(6);
  const m = Chain(Dense(4, 8, sigmoid), Dense(8, 2));
  const x = rand(4, 16).keep(), y = rand(2, 16).keep();
  const loss = (a: Tensor, b: Tensor) => mse(m(a), b);
  await train(loss, params(m), repeated([x, y], 2), Descent(0.1));   // warm-up
  const n = await registrations(() => train(loss, params(m), repeated([x, y], 500), Descent(0.1)));
  console.log(`  train: ${n} registrations over 500 steps`);
  assert.is(n, 0, 'no tensor of a train step is registered');
  const X = rand(4, 64).keep(), Y = rand(2, 64).keep(), ps = params(m), opt = Descent(0.1);
  const k = await registrations(() => { for (const [a, b] of DataLoader([X, Y], { batchsize: 8 }) as Iterable<Tensor[]>) trainStep(loss, ps, [a, b], opt); });
  console.log(`  manual DataLoader loop: ${k} registrations over 8 steps`);
  assert.ok(k <= 3 * 8, 'per step at most the batch (made outside any scope) and the returned loss');
  for (const t of [x, y, X, Y]) t.dispose();
}));

test('the safety net: tensors that leave every scope unreferenced are still collected', async () => withPolicy('cpu', async () => {
  // Until the live count stops moving: earlier tests' dropped tensors are collected here too.
  const settle = async () => {
    for (let i = 0, last = -1; i < 20 && memory().tensors !== last; i++) {
      last = memory().tensors;
      for (let k = 0; k < 3; k++) { gc(); await new Promise((r) => setTimeout(r, 5)); }
    }
  };
  await settle();
  const before = snapshot();
  (() => {
    for (let i = 0; i < 50; i++) tensor([i, i]);                 // made outside any scope
    for (let i = 0; i < 50; i++) scope(() => rand(3).mul(2));    // returned from the outermost scope
    for (let i = 0; i < 50; i++) scope(() => rand(3).keep());    // kept, then dropped
  })();
  assert.is(snapshot().tensors, before.tensors + 150);
  await settle();
  const after = snapshot();
  assert.ok(after.tensors <= before.tensors && after.bytes <= before.bytes,
    `collected: ${after.tensors} tensors, ${after.bytes} bytes live (before: ${before.tensors}, ${before.bytes})`);
}));

test.run();
