// Time from process start to the first matmul result, in a fresh Node process each time:
// fluxion from the built bundle (dist/), TensorFlow.js with its wasm backend. Median of 5.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fmt } from './_util.ts';

const FLUXION = `
const f = await import(${JSON.stringify(new URL('../dist/fluxion.js', import.meta.url).href)});
await f.init({ gpu: false });
const c = f.matmul(f.ones(64, 64), f.ones(64, 64));
c.dataSync();
console.log(performance.now());`;
const TFJS = `
const tf = await import('@tensorflow/tfjs-core');
const w = await import('@tensorflow/tfjs-backend-wasm');
const path = await import('node:path');
const { createRequire } = await import('node:module');
const dir = path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json'));
w.setWasmPaths(path.join(dir, 'dist') + path.sep);
await tf.setBackend('wasm');
const c = tf.matMul(tf.ones([64, 64]), tf.ones([64, 64]));
c.dataSync();
console.log(performance.now());`;

function median(xs: number[]) { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; }
function time(src: string): number {
  const runs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', src], { cwd: new URL('..', import.meta.url).pathname, encoding: 'utf8' });
    runs.push(Number(out.trim().split('\n').pop()));
  }
  return median(runs);
}

/** Startup and size rows for the results file. */
export function runStartupBench(): string {
  if (!existsSync(new URL('../dist/fluxion.js', import.meta.url))) execFileSync('node', ['scripts/build.mjs'], { stdio: 'inherit' });
  const size = readFileSync(new URL('../dist/SIZE.txt', import.meta.url), 'utf8').trim();
  const f = time(FLUXION), t = time(TFJS);
  return [
    '| measure | fluxion | tfjs wasm |', '|---|---|---|',
    `| process start → first 64×64 matmul result (median of 5) | ${fmt(f, 0)} ms | ${fmt(t, 0)} ms |`,
    `| bundle | ${size.replace(/^dist\/fluxion.js: /, '')} | tfjs-core + backend-wasm ≈ 256 KB gzipped |`,
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(runStartupBench());
