// Lazy transpose (issue 15, item 8): `matmul(dY, transpose(X))`, Julia's `dY * X'`, against the
// same product asked for with a flag (`matmul(dY, X, { transB: true })`) and the plain product of
// the same size (`matmul(dY, Xt)` with Xt already laid out [k, n]), in one run on the Wasm device.
// Also the A side, `matmul(transpose(W), dy)` against `{ transA: true }`. Each sample is one
// product in a scope (its output freed). The three forms of a row run in short tinybench rounds,
// interleaved (ROUNDS of them), and each figure is the median of its round medians: on a shared
// machine the load drifts within a second, and a form measured only after another would see a
// different machine.
// Run alone: node --experimental-wasm-relaxed-simd --import ./test/_helpers/register.mjs bench/transpose.bench.ts
import { pathToFileURL } from 'node:url';
import * as fx from '../src/index.ts';
import { runTasks, fmt } from './_util.ts';

const ROUNDS = 9;
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; };

interface Row { name: string; m: number; k: number; n: number }
// dY·Xᵀ: m×k times (n×k)ᵀ. 256×64·64×256 is a square-ish gradient; 1 and 10 ×128·(784×128)ᵀ have
// few rows, where a copying transpose of the 784×128 X costs most next to the product; 128×64·64×784
// is dW of a Dense(784 → 128) at batch 64 (the 128×784 weight).
const ROWS: Row[] = [
  { name: '256×64 · (256×64)ᵀ', m: 256, k: 64, n: 256 },
  { name: '1×128 · (784×128)ᵀ (one observation)', m: 1, k: 128, n: 784 },
  { name: '10×128 · (784×128)ᵀ', m: 10, k: 128, n: 784 },
  { name: '128×64 · (784×64)ᵀ (dW of Dense 784→128, B=64)', m: 128, k: 64, n: 784 },
];

/** The markdown section: ms per product, and speed relative to the plain product (plain ms / ms). */
export async function runTransposeBench(): Promise<string> {
  await fx.init({ gpu: false, threads: 1 });   // one thread, as the tfjs columns run (threads.bench.ts has two)
  fx.seed(15);
  const lines = [
    '| product | plain A·B | A·B, `transB` flag | A·transpose(X) | transpose vs plain | transpose vs flag |',
    '|---|---:|---:|---:|---:|---:|',
  ];
  const side = async (name: string, plain: () => unknown, flag: () => unknown, lazy: () => unknown) => {
    // the product is made and freed inside the scope (a returned tensor would leave it)
    const freed = (f: () => unknown) => () => fx.scope(() => { f(); });
    const forms: [string, () => unknown][] = [['plain', freed(plain)], ['flag', freed(flag)], ['lazy', freed(lazy)]];
    const got = new Map<string, number[]>(forms.map(([f]) => [f, []]));
    for (let r = 0; r < ROUNDS; r++) {
      const order = forms.map((_, i) => forms[(i + r) % forms.length]);   // each form first in turn
      const ms = await runTasks(order, 120, { iterations: 16, warmupIterations: 4 });
      for (const [f] of forms) got.get(f)!.push(ms.get(f)!);
    }
    const [p, f, l] = forms.map(([k]) => median(got.get(k)!));
    lines.push(`| ${name} | ${fmt(p, 3)} ms | ${fmt(f, 3)} ms | ${fmt(l, 3)} ms | ${fmt(p / l)}x | ${fmt(f / l)}x |`);
    console.error(lines[lines.length - 1]);
  };
  for (const r of ROWS) {
    const dY = fx.randn(r.m, r.k).keep(), X = fx.randn(r.n, r.k).keep(), Xt = fx.randn(r.k, r.n).keep();
    await side(r.name, () => fx.matmul(dY, Xt), () => fx.matmul(dY, X, { transB: true }), () => fx.matmul(dY, fx.transpose(X)));
    for (const t of [dY, X, Xt]) t.dispose();
  }
  // The A side: Wᵀ·dy, the input gradient of a Dense(784 → 128) at batch 64.
  const W = fx.randn(128, 784).keep(), Wt = fx.randn(784, 128).keep(), dy = fx.randn(128, 64).keep();
  await side('(128×784)ᵀ · 128×64 (dx of Dense 784→128, B=64)',
    () => fx.matmul(Wt, dy), () => fx.matmul(W, dy, { transA: true }), () => fx.matmul(fx.transpose(W), dy));
  for (const t of [W, Wt, dy]) t.dispose();
  return `Wasm device, one thread; median of ${ROUNDS} interleaved tinybench rounds per figure. "vs" columns: the other product\'s median over transpose\'s (above 1: transpose is faster). ` +
    'plain multiplies operands already laid out for the product; the flag and transpose() rows read a transposed operand.\n\n' +
    lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) console.log(await runTransposeBench());
