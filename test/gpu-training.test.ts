// Whole training on WebGPU under setPolicy('gpu'): the seed model A and model B run every op on
// the GPU, parameters, gradients and optimiser state stay there, and a step is one command-buffer
// submission with one 4-byte readback (the loss). Then 2,000 steps with flat memory, and last,
// device loss: the reports, the error for a tensor that lived there, ops on the CPU afterwards,
// and init() opening a fresh device.
// No adapter: every test here is skipped (printed, counted as skipped), or fails under
// FLUXION_REQUIRE_GPU=1.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  init, devices, memory, setPolicy, trace, train, trainStep, params, setup, seed, rand, tensor, add, mul, sum,
  Chain, Dense, sigmoid, relu, softmax, mse, logitcrossentropy, Descent, Adam, OptimiserState, type Tensor,
} from '../src/index.ts';
import { runtime } from '../src/runtime.ts';
import type { WebGPUBackend } from '../src/backends/webgpu.ts';
import { testNeedingGpu } from './_helpers/skip.ts';
import { settle } from './_helpers/gc.ts';
import { dawn } from './_helpers/dawn.ts';

await init();

// settle() (test/_helpers/gc.ts) before each memory snapshot: only this test's steps move it.

function onehots(batch: number) {
  const v = new Float32Array(10 * batch);
  for (let j = 0; j < batch; j++) v[(j % 10) * batch + j] = 1;
  return v;
}
function modelA(batch: number) {
  seed(1);
  const m = Chain(Dense(784, 32, sigmoid), Dense(32, 10), softmax);
  return { m, st: setup(Descent(0.1), m), x: rand(784, batch).keep(), y: tensor(onehots(batch), [10, batch]).keep(),
    loss: (x: Tensor, y: Tensor) => mse(m(x), y) };
}
function modelB(batch: number) {
  seed(1);
  const m = Chain(Dense(784, 256, relu), Dense(256, 256, relu), Dense(256, 10));
  return { m, st: setup(Adam(1e-3), m), x: rand(784, batch).keep(), y: tensor(onehots(batch), [10, batch]).keep(),
    loss: (x: Tensor, y: Tensor) => logitcrossentropy(m(x), y) };
}
type Model = Omit<ReturnType<typeof modelA>, 'st'> & { st: OptimiserState };

/** The readbacks (buffer maps the backend issued) and queue submits while `fn` runs. */
async function countReads<T>(be: WebGPUBackend, fn: () => Promise<T>): Promise<{ result: T; reads: number; submits: number }> {
  const r0 = be.readbacks, s0 = be.submits;
  const result = await fn();
  return { result, reads: be.readbacks - r0, submits: be.submits - s0 };
}

/** Every tensor of the optimiser state (Adam's moments; Descent has none). */
const stateTensors = (st: Model['st']) => [...st.state.values()].flatMap((s) => (Array.isArray(s) ? s : [s]))
  .filter((t): t is Tensor => typeof t === 'object' && t !== null && 'device' in t);

async function oneStepChecks(name: string, make: (batch: number) => Model, batch: number, stateCount: number) {
  const be = runtime.gpu as unknown as WebGPUBackend;
  setPolicy('gpu');
  try {
    const M = make(batch), ps = params(M.m);
    await train(M.loss, ps, [[M.x, M.y]], M.st);                 // warm-up: pipelines, state, pool
    // train: one step over one data item
    const { result: tr, reads, submits } = await countReads(be, () => trace(() => train(M.loss, ps, [[M.x, M.y]], M.st)));
    assert.is(tr.result.steps, 1);
    assert.ok(Number.isFinite(tr.result.loss), `${name}: loss ${tr.result.loss}`);
    const off = tr.records.filter((r) => r.device !== 'webgpu').map((r) => `${r.op}:${r.device}`);
    assert.equal(off, [], `${name}: every op of the step on webgpu`);
    assert.ok(tr.records.length > 10, `${name}: the trace saw the step (${tr.records.length} ops)`);
    assert.equal(tr.records.flatMap((r) => r.transfers), [], `${name}: no transfers`);
    assert.is(submits, 1, `${name}: one submission per train step`);
    assert.is(reads, 1, `${name}: one readback per step (the loss)`);
    // gradients: the step's tape on the GPU (the gradient ops in the trace ran there), and the
    // parameters and optimiser state live on the GPU after it
    for (const p of ps) assert.is(p.device, 'webgpu', `${name}: parameter [${p.shape}]`);
    const state = stateTensors(M.st);
    assert.is(state.length, stateCount, `${name}: optimiser state tensors`);
    for (const t of state) assert.is(t.device, 'webgpu', `${name}: optimiser state [${t.shape}]`);
    // trainStep + await loss.item(): the loss copy rides in the step's submission
    const r2 = await countReads(be, async () => { const l = trainStep(M.loss, ps, [M.x, M.y], M.st); const v = await l.item(); l.dispose(); return v; });
    assert.is(r2.submits, 1, `${name}: trainStep + await item(): one submission`);
    assert.is(r2.reads, 1, `${name}: trainStep + await item(): one readback`);
    assert.ok(r2.result < tr.result.loss + 1e-3, `${name}: the loss keeps going down (${r2.result} after ${tr.result.loss})`);
    assert.is(be.lost, null);
    for (const t of [...ps, ...state, M.x, M.y]) t.dispose();
    console.log(`  ${name}: ${tr.records.length} ops on webgpu, ${submits} submit, ${reads} readback per step`);
  } finally { setPolicy('auto'); }
}

const missing = runtime.gpu ? null : `no adapter: ${(devices().gpu as { reason?: string }).reason}`;
const T = (name: string, fn: () => void | Promise<void>) => testNeedingGpu(test, name, missing, fn);

T('model B (784-256-256-10 relu, logitCE, Adam) trains on the GPU: one submit, one readback per step', async () => {
  await oneStepChecks('model B batch 128', modelB, 128, 12);      // m and v for 6 parameters
});

T('model A (the seed: 784-32-10 σ, softmax, mse, Descent) trains on the GPU: one submit, one readback', async () => {
  await oneStepChecks('model A batch 8', modelA, 8, 0);
});

// Not the seed model itself: on SwiftShader (a CPU) its 784-wide matmuls make a batch-8 step
// ~28 ms, so 2,000 steps took 57 s here, a third of the whole suite. The same layers, ops and
// optimiser at 16 inputs (Dense(16, 8, σ), Dense(8, 10), softmax, mse, Descent) take ~7 ms a
// step (~15 s), and exercise the same allocation pattern.
T('2,000 GPU training steps (the seed model layers at 16-8-10, batch 8): memory stays flat', async () => {
  const be = runtime.gpu as unknown as WebGPUBackend;
  setPolicy('gpu');
  try {
    seed(1);
    const m = Chain(Dense(16, 8, sigmoid), Dense(8, 10), softmax), ps = params(m);
    const M = { st: setup(Descent(0.1), m), x: rand(16, 8).keep(), y: tensor(onehots(8), [10, 8]).keep(),
      loss: (x: Tensor, y: Tensor) => mse(m(x), y) };
    const snap = async () => { await settle(); return { gpu: memory().gpu.bytes, tensors: memory().tensors, pooled: be.pooledBytes() }; };
    let at100: Awaited<ReturnType<typeof snap>> | null = null, n = 0;
    const t0 = performance.now();
    const s0 = be.submits;
    const sum = await train(M.loss, ps, { [Symbol.iterator]: function* () { for (let i = 0; i < 2000; i++) yield [M.x, M.y]; } },
      M.st, { cb: async () => { if (++n === 100) at100 = await snap(); } });
    const ms = performance.now() - t0, end = await snap();
    assert.is(sum.steps, 2000);
    assert.is(be.submits - s0, 2000, 'one submission per step');
    assert.ok(at100, 'step 100 was recorded');
    assert.equal(end, at100, `memory at step 2,000 equals step 100: ${JSON.stringify(end)} vs ${JSON.stringify(at100)}`);
    assert.ok(end.gpu > 0);
    console.log(`  2,000 steps in ${(ms / 1000).toFixed(1)} s; at step 100 and 2,000: gpu ${end.gpu} B, ` +
      `${end.tensors} tensors, pooled ${end.pooled} B`);
  } finally { setPolicy('auto'); }
});

// Last: a device of its own is destroyed (a lost device cannot be revived), then the shared one
// the other test files hold is put back.
T('device loss: reported, old tensors throw a clear error, ops run on the CPU, init() opens a new device', async () => {
  const shared = runtime.gpu;
  runtime.gpu = null;
  // Devices from a Dawn instance held for the whole run (_helpers/dawn.ts: dawn.node aborts when
  // an instance whose device was destroyed is collected); the loss and the new device are real.
  const gpu = dawn ?? 'auto';
  try {
    await init({ gpu });
    const be = runtime.gpu as unknown as WebGPUBackend;
    assert.ok(be && be !== shared, 'init() opened a device of its own');
    setPolicy('gpu');
    const x = rand(3, 5).keep(), y = add(x, 1), z = mul(y, 2);
    assert.is(x.device, 'webgpu');
    const bytes = be.bytes(), xv = await x.data();
    assert.ok(bytes >= 3 * 256);
    be.device.destroy();
    await be.device.lost;
    await new Promise((r) => setTimeout(r, 0));               // the backend's own lost handler
    assert.match(String(be.lost), /^device lost: /);
    const d = devices().gpu as { available: boolean; reason: string; lost: { tensors: number; bytes: number } };
    assert.is(d.available, false);
    assert.match(d.reason, /^device lost: /);
    assert.equal(d.lost, { tensors: 3, bytes }, 'three tensors lived on the lost device');
    assert.equal(memory().gpu, { bytes: 0, lost: { tensors: 3, bytes } });
    // a tensor that lived there: a clear error naming its shape
    assert.throws(() => add(z, y), /binary: input 0 of shape \[3,5\] lived on the WebGPU device, which was lost \(device lost: /);
    assert.throws(() => sum(x), /shape \[3,5\] lived on the WebGPU device, which was lost/);
    let msg = '';
    try { await y.data(); } catch (e) { msg = (e as Error).message; }
    assert.match(msg, /shape \[3,5\] lived on the WebGPU device, which was lost/);
    assert.throws(() => y.dataSync(), /which was lost/);
    // the library keeps working on the CPU, still under the 'gpu' policy
    setPolicy('gpu');
    const a = tensor(Array.from(xv)).keep();
    const tr = trace(() => sum(mul(add(a, 1), 2)));
    assert.equal(tr.records.map((r) => r.device), ['wasm', 'wasm', 'wasm']);
    assert.is(tr.records[0].why, 'GPU device lost');
    const want = Array.from(xv).reduce((s, v) => s + Math.fround(Math.fround(v + 1) * 2), 0);
    assert.ok(Math.abs(tr.result.dataSync()[0] - want) < 1e-4, `${tr.result.dataSync()[0]} vs ${want}`);
    // and training too
    const M = modelA(4), ps = params(M.m);
    assert.is(ps.length, 4);
    const s = await train(M.loss, ps, [[M.x, M.y], [M.x, M.y]], M.st);
    assert.is(s.steps, 2);
    for (const p of ps) assert.is(p.device, 'wasm');
    x.dispose(); y.dispose(); z.dispose(); a.dispose();       // freeing lost tensors is harmless
    // init() replaces the lost backend with a fresh device
    await init({ gpu });
    const fresh = runtime.gpu as unknown as WebGPUBackend;
    assert.ok(fresh && fresh !== be && fresh.lost === null, 'a new device');
    assert.is(devices().gpu.available, true);
    assert.is(runtime.lostGpu, null);
    const g = tensor([1, 2, 3]);
    assert.is(g.device, 'webgpu');
    assert.equal([...await mul(g, 3).data()], [3, 6, 9]);
    runtime.gpu = shared;                                    // before destroying ours: its hook then ignores it
    fresh.destroy();
  } finally {
    runtime.gpu = shared; runtime.lostGpu = null;
    setPolicy('auto');
  }
});

test.run();
