// The Wasm convolution kernels (im2col, col2im, pool, poolGrad) at LeNet's shapes (batch 64),
// through the raw module, next to a memory.copy of the same bytes in the same rounds (the
// machine is shared: compare within one run). GB/s counts the large side once: col for
// im2col/col2im, x (or dx) for pool/poolGrad.
//   npm run asbuild && node --import ./test/_helpers/register.mjs bench/conv.bench.ts
import { pathToFileURL } from 'node:url';
import { loadRaw } from '../test/kernels/loadRaw.ts';
import { fmt } from './_util.ts';

/** Runs the timings; resolves to a markdown table. */
export async function runConvBench(): Promise<string> {
  const R = loadRaw('simd', 512), E = R.exports;
  const buf = (floats: number) => { const p = R.alloc(floats * 4); R.f32(p, floats).forEach((_, i, a) => { a[i] = Math.sin(i); }); return p; };
  const rows: [string, number, () => void][] = [];   // name, bytes counted, call
  const n = 64, guard = R.put([1]);
  for (const [name, w, c, k, o] of [['conv1', 28, 1, 5, 24], ['conv2', 12, 6, 5, 8]] as const) {
    const geo = [w, w, 1, k, k, 1, o, o, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0];
    const colLen = k * k * c * o * o * n, x = buf(w * w * c * n), col = buf(colLen), cp = buf(colLen);
    rows.push([`im2col ${name} x [${w},${w},${c},${n}] k ${k}×${k} → col [${k * k * c}, ${o * o * n}]`, colLen * 4,
      () => E.im2col(x, col, n, c, 0, c, ...geo, 1)]);
    rows.push([`col2im ${name} (the same shapes back)`, colLen * 4, () => E.col2im(col, x, n, c, 0, c, ...geo, 1)]);
    rows.push([`memory.copy of the same ${fmt(colLen * 4 / 2 ** 20, 2)} MiB (copyIf)`, colLen * 4, () => E.copyIf(col, cp, guard, colLen)]);
  }
  const cn = 6 * n, W = 24 * 24 * cn, O = 12 * 12 * cn, geo = [24, 24, 1, 2, 2, 1, 12, 12, 1, 2, 2, 1, 1, 1, 1, 0, 0, 0];
  const x = buf(W), y = buf(O), ymax = buf(O), dy = buf(O), dx = buf(W);
  E.pool(x, ymax, cn, ...geo, 0);                      // the y that max poolGrad searches for
  for (const mean of [0, 1]) {
    const m = mean ? 'mean' : 'max';
    rows.push([`pool ${m} 2×2 on [24,24,6,${n}]`, W * 4, () => E.pool(x, y, cn, ...geo, mean)]);
    rows.push([`poolGrad ${m} 2×2 on [24,24,6,${n}]`, W * 4, () => E.poolGrad(x, ymax, dy, dx, cn, ...geo, mean)]);
  }
  rows.push([`memory.copy of [24,24,6,${n}] (copyIf)`, W * 4, () => E.copyIf(x, dx, guard, W)]);
  // Interleaved rounds, so a load change hits every row alike; median of the rounds' per-call times.
  const ROUNDS = 15, times = rows.map(() => [] as number[]);
  for (const [, , f] of rows) for (let i = 0; i < 20; i++) f();
  for (let r = 0; r < ROUNDS; r++) {
    rows.forEach(([, bytes, f], i) => {
      const reps = Math.max(3, Math.round(2e7 / bytes));
      const t0 = performance.now();
      for (let k = 0; k < reps; k++) f();
      times[i].push((performance.now() - t0) / reps);
    });
  }
  const sorted = times.map((v) => [...v].sort((a, b) => a - b));
  const out = ['| kernel | ms (median) | GB/s (median) | GB/s (best round) |', '|---|---|---|---|'];
  rows.forEach(([name, bytes], i) => {
    const ms = sorted[i][ROUNDS >> 1], best = sorted[i][0];
    out.push(`| ${name} | ${fmt(ms, 3)} | ${fmt(bytes / ms / 1e6, 1)} | ${fmt(bytes / best / 1e6, 1)} |`);
  });
  return `${ROUNDS} interleaved rounds (the best round shows the code's speed on a shared machine)\n\n` + out.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) console.log(await runConvBench());
