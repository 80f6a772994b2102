// The WebGPU backend against the float64 reference, kernel by kernel, at shapes that hit
// workgroup and tile edges, plus the pool, one submit per flush, 2-d dispatch and device loss.
// No adapter: every test here is skipped (printed, counted as skipped), or fails under
// FLUXION_REQUIRE_GPU=1.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createWebGPU, type WebGPUBackend, type GpuBuf } from '../../src/backends/webgpu.js';
import { ref } from '../../src/backends/ref.js';
import { Unary, Binary } from '../../src/ops/codes.js';
import { runKernelSuite } from '../browser/kernel-suite.ts';
import { testNeedingGpu } from '../_helpers/skip.ts';
import { dawn } from '../_helpers/dawn.ts';

const SIZES = [1, 3, 4, 5, 7, 16, 17, 63, 64, 65, 257];
const created = await createWebGPU();
const T = suite('webgpu');

if ('error' in created) {
  testNeedingGpu(T, 'the WebGPU backend against the float64 reference', `no adapter: ${created.error}`, () => {});
} else {
  const be: WebGPUBackend = created;
  console.log(`webgpu: ${be.info.vendor} ${be.info.architecture} ${be.info.description}`);

  // Deterministic f32-exact inputs, so ref and the GPU see the same numbers.
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const rand = (n: number, lo = -1, hi = 1) => Float64Array.from(new Float32Array(n).map(() => lo + (hi - lo) * rnd()));
  const gpu = (data: Float64Array | number) => {
    const n = typeof data === 'number' ? data : data.length, b = be.alloc(n);
    if (typeof data !== 'number') be.write(b, data);
    return b;
  };

  type Check = { label: string; buf: GpuBuf; want: Float64Array; rtol: number; atol: number };
  let checks: Check[] = [];
  const expect = (label: string, buf: GpuBuf, want: Float64Array, rtol = 1e-4, atol = 1e-5) => checks.push({ label, buf, want, rtol, atol });
  /** Read every pending check back (one submit), compare, free the GPU buffers. */
  async function verify() {
    const cs = checks; checks = [];
    const got = await Promise.all(cs.map((c) => be.read(c.buf, c.want.length)));
    const bad: string[] = [];
    let worst = 0, where = '';
    cs.forEach((c, k) => {
      for (let i = 0; i < c.want.length; i++) {
        const g = got[k][i], w = c.want[i];
        const r = g === w ? 0 : Math.abs(g - w) / (c.atol + c.rtol * Math.abs(w) || 1e-30);
        if (r > worst) { worst = r; where = `${c.label} [${i}] got ${g} want ${w}`; }
        const ok = (Number.isNaN(w) && Number.isNaN(g)) || g === w || Math.abs(g - w) <= c.atol + c.rtol * Math.abs(w);
        if (!ok) { bad.push(`${c.label} [${i}]: got ${g}, want ${w}`); break; }
      }
    });
    if (process.env.FLUXION_TEST_VERBOSE) console.log(`  worst error/tolerance ${worst.toFixed(3)}: ${where}`);
    assert.is(be.lost, null, `device: ${be.lost}`);
    assert.ok(bad.length === 0, `${bad.length} mismatches:\n${bad.slice(0, 20).join('\n')}`);
  }
  const refOut = (n: number) => new Float64Array(n);

  // The kernel sweeps are the ones the browser suite runs in Chromium (one definition, run on
  // Dawn here and in a page and a worker there): every kernel against the float64 reference
  // at the awkward sizes, extremes and in-place aliasing included.
  T('every kernel against the float64 reference (test/browser/kernel-suite.ts)', async () => {
    const r = await runKernelSuite(be);
    for (const g of r.groups) assert.ok(g.cases > 0, `group ${g.name} ran no case`);
    assert.ok(r.cases > 1000, `only ${r.cases} cases`);
    assert.is(be.lost, null, `device: ${be.lost}`);
    assert.is(r.failed, 0, `${r.failed} of ${r.cases} cases failed:\n${r.failures.slice(0, 30).join('\n')}`);
    if (process.env.FLUXION_TEST_VERBOSE) for (const g of r.groups) console.log(`  ${g.name}: ${g.cases} cases, worst ${g.worst}`);
  });

  // Each matmul entry forced on every shape (the tuning table would pick one per shape), and
  // grids folded over y and z by a dispatch limit of 2: against the reference, every transposed
  // variant, acc 0 and 1, at tile edges, whole interior tiles (vec4 rows) and long k. One device,
  // so each pipeline compiles once (SwiftShader takes ~0.5 s per pipeline).
  T('matmul: every entry, transposed variant and folded grid against the reference', async () => {
    const auto = { ...be.tuning }, limit = be.info.limits.maxComputeWorkgroupsPerDimension;
    const VARIANTS: [string, Partial<typeof auto>, number][] = [
      ['main', { bigFrom: Infinity, splitTarget: 0 }, limit],
      ['big', { bigFrom: 0, splitTarget: 0 }, limit],
      ['split-K, 3 slices', { bigFrom: 0, splitTarget: 1e9, splitDepth: 8, maxSplits: 3 }, limit],
      ['big, folded grid', { bigFrom: 0, splitTarget: 0 }, 2],
      ['main, folded grid', { bigFrom: Infinity, splitTarget: 0 }, 2],
    ];
    try {
      for (const [label, tuning, dims] of VARIANTS) {
        Object.assign(be.tuning, auto, tuning);
        be.info.limits.maxComputeWorkgroupsPerDimension = dims;
        for (const [m, k, n] of [[129, 33, 131], [256, 24, 128], [5, 130, 3]]) for (const [ta, tb] of [[0, 0], [1, 0], [0, 1], [1, 1]]) {
          for (const acc of [0, 1]) {
            const a = rand(m * k), b = rand(k * n), c0 = rand(m * n), want = Float64Array.from(c0), c = gpu(c0);
            ref.matmul(a, b, want, m, k, n, ta, tb, acc);
            be.matmul(gpu(a), gpu(b), c, m, k, n, ta, tb, acc);
            expect(`${label}: m${m} k${k} n${n} ta${ta} tb${tb} acc${acc}`, c, want, 1e-4, 2e-6 * k);
          }
        }
        await verify();
      }
    } finally { Object.assign(be.tuning, auto); be.info.limits.maxComputeWorkgroupsPerDimension = limit; }
  });

  T('softmax and softmaxGrad with a workgroup per slice (forced from length 1) against the reference', async () => {
    const auto = { ...be.tuning };
    be.tuning.rowFrom = 1;
    try {
      const r = await runKernelSuite(be, undefined, /softmax/);
      assert.ok(r.cases > 100, `${r.cases} cases`);
      assert.is(r.failed, 0, r.failures.slice(0, 20).join('\n'));
    } finally { Object.assign(be.tuning, auto); }
  });

  T('biasAct and unary with y === x run in place: no copy of the input is recorded', async () => {
    const x0 = rand(17 * 65), b0 = rand(17), want = refOut(17 * 65), want2 = refOut(17 * 65);
    ref.biasAct(x0, b0, want, 17, 65, Unary.tanh, 0);
    ref.unary(Unary.relu, want, want2, 17 * 65, 0, 0);
    const x = gpu(x0), b = gpu(b0);
    be.flush();
    const orig = be.device.createCommandEncoder.bind(be.device);
    let copies = 0;
    (be.device as any).createCommandEncoder = (d?: GPUCommandEncoderDescriptor) => {
      const e = orig(d), cp = e.copyBufferToBuffer.bind(e);
      (e as any).copyBufferToBuffer = (...a: unknown[]) => { copies++; return (cp as any)(...a); };
      return e;
    };
    try {
      be.biasAct(x, b, x, 17, 65, Unary.tanh, 0);
      be.unary(Unary.relu, x, x, 17 * 65, 0, 0);
      be.flush();
    } finally { (be.device as any).createCommandEncoder = orig; }
    assert.is(copies, 0, 'the aliased input was copied');
    expect('biasAct tanh, then relu, in place', x, want2);
    await verify();
  });

  T('timestamp queries: the GPU time of each dispatch recorded while timing, results unchanged', async () => {
    if (!be.timer) { console.log('  (this adapter has no timestamp-query)'); return; }
    const x0 = rand(4099), want = refOut(4099);
    ref.unary(Unary.exp, x0, want, 4099, 0, 0);
    ref.unary(Unary.tanh, want, want, 4099, 0, 0);
    const x = gpu(x0), y = gpu(4099), m = 65, a = gpu(rand(m * m)), c = gpu(m * m);
    be.flush();
    const first = be.dispatches;
    be.timer.start();
    be.unary(Unary.exp, x, y, 4099, 0, 0);
    be.unary(Unary.tanh, y, y, 4099, 0, 0);
    be.matmul(a, a, c, m, m, m, 0, 0, 0);
    const t = await be.timer.stop();
    assert.equal([...t.keys()], [first, first + 1, first + 2], 'one time per dispatch, by number');
    for (const ms of t.values()) assert.ok(Number.isFinite(ms) && ms >= 0, `time ${ms}`);
    be.unary(Unary.exp, x, c, 10, 0, 0);
    assert.is((await be.timer.stop()).size, 0, 'nothing is timed after stop()');
    // past one submit's queries (2048 dispatches): a flush in between, every dispatch timed and run
    const z = gpu(new Float64Array(3));
    be.timer.start();
    for (let i = 0; i < 2100; i++) be.unary(Unary.addscalar, z, z, 3, 1, 0);
    assert.is((await be.timer.stop()).size, 2100);
    expect('2100 timed in-place increments', z, new Float64Array(3).fill(2100), 0, 0);
    expect('exp then tanh while timed', y, want);
    await verify();
  });

  T('warmup() compiles the matmul pipelines calibrate() runs: none compiles when they run', async () => {
    const v = await createWebGPU();
    if ('error' in v) throw new Error(v.error);
    try {
      await v.warmup();
      const orig = v.device.createComputePipeline.bind(v.device);
      let compiled = 0;
      (v.device as any).createComputePipeline = (d: GPUComputePipelineDescriptor) => { compiled++; return orig(d); };
      for (const n of [64, 256]) { const a = v.alloc(n * n), c = v.alloc(n * n); v.matmul(a, a, c, n, n, n, 0, 0, 0); }
      await v.read(v.alloc(1), 1);
      assert.is(compiled, 0);
    } finally { v.destroy(); }
  });

  T('pool: alloc/free reuses buffers, bytes() stays flat', async () => {
    be.flush();
    const before = be.bytes();
    const first = be.alloc(1000); be.free(first, 1000);
    const steady = be.bytes(), ids = new Set<number>();
    for (let it = 0; it < 200; it++) {
      const bs = [1, 1000, 4097, 65536].map((n) => [be.alloc(n), n] as const);
      for (const [b] of bs) ids.add(b.id);
      be.fill(bs[1][0], 1000, it);
      for (const [b, n] of bs) be.free(b, n);
      assert.is(be.bytes(), steady);
    }
    be.flush();
    assert.is(steady, before);
    assert.ok(ids.size <= 4, `${ids.size} distinct buffers for 4 sizes`);
  });

  T('one submit per flush; reads before a sync share it', async () => {
    const q = be.device.queue, orig = q.submit.bind(q);
    let count = 0;
    (q as any).submit = (cbs: GPUCommandBuffer[]) => { count++; return orig(cbs); };
    try {
      be.flush(); count = 0;
      const a = gpu(rand(1000)), b = gpu(1000), c = gpu(1000);
      for (let i = 0; i < 100; i++) { be.unary(Unary.tanh, a, b, 1000, 0, 0); be.binary(Binary.add, a, b, c, 1, 1, 1000, 0, 0, 1, 0, 0, 1); }
      assert.is(count, 0, 'nothing submitted before a sync');
      const rs = await Promise.all([be.read(a, 1000), be.read(b, 1000), be.read(c, 10)]);
      assert.is(count, 1);
      assert.is(rs[2].length, 10);
      be.unary(Unary.exp, a, b, 1000, 0, 0); be.flush(); be.flush();
      assert.is(count, 2, 'flush with nothing recorded does not submit');
    } finally { (q as any).submit = orig; }
  });

  T('write after recorded use keeps program order', async () => {
    const x = gpu(new Float64Array(10).fill(1)), y = gpu(10);
    be.unary(Unary.mulscalar, x, y, 10, 3, 0);       // y = 3
    be.write(x, new Float64Array(10).fill(5));       // must not reach the op above
    be.unary(Unary.addscalar, x, x, 10, 1, 0);       // x = 6
    const early = be.read(x, 10);                    // a read recorded before a write sees the old data
    be.write(x, new Float64Array(10).fill(5));
    assert.equal([...await early], new Array(10).fill(6));
    expect('y before write', y, new Float64Array(10).fill(3), 0, 0);
    expect('x after write', x, new Float64Array(10).fill(5), 0, 0);
    await verify();
  });

  T('2-d dispatch past 65535 workgroups: 2^24+3 elements', async () => {
    const n = 2 ** 24 + 3, y = be.alloc(n), z = be.alloc(n), ok = be.alloc(1);
    be.fill(y, n, 2);
    be.fill(ok, 1, 0);
    be.unary(Unary.mulscalar, y, z, n, 1.5, 0);
    be.descent(z, y, ok, n, 0.25);                      // z = 3 - 0.5
    const [ry, rz] = await Promise.all([be.read(y, n), be.read(z, n)]);
    assert.ok(ry.every((v) => v === 2), 'fill');
    assert.ok(rz.every((v) => v === 2.5), 'unary + descent');
    be.free(y, n); be.free(z, n); be.free(ok, 1);
    be.trim();
  });

  T('device loss is recorded and reads reject', async () => {
    const other = await createWebGPU(dawn ?? undefined);      // a held Dawn instance: see _helpers/dawn.ts
    if ('error' in other) throw new Error(other.error);
    const b = other.alloc(4);
    other.destroy();
    // The device's own lost promise: the backend's handler was attached first, so it has run
    // by the time this await resumes.
    await other.device.lost;
    assert.ok(other.lost, 'lost is set');
    let threw = false;
    try { await other.read(b, 4); } catch { threw = true; }
    assert.ok(threw, 'read rejects');
  });
}

T.run();
