// The scheduler's decisions under injected profiles (a fast discrete GPU, a slow integrated
// GPU, no GPU), on a stand-in GPU device that behaves like one for placement (its data is not
// host-readable synchronously) but computes with the reference loops; then, where an adapter
// exists, with the real calibrated profile on WebGPU.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  init, tensor, rand, matmul, add, sigmoid, softmax, sum, trace, setProfile, setPolicy, withPolicy,
  DEFAULT_PROFILE, calibrate, devices, type Profile, scope, Chain, Dense, relu, params, Adam, onehotbatch,
  logitcrossentropy, trainStep, mul, reshape, type Tensor,
} from '../src/index.ts';
import { runtime } from '../src/runtime.ts';
import { testNeedingGpu } from './_helpers/skip.ts';
import { ref } from '../src/backends/ref.ts';
import type { Backend, KernelName } from '../src/backends/backend.ts';

await init({ gpu: false });

const FAST: Profile = {
  source: 'test: fast discrete GPU',
  cpu: { overheadMs: 0.001, matmul: [[16, 4], [64, 20], [256, 40], [1024, 40]], bandwidthGBs: 8 },
  gpu: { overheadMs: 0.01, matmul: [[16, 0.5], [64, 30], [256, 2000], [1024, 10000]], bandwidthGBs: 400,
    upload: { ms: 0.01, GBs: 12 }, download: { ms: 0.05, GBs: 12 } },
};
const SLOW: Profile = {
  source: 'test: slow integrated GPU',
  cpu: FAST.cpu,
  gpu: { overheadMs: 0.3, matmul: [[16, 0.001], [64, 0.05], [256, 0.2]], bandwidthGBs: 0.4,
    upload: { ms: 0.3, GBs: 4 }, download: { ms: 0.3, GBs: 2 } },
};

/** A GPU stand-in: reference arithmetic, but host reads only through the async path. */
function fakeGpu(missing: KernelName[] = []): Backend {
  let live = 0;
  return { ...ref, name: 'webgpu',
    alloc(n: number) { live += 4 * n; return new Float64Array(n); },
    free(_b: unknown, n: number) { live -= 4 * n; },
    bytes: () => live,
    readSync: () => null,
    has: (k: KernelName) => !missing.includes(k) };
}
function withGpu<T>(gpu: Backend | null, profile: Profile, fn: () => T): T {
  const prev = runtime.gpu;
  runtime.gpu = gpu;
  setProfile(profile);
  try { return fn(); } finally { runtime.gpu = prev; setProfile(DEFAULT_PROFILE); setPolicy('auto'); }
}
const devicesOf = (t: ReturnType<typeof trace>) => t.records.map((r) => `${r.op}:${r.device}`);

test('fast GPU: a large matmul goes to the GPU, tiny elementwise ops stay on the CPU', () => {
  withGpu(fakeGpu(), FAST, () => scope(() => {
    const a = rand(512, 512), b = rand(512, 256), s = rand(3), t = rand(3);
    const tr = trace(() => { matmul(a, b); add(s, t); });
    assert.equal(devicesOf(tr), ['matmul:webgpu', 'binary:wasm']);
    const mm = tr.records[0];
    assert.ok(mm.estimate.gpu < mm.estimate.cpu, 'the trace shows the GPU estimate below the CPU one');
    assert.equal(mm.why, 'estimated faster on GPU');
    assert.equal(mm.transfers.map((x) => x.bytes), [512 * 512 * 4, 512 * 256 * 4]);
    assert.ok(tr.table().includes('estimated faster on GPU'));
  }));
});

test('fast GPU: a chain stays where its data is, and small ops follow GPU-resident inputs', () => {
  withGpu(fakeGpu(), FAST, () => scope(() => {
    const a = rand(512, 512), b = rand(512, 256);
    const tr = trace(() => sum(sigmoid(add(matmul(a, b), 1))));
    assert.equal(devicesOf(tr), ['matmul:webgpu', 'unary:webgpu', 'unary:webgpu', 'reduce:webgpu']);
    assert.equal(tr.records.slice(1).map((r) => r.why), Array(3).fill('input resident on GPU'));
    assert.equal(tr.records.slice(1).flatMap((r) => r.transfers), [], 'no transfer after the first op');
  }));
});

test('fast GPU: uploaded parameters are reused (a valid copy), not re-sent every step', () => {
  withGpu(fakeGpu(), FAST, () => scope(() => {
    const W = rand(512, 512).keep(), x = rand(512, 256);
    const first = trace(() => matmul(W, x));
    const second = trace(() => matmul(W, x));
    assert.is(first.records[0].transfers.length, 2);
    assert.is(second.records[0].transfers.length, 0);
    W.assign(rand(512, 512));                       // changing W in place drops its GPU copy
    const third = trace(() => matmul(W, x));
    assert.equal(third.records[0].transfers.map((t) => t.bytes), [512 * 512 * 4]);
    W.dispose();
  }));
});

test('fast GPU, the benchmark model B at batch 1024: large matmuls on the GPU, small CPU-side ops stay, every choice explained', () => {
  withGpu(fakeGpu(), FAST, () => scope(() => {
    const m = Chain(Dense(784, 256, relu), Dense(256, 256, relu), Dense(256, 10)), ps = params(m), opt = Adam(1e-3);
    const x = rand(784, 1024), y = onehotbatch(Array.from({ length: 1024 }, (_, j) => j % 10), [...Array(10).keys()]);
    const lr = tensor([0.5, 0.25, 0.125]);          // a small host-side schedule computed in the same step
    const loss = (x: Tensor, y: Tensor) => logitcrossentropy(m(x), y);
    const tr = trace(() => { trainStep(loss, ps, [x, y], opt); return sum(mul(lr, 2)); });
    const by = (d: string) => tr.records.filter((r) => r.device === d);
    assert.ok(by('webgpu').some((r) => r.op === 'dense' && r.why === 'estimated faster on GPU'), 'the first dense layer is sent to the GPU');
    assert.ok(by('webgpu').filter((r) => r.why === 'input resident on GPU').length > 10, 'the rest of the step follows its data');
    assert.equal(by('wasm').map((r) => r.op), ['unary', 'reduce'], 'the small host-side ops stay on the CPU');
    assert.ok(by('wasm').every((r) => r.why === 'estimated faster on CPU' && r.estimate.cpu < r.estimate.gpu));
    assert.ok(tr.records.every((r) => r.why.length > 0), 'every placement has a reason');
    assert.ok(ps.order.every((p) => p.device === 'webgpu'), 'the parameters moved to the GPU with their update');
  }));
});

test('slow GPU: everything stays on the CPU, and the trace says why', () => {
  withGpu(fakeGpu(), SLOW, () => scope(() => {
    const a = rand(512, 512), b = rand(512, 256);
    const tr = trace(() => softmax(add(matmul(a, b), 1)));
    assert.equal(devicesOf(tr), ['matmul:wasm', 'unary:wasm', 'softmax:wasm']);
    for (const r of tr.records) {
      assert.ok(r.estimate.cpu < r.estimate.gpu);
      assert.is(r.why, 'estimated faster on CPU');
    }
  }));
});

test('no GPU: every op on the CPU', () => {
  withGpu(null, FAST, () => scope(() => {
    const tr = trace(() => matmul(rand(512, 512), rand(512, 256)));
    assert.equal(devicesOf(tr), ['matmul:wasm']);
    assert.is(tr.records[0].why, 'no GPU');
  }));
});

test('a missing GPU kernel falls back to the CPU instead of failing', () => {
  withGpu(fakeGpu(['softmax']), FAST, () => scope(() => {
    setPolicy('gpu');
    const x = tensor([[1, 2], [3, 4]]);          // created on the GPU under policy 'gpu'
    assert.is(x.device, 'webgpu');
    const a = withPolicy('cpu', () => rand(512, 512));
    const tr = trace(() => softmax(a));
    assert.equal(devicesOf(tr), ['softmax:wasm']);
    assert.is(tr.records[0].why, 'no GPU kernel');
    // GPU-only data cannot reach the CPU synchronously: a clear error, not a hang or a crash
    assert.throws(() => softmax(x), /softmax: this WebGPU device has no kernel for it, and input 0 \(shape \[2,2\]\) lives only on the GPU/);
  }));
});

test('decisions are stable across repeated steps with the same shapes', () => {
  withGpu(fakeGpu(), FAST, () => scope(() => {
    const W1 = rand(256, 784).keep(), x = rand(784, 512);
    const step = () => trace(() => sum(sigmoid(matmul(W1, x)))).records.map((r) => r.device);
    const first = step();
    for (let i = 0; i < 5; i++) assert.equal(step(), first);
    W1.dispose();
  }));
});

test('a reshape is a view where its data lives: no placement, no copy', () => {
  const g = fakeGpu();
  withGpu(g, FAST, () => scope(() => {
    const a = withPolicy('cpu', () => rand(64, 64));
    const before = g.bytes();
    const v = withPolicy('gpu', () => reshape(a, [4096]));
    assert.is(v.device, 'wasm');
    assert.is(g.bytes(), before, 'nothing was uploaded for the view');
  }));
});

test('policy overrides: cpu and gpu force the device; withPolicy restores', () => {
  withGpu(fakeGpu(), FAST, () => scope(() => {
    const a = rand(512, 512), b = rand(512, 256);
    assert.equal(devicesOf(withPolicy('cpu', () => trace(() => matmul(a, b)))), ['matmul:wasm']);
    assert.equal(devicesOf(withPolicy('gpu', () => trace(() => add(rand(2), rand(2))))), ['binary:webgpu']);
    assert.is(runtime.policy, 'auto');
  }));
});

test('setPolicy rejects unknown policies and gpu without a device', () => {
  assert.throws(() => setPolicy('fast' as never), /setPolicy: policy must be/);
  withGpu(null, FAST, () => assert.throws(() => setPolicy('gpu'), /no WebGPU device/));
});

test('results are the same whatever the placement (fake GPU in float64 vs CPU in f32)', async () => {
  const a0 = Float32Array.from({ length: 64 * 48 }, (_, i) => Math.sin(i)), b0 = Float32Array.from({ length: 48 * 40 }, (_, i) => Math.cos(i));
  const run = () => scope(() => softmax(add(matmul(tensor(a0, [64, 48]), tensor(b0, [48, 40])), 1)).data());
  const cpu = await withPolicy('cpu', run);
  const gpu = await withGpu(fakeGpu(), FAST, () => withPolicy('gpu', run));
  for (let i = 0; i < cpu.length; i++) assert.ok(Math.abs(cpu[i] - gpu[i]) < 1e-5, `element ${i}`);
});

test.run();

// With a real adapter (Dawn over SwiftShader in CI): the calibrated profile, identical results
// whatever the placement, and the trace's device is where each output actually lives.
await init();
const real = (name: string, fn: () => unknown) =>
  testNeedingGpu(test, name, devices().gpu.available ? null : `no adapter: ${(devices().gpu as { reason?: string }).reason}`, fn);
real('calibrated on this machine: placements agree with the trace and results agree', async () => {
  const p = await calibrate();
  assert.ok(p.gpu && p.cpu.matmul.length > 0);
  // every figure measured: positive and finite, the tiny matmul included
  const g = p.gpu!;
  for (const [name, v] of [['overhead', g.overheadMs], ['bandwidth', g.bandwidthGBs], ['upload ms', g.upload!.ms],
    ['upload GB/s', g.upload!.GBs], ['download ms', g.download!.ms], ['download GB/s', g.download!.GBs],
    ...g.matmul.map(([n, f]) => [`matmul ${n}`, f])] as [string, number][]) assert.ok(Number.isFinite(v) && v > 0, `${name}: ${v}`);
  assert.is(g.matmul[0][0], 16);
  const timed = !!(runtime.gpu as { timer?: unknown }).timer;
  assert.is(p.gpuTiming, timed ? 'timestamps' : 'wall clock');
  const a0 = Float32Array.from({ length: 96 * 80 }, (_, i) => Math.sin(i)), b0 = Float32Array.from({ length: 80 * 72 }, (_, i) => Math.cos(i));
  const out: Record<string, Float32Array> = {};
  for (const pol of ['auto', 'cpu', 'gpu'] as const) {
    setPolicy(pol);
    const tr = trace(() => {
      const y = add(matmul(tensor(a0, [96, 80]), tensor(b0, [80, 72])), 1);
      return { y, s: softmax(y) };
    });
    assert.is(tr.result.y.device, tr.records[0 + 1].device, 'the add ran where the trace says');
    assert.is(tr.result.s.device, tr.records[2].device);
    await tr.ready;   // GPU ops carry their timestamp time, or say there is none
    assert.is(tr.gpuTiming, timed ? 'timestamps' : 'enqueue');
    for (const r of tr.records) assert.ok(r.device === 'webgpu' && timed ? r.gpuMs >= 0 : Number.isNaN(r.gpuMs), `${r.op} on ${r.device}: ${r.gpuMs}`);
    out[pol] = await tr.result.s.data();
    tr.result.y.dispose(); tr.result.s.dispose();
  }
  setPolicy('auto');
  for (const pol of ['auto', 'gpu'] as const) {
    for (let i = 0; i < out.cpu.length; i++) assert.ok(Math.abs(out.cpu[i] - out[pol][i]) < 1e-4, `${pol} element ${i}`);
  }
});
test.run();
