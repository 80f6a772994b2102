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
