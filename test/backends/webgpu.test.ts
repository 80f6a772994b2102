// The WebGPU backend against the float64 reference, kernel by kernel, at shapes that hit
// workgroup and tile edges, plus the pool, one submit per flush, 2-d dispatch and device loss.
// No adapter: prints "webgpu: skipped (<reason>)" and passes, unless FLUXION_REQUIRE_GPU=1.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createWebGPU, type WebGPUBackend, type GpuBuf } from '../../src/backends/webgpu.js';
import { ref } from '../../src/backends/ref.js';
import { Unary, Binary, Reduce } from '../../src/ops/codes.js';

const SIZES = [1, 3, 4, 5, 7, 16, 17, 63, 64, 65, 257];
const created = await createWebGPU();
const T = suite('webgpu');

if ('error' in created) {
  if (process.env.FLUXION_REQUIRE_GPU === '1') {
    T('adapter is required (FLUXION_REQUIRE_GPU=1)', () => { assert.unreachable(`no WebGPU adapter: ${created.error}`); });
  } else {
    console.log(`webgpu: skipped (${created.error})`);
    T('skipped', () => {});
  }
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

  T('matmul: all variants, acc 0/1, awkward m,k,n', async () => {
    const shapes: [number, number, number][] = SIZES.map((m, i) => [m, SIZES[(i + 3) % 11], SIZES[(i + 7) % 11]]);
    shapes.push([64, 64, 64], [65, 65, 65], [257, 257, 257], [1, 257, 1], [257, 1, 257], [3, 257, 65], [128, 17, 200]);
    for (const [m, k, n] of shapes) for (const [ta, tb] of [[0, 0], [1, 0], [0, 1], [1, 1]]) for (const acc of [0, 1]) {
      const a = rand(m * k), b = rand(k * n), c0 = rand(m * n), want = Float64Array.from(c0);
      ref.matmul(a, b, want, m, k, n, ta, tb, acc);
      const c = gpu(c0);
      be.matmul(gpu(a), gpu(b), c, m, k, n, ta, tb, acc);
      expect(`matmul m${m} k${k} n${n} ta${ta} tb${tb} acc${acc}`, c, want, 1e-4, 2e-6 * k);
    }
    await verify();
  });

  // Per-op input domain and parameters (alpha, beta); default [-4, 4].
  const DOM: Record<number, [number, number, number, number]> = {
    [Unary.exp]: [-6, 6, 0, 0], [Unary.log]: [0.05, 8, 0, 0], [Unary.sqrt]: [0.01, 8, 0, 0],
    [Unary.reciprocal]: [0.2, 4, 0, 0], [Unary.log1p]: [-0.95, 6, 0, 0], [Unary.leakyrelu]: [-4, 4, 0.1, 0],
    [Unary.elu]: [-4, 4, 1.3, 0], [Unary.celu]: [-4, 4, 0.7, 0], [Unary.clamp]: [-2, 2, -0.5, 0.7],
    [Unary.powscalar]: [0.1, 3, 2.5, 0], [Unary.addscalar]: [-4, 4, 1.5, 0], [Unary.mulscalar]: [-4, 4, -2.5, 0],
    [Unary.relu6]: [-3, 9, 0, 0], [Unary.hardsigmoid]: [-5, 5, 0, 0], [Unary.hardswish]: [-5, 5, 0, 0],
  };
  const unaryCases = () => {
    const cases: [string, number, number, number, number, number][] = [];
    for (const [name, op] of Object.entries(Unary)) {
      const [lo, hi, al, bt] = DOM[op] ?? [-4, 4, 0, 0];
      cases.push([name, op, lo, hi, al, bt]);
    }
    cases.push(['powscalar int on negatives', Unary.powscalar, -3, 3, 3, 0]);
    return cases;
  };

  T('unary: all 30 codes', async () => {
    for (const [name, op, lo, hi, al, bt] of unaryCases()) for (const n of SIZES) {
      const x = rand(n, lo, hi), want = refOut(n);
      ref.unary(op, x, want, n, al, bt);
      const y = gpu(n);
      be.unary(op, gpu(x), y, n, al, bt);
      expect(`${name} n${n}`, y, want);
    }
    await verify();
  });

  T('unary: overflow-safe at extremes and near 0', async () => {
    const x = Float64Array.from([-100, -30, -10, -1e-3, -1e-6, 0, 1e-6, 1e-3, 10, 30, 88, 100]);
    for (const op of [Unary.tanh, Unary.sigmoid, Unary.gelu, Unary.swish, Unary.softplus, Unary.mish,
      Unary.logsigmoid, Unary.elu, Unary.selu, Unary.softsign, Unary.log1p]) {
      const xs = op === Unary.log1p ? x.map(Math.abs) : x, want = refOut(xs.length), y = gpu(xs.length);
      ref.unary(op, xs, want, xs.length, 1, 0);
      be.unary(op, gpu(xs), y, xs.length, 1, 0);
      expect(`extreme op ${op}`, y, want);
    }
    await verify();
  });

  T('unaryGrad: all 30 codes', async () => {
    for (const [name, op, lo, hi, al, bt] of unaryCases()) for (const n of SIZES) {
      const x = rand(n, lo, hi), dy = rand(n), y = refOut(n), want = refOut(n);
      ref.unary(op, x, y, n, al, bt);
      const y32 = Float64Array.from(new Float32Array(y));
      ref.unaryGrad(op, x, y32, dy, want, n, al, bt);
      const dx = gpu(n);
      be.unaryGrad(op, gpu(x), gpu(y32), gpu(dy), dx, n, al, bt);
      expect(`d ${name} n${n}`, dx, want, 1e-4, 2e-5);
    }
    await verify();
  });

  T('unary/binary in place (output aliases an input)', async () => {
    const x = rand(65), want = refOut(65), b = gpu(x);
    ref.unary(Unary.tanh, x, want, 65, 0, 0);
    be.unary(Unary.tanh, b, b, 65, 0, 0);
    expect('tanh in place', b, want);
    const c = gpu(x), w2 = refOut(65);
    ref.binary(Binary.mul, x, x, w2, 1, 1, 65, 0, 0, 1, 0, 0, 1);
    be.binary(Binary.mul, c, c, c, 1, 1, 65, 0, 0, 1, 0, 0, 1);
    expect('x*x in place', c, w2);
    await verify();
  });

  T('binary: all codes, broadcast patterns', async () => {
    const pats: [string, number[], number[], number[]][] = [];   // name, [d0,d1,d2], a strides, b strides
    for (const n of SIZES) {
      const B = SIZES[(SIZES.indexOf(n) + 5) % 11];
      pats.push([`[${n}]+[${n}]`, [1, 1, n], [0, 0, 1], [0, 0, 1]]);
      pats.push([`[${n},${B}]+[${n},1]`, [1, n, B], [0, B, 1], [0, 1, 0]]);
      pats.push([`[${n},${B}]+[${B}]`, [1, n, B], [0, B, 1], [0, 0, 1]]);
      pats.push([`[${n},${B}]+scalar`, [1, n, B], [0, B, 1], [0, 0, 0]]);
      pats.push([`scalar+[${n},${B}]`, [1, n, B], [0, 0, 0], [0, B, 1]]);
    }
    pats.push(['[5,1,7]+[1,17,1]', [5, 17, 7], [7, 0, 1], [0, 1, 0]], ['[4,3,65]+[4,1,65]', [4, 3, 65], [195, 65, 1], [65, 0, 1]]);
    for (const [name, op] of Object.entries(Binary)) for (const [pn, d, as, bs] of pats) {
      const na = 1 + (d[0] - 1) * as[0] + (d[1] - 1) * as[1] + (d[2] - 1) * as[2];
      const nb = 1 + (d[0] - 1) * bs[0] + (d[1] - 1) * bs[1] + (d[2] - 1) * bs[2];
      let a = rand(na), b = rand(nb);
      if (op === Binary.pow) { a = rand(na, 0.1, 3); b = rand(nb, -2, 2); }
      if (op === Binary.div) b = b.map((v) => (v < 0 ? -0.2 : 0.2) + v);
      if (op === Binary.xlogy) { a = a.map((v) => (v < -0.5 ? 0 : v)); b = rand(nb, 0.05, 4); }
      if (op === Binary.equal || op === Binary.greater || op >= 5) { a = a.map((v) => Math.round(v * 2)); b = b.map((v) => Math.round(v * 2)); }
      const n = d[0] * d[1] * d[2], want = refOut(n), c = gpu(n);
      ref.binary(op, a, b, want, d[0], d[1], d[2], as[0], as[1], as[2], bs[0], bs[1], bs[2]);
      be.binary(op, gpu(a), gpu(b), c, d[0], d[1], d[2], as[0], as[1], as[2], bs[0], bs[1], bs[2]);
      expect(`${name} ${pn}`, c, want);
    }
    await verify();
  });

  T('reduce: all codes, each axis of 3-d shapes (serial and tree)', async () => {
    const shapes = [[3, 257, 5], [17, 65, 4], [1, 1, 7], [5, 7, 16], [64, 63, 3], [2, 4099, 1], [3, 257, 3000]];
    for (const s of shapes) for (let ax = 0; ax < 3; ax++) {
      const outer = s.slice(0, ax).reduce((p, q) => p * q, 1), len = s[ax], inner = s.slice(ax + 1).reduce((p, q) => p * q, 1);
      if (outer * len * inner > 3e6 && ax !== 1) continue;
      const x = rand(outer * len * inner).map((v) => Math.round(v * 64) / 16);   // ties for argmax/argmin
      for (const [name, op] of Object.entries(Reduce)) {
        const want = refOut(outer * inner), y = gpu(outer * inner);
        ref.reduce(op, x, want, outer, len, inner);
        be.reduce(op, gpu(x), y, outer, len, inner);
        expect(`${name} [${outer},${len},${inner}]`, y, want, 1e-4, 1e-6 * len * (op === Reduce.sumsq ? 16 : 4));
      }
    }
    await verify();
  });

  T('softmax / logsoftmax and gradients', async () => {
    const shapes = SIZES.map((len, i) => [SIZES[(i + 2) % 11] % 9, len, SIZES[(i + 6) % 11] % 20]).map(([o, l, n]) => [o || 1, l, n || 1]);
    for (const [outer, len, inner] of shapes) for (const log of [0, 1]) {
      const n = outer * len * inner, x = rand(n, -10, 10), want = refOut(n), y = gpu(n);
      ref.softmax(x, want, outer, len, inner, log);
      be.softmax(gpu(x), y, outer, len, inner, log);
      expect(`softmax log${log} [${outer},${len},${inner}]`, y, want, 2e-4, 1e-6);
      const y32 = Float64Array.from(new Float32Array(want)), dy = rand(n), dwant = refOut(n), dx = gpu(n);
      ref.softmaxGrad(y32, dy, dwant, outer, len, inner, log);
      be.softmaxGrad(gpu(y32), gpu(dy), dx, outer, len, inner, log);
      expect(`softmaxGrad log${log} [${outer},${len},${inner}]`, dx, dwant, 2e-4, 2e-6 * len);
    }
    const x = Float64Array.from([1, Infinity, 3, Infinity, 0, -2]), want = refOut(6), y = gpu(6);
    ref.softmax(x, want, 2, 3, 1, 0);
    be.softmax(gpu(x), y, 2, 3, 1, 0);
    expect('softmax +Inf shares the mass', y, want);
    await verify();
  });

  T('biasAct, transpose, fill, copy', async () => {
    const acts = [0, 1, 2, 3, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 26, 28, 29];
    SIZES.forEach((rows, i) => {
      const cols = SIZES[(i + 4) % 11], act = acts[i % acts.length], x = rand(rows * cols, -3, 3), b = rand(rows);
      for (const a of [act, acts[(i + 11) % acts.length]]) {
        const want = refOut(rows * cols), y = gpu(rows * cols);
        ref.biasAct(x, b, want, rows, cols, a, 0.3);
        be.biasAct(gpu(x), gpu(b), y, rows, cols, a, 0.3);
        expect(`biasAct act${a} [${rows},${cols}]`, y, want);
      }
    });
    for (const [r, c] of [...SIZES.map((r, i) => [r, SIZES[(i + 3) % 11]]), [1, 257], [257, 1], [257, 257], [16, 16]]) {
      const x = rand(r * c), want = refOut(r * c), y = gpu(r * c);
      ref.transpose(x, want, r, c);
      be.transpose(gpu(x), y, r, c);
      expect(`transpose [${r},${c}]`, y, want, 0, 0);
    }
    for (const n of SIZES) {
      const y = gpu(n);
      be.fill(y, n, -1.25);
      expect(`fill ${n}`, y, new Float64Array(n).fill(-1.25), 0, 0);
    }
    const x = rand(300), y0 = rand(300), want = Float64Array.from(y0), y = gpu(y0), xg = gpu(x);
    ref.copy(x, 7, want, 65, 200);
    be.copy(xg, 7, y, 65, 200);
    expect('copy with offsets', y, want, 0, 0);
    const same = Float64Array.from(x);
    ref.copy(Float64Array.from(same), 0, same, 3, 257);
    be.copy(xg, 0, xg, 3, 257);
    expect('copy overlapping within one buffer', xg, same, 0, 0);
    await verify();
  });

  T('optimisers: descent, momentum, adam, adamw', async () => {
    for (const n of SIZES) {
      const x = rand(n), g = rand(n), m = rand(n, 0, 0.1), v = rand(n, 0, 0.01);
      const st = [x, g, m, v].map((a) => Float64Array.from(a));
      const [xg, gg, mg, vg] = [x, g, m, v].map(gpu);
      const steps: [string, () => void, () => void][] = [
        ['descent', () => ref.descent(st[0], st[1], n, 0.1), () => be.descent(xg, gg, n, 0.1)],
        ['momentum', () => ref.momentum(st[0], st[1], st[3], n, 0.01, 0.9), () => be.momentum(xg, gg, vg, n, 0.01, 0.9)],
        ['adam', () => ref.adam(st[0], st[1], st[2], st[3], n, 1e-3, 0.9, 0.999, 1e-8, 0.9 ** 3, 0.999 ** 3),
          () => be.adam(xg, gg, mg, vg, n, 1e-3, 0.9, 0.999, 1e-8, 0.9 ** 3, 0.999 ** 3)],
        ['adamw', () => ref.adamw(st[0], st[1], st[2], st[3], n, 1e-3, 0.9, 0.999, 1e-8, 0.9, 0.999, 0.01),
          () => be.adamw(xg, gg, mg, vg, n, 1e-3, 0.9, 0.999, 1e-8, 0.9, 0.999, 0.01)],
      ];
      for (const [, r, w] of steps) { r(); w(); }
      expect(`optim x n${n}`, xg, st[0]); expect(`optim m n${n}`, mg, st[2]); expect(`optim v n${n}`, vg, st[3]);
    }
    await verify();
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
    const n = 2 ** 24 + 3, y = be.alloc(n), z = be.alloc(n);
    be.fill(y, n, 2);
    be.unary(Unary.mulscalar, y, z, n, 1.5, 0);
    be.descent(z, y, n, 0.25);                          // z = 3 - 0.5
    const [ry, rz] = await Promise.all([be.read(y, n), be.read(z, n)]);
    assert.ok(ry.every((v) => v === 2), 'fill');
    assert.ok(rz.every((v) => v === 2.5), 'unary + descent');
    be.free(y, n); be.free(z, n);
    be.trim();
  });

  T('device loss is recorded and reads reject', async () => {
    const other = await createWebGPU();
    if ('error' in other) throw new Error(other.error);
    const b = other.alloc(4);
    other.destroy();
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(other.lost, 'lost is set');
    let threw = false;
    try { await other.read(b, 4); } catch { threw = true; }
    assert.ok(threw, 'read rejects');
  });
}

T.run();
