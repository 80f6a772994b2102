// matmul GFLOP/s (one thread, medians via tinybench): fluxion Wasm SIMD (plain and relaxed),
// a plain JavaScript i-k-j loop, TensorFlow.js cpu and wasm (XNNPACK) backends, at square sizes
// and at the seed model's Dense(784→32) shapes: forward W·x, dx = Wᵀ·dy (Aᵀ·B), dW = dy·xᵀ (A·Bᵀ).
// Where a WebGPU adapter exists, a webgpu column: inputs uploaded once, each sample records the
// products and awaits a 4-byte readback of the output (so dispatch + completion are timed).
// Run: node --experimental-wasm-relaxed-simd --import ./test/_helpers/register.mjs bench/matmul.bench.ts
import { Bench } from 'tinybench';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { loadRaw, relaxedSupported, type Raw } from '../test/kernels/loadRaw.ts';
import { createWebGPU, type WebGPUBackend } from '../src/backends/webgpu.ts';

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
type Runner = (reps: number) => void | Promise<unknown>;

function fluxion(R: Raw, s: Shape): Runner {
  const E = R.exports;
  R.reset();
  const a = R.put(rand(s.m * s.k)), b = R.put(rand(s.k * s.n)), c = R.alloc(s.m * s.n * 4);
  const ws = R.alloc(E.matmul_ws_bytes(s.m, s.k, s.n));
  return (reps) => { for (let r = 0; r < reps; r++) E.matmul(a, b, c, s.m, s.k, s.n, s.ta, s.tb, 0, ws); };
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

/** WebGPU: a and b uploaded once; a sample records `reps` products and awaits 4 bytes of c. */
function webgpu(be: WebGPUBackend, s: Shape): { run: Runner; free(): void } {
  const a = be.alloc(s.m * s.k), b = be.alloc(s.k * s.n), c = be.alloc(s.m * s.n);
  be.write(a, rand(s.m * s.k)); be.write(b, rand(s.k * s.n));
  return {
    run: (reps) => { for (let r = 0; r < reps; r++) be.matmul(a, b, c, s.m, s.k, s.n, s.ta, s.tb, 0); return be.read(c, 1); },
    free() { be.free(a, s.m * s.k); be.free(b, s.k * s.n); be.free(c, s.m * s.n); },
  };
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

async function measure(run: Runner, flops: number, budgetMs: number, async = false): Promise<number> {
  const reps = Math.max(1, Math.round(2e7 / flops));
  const bench = new Bench({ time: budgetMs, iterations: 5, warmupTime: budgetMs / 2, warmupIterations: 3 });
  if (async) bench.add('x', async () => { await run(reps); });
  else bench.add('x', () => run(reps));
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
  const created = await createWebGPU();
  const gpu = 'error' in created ? null : created;
  const soft = !!gpu && (gpu.info.fallback || /swiftshader/i.test(`${gpu.info.architecture} ${gpu.info.description}`));
  if (gpu) {
    cols.push(`webgpu (${soft ? 'SwiftShader: a CPU' : gpu.info.description || gpu.info.vendor})`);
    await gpu.warmup();
  } else console.error(`matmul bench: no webgpu column (${(created as { error: string }).error})`);
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
    if (gpu) {   // 1024³ is ~2 s a product on SwiftShader: not measured there
      if (soft && s.m * s.k * s.n >= 1024 ** 3) cells.push(NaN);
      else { const g = webgpu(gpu, s); cells.push(await measure(g.run, flops, budgetMs, true)); g.free(); }
    }
    rows.push(`| ${s.name} | ${cells.map((g) => (Number.isNaN(g) ? '—' : g.toFixed(g < 0.1 ? 3 : 1))).join(' | ')} |`);
    console.error(rows[rows.length - 1]);
  }
  const head = `| shape (m×k×n, variant) | ${cols.join(' | ')} |\n|---|${cols.map(() => '---:').join('|')}|`;
  const gpuNote = !gpu ? '' : `\n\nwebgpu column: ${gpu.info.vendor} ${gpu.info.architecture} (${gpu.info.description}); inputs ` +
    'uploaded once, each sample records the products (≈ 20 MFLOP) and awaits a 4-byte readback of the output, so it ' +
    `times dispatch, execution and one sync.${soft ? ' The adapter is SwiftShader, Vulkan on the CPU (this machine has ' +
      'no GPU): the column shows the WGSL kernels run, not GPU speed; 1024³ is not measured there (~2 s a product).' : ''}`;
  gpu?.destroy();
  return `GFLOP/s, median, one thread (${relaxed ? 'relaxed SIMD enabled' : 'relaxed SIMD unavailable: run node with --experimental-wasm-relaxed-simd'})${gpuNote}\n\n${head}\n${rows.join('\n')}\n`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(await runMatmulBench());
}
