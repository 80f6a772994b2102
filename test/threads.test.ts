// Wasm threads (src/backends/threads.ts): every kernel the pool splits gives bit-identical output
// on 1, 2 and 3 threads at awkward sizes (split forced, so small shapes exercise every edge: tile
// tails, SIMD tails, single rows); a whole training run gives bit-identical losses and weights;
// memory growth is seen by every thread; a worker that dies mid-kernel or is terminated leaves the
// backend on one thread with a message and correct results, never a hang; init({ threads }) and
// devices() report it; a Node process with a pool exits by itself.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { createWasm, type WasmBackend } from '../src/backends/wasm.ts';
import { sharedModule } from '../src/backends/threads.ts';
import { Unary, Binary, Reduce } from '../src/ops/codes.ts';
import {
  init, devices, seed, rand, tensor, params, Chain, Dense, relu, sigmoid, softmax, logitcrossentropy, mse,
  Adam, Momentum, trainStep, withPolicy, calibrate, getProfile, setProfile, Tensor,
} from '../src/index.ts';
import { runtime } from '../src/runtime.ts';
import { threadCosts } from '../src/scheduler.ts';
import { launchChromium, CHROMIUM } from './_helpers/chromium.ts';
import { testNeedingGpu } from './_helpers/skip.ts';
import { within } from './_helpers/wait.ts';
import { serveDir } from '../scripts/demo.mjs';
import type { ThreadsResult } from './browser/threads-page.ts';

await init({ gpu: false });
const initial = devices().cpu!.threads;

/** Deterministic values in [-1, 1) (a small LCG), with a few exact zeros, ±0 and large values. */
function values(n: number, s: number): Float32Array {
  const v = new Float32Array(n);
  let x = s * 2654435761 >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    v[i] = i % 97 === 5 ? 0 : i % 101 === 7 ? -0 : i % 89 === 3 ? 40 * (x / 2 ** 32 - 0.5) : x / 2 ** 31 - 1;
  }
  return v;
}

/** The bits of a result, for exact comparison (NaN payloads and the sign of zero included). */
const bits = (v: Float32Array | Float64Array) => new Uint32Array(Float32Array.from(v).buffer);
function same(a: Float32Array | Float64Array, b: Float32Array | Float64Array, what: string) {
  const x = bits(a), y = bits(b);
  assert.is(x.length, y.length, `${what}: length`);
  for (let i = 0; i < x.length; i++) {
    if (x[i] !== y[i]) assert.unreachable(`${what}: element ${i} differs: ${a[i]} vs ${b[i]}`);
  }
}

// Three backends on shared memory: 1 thread (the kernels themselves), 2 and 3 threads with every
// splittable kernel split whatever its size.
const bes: WasmBackend[] = [];
for (const n of [1, 2, 3]) {
  const be = await createWasm({ shared: true });
  await be.setThreads(n);
  assert.is(be.threads(), n, `a backend with ${n} threads: ${be.threadsReason()}`);
  if (be.threadPool()) be.threadPool()!.split = 'always';
  bes.push(be);
}

/**
 * Runs `f` on each backend with the same inputs; every output must match the one-thread output
 * bit for bit. `ins`: the input arrays; `outs`: sizes of outputs (pre-filled with values too, so
 * accumulating and in-place kernels are covered). `f` gets the pointers, inputs first.
 */
function agree(what: string, ins: Float32Array[], outs: number[], f: (be: WasmBackend, p: number[]) => void) {
  const results: Float32Array[][] = [];
  for (const be of bes) {
    const p = [...ins.map((v) => { const q = be.alloc(v.length); be.write(q, v); return q; }),
      ...outs.map((n, i) => { const q = be.alloc(n); be.write(q, values(n, 1000 + i)); return q; })];
    f(be, p);
    const all = [...ins, ...outs.map((n) => new Float32Array(n))];
    results.push(p.map((q, i) => be.readSync(q, all[i].length) as Float32Array));
    p.forEach((q, i) => be.free(q, all[i].length));
  }
  for (let t = 1; t < bes.length; t++) {
    for (let i = 0; i < results[0].length; i++) same(results[0][i], results[t][i], `${what}, ${t + 1} threads, buffer ${i}`);
  }
}

test('sharedModule: the one import declared shared, so a shared memory links and an unshared one does not', async () => {
  const { default: bytes } = await import('../build/fluxion.wasm');
  const shared = sharedModule(bytes as Uint8Array, 65536);
  assert.ok(WebAssembly.validate(shared));
  const mod = new WebAssembly.Module(shared);
  new WebAssembly.Instance(mod, { env: { memory: new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true }) } });
  assert.throws(() => new WebAssembly.Instance(mod, { env: { memory: new WebAssembly.Memory({ initial: 1, maximum: 65536 }) } }));
  assert.is(shared.length, (bytes as Uint8Array).length + 3, 'flag 0 → 3, plus the maximum 65536 (3 bytes of LEB128)');
});

test('matmul: every layout, acc, and the gemv, outer-product and tiled paths are bit-identical on 1, 2, 3 threads', () => {
  const shapes = [[1, 1, 1], [3, 5, 2], [5, 7, 3], [67, 45, 93], [4, 300, 25], [130, 17, 9], [9, 33, 200], [64, 64, 64],
    [37, 1, 41], [41, 29, 1], [513, 3, 7], [2, 260, 520], [13, 0, 11]];
  for (const [m, k, n] of shapes) {
    for (const ta of [0, 1]) for (const tb of [0, 1]) for (const acc of [0, 1]) {
      agree(`matmul ${m}×${k}×${n} ta=${ta} tb=${tb} acc=${acc}`, [values(m * k, m + k), values(k * n, k + n)], [m * n],
        (be, [a, b, c]) => be.matmul(a, b, c, m, k, n, ta, tb, acc));
    }
  }
});

test('matmul split along k (small output, long k): every layout and acc bit-identical on 1, 2, 3 threads', () => {
  // k-split by 256-blocks where k has ≥ 4 blocks per thread (12 for 3 threads): whole blocks, a tail block, 1-row and 1-column-tile outputs
  const shapes = [[25, 12 * 256 + 17, 6], [6, 13 * 256 + 17, 25], [1, 3300, 2], [7, 3072, 3], [4, 3584, 8], [2, 3100, 37], [13, 3000, 9]];
  for (const [m, k, n] of shapes) {
    for (const ta of [0, 1]) for (const tb of [0, 1]) for (const acc of [0, 1]) {
      agree(`matmul ${m}×${k}×${n} ta=${ta} tb=${tb} acc=${acc}`, [values(m * k, m + k), values(k * n, k + n)], [m * n],
        (be, [a, b, c]) => be.matmul(a, b, c, m, k, n, ta, tb, acc));
    }
  }
});

test('elementwise kernels, the optimiser updates and fill are bit-identical on 1, 2, 3 threads', () => {
  for (const n of [1, 3, 17, 64, 65, 1001, 4099]) {
    for (const op of [Unary.sigmoid, Unary.tanh, Unary.exp, Unary.gelu, Unary.relu, Unary.powscalar])
      agree(`unary ${op} n=${n}`, [values(n, 1)], [n], (be, [x, y]) => be.unary(op, x, y, n, 1.5, 0));
    agree(`unary in place n=${n}`, [values(n, 2)], [], (be, [x]) => be.unary(Unary.softplus, x, x, n, 0, 0));
    for (const op of [Unary.sigmoid, Unary.mish, Unary.elu])
      agree(`unaryGrad ${op} n=${n}`, [values(n, 3), values(n, 4), values(n, 5)], [n], (be, [x, y, dy, dx]) => be.unaryGrad(op, x, y, dy, dx, n, 1, 0));
    agree(`fill n=${n}`, [], [n], (be, [y]) => be.fill(y, n, -2.5));
    const g = values(n, 6), guard = new Float32Array([0.25]);
    agree(`copyIf n=${n}`, [values(n, 7), guard], [n], (be, [x, gd, y]) => be.copyIf(x, y, gd, n));
    agree(`descent n=${n}`, [g, guard], [n], (be, [gg, gd, x]) => be.descent(x, gg, gd, n, 0.1));
    agree(`momentum n=${n}`, [g, guard], [n, n], (be, [gg, gd, x, v]) => be.momentum(x, gg, v, gd, n, 0.01, 0.9));
    agree(`adam n=${n}`, [g, guard], [n, n, n], (be, [gg, gd, x, m, v]) => {
      be.fill(v, n, 0.01);
      be.adam(x, gg, m, v, gd, n, 1e-3, 0.9, 0.999, 1e-8, 0.9, 0.999);
    });
    agree(`adamw n=${n}`, [g, guard], [n, n, n], (be, [gg, gd, x, m, v]) => {
      be.fill(v, n, 0.01);
      be.adamw(x, gg, m, v, gd, n, 1e-3, 0.9, 0.999, 1e-8, 0.81, 0.998, 0.01);
    });
  }
});

test('binary with broadcasting, biasAct, reduce, softmax and strided are bit-identical on 1, 2, 3 threads', () => {
  for (const [r, c] of [[1, 1], [1, 7], [7, 1], [5, 3], [33, 65], [3, 257], [130, 5]]) {
    const n = r * c;
    for (const op of [Binary.add, Binary.mul, Binary.div, Binary.pow, Binary.xlogy]) {
      agree(`binary ${op} [${r},${c}]`, [values(n, 8), values(n, 9)], [n], (be, [a, b, y]) => be.binary(op, a, b, y, 1, r, c, 0, c, 1, 0, c, 1));
      agree(`binary ${op} [${r},${c}] .+ column`, [values(n, 8), values(r, 9)], [n], (be, [a, b, y]) => be.binary(op, a, b, y, 1, r, c, 0, c, 1, 0, 1, 0));
      agree(`binary ${op} [${r},${c}] .+ row, 3-d`, [values(n, 8), values(c, 9)], [2 * n], (be, [a, b, y]) => be.binary(op, a, b, y, 2, r, c, 0, c, 1, 0, 0, 1));
      agree(`binary ${op} [${r},${c}] transposed read`, [values(n, 8), values(n, 9)], [n], (be, [a, b, y]) => be.binary(op, a, b, y, 1, c, r, 0, 1, c, 0, r, 1));
    }
    for (const act of [Unary.identity, Unary.sigmoid, Unary.relu, Unary.elu])
      agree(`biasAct ${act} [${r},${c}]`, [values(n, 10), values(r, 11)], [n], (be, [x, b, y]) => be.biasAct(x, b, y, r, c, act, 1));
    for (const op of [Reduce.sum, Reduce.mean, Reduce.max, Reduce.argmax, Reduce.sumsq]) {
      agree(`reduce ${op} last axis [${r},${c}]`, [values(n, 12)], [r], (be, [x, y]) => be.reduce(op, x, y, r, c, 1));
      agree(`reduce ${op} middle axis [2,${r},${c}]`, [values(2 * n, 12)], [2 * c], (be, [x, y]) => be.reduce(op, x, y, 2, r, c));
      agree(`reduce ${op} first axis [${r},${c}]`, [values(n, 12)], [c], (be, [x, y]) => be.reduce(op, x, y, 1, r, c));
    }
    for (const log of [0, 1]) {
      agree(`softmax log=${log} [${r},${c}]`, [values(n, 13)], [n], (be, [x, y]) => be.softmax(x, y, r, c, 1, log));
      agree(`softmax log=${log} [3,${r},${c}]`, [values(3 * n, 13)], [3 * n], (be, [x, y]) => be.softmax(x, y, 3, r, c, log));
      agree(`softmaxGrad log=${log} [${r},${c}]`, [values(n, 14), values(n, 15)], [n], (be, [y, dy, dx]) => be.softmaxGrad(y, dy, dx, r, c, 1, log));
    }
    agree(`strided transpose [${r},${c}]`, [values(n, 16)], [n], (be, [x, y]) => be.strided(x, y, n, 0, 1, 1, 1, 1, c, r, 0, 0, 0, 0, 1, c));
    agree(`strided slice + broadcast [${r},${c}]`, [values(n, 16)], [3 * n], (be, [x, y]) => be.strided(x, y, 3 * n, 0, 1, 1, 1, 3, r, c, 0, 0, 0, 0, c, 1));
  }
});

/** The 18 geometry arguments of the conv kernels: w, k, o, s, d, p for 3 dims each. */
type G18 = [number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number];

test('im2col, col2im, pool and poolGrad (max ties and mean) are bit-identical on 1, 2, 3 threads', () => {
  // [w], [k], [s], [d], [p] per spatial dim (3 dims); odd sizes, stride, dilation, padding, a 1-D and a 3-D case
  const geoms = [
    [[28, 28, 1], [5, 5, 1], [1, 1, 1], [1, 1, 1], [0, 0, 0]],
    [[9, 7, 1], [3, 2, 1], [2, 1, 1], [1, 2, 1], [1, 2, 0]],
    [[13, 1, 1], [3, 1, 1], [1, 1, 1], [2, 1, 1], [2, 0, 0]],
    [[5, 4, 6], [2, 3, 2], [1, 2, 2], [2, 1, 1], [1, 0, 1]],
  ];
  const ties = (n: number) => Float32Array.from(values(n, 21), (v) => Math.sign(Math.round(v * 2)));
  const parts = () => bes.slice(1).map((be) => be.threadPool()!.partsRun().reduce((a, b) => a + b, 0));
  const before = parts();
  for (const [w, k, s, d, p] of geoms) {
    const o = w.map((wi, t) => Math.floor((wi + 2 * p[t] - (d[t] * (k[t] - 1) + 1)) / s[t]) + 1);
    const g = [...w, ...k, ...o, ...s, ...d, ...p] as G18, W = w[0] * w[1] * w[2], O = o[0] * o[1] * o[2], K = k[0] * k[1] * k[2];
    for (const [n, c, c0, cg] of [[3, 1, 0, 1], [5, 4, 1, 2]]) {
      const tag = `w ${w} k ${k} n ${n} c ${c} c0 ${c0} cg ${cg}`, colLen = K * cg * O * n;
      agree(`im2col ${tag}`, [values(W * c * n, 22)], [colLen], (be, [x, col]) => be.im2col(x, col, n, c, c0, cg, ...g, 1));
      agree(`col2im ${tag}`, [values(colLen, 23)], [W * c * n], (be, [col, x]) => be.col2im(col, x, n, c, c0, cg, ...g, 0));
    }
    for (const cn of [1, 7, 140]) for (const mean of [0, 1]) {
      agree(`pool ${mean ? 'mean' : 'max'} w ${w} k ${k} cn ${cn}`, [ties(W * cn), values(O * cn, 24)], [O * cn, W * cn], (be, [x, dy, y, dx]) => {
        be.pool(x, y, cn, ...g, mean);
        be.poolGrad(x, y, dy, dx, cn, ...g, mean);
      });
    }
  }
  // each call above on 2 and 3 threads ran as parts (each kernel call splits into 2 or more)
  parts().forEach((after, t) => assert.ok(after - before[t] >= 2 * 40, `${t + 2} threads: ${after - before[t]} parts run`));
});

test('a split kernel below the thresholds, or with forcing off, runs on the calling thread alone', () => {
  const be = bes[1], pool = be.threadPool()!;
  pool.split = 'auto';
  try {
    const before = threadCosts.minFlops;
    assert.ok(before > 2 * 8 ** 3, `a tiny product is below the matmul threshold (${before} flops)`);
    agree('tiny matmul, unforced', [values(64, 1), values(64, 2)], [64], (b, [x, y, z]) => b.matmul(x, y, z, 8, 8, 8, 0, 0, 0));
  } finally { pool.split = 'always'; }
});

test('the pool\'s workers compute: a product split over 3 threads with the caller only waiting is bit-identical', () => {
  const be = bes[2], pool = be.threadPool()!, n = 384;
  const a = be.alloc(n * n), c = be.alloc(n * n);
  be.fill(a, n * n, 0.25);
  const before = pool.partsRun();
  pool.callerTakes = false;                         // the caller only waits: the workers compute it all
  try { be.matmul(a, a, c, n, n, n, 0, 0, 0); } finally { pool.callerTakes = true; }
  const after = pool.partsRun();
  assert.is(after[0], before[0], 'the caller ran no part');
  assert.ok(after[1] + after[2] > before[1] + before[2], `parts run per thread: ${before} → ${after}`);
  const want = bes[0].alloc(n * n), wc = bes[0].alloc(n * n);
  bes[0].fill(want, n * n, 0.25); bes[0].matmul(want, want, wc, n, n, n, 0, 0, 0);
  same(bes[0].readSync(wc, n * n)!, be.readSync(c, n * n)!, 'the product computed by the workers alone');
  be.free(a, n * n); be.free(c, n * n); bes[0].free(want, n * n); bes[0].free(wc, n * n);
});

test('memory growth: a kernel split over the pool reads and writes pages added after the workers started', () => {
  const be = bes[2], grew = be.memoryBytes();
  const n = 3 << 20;                                 // 12 MB more than the initial 4 MiB
  const x = be.alloc(n), y = be.alloc(n);
  assert.ok(be.memoryBytes() > grew, 'the memory grew');
  const v = values(n, 21);
  be.write(x, v);
  be.unary(Unary.sigmoid, x, y, n, 0, 0);
  const one = bes[0], x1 = one.alloc(n), y1 = one.alloc(n);
  one.write(x1, v);
  one.unary(Unary.sigmoid, x1, y1, n, 0, 0);
  same(one.readSync(y1, n)!, be.readSync(y, n)!, 'sigmoid over grown memory');
  be.free(x, n); be.free(y, n); one.free(x1, n); one.free(y1, n);
});

test('a whole training run is bit-identical on 1, 2 and 3 threads (every splittable kernel split)', async () => {
  function run() {
    seed(7);
    const m = Chain(Dense(37, 29, relu), Dense(29, 29, sigmoid), Dense(29, 5));
    const ps = params(m), opt = Adam(3e-3);
    const x = rand(37, 19).keep(), y = tensor(Array.from({ length: 5 * 19 }, (_, i) => (i % 5 === 0 ? 1 : 0)), [5, 19]).keep();
    const loss = (a: Tensor, b: Tensor) => logitcrossentropy(m(a), b);
    const losses: number[] = [];
    for (let s = 0; s < 5; s++) { const l = trainStep(loss, ps, [x, y], opt); losses.push(l.dataSync()[0]); l.dispose(); }
    const m2 = Chain(Dense(37, 8, sigmoid), Dense(8, 3), softmax), o2 = Momentum(0.05, 0.9);
    const y2 = rand(3, 19).keep();
    for (let s = 0; s < 3; s++) trainStep((a: Tensor, b: Tensor) => mse(m2(a), b), params(m2), [x, y2], o2).dispose();
    const out = [...ps, ...params(m2)].map((p) => p.dataSync() as Float32Array);
    return { losses: Float32Array.from(losses), out };
  }
  const runs: { losses: Float32Array; out: Float32Array[] }[] = [];
  try {
    for (const n of [1, 2, 3]) {
      await init({ threads: n });
      assert.is(devices().cpu!.threads, n);
      const p = (runtime.cpu as WasmBackend).threadPool();
      if (p) p.split = 'always';
      runs.push(withPolicy('cpu', run));          // a GPU another test file opened must not take ops
    }
  } finally { await init({ threads: initial }); }
  for (const t of [1, 2]) {
    same(runs[0].losses, runs[t].losses, `losses, ${t + 1} threads`);
    runs[0].out.forEach((w, i) => same(w, runs[t].out[i], `parameter ${i}, ${t + 1} threads`));
  }
});

test('a worker that dies inside a kernel: the result is still right, the backend goes on with one thread and says why', async () => {
  const be = await createWasm({ shared: true });
  await be.setThreads(3);
  const pool = be.threadPool()!;
  pool.split = 'always';
  pool.callerTakes = false;                         // every part on a worker, so worker 1 surely takes one
  pool.stallMs = 1000;
  const warned: string[] = [], warn = console.warn;
  console.warn = (m: string) => { warned.push(m); };
  try {
    const m = 96, k = 300, n = 160;
    const a = be.alloc(m * k), b = be.alloc(k * n), c = be.alloc(m * n);
    be.write(a, values(m * k, 1)); be.write(b, values(k * n, 2));
    const one = bes[0], a1 = one.alloc(m * k), b1 = one.alloc(k * n), c1 = one.alloc(m * n);
    one.write(a1, values(m * k, 1)); one.write(b1, values(k * n, 2));
    one.matmul(a1, b1, c1, m, k, n, 0, 0, 0);
    const want = one.readSync(c1, m * n)!;
    pool.killNextPart(1);                            // worker 1 exits in the next part it takes
    for (let i = 0; i < 200 && be.threadPool(); i++) {
      be.matmul(a, b, c, m, k, n, 0, 0, 0);          // a part worker 1 took is recomputed here
      same(want, be.readSync(c, m * n)!, `matmul ${i} while worker 1 dies`);
      await new Promise((r) => setTimeout(r, 1));    // lets an 'exit' event in, if it came first
    }
    assert.is(be.threadPool(), null, `the pool is gone (parts run per thread: ${pool.partsRun()})`);
    assert.is(be.threads(), 1);
    assert.match(be.threadsReason(), /worker 1/);
    assert.ok(warned.some((w) => /one thread/.test(w)), `one warning: ${warned}`);
    be.matmul(a, b, c, m, k, n, 0, 0, 0);
    same(want, be.readSync(c, m * n)!, 'matmul after');
  } finally { console.warn = warn; }
});

test('an in-place update whose part a dead worker left: a clear error, never a hang; then one thread', async () => {
  const be = await createWasm({ shared: true });
  await be.setThreads(2);
  const pool = be.threadPool()!;
  pool.split = 'always';
  pool.callerTakes = false;
  pool.stallMs = 1000;
  const warn = console.warn;
  console.warn = () => {};
  try {
    const n = 1 << 20, x = be.alloc(n), g = be.alloc(n), guard = be.alloc(1);
    be.fill(x, n, 1); be.fill(g, n, 1); be.fill(guard, 1, 0);
    pool.killNextPart(1);
    let threw: Error | null = null;
    for (let i = 0; i < 200 && be.threadPool() && !threw; i++) {
      try { be.descent(x, g, guard, n, 0.5); } catch (e) { threw = e as Error; }
      await new Promise((r) => setTimeout(r, 1));
    }
    assert.is(be.threadPool(), null, `the pool is gone (parts run per thread: ${pool.partsRun()})`);
    if (threw) assert.match(threw.message, /descent: .*stopped during the call.*one thread/);
    be.fill(x, n, 1);
    be.descent(x, g, guard, n, 0.5);                 // one thread now: exact
    assert.equal([...be.readSync(x, 4)!], [0.5, 0.5, 0.5, 0.5]);
  } finally { console.warn = warn; }
});

test('a worker terminated from outside: the next kernels run (no hang), then one thread with the reason', async () => {
  const be = await createWasm({ shared: true });
  await be.setThreads(3);
  const pool = be.threadPool()!;
  pool.split = 'always';
  pool.stallMs = 200;     // terminate() is asynchronous: the worker may yet take a part of the next job and die in it
  const warn = console.warn;
  console.warn = () => {};
  try {
    const n = 4099, x = be.alloc(n), y = be.alloc(n);
    be.write(x, values(n, 3));
    const done = (pool.workers[1] as { terminate(): Promise<number> }).terminate();
    be.unary(Unary.tanh, x, y, n, 0, 0);             // before the exit event: the live threads take its parts
    const one = bes[0], x1 = one.alloc(n), y1 = one.alloc(n);
    one.write(x1, values(n, 3)); one.unary(Unary.tanh, x1, y1, n, 0, 0);
    same(one.readSync(y1, n)!, be.readSync(y, n)!, 'tanh with a terminated worker');
    await done;
    await new Promise((r) => setTimeout(r, 20));
    assert.is(be.threads(), 1);
    assert.match(be.threadsReason(), /Wasm worker 2 (exited \(code 1\)|stopped answering during unary)/);
    be.unary(Unary.tanh, x, y, n, 0, 0);
    same(one.readSync(y1, n)!, be.readSync(y, n)!, 'tanh after');
  } finally { console.warn = warn; }
});

test('calibrate() measures the pool (fan-out, speedups) and the scheduler derives its split sizes from them', async () => {
  const before = getProfile();
  try {
    await init({ threads: 2 });
    const p = await calibrate();
    const t = p.cpu.threads!;
    assert.ok(t, 'a threads entry in the CPU profile');
    assert.is(t.n, 2);
    // the measured fan-out is a valid profile entry: setProfile's own checks (a finite ms ≥ 0), no time bound here
    assert.not.throws(() => setProfile(p), 'calibrate()\'s profile passes setProfile');
    assert.ok(t.matmul > 0 && t.bandwidth > 0, `speedups ${t.matmul}, ${t.bandwidth}`);
    assert.is(threadCosts.threads, 2);
    // the thresholds follow from the measured figures: finite exactly where splitting was measured to pay
    assert.is(Number.isFinite(threadCosts.minFlops), t.matmul > 1.05, `matmul ${t.matmul}x → from ${threadCosts.minFlops} flops`);
    assert.is(Number.isFinite(threadCosts.minBytes), t.bandwidth > 1.05, `memory-bound ${t.bandwidth}x → from ${threadCosts.minBytes} bytes`);
    setProfile({ ...p, cpu: { ...p.cpu, threads: { n: 2, fanoutMs: 0.1, matmul: 1.9, bandwidth: 1.5 } } });
    // split when t > 2·f·x/(x − 1): 2·0.1·1.9/0.9 ms of one-thread time, at the profile's peak GFLOP/s
    const peak = p.cpu.matmul[p.cpu.matmul.length - 1][1], close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * b;
    assert.ok(close(threadCosts.minFlops, ((2 * 0.1 * 1.9) / 0.9) * peak * 1e6), `${threadCosts.minFlops} flops`);
    assert.ok(close(threadCosts.minBytes, ((2 * 0.1 * 1.5) / 0.5) * p.cpu.bandwidthGBs * 1e6), `${threadCosts.minBytes} bytes`);
    // and never below 20 µs of one-thread time, however cheap the fan-out measured
    setProfile({ ...p, cpu: { ...p.cpu, threads: { n: 2, fanoutMs: 0.001, matmul: 1.9, bandwidth: 1.5 } } });
    assert.ok(close(threadCosts.minFlops, 0.02 * peak * 1e6), `${threadCosts.minFlops} flops`);
    assert.ok(close(threadCosts.minBytes, 0.02 * p.cpu.bandwidthGBs * 1e6), `${threadCosts.minBytes} bytes`);
    assert.throws(() => setProfile({ ...p, cpu: { ...p.cpu, threads: { n: 0, fanoutMs: 0.01, matmul: 1, bandwidth: 1 } } }), /threads.n must be an integer ≥ 1/);
    assert.throws(() => setProfile({ ...p, cpu: { ...p.cpu, threads: { n: 2, fanoutMs: -1, matmul: 1, bandwidth: 1 } } }), /threads.fanoutMs/);
  } finally { setProfile(before); await init({ threads: initial }); }
});

test('init({ threads }) checks its argument; devices() reports the threads', async () => {
  for (const bad of [0, 1.5, 65, '2', NaN]) {
    let err: Error | null = null;
    try { await init({ threads: bad as number }); } catch (e) { err = e as Error; }
    assert.ok(err && /^init: threads must be an integer in \[1, 64\]/.test(err.message), `threads ${String(bad)}: ${err?.message}`);
  }
  await init({ threads: 2 });
  assert.is(devices().cpu!.threads, 2);
  assert.is(devices().cpu!.threadsReason, undefined);
  await init({ threads: initial });
});

test('inside a worker_threads Worker (no flags): a pool of its own, 2 threads bit-identical to 1', async () => {
  const { Worker } = await import('node:worker_threads');
  const src = `
    const { parentPort } = await import('node:worker_threads');
    const fx = await import(${JSON.stringify(new URL('../src/index.ts', import.meta.url).href)});
    const { runtime } = await import(${JSON.stringify(new URL('../src/runtime.ts', import.meta.url).href)});
    await fx.init({ gpu: false, threads: 2 });
    const threads = fx.devices().cpu.threads;
    const pool = runtime.cpu.threadPool();
    pool.split = 'always';
    const run = () => { fx.seed(5); return Array.from(fx.matmul(fx.rand(67, 45), fx.rand(45, 93)).dataSync()); };
    const two = run(), parts = pool.partsRun();
    await fx.init({ threads: 1 });
    parentPort.postMessage({ threads, parts, same: JSON.stringify(two) === JSON.stringify(run()) });`;
  const w = new Worker(src, { eval: true, execArgv: ['--import', fileURLToPath(new URL('_helpers/register.mjs', import.meta.url))] });
  try {
    const r = await within(new Promise<{ threads: number; parts: number[]; same: boolean }>((ok, fail) => {
      w.once('message', ok); w.once('error', fail);
    }), 'the worker_threads run');
    assert.is(r.threads, 2);
    assert.ok(r.same, 'the product on 2 threads equals the one on 1');
    assert.is(r.parts.length, 2);
  } finally { await w.terminate(); }
});

test('a Node process with a pool ends by itself when its work is done (idle workers hold nothing open)', () => {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const code = `import { init, devices, matmul, ones } from './src/index.ts';
    await init({ gpu: false, threads: 2 });
    const y = matmul(ones(300, 300), ones(300, 300));
    console.log(devices().cpu.threads + ' ' + y.dataSync()[0]);`;
  const r = spawnSync(process.execPath, ['--import', './test/_helpers/register.mjs', '--input-type=module', '-e', code],
    { cwd: root, encoding: 'utf8', timeout: 60000 });
  assert.is(r.status, 0, `exit status ${r.status} ${r.signal ?? ''}: ${r.stderr}`);
  assert.is(r.stdout.trim(), '2 300');
});

type Outcome = { page: ThreadsResult; worker: ThreadsResult } | { error: string };
const PAGE = `<!doctype html><meta charset="utf-8"><title>fluxion threads</title>
<script type="module">
  import { runThreads } from './threads-page.js';
  globalThis.__done = (async () => {
    const page = await runThreads('page');
    const w = new Worker('./threads-worker.js', { type: 'module' });
    const worker = await new Promise((ok) => {
      w.onmessage = (e) => ok(e.data);
      w.onerror = (e) => ok({ error: e.message });
      w.postMessage('go');
    });
    w.terminate();
    return { page, worker };
  })().catch((e) => ({ error: String(e && e.stack || e) }));
</script>`;

testNeedingGpu(test, 'browsers: a cross-origin isolated page (spinning main thread) and its module worker (Atomics.wait) run 2 threads, bit-identical to 1; ' +
  'a page without isolation runs 1 and says why', existsChromium(), async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fluxion-threads-'));
  const launched = await launchChromium();
  if ('error' in launched) return assert.unreachable(launched.error);
  const servers: Awaited<ReturnType<typeof serveDir>>[] = [];
  try {
    await build({
      entryPoints: [fileURLToPath(new URL('browser/threads-page.ts', import.meta.url)), fileURLToPath(new URL('browser/threads-worker.ts', import.meta.url))],
      bundle: true, format: 'esm', platform: 'browser', target: 'es2022', outdir: dir, loader: { '.wasm': 'binary', '.wgsl': 'text' },
      external: ['webgpu', 'node:*'], logLevel: 'warning',
    });
    writeFileSync(join(dir, 'index.html'), PAGE);
    const results: Record<string, { page: ThreadsResult; worker: ThreadsResult }> = {};
    for (const isolated of [true, false]) {
      const server = await serveDir(dir, 0, { isolated });
      servers.push(server);
      const page = await launched.browser.newPage();
      const problems: string[] = [];
      page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
      await page.goto(`${server.url}/`);
      await within(page.waitForFunction(() => (globalThis as { __done?: unknown }).__done), () => `the threads page\n${problems.join('\n')}`);
      const out = await within(page.evaluate(() => (globalThis as unknown as { __done: Promise<Outcome> }).__done), () => `the threads page\n${problems.join('\n')}`);
      await page.close();
      assert.ok(!('error' in out), `isolated=${isolated}: ${'error' in out ? out.error : ''}\n${problems.join('\n')}`);
      const o = out as { page: ThreadsResult; worker: ThreadsResult };
      assert.ok(!('error' in o.worker), `isolated=${isolated}, worker: ${(o.worker as { error?: string }).error}`);
      results[String(isolated)] = o;
    }
    for (const r of [results.true.page, results.true.worker]) {
      assert.is(r.isolated, true, r.where);
      assert.is(r.threads, 2, `${r.where}: ${r.reason}`);
      assert.equal(r.differing, [], `${r.where}: outputs that differ between 2 threads and 1`);
      assert.ok(r.compared! > 10, `${r.where}: ${r.compared} outputs compared`);
      assert.ok(r.workerParts! > 0, `${r.where}: the pool's worker ran ${r.workerParts} parts`);
    }
    for (const r of [results.false.page, results.false.worker]) {
      assert.is(r.isolated, false, r.where);
      assert.is(r.threads, 1, r.where);
      assert.match(r.reason ?? '', /not cross-origin isolated.*Cross-Origin-Opener-Policy: same-origin.*Cross-Origin-Embedder-Policy: require-corp/, r.where);
    }
    const t = results.true;
    console.log(`  chromium ${launched.browser.version()}: page ${t.page.workerParts} and worker ${t.worker.workerParts} parts on the pool's worker, ` +
      `${t.page.compared} outputs bit-identical on each (${t.page.ms} ms, ${t.worker.ms} ms); unisolated: 1 thread`);
  } finally {
    await launched.browser.close().catch(() => {});
    for (const s of servers) await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

function existsChromium(): string | null {
  return existsSync(CHROMIUM) ? null : `${CHROMIUM} not found`;
}

test.after(() => { for (const be of bes) be.setThreads(1); });

test.run();
