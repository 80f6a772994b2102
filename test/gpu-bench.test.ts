// bench/gpu.sh, the one-command GPU benchmark, in its small mode on whatever adapter is here
// (SwiftShader in CI), so it keeps working between runs on a real GPU: it must exit 0 and write
// a report naming the adapter with every section and a row per size and policy, figures finite.
// No adapter: a printed skip (a failure with FLUXION_REQUIRE_GPU=1).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createWebGPU } from '../src/backends/webgpu.js';
import { SECTIONS } from '../bench/gpu.bench.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const probe = await createWebGPU();
const adapter = 'error' in probe ? null : probe.info;
if (!('error' in probe)) probe.destroy();

test('bench/gpu.sh --small writes every section, a row per size and policy', async () => {
  if (!adapter) {
    if (process.env.FLUXION_REQUIRE_GPU === '1') assert.unreachable(`no WebGPU adapter: ${(probe as { error: string }).error}`);
    console.log(`  gpu bench: skipped (${(probe as { error: string }).error})`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'fluxion-gpu-bench-')), out = join(dir, 'RESULTS-gpu.md');
  try {
    const log = await new Promise<string>((resolve, reject) => execFile(join(ROOT, 'bench/gpu.sh'), ['--small', '--out', out],
      { cwd: ROOT, timeout: 240_000, maxBuffer: 1 << 24 }, (e, stdout, stderr) => (e ? reject(new Error(`${e.message}\n${stderr}`)) : resolve(stdout))));
    const md = readFileSync(out, 'utf8');
    assert.ok(log.includes('## sgemm'), 'the report is printed too');
    assert.ok(md.includes(adapter.description || adapter.vendor), 'names the adapter');
    for (const s of SECTIONS) assert.ok(md.includes(`## ${s}\n`), `section ${s}`);
    const section = (s: string) => md.split(`## ${s}\n`)[1].split('\n## ')[0];
    const rows = (s: string) => section(s).split('\n').filter((l) => /^\| \d|^\| (seed|MLP)/.test(l));
    assert.equal(rows('sgemm').map((r) => r.split('|')[1].trim()), ['64', '128']);
    const train = rows('Training step');
    assert.is(train.length, 4, 'two models at two batch sizes');
    for (const r of train) {
      const [cpu, gpu, auto] = r.split('|').slice(3, 6).map(Number);
      assert.ok([cpu, gpu, auto].every((v) => Number.isFinite(v) && v > 0), `finite step times: ${r}`);
    }
    assert.ok(/\| sgemm|\| 64 \| \d/.test(section('sgemm')), 'sgemm figures');
    assert.match(section('Calibration'), /\| matmul GFLOP\/s by n \| 16: /);
    assert.match(section('TensorFlow.js webgpu'), /tfjs|not measured: /);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test.run();
