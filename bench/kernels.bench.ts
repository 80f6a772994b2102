// The WGSL kernels that the GPU-speed work changed, timed one by one on whatever adapter is
// present, before (today's path, forced through the tuning) and after (the tuning table's
// choice), in interleaved rounds. Used for before/after comparisons on SwiftShader (compare
// within one run: the machine is shared).
//   node --import ./test/_helpers/register.mjs bench/kernels.bench.ts
import { pathToFileURL } from 'node:url';
import { createWebGPU } from '../src/backends/webgpu.js';
import { Unary } from '../src/ops/codes.js';
import { fmt } from './_util.ts';

/**
 * Runs the kernel timings; resolves to a markdown table (or a line saying why there is none).
 *   console.log(await runKernelBench());
 */
export async function runKernelBench(): Promise<string> {
  const be = await createWebGPU();
  if ('error' in be) return `webgpu: skipped (${be.error})`;
  const auto = { ...be.tuning }, today = { ...auto, bigFrom: Infinity, splitTarget: 0, rowFrom: Infinity };
  const rowWise = { ...auto, rowFrom: 128 };   // the workgroup-per-slice softmax, whatever the table says
  const bufs: unknown[] = [];
  const buf = (n: number) => { const b = be.alloc(n); be.fill(b, n, 0.01); bufs.push(b); return b; };
  const one = buf(1), sync = () => be.read(one, 1);
  const rows: [string, number, () => void][] = [];   // name, flops (0 = memory-bound), enqueue
  for (const [m, k, n, ta, tb] of [[256, 256, 256, 0, 0], [256, 256, 256, 1, 0], [256, 256, 256, 0, 1], [255, 257, 253, 0, 0],
    [512, 512, 512, 0, 0], [64, 2048, 64, 0, 1], [128, 4096, 96, 0, 1]] as const) {
    const a = buf(m * k), b = buf(k * n), c = buf(m * n), name = `matmul ${m}×${k}×${n}${ta ? ' Aᵀ' : ''}${tb ? ' Bᵀ' : ''}`;
    // before: the 64-tile kernel alone (today's); after: the tuning table's choice
    for (const [when, t] of [['before', today], ['after', auto]] as const) {
      rows.push([`${name}, ${when}`, 2 * m * k * n, () => { Object.assign(be.tuning, t); be.matmul(a, b, c, m, k, n, ta, tb, 0); }]);
    }
  }
  for (const [r, c] of [[256, 1024], [1024, 256]]) {
    const x = buf(r * c), bias = buf(r), t = buf(r * c);
    // before: the copy of the aliased input that every in-place call used to record
    rows.push([`biasAct relu in place [${r},${c}], before`, 0, () => { be.copy(x, 0, t, 0, r * c); be.biasAct(t, bias, x, r, c, Unary.relu, 0); }]);
    rows.push([`biasAct relu in place [${r},${c}], after`, 0, () => be.biasAct(x, bias, x, r, c, Unary.relu, 0)]);
  }
  for (const [o, len] of [[4, 8192], [64, 1000]]) {
    const x = buf(o * len), y = buf(o * len), dx = buf(o * len);
    for (const [when, t] of [['before', today], ['after', auto], ['workgroup per slice', rowWise]] as const) {
      rows.push([`softmax [${o} rows × ${len}], ${when}`, 0, () => { Object.assign(be.tuning, t); be.softmax(x, y, o, len, 1, 0); }]);
      rows.push([`softmaxGrad [${o} rows × ${len}], ${when}`, 0, () => { Object.assign(be.tuning, t); be.softmaxGrad(y, x, dx, o, len, 1, 0); }]);
    }
  }
  // compile every pipeline and warm dawn.node's polling before timing
  for (let i = 0; i < 200; i++) { be.fill(one, 1, i); await sync(); }
  for (const [, , f] of rows) { f(); await sync(); }
  // Rounds over every row, so a load change on the shared machine hits before and after alike;
  // medians of the rounds. Wall: dispatch + readback minus the readback alone (copies included);
  // GPU: timestamp queries where the adapter has them (dispatches only, no copies).
  const ROUNDS = 7, wall = rows.map(() => [] as number[]), gpu = rows.map(() => [] as number[]), lat: number[] = [];
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[xs.length >> 1];
  for (let r = 0; r < ROUNDS; r++) {
    let t0 = performance.now(); await sync(); lat.push(performance.now() - t0);
    for (let i = 0; i < rows.length; i++) {
      t0 = performance.now(); rows[i][2](); await sync(); wall[i].push(performance.now() - t0);
      if (!be.timer) continue;
      be.timer.start(); rows[i][2]();
      let t = 0; for (const ms of (await be.timer.stop()).values()) t += ms;
      gpu[i].push(t);
    }
  }
  const L = median(lat);
  const out = ['| kernel | wall ms | GPU ms (timestamps) | GFLOP/s (GPU ms) |', '|---|---|---|---|'];
  rows.forEach(([name, flops], i) => {
    const g = be.timer ? median(gpu[i]) : NaN;
    out.push(`| ${name} | ${fmt(Math.max(median(wall[i]) - L, 0), 3)} | ${fmt(g, 3)} | ${flops && g ? fmt(flops / g / 1e6) : '-'} |`);
  });
  be.destroy();
  return `adapter: ${be.info.vendor} ${be.info.architecture} (${be.info.description}); medians of ${ROUNDS} rounds; ` +
    `readback latency ${fmt(L, 3)} ms subtracted from wall\n\n` + out.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) console.log(await runKernelBench());
