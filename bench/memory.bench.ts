// Long-run memory (issue 10, items 3 and 4): resident memory (RSS, after a forced collection) and
// memory() at fixed steps of
//   1. `train` on the seed's model A (784-32-10 σ, softmax, mse, SGD) at batch 64, 6,000 steps;
//   2. the idiomatic manual loop, `for (const [x, y] of DataLoader(...)) trainStep(...)`, on
//      Dense(4, 2) with nothing disposed by hand, 100,000 steps;
//   3. `train` on LeNet-5 (Conv, MaxPool, Dense; logitcrossentropy, Adam) at batch 16, 5,000 steps;
//   4. one trainStep at every batch size from 1 to 8,000 once (Dense(4, 2)): the Wasm memory a
//      100 KB live set needs when no size repeats (the allocator's reuse across sizes).
// RSS is noisy on a shared machine; the figures that must be flat are memory()'s and the JS
// heap in use after a collection. RSS can still rise in a loop that allocates many short-lived
// objects while V8 grows its young generation towards its cap: an empty DataLoader loop does
// that too (measured: +17 MB over 60,000 batches with no tensor op, heap in use flat).
// Run alone: node --experimental-wasm-relaxed-simd --expose-gc --import ./test/_helpers/register.mjs bench/memory.bench.ts
import v8 from 'node:v8';
import vm from 'node:vm';
import * as fx from '../src/index.ts';
import { settle } from '../test/_helpers/gc.ts';

v8.setFlagsFromString('--expose-gc');
const gc: () => void = vm.runInNewContext('gc');
const MB = (b: number) => (b / 2 ** 20).toFixed(1);

interface Mark { step: number; rss: number; heap: number; tensors: number; bytes: number; wasm: number }
function mark(step: number): Mark {
  gc();
  const m = fx.memory(), u = process.memoryUsage();
  return { step, rss: u.rss, heap: u.heapUsed, tensors: m.tensors, bytes: m.cpu.bytes, wasm: m.cpu.wasmMemory };
}
const row = (name: string, m: Mark) =>
  `| ${name} | ${m.step.toLocaleString('en')} | ${MB(m.rss)} | ${MB(m.heap)} | ${m.tensors} | ${m.bytes} | ${MB(m.wasm)} |`;

async function trainLoop(steps: number, at: number[]): Promise<Mark[]> {
  fx.seed(1);
  const m = fx.Chain(fx.Dense(784, 32, fx.sigmoid), fx.Dense(32, 10), fx.softmax);
  const x = fx.rand(784, 64).keep(), y = fx.rand(10, 64).keep();
  const marks: Mark[] = [];
  let step = 0;
  await fx.train((a: fx.Tensor, b: fx.Tensor) => fx.mse(m(a), b), fx.params(m), fx.repeated([x, y], steps), fx.Descent(0.1), {
    cb: () => { if (at.includes(++step)) marks.push(mark(step)); },
  });
  x.dispose(); y.dispose();
  return marks;
}

async function lenetLoop(steps: number, at: number[]): Promise<Mark[]> {
  fx.seed(4);
  const m = fx.Chain(fx.Conv([5, 5], [1, 6], fx.relu), fx.MaxPool([2, 2]), fx.Conv([5, 5], [6, 16], fx.relu), fx.MaxPool([2, 2]),
    fx.flatten, fx.Dense(256, 120, fx.relu), fx.Dense(120, 84, fx.relu), fx.Dense(84, 10));
  const X = fx.rand(28, 28, 1, 512).keep(), Y = fx.onehotbatch(Array.from({ length: 512 }, (_, j) => j % 10), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]).keep();
  const data = fx.DataLoader([X, Y], { batchsize: 16, shuffle: true });
  const marks: Mark[] = [];
  let step = 0;
  const loss = (a: fx.Tensor, b: fx.Tensor) => fx.logitcrossentropy(m(a), b);
  const opt = fx.Adam(1e-3), ps = fx.params(m);
  while (step < steps) {
    await fx.train(loss, ps, data, opt, { cb: () => { if (at.includes(++step)) marks.push(mark(step)); if (step >= steps) fx.stop(); } });
  }
  X.dispose(); Y.dispose();
  return marks;
}

function manualLoop(steps: number, at: number[]): Mark[] {
  fx.seed(2);
  const m = fx.Dense(4, 2), ps = fx.params(m), opt = fx.Descent(0.01);
  const X = fx.rand(4, 64).keep(), Y = fx.rand(2, 64).keep();
  const dl = fx.DataLoader([X, Y], { batchsize: 8 }) as Iterable<fx.Tensor[]>;
  const loss = (a: fx.Tensor, b: fx.Tensor) => fx.mse(m(a), b);
  const marks: Mark[] = [];
  for (let step = 0; step < steps;) {
    for (const [x, y] of dl) {
      fx.trainStep(loss, ps, [x, y], opt);
      if (at.includes(++step)) marks.push(mark(step));
      if (step === steps) break;
    }
  }
  X.dispose(); Y.dispose();
  return marks;
}

function everyBatchSize(max: number): Mark[] {
  fx.seed(3);
  const m = fx.Dense(4, 2), ps = fx.params(m), opt = fx.Descent(0.01);
  const loss = (a: fx.Tensor, b: fx.Tensor) => fx.mse(m(a), b);
  const X = fx.rand(4, max).keep(), Y = fx.rand(2, max).keep();
  const marks = [mark(0)];
  for (let n = 1; n <= max; n++) {
    // the first n observations as one batch: DataLoader with batchsize n, one batch taken
    for (const b of fx.DataLoader([X, Y], { batchsize: n }) as Iterable<fx.Tensor[]>) { fx.trainStep(loss, ps, b, opt); break; }
  }
  marks.push(mark(max));
  X.dispose(); Y.dispose();
  return marks;
}

export async function runMemoryBench(): Promise<string> {
  await fx.init({ gpu: false });
  // the earlier sections of `npm run bench` leave models they never disposed: freed now, not
  // between two marks of a loop (their finalizers run after a GC, asynchronously)
  await settle();
  const head = '| loop | step | RSS MB | JS heap used MB | memory().tensors | cpu bytes | Wasm MB |\n|---|---|---|---|---|---|---|';
  const out: string[] = [head];
  await fx.withPolicy('cpu', async () => {
    const a = await trainLoop(6000, [1000, 6000]);
    for (const k of a) out.push(row('train, model A, batch 64', k));
    out.push(`| **RSS growth 1,000 → 6,000** | | **${MB(a[1].rss - a[0].rss)}** | | | | |`);
    const b = manualLoop(100_000, [1000, 6000, 100_000]);
    for (const k of b) out.push(row('manual DataLoader + trainStep, Dense(4, 2)', k));
    out.push(`| **RSS growth 1,000 → 6,000** | | **${MB(b[1].rss - b[0].rss)}** | | | | |`);
    const l = await lenetLoop(5000, [1000, 5000]);
    for (const k of l) out.push(row('train, LeNet-5, batch 16', k));
    out.push(`| **RSS growth 1,000 → 5,000** | | **${MB(l[1].rss - l[0].rss)}** | | | | |`);
    const c = everyBatchSize(8000);
    for (const k of c) out.push(row('every batch size 1..8,000 once', k));
  });
  return out.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await runMemoryBench());
