// matmul GFLOP/s (one thread, medians via tinybench): fluxion Wasm SIMD (plain and relaxed),
// a plain JavaScript i-k-j loop, TensorFlow.js cpu and wasm (XNNPACK) backends, at square sizes
// and at the seed model's Dense(784→32) shapes: forward W·x, dx = Wᵀ·dy (Aᵀ·B), dW = dy·xᵀ (A·Bᵀ).
// Run: node --experimental-wasm-relaxed-simd --import tsx bench/matmul.bench.ts
import { Bench } from 'tinybench';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { loadRaw, relaxedSupported, type Raw } from '../test/kernels/loadRaw.ts';

interface Shape { name: string; m: number; k: number; n: number; ta: 0 | 1; tb: 0 | 1 }

const SQUARE = [32, 64, 128, 256, 512, 1024];
function shapes(): Shape[] {
  const out: Shape[] = SQUARE.map((n) => ({ name: `${n}×${n}×${n}`, m: n, k: n, n, ta: 0, tb: 0 }));
  for (const B of [1, 64, 256]) {
    out.push({ name: `W·x B=${B}`, m: 32, k: 784, n: B, ta: 0, tb: 0 });
    out.push({ name: `Wᵀ·dy B=${B}`, m: 784, k: 32, n: B, ta: 1, tb: 0 });
    out.push({ name: `dy·xᵀ B=${B}`, m: 32, k: B, n: 784, ta: 0, tb: 1 });
  }
  return out;
}

const rand = (n: number) => Float32Array.from({ length: n }, () => Math.random() - 0.5);

/** A closure that runs `reps` products, and the number of reps (≈ 20 MFLOP per sample). */
type Runner = (reps: number) => void;

function fluxion(R: Raw, s: Shape): Runner {
  const E = R.exports;
  R.reset();
  const a = R.put(rand(s.m * s.k)), b = R.put(rand(s.k * s.n)), c = R.alloc(s.m * s.n * 4);
  const ws = R.alloc(E.matmul_ws_bytes(s.m, s.k, s.n));
  return (reps) => { for (let r = 0; r < reps; r++) E.matmul_f32(a, b, c, s.m, s.k, s.n, s.ta, s.tb, ws, 0); };
}

/** Plain JavaScript, i-k-j order (top-level functions with arguments: V8 optimises these best). */
function jsNN(a: Float32Array, b: Float32Array, c: Float32Array, m: number, k: number, n: number): void {
  c.fill(0);
  for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) {
    const av = a[i * k + p], ci = i * n, bp = p * n;
    for (let j = 0; j < n; j++) c[ci + j] += av * b[bp + j];
  }
}
function jsTN(a: Float32Array, b: Float32Array, c: Float32Array, m: number, k: number, n: number): void {
  c.fill(0);
  for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) {
    const av = a[p * m + i], ci = i * n, bp = p * n;
    for (let j = 0; j < n; j++) c[ci + j] += av * b[bp + j];
  }
}
function jsNT(a: Float32Array, b: Float32Array, c: Float32Array, m: number, k: number, n: number): void {
  c.fill(0);
  for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) {
    const av = a[i * k + p], ci = i * n;
    for (let j = 0; j < n; j++) c[ci + j] += av * b[j * k + p];
  }
}

function plainJs(s: Shape): Runner {
  const a = rand(s.m * s.k), b = rand(s.k * s.n), c = new Float32Array(s.m * s.n);
  const f = s.ta ? jsTN : s.tb ? jsNT : jsNN;
  return (reps) => { for (let r = 0; r < reps; r++) f(a, b, c, s.m, s.k, s.n); };
}

function tfjs(s: Shape): Runner {
  const a = tf.tensor2d(rand(s.m * s.k), s.ta ? [s.k, s.m] : [s.m, s.k]);
  const b = tf.tensor2d(rand(s.k * s.n), s.tb ? [s.n, s.k] : [s.k, s.n]);
  return (reps) => {
    for (let r = 0; r < reps; r++) { const c = tf.matMul(a, b, s.ta === 1, s.tb === 1); c.dataSync(); c.dispose(); }
  };
}

async function measure(run: Runner, flops: number, budgetMs: number): Promise<number> {
  const reps = Math.max(1, Math.round(2e7 / flops));
  const bench = new Bench({ time: budgetMs, iterations: 5, warmupTime: budgetMs / 2, warmupIterations: 3 });
  bench.add('x', () => run(reps));
  await bench.run();
  const r = bench.tasks[0].result as any;
  if (r.state !== 'completed') throw new Error(`bench failed: ${r.state} ${r.error ?? ''}`);
  return (flops * reps) / (r.latency.p50 * 1e6); // p50 in ms → GFLOP/s
}

/** Runs every implementation on every shape; returns a markdown table of GFLOP/s (medians). */
export async function runMatmulBench(budgetMs = 120): Promise<string> {
  const cols: string[] = ['fluxion simd'];
  const simd = loadRaw('simd', 1024);
  const relaxed = relaxedSupported() ? loadRaw('relaxed', 1024) : null;
  if (relaxed) cols.push('fluxion relaxed');
  cols.push('plain JS', 'tfjs cpu', 'tfjs wasm');
  const wasmDir = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  setWasmPaths(join(wasmDir, '/'));
  setThreadsCount(1);
  const rows: string[] = [];
  const fwd: Record<string, number[]> = {};
  for (const s of shapes()) {
    const flops = 2 * s.m * s.k * s.n;
    const cells: number[] = [];
    cells.push(await measure(fluxion(simd, s), flops, budgetMs));
    if (relaxed) cells.push(await measure(fluxion(relaxed, s), flops, budgetMs));
    cells.push(s.m * s.k * s.n >= 1024 ** 3 ? NaN : await measure(plainJs(s), flops, budgetMs));
    for (const backend of ['cpu', 'wasm']) {
      await tf.setBackend(backend);
      await tf.ready();
      cells.push(await measure(tfjs(s), flops, budgetMs));
      tf.disposeVariables();
      tf.engine().reset();
    }
    rows.push(`| ${s.name} | ${cells.map((g) => (Number.isNaN(g) ? '—' : g.toFixed(1))).join(' | ')} |`);
    console.error(rows[rows.length - 1]);
  }
  const head = `| shape (m×k×n, variant) | ${cols.join(' | ')} |\n|---|${cols.map(() => '---:').join('|')}|`;
  return `GFLOP/s, median, one thread (${relaxed ? 'relaxed SIMD enabled' : 'relaxed SIMD unavailable: run node with --experimental-wasm-relaxed-simd'})\n\n${head}\n${rows.join('\n')}\n`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(await runMatmulBench());
}
