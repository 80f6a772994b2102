// The convolution kernels of gpu/ (im2col, col2im, pool, poolGrad) on the WebGPU device against
// the float64 reference at awkward geometry: 1-, 2- and 3-d, odd sizes, stride past the kernel,
// dilation, padding wider than the kernel (whole windows in the padding), channel groups, flip,
// batch 1/3/17, size-1 outputs, ties and NaN/Inf in max pooling, and grids folded past a lowered
// dispatch limit. No adapter: skipped (printed), or a failure under FLUXION_REQUIRE_GPU=1.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createWebGPU, type WebGPUBackend, type GpuBuf } from '../../src/backends/webgpu.js';
import { ref } from '../../src/backends/ref.js';
import { testNeedingGpu } from '../_helpers/skip.ts';
import { mismatches, sumTol, type Tol } from '../_helpers/allclose.ts';

/** One geometry: spatial dims given up to 3 (the rest are 1), low padding p and high padding ph. */
interface Case {
  label: string; n: number; c: number; c0: number; cg: number;
  w: number[]; k: number[]; s: number[]; d: number[]; p: number[]; ph: number[]; flip: number;
}
type Tuple<N extends number, R extends number[] = []> = R['length'] extends N ? R : Tuple<N, [...R, number]>;
const pad3 = (v: number[], fill: number) => [0, 1, 2].map((i) => v[i] ?? fill);
const geom = (g: Case) => {
  const w = pad3(g.w, 1), k = pad3(g.k, 1), s = pad3(g.s, 1), d = pad3(g.d, 1), p = pad3(g.p, 0), ph = pad3(g.ph, 0);
  const o = w.map((wi, i) => Math.floor((wi + p[i] + ph[i] - (k[i] - 1) * d[i] - 1) / s[i]) + 1);
  if (o.some((v) => v < 1)) throw new Error(`${g.label}: output size ${o}`);
  return { w, k, o, args: [...w, ...k, ...o, ...s, ...d, ...p] as Tuple<18> };
};
const prod = (v: number[]) => v.reduce((a, b) => a * b, 1);

const CASES: Case[] = [
  { label: '1-d, plain', n: 1, c: 1, c0: 0, cg: 1, w: [7], k: [3], s: [1], d: [1], p: [0], ph: [0], flip: 0 },
  { label: '1-d, stride 3 > kernel 2, group c0 1 cg 2 of 4, flip', n: 3, c: 4, c0: 1, cg: 2, w: [13], k: [2], s: [3], d: [1], p: [1], ph: [2], flip: 1 },
  { label: '1-d, dilation 4', n: 17, c: 2, c0: 0, cg: 2, w: [11], k: [3], s: [1], d: [4], p: [0], ph: [0], flip: 0 },
  { label: '2-d, odd, dilated and strided, flip', n: 17, c: 3, c0: 0, cg: 3, w: [5, 7], k: [3, 2], s: [1, 2], d: [2, 1], p: [2, 0], ph: [1, 1], flip: 1 },
  { label: '2-d, padding 4 > kernel 2 (whole windows in padding), c0 1', n: 3, c: 2, c0: 1, cg: 1, w: [3, 4], k: [2, 2], s: [1, 1], d: [1, 1], p: [4, 3], ph: [4, 1], flip: 0 },
  { label: '2-d, kernel wider than x, size-1 output', n: 17, c: 2, c0: 0, cg: 2, w: [4, 5], k: [4, 5], s: [1, 1], d: [1, 1], p: [0, 0], ph: [0, 0], flip: 1 },
  { label: '2-d, kernel 5 > x 2 with padding', n: 1, c: 3, c0: 2, cg: 1, w: [2, 3], k: [5, 3], s: [1, 1], d: [1, 1], p: [2, 1], ph: [2, 1], flip: 0 },
  { label: '3-d, c0 2 cg 3 of 5', n: 3, c: 5, c0: 2, cg: 3, w: [5, 4, 3], k: [2, 3, 2], s: [2, 1, 1], d: [1, 1, 2], p: [1, 1, 1], ph: [0, 1, 1], flip: 1 },
  { label: '3-d, strides past dilated kernels', n: 1, c: 1, c0: 0, cg: 1, w: [9, 6, 5], k: [2, 2, 2], s: [4, 3, 3], d: [3, 2, 1], p: [0, 2, 1], ph: [1, 0, 0], flip: 0 },
  { label: '3-d, size-1 output, batch 17', n: 17, c: 2, c0: 1, cg: 1, w: [3, 2, 3], k: [3, 2, 3], s: [2, 2, 2], d: [1, 1, 1], p: [0, 0, 0], ph: [0, 0, 0], flip: 0 },
];
/** Pooling geometries: the cases above (cn = c·n) and the usual k = s windows at odd sizes. */
const POOLS: Case[] = [
  ...CASES,
  { label: '2-d, 2×2 windows, stride 2, odd size', n: 3, c: 5, c0: 0, cg: 5, w: [7, 9], k: [2, 2], s: [2, 2], d: [1, 1], p: [0, 0], ph: [0, 0], flip: 0 },
  { label: '2-d, 3×3 windows, stride 2, padding 1', n: 1, c: 7, c0: 0, cg: 7, w: [9, 8], k: [3, 3], s: [2, 2], d: [1, 1], p: [1, 1], ph: [1, 1], flip: 0 },
  { label: '1-d, window 3 stride 1 padding 2', n: 17, c: 1, c0: 0, cg: 1, w: [10], k: [3], s: [1], d: [1], p: [2], ph: [2], flip: 0 },
];

const created = await createWebGPU();
const T = suite('conv kernels [webgpu]');

if ('error' in created) {
  testNeedingGpu(T, 'im2col, col2im, pool and poolGrad on WebGPU against the float64 reference', `no adapter: ${created.error}`, () => {});
} else {
  const be: WebGPUBackend = created;

  // Deterministic f32-exact inputs, so the reference and the GPU see the same numbers.
  let seed = 987654;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const rand = (n: number) => Float64Array.from(new Float32Array(n).map(() => 2 * rnd() - 1));
  /** Small integers: max pooling sees ties, so the first-maximum rule decides. */
  const ties = (n: number) => Float64Array.from({ length: n }, () => Math.floor(rnd() * 3));
  const held: [GpuBuf, number][] = [];
  const gpu = (data: Float64Array | number, fill = NaN) => {
    const n = typeof data === 'number' ? data : data.length, b = be.alloc(Math.max(n, 1));
    be.write(b, typeof data === 'number' ? new Float64Array(n).fill(fill) : data);   // NaN: an unwritten element shows
    held.push([b, Math.max(n, 1)]);
    return b;
  };

  type Check = { label: string; buf: GpuBuf; want: Float64Array; tol: Tol };
  let checks: Check[] = [];
  const expect = (label: string, buf: GpuBuf, want: Float64Array, tol: Tol = { rtol: 0, atol: 0 }) => checks.push({ label, buf, want, tol });
  /** Reads every pending check back (one submit) and compares; frees the GPU buffers. */
  async function verify() {
    const cs = checks; checks = [];
    const got = await Promise.all(cs.map((c) => be.read(c.buf, c.want.length)));
    const bad: string[] = [];
    cs.forEach((c, i) => {
      const m = mismatches(got[i], c.want, c.tol, 3);
      if (m.bad.length) bad.push(`${c.label}: ${m.bad.map((b) => `[${b.index}] got ${b.got}, want ${b.want}`).join('; ')}`);
    });
    for (const [b, n] of held.splice(0)) be.free(b, n);
    assert.is(be.lost, null, `device: ${be.lost}`);
    assert.ok(bad.length === 0, `${bad.length} of ${cs.length} checks failed:\n${bad.slice(0, 20).join('\n')}`);
    return got;
  }

  /** im2col and col2im of one case; col2im's x starts as random data its other channels keep. */
  function convCase(g: Case) {
    const { w, k, o, args } = geom(g), W = prod(w), K = prod(k), O = prod(o);
    for (const flip of [g.flip, 1 - g.flip]) {
      const label = `${g.label} (flip ${flip}, o ${o})`;
      const x = rand(W * g.c * g.n), col = new Float64Array(K * g.cg * O * g.n);
      ref.im2col(x, col, g.n, g.c, g.c0, g.cg, ...args, flip);
      const colG = gpu(col.length);
      be.im2col(gpu(x), colG, g.n, g.c, g.c0, g.cg, ...args, flip);
      expect(`im2col ${label}`, colG, col);
      const dcol = rand(col.length), x0 = rand(x.length), want = Float64Array.from(x0), xG = gpu(x0);
      ref.col2im(dcol, want, g.n, g.c, g.c0, g.cg, ...args, flip);
      be.col2im(gpu(dcol), xG, g.n, g.c, g.c0, g.cg, ...args, flip);
      expect(`col2im ${label}`, xG, want, { rtol: 1e-6, atol: sumTol(K) });
    }
  }
  /** pool and poolGrad of one case (max and mean); `data` makes x. */
  function poolCase(g: Case, data: (n: number) => Float64Array, tag = '') {
    const { w, k, o, args } = geom(g), cn = g.c * g.n, K = prod(k), O = prod(o);
    for (const mean of [0, 1]) {
      const label = `${mean ? 'mean' : 'max'} ${g.label}${tag} (o ${o})`;
      const x = data(prod(w) * cn), y = new Float64Array(O * cn), dy = rand(y.length), dx = new Float64Array(x.length);
      ref.pool(x, y, cn, ...args, mean);
      const xG = gpu(x), yG = gpu(y.length);
      be.pool(xG, yG, cn, ...args, mean);
      expect(`pool ${label}`, yG, y, mean ? { rtol: 1e-6, atol: sumTol(K) / K } : { rtol: 0, atol: 0 });
      // the reference's y (exactly the GPU's for max), so both route dy through the same maxima
      ref.poolGrad(x, y, dy, dx, cn, ...args, mean);
      const dxG = gpu(dx.length);
      be.poolGrad(xG, gpu(y), gpu(dy), dxG, cn, ...args, mean);
      expect(`poolGrad ${label}`, dxG, dx, { rtol: 1e-6, atol: sumTol(K) });
    }
  }

  T('im2col and col2im against the reference: 1-3 d, stride, dilation, padding, groups, flip, batch 1/3/17', async () => {
    for (const g of CASES) convCase(g);
    await verify();
  });

  T('pool and poolGrad (max and mean) against the reference, distinct values and ties', async () => {
    for (const g of POOLS) { poolCase(g, rand); poolCase(g, ties, ', ties'); }
    await verify();
  });

  T('max pooling with NaN and ±Inf: NaN wins a window and routes no gradient, -Inf windows as the reference', async () => {
    const g: Case = { label: '2-d, NaN and -Inf', n: 3, c: 1, c0: 0, cg: 1, w: [6, 5], k: [2, 3], s: [2, 1], d: [1, 1], p: [1, 1], ph: [0, 1], flip: 0 };
    poolCase(g, (n) => {
      const x = ties(n);
      x[4] = NaN; x[10] = -Infinity; x[11] = -Infinity; x[12] = Infinity; x[40] = -Infinity;
      return x;
    });
    await verify();
  });

  T('col2im and poolGrad gather in a fixed order: two runs agree bit for bit', async () => {
    const g = CASES[7], { k, o, args } = geom(g);
    const col = rand(prod(k) * g.cg * prod(o) * g.n), colG = gpu(col), outs: GpuBuf[] = [];
    for (let r = 0; r < 2; r++) { const xG = gpu(prod(geom(g).w) * g.c * g.n, 0); be.col2im(colG, xG, g.n, g.c, g.c0, g.cg, ...args, 1); outs.push(xG); }
    const a = await Promise.all(outs.map((b) => be.read(b, prod(geom(g).w) * g.c * g.n)));
    assert.equal([...a[0]], [...a[1]]);
    for (const [b, n] of held.splice(0)) be.free(b, n);
  });

  T('grids folded past a lowered dispatch limit (2 per dimension) give the same results', async () => {
    const limit = be.info.limits.maxComputeWorkgroupsPerDimension;
    be.info.limits.maxComputeWorkgroupsPerDimension = 2;
    try {
      // hundreds of workgroups each: im2col 9·4·18·18·3 elements, col2im 20·20·4·3, pool 20·20·12
      const big: Case = { label: 'folded, 2-d 20×20', n: 3, c: 4, c0: 0, cg: 4, w: [20, 20], k: [3, 3], s: [1, 1], d: [1, 1], p: [0, 0], ph: [0, 0], flip: 1 };
      const { w, k, o, args } = geom(big);
      assert.ok(prod(k) * big.cg * prod(o) * big.n > 256 * 100 && prod(w) * big.c * big.n > 256 * 4, 'the grids are folded');
      convCase(big);
      poolCase(big, ties);
      await verify();
    } finally { be.info.limits.maxComputeWorkgroupsPerDimension = limit; }
  });
}

T.run();
