// WebGPU backend figures for the scheduler's device profile: per-dispatch overhead, submit +
// readback latency, upload/download bandwidth and matmul GFLOP/s. Each timed task ends with a
// 4-byte readback (a sync), whose latency is subtracted where a rate is derived. Medians.
//   node --import ./test/_helpers/register.mjs bench/webgpu.bench.ts
import { Bench } from 'tinybench';
import { pathToFileURL } from 'node:url';
import { createWebGPU } from '../src/backends/webgpu.js';

/** Run the benchmarks; resolves to a markdown table (or a line saying why there is no GPU). */
export async function runWebGPUBench(): Promise<string> {
  const be = await createWebGPU();
  if ('error' in be) return `webgpu: skipped (${be.error})`;
  const DISPATCHES = 500, MB4 = 1 << 20, tiny = be.alloc(64), one = be.alloc(1);
  const big = be.alloc(MB4), host = new Float32Array(MB4).map(() => Math.random());
  const mats = [256, 512].map((n) => ({ n, a: be.alloc(n * n), b: be.alloc(n * n), c: be.alloc(n * n) }));
  for (const m of mats) { be.write(m.a, host.subarray(0, m.n * m.n)); be.write(m.b, host.subarray(0, m.n * m.n)); }
  const sync = () => be.read(one, 1);
  // dawn.node polls for completed work less eagerly at first (ms-scale latencies for the first few
  // hundred syncs): warm it up, compile every pipeline, and report medians.
  for (let i = 0; i < 400; i++) { be.fill(one, 1, i); await sync(); }
  for (const { n, a, b, c } of mats) { be.matmul(a, b, c, n, n, n, 0, 0, 0); await sync(); }

  const bench = new Bench({ time: 500, iterations: 5, warmupTime: 50, warmupIterations: 2 });
  bench.add('latency: fill 1 + read 4 B', async () => { be.fill(one, 1, 1); await sync(); });
  const record: number[] = [];   // JS time to record one dispatch (no GPU work)
  bench.add(`dispatch: ${DISPATCHES} tiny fills + sync`, async () => {
    const t0 = performance.now();
    for (let i = 0; i < DISPATCHES; i++) be.fill(tiny, 64, i);
    record.push((performance.now() - t0) / DISPATCHES);
    await sync();
  });
  bench.add('upload 4 MB + sync', async () => { be.write(big, host); await sync(); });
  bench.add('download 4 MB', async () => { await be.read(big, MB4); });
  for (const { n, a, b, c } of mats) bench.add(`matmul ${n} + sync`, async () => { be.matmul(a, b, c, n, n, n, 0, 0, 0); await sync(); });
  await bench.run();

  const ms = (name: string) => (bench.tasks.find((t) => t.name.startsWith(name))!.result as unknown as { latency: { p50: number } }).latency.p50;
  const lat = ms('latency'), net = (name: string) => Math.max(ms(name) - lat, 1e-6);
  const rows: [string, string][] = [
    ['adapter', `${be.info.vendor} ${be.info.architecture} (${be.info.description})`],
    ['submit + 4-byte readback latency', `${(lat * 1e3).toFixed(0)} µs`],
    ['per-dispatch overhead (tiny fill, one submit)', `${(net('dispatch') * 1e3 / DISPATCHES).toFixed(1)} µs`],
    ['  of which JS recording', `${(record.sort((x, y) => x - y)[record.length >> 1] * 1e3).toFixed(1)} µs`],
    ['upload bandwidth (4 MB writeBuffer)', `${(4 / 1.048576 / net('upload')).toFixed(2)} GB/s`],
    ['download bandwidth (4 MB read)', `${(4 / 1.048576 / ms('download')).toFixed(2)} GB/s`],
    ...mats.map(({ n }) => [`matmul ${n}³`, `${(2 * n ** 3 / net(`matmul ${n}`) / 1e6).toFixed(2)} GFLOP/s`] as [string, string]),
  ];
  be.destroy();
  return ['| webgpu | value |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) console.log(await runWebGPUBench());
