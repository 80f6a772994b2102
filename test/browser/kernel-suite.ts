// Every kernel of docs/KERNELS.md on a backend against the float64 reference, at awkward sizes
// (SIMD tails, workgroup and tile edges). Pure: no test runner, no DOM, no Node; it returns
// counts and a readable list of failing cases, so it runs the same in a page, a Web Worker or
// Node. The browser suite (gpu-suite.ts) runs it on WebGPU.
import type { Backend } from '../../src/backends/backend.js';
import { ref } from '../../src/backends/ref.js';
import { Unary, Binary, Reduce } from '../../src/ops/codes.js';

export interface GroupResult { name: string; cases: number; failed: number; ms: number; worst: string }
export interface KernelSuiteResult { cases: number; failed: number; groups: GroupResult[]; failures: string[]; ms: number }

const SIZES = [1, 3, 4, 5, 7, 16, 17, 63, 64, 65, 257];
const MM = [1, 3, 17, 64, 65, 257];
const now = () => globalThis.performance?.now() ?? Date.now();

/**
 * Runs every group (or those whose name `only` matches); `onGroup` sees each group's result as
 * it finishes (progress display).
 */
export async function runKernelSuite(be: Backend<any>, onGroup?: (g: GroupResult) => void, only?: RegExp): Promise<KernelSuiteResult> {
  // Deterministic f32-exact inputs, so the reference and the device see the same numbers.
  let seed = 20240611;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const rand = (n: number, lo = -1, hi = 1) => Float64Array.from(new Float32Array(n).map(() => lo + (hi - lo) * rnd()));
  const out = (n: number) => new Float64Array(n);

  let held: [unknown, number][] = [];
  const dev = (data: Float64Array | number) => {
    const n = typeof data === 'number' ? data : data.length, b = be.alloc(Math.max(n, 1));
    if (typeof data !== 'number') be.write(b, data);
    held.push([b, Math.max(n, 1)]);
    return b;
  };

  type Check = { label: string; buf: unknown; want: Float64Array; rtol: number; atol: number };
  let checks: Check[] = [];
  const expect = (label: string, buf: unknown, want: Float64Array, rtol = 1e-4, atol = 1e-5) =>
    checks.push({ label, buf, want, rtol, atol });

  const groups: GroupResult[] = [], failures: string[] = [];
  const t0 = now();
  /** Runs `build` (which records ops and expectations), reads everything back, compares. */
  async function group(name: string, build: () => void) {
    if (only && !only.test(name)) return;
    const g0 = now();
    let failed = 0, cases = 0, worstR = 0, worst = '';
    try {
      build();
      const cs = checks;
      cases = cs.length;
      const got = await Promise.all(cs.map((c) => be.read(c.buf, c.want.length)));
      cs.forEach((c, k) => {
        for (let i = 0; i < c.want.length; i++) {
          const g = got[k][i], w = c.want[i], tol = c.atol + c.rtol * Math.abs(w);
          const ok = (Number.isNaN(w) && Number.isNaN(g)) || g === w || Math.abs(g - w) <= tol;
          const r = g === w ? 0 : Math.abs(g - w) / (tol || 1e-30);
          if (r > worstR) { worstR = r; worst = `${(r).toFixed(2)}× tol at ${c.label} [${i}]`; }
          if (!ok) {
            failed++;
            failures.push(`${name}: ${c.label} [${i}]: got ${g}, want ${w} (|diff| ${Math.abs(g - w).toExponential(2)} > tol ${tol.toExponential(2)})`);
            break;
          }
        }
      });
      const lost = (be as { lost?: string | null }).lost;
      if (lost) { failed++; failures.push(`${name}: device: ${lost}`); }
    } catch (e) {
      failed++;
      failures.push(`${name}: threw ${(e as Error)?.stack ?? e}`);
    } finally {
      checks = [];
      for (const [b, n] of held) be.free(b, n);
      held = [];
    }
    const g: GroupResult = { name, cases, failed, ms: Math.round(now() - g0), worst: worstR > 0 ? worst : 'exact' };
    groups.push(g);
    onGroup?.(g);
  }

  await group('matmul', () => {
    // Non-square m×k×n from {1, 3, 17, 64, 65, 257}, every variant (A, Aᵀ; B, Bᵀ), acc 0 and 1.
    const shapes: [number, number, number][] = [];
    for (let i = 0; i < 6; i++) shapes.push([MM[i], MM[(i + 2) % 6], MM[(i + 4) % 6]], [MM[i], MM[(i + 3) % 6], MM[(i + 1) % 6]]);
    shapes.push([257, 65, 17], [1, 257, 1], [257, 1, 257], [64, 65, 64], [65, 17, 257], [3, 257, 65]);
    // 128-tiles: whole interior tiles with vec4 rows, odd edges, and a long k over one tile
    // (split-K on GPUs; test/backends/webgpu.test.ts forces each entry on SwiftShader)
    shapes.push([256, 40, 256], [129, 33, 131], [128, 1031, 65]);
    for (const [m, k, n] of shapes) for (const [ta, tb] of [[0, 0], [1, 0], [0, 1], [1, 1]]) for (const acc of [0, 1]) {
      const a = rand(m * k), b = rand(k * n), c0 = rand(m * n), want = Float64Array.from(c0);
      ref.matmul(a, b, want, m, k, n, ta, tb, acc);
      const c = dev(c0);
      be.matmul(dev(a), dev(b), c, m, k, n, ta, tb, acc);
      expect(`m${m} k${k} n${n} ta${ta} tb${tb} acc${acc}`, c, want, 1e-4, 2e-6 * k);
    }
  });

  // Per-op input domain and parameters: [lo, hi, alpha, beta]; default [-4, 4, 0, 0].
  const DOM: Record<number, [number, number, number, number]> = {
    [Unary.exp]: [-6, 6, 0, 0], [Unary.log]: [0.05, 8, 0, 0], [Unary.sqrt]: [0.01, 8, 0, 0],
    [Unary.reciprocal]: [0.2, 4, 0, 0], [Unary.log1p]: [-0.95, 6, 0, 0], [Unary.leakyrelu]: [-4, 4, 0.1, 0],
    [Unary.elu]: [-4, 4, 1.3, 0], [Unary.celu]: [-4, 4, 0.7, 0], [Unary.clamp]: [-2, 2, -0.5, 0.7],
    [Unary.powscalar]: [0.1, 3, 2.5, 0], [Unary.addscalar]: [-4, 4, 1.5, 0], [Unary.mulscalar]: [-4, 4, -2.5, 0],
    [Unary.relu6]: [-3, 9, 0, 0], [Unary.hardsigmoid]: [-5, 5, 0, 0], [Unary.hardswish]: [-5, 5, 0, 0],
  };
  const unaryCases: [string, number, number, number, number, number][] = Object.entries(Unary)
    .map(([name, op]) => [name, op, ...(DOM[op] ?? [-4, 4, 0, 0])] as [string, number, number, number, number, number]);
  unaryCases.push(['powscalar (int, negative x)', Unary.powscalar, -3, 3, 3, 0]);
  const USIZES = [1, 3, 17, 64, 65, 257, 1031];

  await group(`unary (${Object.keys(Unary).length} codes)`, () => {
    for (const [name, op, lo, hi, al, bt] of unaryCases) for (const n of USIZES) {
      const x = rand(n, lo, hi), want = out(n), y = dev(n);
      ref.unary(op, x, want, n, al, bt);
      be.unary(op, dev(x), y, n, al, bt);
      expect(`${name} n${n}`, y, want);
    }
    // Extremes: overflow-safe forms, and tiny |x|.
    const x = Float64Array.from([-100, -30, -10, -1e-3, -1e-6, 0, 1e-6, 1e-3, 10, 30, 88, 100]);
    for (const op of [Unary.tanh, Unary.sigmoid, Unary.gelu, Unary.swish, Unary.softplus, Unary.mish,
      Unary.logsigmoid, Unary.elu, Unary.selu, Unary.softsign, Unary.log1p]) {
      const xs = op === Unary.log1p ? x.map(Math.abs) : x, want = out(xs.length), y = dev(xs.length);
      ref.unary(op, xs, want, xs.length, 1, 0);
      be.unary(op, dev(xs), y, xs.length, 1, 0);
      expect(`extremes ${nameOf(Unary, op)}`, y, want);
    }
    const xi = rand(65), wi = out(65), bi = dev(xi);
    ref.unary(Unary.tanh, xi, wi, 65, 0, 0);
    be.unary(Unary.tanh, bi, bi, 65, 0, 0);
    expect('tanh in place', bi, wi);
  });

  await group(`unaryGrad (${Object.keys(Unary).length} codes)`, () => {
    for (const [name, op, lo, hi, al, bt] of unaryCases) for (const n of USIZES) {
      const x = rand(n, lo, hi), dy = rand(n), y = out(n), want = out(n);
      ref.unary(op, x, y, n, al, bt);
      const y32 = Float64Array.from(new Float32Array(y));
      ref.unaryGrad(op, x, y32, dy, want, n, al, bt);
      const dx = dev(n);
      be.unaryGrad(op, dev(x), dev(y32), dev(dy), dx, n, al, bt);
      expect(`d ${name} n${n}`, dx, want, 1e-4, 2e-5);
    }
  });

  await group(`binary (${Object.keys(Binary).length} codes, broadcast)`, () => {
    const pats: [string, number[], number[], number[]][] = [];   // name, [d0,d1,d2], a strides, b strides
    for (const n of [1, 3, 17, 64, 65, 257]) {
      const B = SIZES[(SIZES.indexOf(n) + 5) % 11];
      pats.push([`[${n}]∘[${n}]`, [1, 1, n], [0, 0, 1], [0, 0, 1]]);
      pats.push([`[${n},${B}]∘[${n},1]`, [1, n, B], [0, B, 1], [0, 1, 0]]);
      pats.push([`[${n},${B}]∘[${B}]`, [1, n, B], [0, B, 1], [0, 0, 1]]);
      pats.push([`[${n},${B}]∘scalar`, [1, n, B], [0, B, 1], [0, 0, 0]]);
      pats.push([`scalar∘[${n},${B}]`, [1, n, B], [0, 0, 0], [0, B, 1]]);
      pats.push([`[${n},1]∘[1,${B}]`, [1, n, B], [0, 1, 0], [0, 0, 1]]);
    }
    pats.push(['[5,1,7]∘[1,17,1]', [5, 17, 7], [7, 0, 1], [0, 1, 0]], ['[4,3,65]∘[4,1,65]', [4, 3, 65], [195, 65, 1], [65, 0, 1]]);
    for (const [name, op] of Object.entries(Binary)) for (const [pn, d, as, bs] of pats) {
      const na = 1 + (d[0] - 1) * as[0] + (d[1] - 1) * as[1] + (d[2] - 1) * as[2];
      const nb = 1 + (d[0] - 1) * bs[0] + (d[1] - 1) * bs[1] + (d[2] - 1) * bs[2];
      let a = rand(na), b = rand(nb);
      if (op === Binary.pow) { a = rand(na, 0.1, 3); b = rand(nb, -2, 2); }
      if (op === Binary.div) b = b.map((v) => (v < 0 ? -0.2 : 0.2) + v);
      if (op === Binary.xlogy) { a = a.map((v) => (v < -0.5 ? 0 : v)); b = rand(nb, 0.05, 4); }
      if (op === Binary.equal || op === Binary.greater || op === Binary.maximum || op === Binary.minimum) {
        a = a.map((v) => Math.round(v * 2)); b = b.map((v) => Math.round(v * 2));   // ties
      }
      const n = d[0] * d[1] * d[2], want = out(n), c = dev(n);
      ref.binary(op, a, b, want, d[0], d[1], d[2], as[0], as[1], as[2], bs[0], bs[1], bs[2]);
      be.binary(op, dev(a), dev(b), c, d[0], d[1], d[2], as[0], as[1], as[2], bs[0], bs[1], bs[2]);
      expect(`${name} ${pn}`, c, want);
    }
    const x = rand(65), w2 = out(65), c = dev(x);
    ref.binary(Binary.mul, x, x, w2, 1, 1, 65, 0, 0, 1, 0, 0, 1);
    be.binary(Binary.mul, c, c, c, 1, 1, 65, 0, 0, 1, 0, 0, 1);
    expect('x*x in place', c, w2);
  });

  await group(`reduce (${Object.keys(Reduce).length} codes, each axis)`, () => {
    const shapes = [[3, 257, 5], [17, 65, 4], [1, 1, 7], [5, 7, 16], [64, 63, 3], [2, 4099, 1], [3, 257, 300], [1, 65, 1]];
    for (const s of shapes) for (let ax = 0; ax < 3; ax++) {
      const outer = s.slice(0, ax).reduce((p, q) => p * q, 1), len = s[ax], inner = s.slice(ax + 1).reduce((p, q) => p * q, 1);
      const x = rand(outer * len * inner).map((v) => Math.round(v * 64) / 16);   // ties for argmax/argmin
      for (const [name, op] of Object.entries(Reduce)) {
        const want = out(outer * inner), y = dev(outer * inner);
        ref.reduce(op, x, want, outer, len, inner);
        be.reduce(op, dev(x), y, outer, len, inner);
        expect(`${name} [${s}] axis ${ax}`, y, want, 1e-4, 1e-6 * len * (op === Reduce.sumsq ? 16 : 4));
      }
    }
  });

  // Does the device flush subnormal inputs to zero (WGSL allows it)? Then the reference is
  // evaluated at the flushed input: the device is asked for f(0), not f(1e-40).
  const tiny = Math.fround(1e-40), probe = be.alloc(1), probed = be.alloc(1);
  be.write(probe, [tiny]);
  be.unary(Unary.mulscalar, probe, probed, 1, 1, 0);
  const ftz = (await be.read(probed, 1))[0] !== tiny;
  be.free(probe, 1); be.free(probed, 1);
  await group(`domain edges: 0, −0, subnormal${ftz ? ' (flushed)' : ''}, negative, ±Inf, NaN (unary, unaryGrad, reduce)`, () => {
    // The device must give what the reference gives, rounded to f32: -Inf for log(0), NaN for
    // log(-1), Inf for exp(89), NaN propagated, ...
    const E = [0, -0, tiny, -tiny, 1, -1, 0.5, -0.5, 88.8, -104, 1e30, -1e30, Infinity, -Infinity, NaN, 3, -3, 6, 1e-7];
    const xe = Float64Array.from(E), n = xe.length, xg = dev(xe);
    const x = ftz ? xe.map((v) => (Math.abs(v) < 1.1754943508222875e-38 ? v * 0 : v)) : xe;
    const params: [number, number][] = [[0, 0], [0.1, 0], [1.3, 0], [-1, 1], [2, 0], [0.5, 0], [-1, 0], [3, 0], [2.5, 0]];
    for (const [name, op] of Object.entries(Unary)) {
      for (const [al, bt] of op === Unary.powscalar ? params.slice(4) : op === Unary.clamp ? [params[3]] : [params[op === Unary.celu ? 2 : 1]]) {
        const want = out(n), y = dev(n);
        ref.unary(op, x, want, n, al, bt);
        be.unary(op, xg, y, n, al, bt);
        expect(`edges ${name}(alpha ${al})`, y, want.map(Math.fround));
        const yw = Float64Array.from(want.map(Math.fround)), dy = Float64Array.from(E.map(() => 1)), dwant = out(n), dx = dev(n);
        ref.unaryGrad(op, x, yw, dy, dwant, n, al, bt);
        be.unaryGrad(op, xg, dev(yw), dev(dy), dx, n, al, bt);
        expect(`edges ${name}'(alpha ${al})`, dx, dwant.map(Math.fround));
      }
    }
    for (const [name, op] of Object.entries(Reduce)) {
      for (const row of [[0, -0, 1], [1, NaN, 2], [NaN, 1, NaN], [Infinity, 1, 2], [-Infinity, -1, 0], [Infinity, -Infinity, 1], [2, 3, NaN]]) {
        const xr = Float64Array.from(row), want = out(1), y = dev(1);
        ref.reduce(op, xr, want, 1, 3, 1);
        be.reduce(op, dev(xr), y, 1, 3, 1);
        expect(`edges ${name}([${row}])`, y, want.map(Math.fround));
      }
      const long = rand(300);   // the workgroup-tree path (len >= 128): NaNs at 17 and 211
      long[211] = NaN; long[17] = NaN;
      const want = out(1), y = dev(1);
      ref.reduce(op, long, want, 1, 300, 1);
      be.reduce(op, dev(long), y, 1, 300, 1);
      expect(`edges ${name}(300 values, NaN at 17 and 211)`, y, want.map(Math.fround));
    }
  });

  await group('softmax / logsoftmax / softmaxGrad', () => {
    const shapes: [number, number, number][] = [];
    for (const len of [1, 3, 17, 64, 65, 257, 1031]) for (const [o, i] of [[1, 1], [3, 1], [1, 5], [4, 17]]) shapes.push([o, len, i]);
    for (const [outer, len, inner] of shapes) for (const log of [0, 1]) {
      const n = outer * len * inner, x = rand(n, -10, 10), want = out(n), y = dev(n);
      ref.softmax(x, want, outer, len, inner, log);
      be.softmax(dev(x), y, outer, len, inner, log);
      expect(`${log ? 'logsoftmax' : 'softmax'} [${outer},${len},${inner}]`, y, want, 2e-4, 1e-6);
      const y32 = Float64Array.from(new Float32Array(want)), dy = rand(n), dwant = out(n), dx = dev(n);
      ref.softmaxGrad(y32, dy, dwant, outer, len, inner, log);
      be.softmaxGrad(dev(y32), dev(dy), dx, outer, len, inner, log);
      expect(`softmaxGrad log${log} [${outer},${len},${inner}]`, dx, dwant, 2e-4, 2e-6 * len);
    }
    const x = Float64Array.from([1, Infinity, 3, Infinity, 0, -2]), want = out(6), y = dev(6);
    ref.softmax(x, want, 2, 3, 1, 0);
    be.softmax(dev(x), y, 2, 3, 1, 0);
    expect('softmax +Inf shares the mass', y, want);
    for (const log of [0, 1]) {   // the same on a long slice (a workgroup per slice)
      const xl = rand(2 * 300, -5, 5); xl[7] = Infinity; xl[250] = Infinity; xl[420] = Infinity;
      const wl = out(600), yl = dev(600);
      ref.softmax(xl, wl, 2, 300, 1, log);
      be.softmax(dev(xl), yl, 2, 300, 1, log);
      expect(`${log ? 'logsoftmax' : 'softmax'} +Inf in 300-long slices`, yl, wl);
    }
  });

  await group('biasAct', () => {
    // Every activation code whose domain is the whole line (log, sqrt, reciprocal, log1p and
    // powscalar need positive inputs and are not activations).
    const acts = Object.values(Unary).filter((c) => ![Unary.log, Unary.sqrt, Unary.reciprocal, Unary.log1p, Unary.powscalar].includes(c as any));
    const dims = [1, 3, 17, 64, 65, 257];
    acts.forEach((act, i) => {
      const rows = dims[i % 6], cols = dims[(i * 5 + 2) % 6];
      const x = rand(rows * cols, -3, 3), b = rand(rows), want = out(rows * cols), y = dev(rows * cols);
      const al = act === Unary.clamp ? -0.5 : 0.3;
      ref.biasAct(x, b, want, rows, cols, act, al);
      be.biasAct(dev(x), dev(b), y, rows, cols, act, al);
      expect(`${nameOf(Unary, act)} [${rows},${cols}]`, y, want);
      const yi = dev(x);   // in place, as the Dense op calls it (y is x)
      be.biasAct(yi, dev(b), yi, rows, cols, act, al);
      expect(`${nameOf(Unary, act)} [${rows},${cols}] in place`, yi, want);
    });
  });

  await group('transpose, fill, copy', () => {
    const dims = [1, 3, 17, 64, 65, 257];
    for (const r of dims) for (const c of dims) {
      if ((r === c && r !== 64) || (r * c > 20000 && r !== c)) continue;
      const x = rand(r * c), want = out(r * c), y = dev(r * c);
      ref.transpose(x, want, r, c);
      be.transpose(dev(x), y, r, c);
      expect(`transpose [${r},${c}]`, y, want, 0, 0);
    }
    for (const n of [1, 3, 17, 64, 65, 257, 4099]) {
      const y = dev(n);
      be.fill(y, n, -1.25);
      expect(`fill ${n}`, y, new Float64Array(n).fill(-1.25), 0, 0);
    }
    const x = rand(300), y0 = rand(300), want = Float64Array.from(y0), y = dev(y0), xg = dev(x);
    ref.copy(x, 7, want, 65, 200);
    be.copy(xg, 7, y, 65, 200);
    expect('copy with offsets 7→65, n200', y, want, 0, 0);
    const z0 = rand(17), zw = Float64Array.from(z0), z = dev(z0);
    ref.copy(x, 0, zw, 0, 17);
    be.copy(xg, 0, z, 0, 17);
    expect('copy whole, n17', z, zw, 0, 0);
  });

  await group('strided (permutations, slices, broadcasts; ranks 1-6)', () => {
    // [dims, strides, offset, source length]: y = x gathered through the strides.
    const cases: [number[], number[], number, number][] = [
      [[1, 1, 1, 1, 1, 257], [0, 0, 0, 0, 0, 1], 0, 257],                 // plain copy
      [[1, 1, 1, 1, 65, 17], [0, 0, 0, 0, 1, 65], 0, 65 * 17],            // transpose
      [[1, 1, 1, 3, 5, 7], [0, 0, 0, 1, 21, 3], 0, 105],                  // permutation (2, 0, 1) of [5, 7, 3]
      [[1, 1, 7, 5, 3, 1], [0, 0, 1, 7, 35, 0], 0, 105],                  // reversed axes, trailing 1
      [[2, 3, 1, 5, 2, 3], [1, 2, 0, 6, 30, 60], 0, 180],                 // rank 6 permutation
      [[1, 1, 1, 1, 17, 33], [0, 0, 0, 0, 40, 1], 123, 17 * 40 + 200],    // a slice with an offset
      [[1, 1, 1, 1, 64, 65], [0, 0, 0, 0, 0, 1], 0, 65],                  // broadcast rows (stride 0)
      [[1, 1, 1, 1, 63, 7], [0, 0, 0, 0, 1, 0], 0, 63],                   // broadcast columns
      [[1, 1, 1, 1, 1, 1], [0, 0, 0, 0, 0, 0], 4, 5],                     // one element
      [[1, 1, 1, 1, 3, 4099], [0, 0, 0, 0, 1, 3], 0, 3 * 4099],           // long strided rows
    ];
    for (const [d, st, off, len] of cases) {
      const n = d.reduce((a, b) => a * b, 1), x = rand(len), want = out(n), y = dev(n);
      ref.strided(x, want, n, off, d[0], d[1], d[2], d[3], d[4], d[5], st[0], st[1], st[2], st[3], st[4], st[5]);
      be.strided(dev(x), y, n, off, d[0], d[1], d[2], d[3], d[4], d[5], st[0], st[1], st[2], st[3], st[4], st[5]);
      expect(`strided [${d}] strides [${st}] off ${off}`, y, want, 0, 0);
    }
  });

  await group('stridedWrite (cat, slice adjoints; ranks 1-6)', () => {
    // [dims, strides, offset, length of y]: x contiguous placed into y through the strides.
    const cases: [number[], number[], number, number][] = [
      [[1, 1, 1, 1, 1, 257], [0, 0, 0, 0, 0, 1], 0, 257],                 // plain copy
      [[1, 1, 1, 1, 17, 5], [0, 0, 0, 0, 12, 1], 7, 17 * 12],            // cat along the last axis: a block of columns
      [[1, 1, 1, 3, 4, 65], [0, 0, 0, 9 * 65, 65, 1], 2 * 65, 3 * 9 * 65], // cat along the middle axis
      [[1, 1, 1, 1, 65, 17], [0, 0, 0, 0, 1, 65], 0, 65 * 17],            // transposed placement
      [[2, 3, 1, 5, 2, 3], [1, 2, 0, 6, 30, 60], 0, 180],                 // rank 6 permutation
      [[1, 1, 1, 1, 1, 1], [0, 0, 0, 0, 0, 0], 4, 9],                     // one element
      [[1, 1, 1, 1, 3, 4099], [0, 0, 0, 0, 1, 3], 0, 3 * 4099],           // long strided rows
    ];
    for (const [d, st, off, len] of cases) {
      const n = d.reduce((a, b) => a * b, 1), x = rand(n), y0 = rand(len), want = Float64Array.from(y0), y = dev(y0);
      ref.stridedWrite(x, want, n, off, d[0], d[1], d[2], d[3], d[4], d[5], st[0], st[1], st[2], st[3], st[4], st[5]);
      be.stridedWrite(dev(x), y, n, off, d[0], d[1], d[2], d[3], d[4], d[5], st[0], st[1], st[2], st[3], st[4], st[5]);
      expect(`stridedWrite [${d}] strides [${st}] off ${off}`, y, want, 0, 0);
    }
  });

  await group('bmm (batch-last, batch-major, transposed, broadcast, strided C)', () => {
    /** Element strides (batch, rows, cols of op(X) [r×c]) of X stored [r, c, B] with the batch
     *  last (fluxion's layout), or batch-major [B, r, c]; trans: stored [c, r]; bcast: one matrix. */
    const layout = (r: number, c: number, B: number, trans: boolean, bcast: boolean, major: boolean) => {
      const [R, C] = trans ? [c, r] : [r, c], nb = bcast ? 1 : B;
      const [row, col, bat] = major ? [C, 1, R * C] : [C * nb, nb, 1];
      return { len: R * C * nb, sb: bcast ? 0 : bat, si: trans ? col : row, sj: trans ? row : col };
    };
    const shapes: [number, number, number, number][] = [
      [1, 1, 1, 1], [3, 5, 7, 4], [4, 8, 8, 8], [5, 3, 17, 5], [7, 16, 2, 3], [17, 9, 5, 17], [16, 33, 16, 6],
      [33, 17, 31, 2], [2, 65, 3, 9], [65, 4, 33, 1], [9, 257, 7, 4], [5, 0, 3, 4], [24, 20, 24, 32],
    ];
    for (const [m, k, n, B] of shapes) for (const major of [false, true]) for (const [ta, tb] of [[0, 0], [1, 0], [0, 1], [1, 1]])
      for (const [ba, bb] of [[false, false], [true, false], [false, true]]) {
        if ((ba || bb) && (ta + tb) % 2) continue;   // broadcasts with two of the four transposes
        const A = layout(m, k, B, !!ta, ba, major), Bl = layout(k, n, B, !!tb, bb, major);
        const [scb, scm, scn] = major ? [m * n, n, 1] : [1, n * B, B];
        const a = rand(A.len), b = rand(Bl.len), c0 = rand(m * n * B), want = Float64Array.from(c0), c = dev(c0);
        ref.bmm(a, b, want, m, k, n, B, A.sb, A.si, A.sj, Bl.sb, Bl.si, Bl.sj, scb, scm, scn);
        be.bmm(dev(a), dev(b), c, m, k, n, B, A.sb, A.si, A.sj, Bl.sb, Bl.si, Bl.sj, scb, scm, scn);
        expect(`${major ? 'batch-major' : 'batch-last'} m${m} k${k} n${n} B${B} ta${ta} tb${tb}${ba ? ' A broadcast' : ''}${bb ? ' B broadcast' : ''}`,
          c, want, 1e-4, 2e-6 * Math.max(k, 1));
      }
    // C through other strides: a transposed C (scm 1, scn m) of the batch-last product
    const [m, k, n, B] = [7, 5, 9, 6], a = rand(m * k * B), b = rand(k * n * B), want = out(m * n * B), c = dev(m * n * B);
    ref.bmm(a, b, want, m, k, n, B, 1, k * B, B, 1, n * B, B, m * n, 1, m);
    be.bmm(dev(a), dev(b), c, m, k, n, B, 1, k * B, B, 1, n * B, B, m * n, 1, m);
    expect('C stored transposed, batch-major', c, want, 1e-4, 2e-6 * k);
  });

  await group('gather and scatter', () => {
    // [outer, len, indices]: repeated, missing and (gather only) invalid indices
    const cases: [number, number, number[]][] = [
      [1, 5, [2, 4, 2]], [3, 7, [6, 0, 0, 3, 6, 6, 1]], [17, 65, Array.from({ length: 100 }, (_, i) => (i * 37) % 65)],
      [12, 9, [8, 1, 1, 4]], [8, 6, [5, 5, 0, 2, 5]], [51, 11, [10, 3, 3, 0, 7]], [65, 257, [256, 0, 128, 128, 3]],
      [5, 3, [1]], [1, 4, []],
    ];
    for (const [outer, len, ids] of cases) {
      const k = ids.length, idx = Float64Array.from(ids);
      const x = rand(outer * len), want = out(outer * k), y = dev(outer * k);
      ref.gather(x, idx, want, outer * k, k, len);
      if (k) be.gather(dev(x), dev(idx), y, outer * k, k, len);
      if (k) expect(`gather [${outer},${len}] by [${ids.slice(0, 8)}${k > 8 ? ',…' : ''}]`, y, want, 0, 0);
      // the adjoint: indices grouped by value, ascending within a value
      const order = Float64Array.from([...ids.keys()].sort((p, q) => ids[p] - ids[q] || p - q));
      const offs = new Float64Array(len + 1);
      for (const v of ids) offs[v + 1]++;
      for (let v = 0; v < len; v++) offs[v + 1] += offs[v];
      const g = rand(outer * Math.max(k, 1));
      const sw = out(outer * len), sy = dev(outer * len);
      ref.scatter(g, order, offs, sw, outer * len, k, len);
      be.scatter(dev(g), dev(order.length ? order : 1), dev(offs), sy, outer * len, k, len);
      expect(`scatter [${outer},${k}] into ${len}`, sy, sw, 1e-5, 1e-6);
    }
    // invalid indices give NaN: negative, past the end, fractional, NaN
    const bad = Float64Array.from([1, -1, 3, 0.5, NaN, 2]), x = rand(4 * 3), want = out(4 * 6), y = dev(4 * 6);
    ref.gather(x, bad, want, 24, 6, 3);
    be.gather(dev(x), dev(bad), y, 24, 6, 3);
    expect('gather with invalid indices (NaN there)', y, want, 0, 0);
    // NaN and ±Inf in the scattered values
    const v = Float64Array.from([1, NaN, -Infinity, 2, Infinity, 3]), ord = Float64Array.from([0, 1, 2, 3, 4, 5]), of = Float64Array.from([0, 2, 4, 6]);
    const w = out(3), sy = dev(3);
    ref.scatter(v, ord, of, w, 3, 6, 3);
    be.scatter(dev(v), dev(ord), dev(of), sy, 3, 6, 3);
    expect('scatter with NaN and ±Inf', sy, w, 0, 0);
  });

  await group('optimisers: descent, momentum, adam, adamw, copyIf (guarded by the loss)', () => {
    // Three steps under a finite guard, then steps under NaN and -Inf guards that must change nothing.
    const ok = Float64Array.from([0.25]), okg = dev(ok), bads = [NaN, -Infinity].map((v) => Float64Array.from([v]));
    const badg = bads.map(dev);
    for (const n of [1, 3, 17, 64, 65, 257, 1031]) {
      const x = rand(n), m = rand(n, 0, 0.1), v = rand(n, 0, 0.01);
      const grads = [rand(n), rand(n), rand(n), rand(n), rand(n)];
      for (const kind of ['descent', 'momentum', 'adam', 'adamw']) {
        const st = [x, m, v].map((a) => Float64Array.from(a)), [xg, mg, vg] = [x, m, v].map(dev);
        for (let t = 1; t <= 5; t++) {
          const g = grads[t - 1], gg = dev(g), b1t = 0.9 ** t, b2t = 0.999 ** t;
          const [gr, gd] = t <= 3 ? [ok, okg] : [bads[t - 4], badg[t - 4]];
          if (kind === 'descent') { ref.descent(st[0], g, gr, n, 0.1); be.descent(xg, gg, gd, n, 0.1); }
          if (kind === 'momentum') { ref.momentum(st[0], g, st[2], gr, n, 0.01, 0.9); be.momentum(xg, gg, vg, gd, n, 0.01, 0.9); }
          if (kind === 'adam') {
            ref.adam(st[0], g, st[1], st[2], gr, n, 1e-3, 0.9, 0.999, 1e-8, b1t, b2t);
            be.adam(xg, gg, mg, vg, gd, n, 1e-3, 0.9, 0.999, 1e-8, b1t, b2t);
          }
          if (kind === 'adamw') {
            ref.adamw(st[0], g, st[1], st[2], gr, n, 1e-3, 0.9, 0.999, 1e-8, b1t, b2t, 0.01);
            be.adamw(xg, gg, mg, vg, gd, n, 1e-3, 0.9, 0.999, 1e-8, b1t, b2t, 0.01);
          }
        }
        expect(`${kind} x n${n}`, xg, st[0]);
        if (kind === 'momentum' || kind.startsWith('adam')) expect(`${kind} v n${n}`, vg, st[2]);
        if (kind.startsWith('adam')) expect(`${kind} m n${n}`, mg, st[1]);
      }
      const y0 = rand(n), src = rand(n), y1 = dev(y0), y2 = dev(y0), srcg = dev(src);
      be.copyIf(srcg, y1, badg[0], n);
      be.copyIf(srcg, y2, okg, n);
      expect(`copyIf under a NaN guard keeps y, n${n}`, y1, y0, 0, 0);
      expect(`copyIf under a finite guard copies, n${n}`, y2, src, 0, 0);
    }
  });

  const cases = groups.reduce((s, g) => s + g.cases, 0), failed = groups.reduce((s, g) => s + g.failed, 0);
  return { cases, failed, groups, failures, ms: Math.round(now() - t0) };
}

function nameOf(table: Record<string, number>, code: number): string {
  return Object.keys(table).find((k) => table[k] === code) ?? String(code);
}
