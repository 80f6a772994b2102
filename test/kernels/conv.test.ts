// The convolution and pooling kernels (im2col, col2im, pool, poolGrad) of the raw Wasm module
// against the float64 reference in src/backends/ref.ts: 1-D (along either end dim), 2-D and 3-D
// geometry with odd sizes, stride above the kernel, dilation, padding wider than the kernel (and
// windows wholly in padding), outputs of size 1, groups (c0 > 0, cg < c), flip on and off,
// batches 1, 3, 8, 17; max-pool ties and NaN. Copies and maxima must match exactly, sums within
// a few ulps of the sum of the terms' magnitudes; nothing may be written past an output, and
// col2im must leave the channels outside its group as they were.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ref } from '../../src/backends/ref.ts';
import { loadRaw } from './loadRaw.ts';

const R = loadRaw('simd', 64);
// The table's signatures list every geometry argument; the tests build them as one array.
const REF = ref as unknown as Record<'im2col' | 'col2im' | 'pool' | 'poolGrad', (...a: (number | Float64Array)[]) => void>;
let seed = 11;
const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
const randArray = (len: number) => Float32Array.from({ length: len }, rand);
const prod = (v: number[]) => v.reduce((a, b) => a * b, 1);
const ULP = 2 ** -23;
const GUARD = 5, SENTINEL = -7.25;

/** A geometry: spatial sizes, kernel, stride, dilation, low and high padding (3 dims each). */
interface Geom { name: string; w: number[]; k: number[]; s: number[]; d: number[]; p: number[]; ph: number[] }
const pad3 = (v: number[], fill: number) => [...v, ...Array(3 - v.length).fill(fill)];
/** A geometry in the first dims; the rest are unused (size 1, kernel 1, stride 1, dilation 1, padding 0). */
function geom(name: string, w: number[], k: number[], s: number[], d: number[], p: number[], ph = p): Geom {
  return { name, w: pad3(w, 1), k: pad3(k, 1), s: pad3(s, 1), d: pad3(d, 1), p: pad3(p, 0), ph: pad3(ph, 0) };
}
/** The same geometry with its dims reversed (a 1-D or 2-D geometry then lives in the last dims). */
const reversed = (g: Geom): Geom => ({ name: `${g.name}, dims reversed`, w: [...g.w].reverse(), k: [...g.k].reverse(),
  s: [...g.s].reverse(), d: [...g.d].reverse(), p: [...g.p].reverse(), ph: [...g.ph].reverse() });
const outSize = (g: Geom) => g.w.map((w, t) => Math.floor((w + g.p[t] + g.ph[t] - (g.d[t] * (g.k[t] - 1) + 1)) / g.s[t]) + 1);
/** The 18 geometry arguments in table order: w, k, o, s, d, p. */
const args = (g: Geom) => [...g.w, ...g.k, ...outSize(g), ...g.s, ...g.d, ...g.p];

const GEOMS: Geom[] = [
  geom('1-D same', [13], [3], [1], [1], [1]),
  geom('1-D stride 3 dilation 2', [11], [4], [3], [2], [3], [0]),
  geom('2-D odd, mixed stride, dilation, asymmetric padding', [7, 9], [3, 2], [2, 1], [1, 3], [1, 2], [2, 0]),
  geom('2-D stride above kernel', [10, 11], [2, 3], [3, 4], [1, 1], [0, 0]),
  geom('2-D padding wider than the kernel', [3, 4], [2, 2], [1, 2], [1, 1], [4, 3], [5, 2]),
  geom('2-D output 1', [5, 5], [5, 5], [1, 1], [1, 1], [0, 0]),
  geom('2-D 1×1 kernel, stride 2', [6, 7], [1, 1], [2, 2], [1, 1], [0, 0]),
  geom('3-D', [5, 4, 6], [2, 3, 2], [1, 2, 2], [2, 1, 1], [1, 0, 1], [0, 1, 2]),
  geom('3-D output 1×1×1 from padding', [2, 3, 2], [3, 3, 3], [4, 4, 4], [2, 1, 2], [2, 1, 2], [2, 1, 2]),
  geom('2-D in dims 1 and 3', [7, 1, 9], [3, 1, 2], [2, 1, 1], [1, 1, 3], [1, 0, 2], [2, 0, 0]),
  geom('size-1 dim wholly in padding', [5, 1, 4], [2, 1, 3], [1, 1, 1], [1, 1, 1], [0, 1, 1], [0, -1, 1]),
];
const ALL = [...GEOMS, ...GEOMS.filter((g) => g.name.startsWith('1-D') || g.name.startsWith('2-D')).map(reversed)];
const BATCHES = [1, 3, 8, 17];
/** Channels and group: [c, c0, cg]. */
const GROUPS = [[1, 0, 1], [3, 0, 3], [5, 2, 2], [4, 0, 1], [4, 3, 1]];

/** A fresh output of `len` floats followed by a guard, all SENTINEL, or `init` then the guard. */
function output(len: number, init?: Float32Array): number {
  const p = R.alloc((len + GUARD) * 4);
  R.f32(p, len + GUARD).fill(SENTINEL);
  if (init) R.f32(p, len).set(init);
  return p;
}
function guardIntact(tag: string, p: number, len: number) {
  const g = R.f32(p + len * 4, GUARD);
  for (let i = 0; i < GUARD; i++) if (g[i] !== SENTINEL) assert.unreachable(`${tag}: wrote past the end (guard ${i} = ${g[i]})`);
}
/** got within few·ulp·scale of want, elementwise (scale: the sum of the terms' magnitudes); NaN only against NaN. */
function close(tag: string, got: Float32Array, want: Float64Array, scale: Float64Array, terms: number) {
  for (let i = 0; i < want.length; i++) {
    const ok = Number.isNaN(want[i]) ? Number.isNaN(got[i]) : Math.abs(got[i] - want[i]) <= 2 * Math.max(terms, 1) * ULP * scale[i] + 1e-30;
    if (!ok) assert.unreachable(`${tag}: [${i}] = ${got[i]}, want ${want[i]} (scale ${scale[i]})`);
  }
}
function exact(tag: string, got: Float32Array, want: ArrayLike<number>) {
  for (let i = 0; i < want.length; i++) if (!Object.is(got[i], want[i]) && got[i] !== want[i]) assert.unreachable(`${tag}: [${i}] = ${got[i]}, want ${want[i]}`);
}

function checkIm2col(g: Geom, n: number, c: number, c0: number, cg: number, flip: number) {
  const tag = `im2col ${g.name}, n ${n}, c ${c} c0 ${c0} cg ${cg}, flip ${flip}`;
  const a = args(g), len = prod(g.k) * cg * prod(outSize(g)) * n;
  const X = randArray(prod(g.w) * c * n), want = new Float64Array(len);
  REF.im2col(Float64Array.from(X), want, n, c, c0, cg, ...a, flip);
  R.reset();
  const x = R.put(X), col = output(len);
  R.exports.im2col(x, col, n, c, c0, cg, ...a, flip);
  exact(tag, R.f32(col, len), want);
  guardIntact(tag, col, len);
}

function checkCol2im(g: Geom, n: number, c: number, c0: number, cg: number, flip: number) {
  const tag = `col2im ${g.name}, n ${n}, c ${c} c0 ${c0} cg ${cg}, flip ${flip}`;
  const a = args(g), len = prod(g.w) * c * n;
  const COL = randArray(prod(g.k) * cg * prod(outSize(g)) * n), X0 = randArray(len);
  const want = Float64Array.from(X0), scale = Float64Array.from(X0, Math.abs);
  REF.col2im(Float64Array.from(COL), want, n, c, c0, cg, ...a, flip);
  REF.col2im(Float64Array.from(COL, Math.abs), scale, n, c, c0, cg, ...a, flip);
  R.reset();
  const col = R.put(COL), x = output(len, X0);
  R.exports.col2im(col, x, n, c, c0, cg, ...a, flip);
  const got = R.f32(x, len);
  close(tag, got, want, scale, prod(g.k));
  // the channels outside the group: bit for bit what was there
  for (let i = 0; i < len; i++) {
    const ch = Math.floor(i / n) % c;
    if ((ch < c0 || ch >= c0 + cg) && got[i] !== X0[i]) assert.unreachable(`${tag}: channel ${ch} (outside the group) changed at [${i}]`);
  }
  guardIntact(tag, x, len);
}

test('im2col: every geometry × batch × group × flip, exactly', () => {
  for (const g of ALL) for (const n of BATCHES) for (const [c, c0, cg] of GROUPS) for (const flip of [0, 1]) checkIm2col(g, n, c, c0, cg, flip);
});

test('col2im: every geometry × batch × group × flip; channels outside the group untouched', () => {
  for (const g of ALL) for (const n of BATCHES) for (const [c, c0, cg] of GROUPS) for (const flip of [0, 1]) checkCol2im(g, n, c, c0, cg, flip);
});

test('im2col and col2im at LeNet shapes (c = 1 joins whole rows; c = 6 does not)', () => {
  for (const flip of [0, 1]) {
    checkIm2col(geom('conv1', [28, 28], [5, 5], [1, 1], [1, 1], [0, 0]), 64, 1, 0, 1, flip);
    checkIm2col(geom('conv2', [12, 12], [5, 5], [1, 1], [1, 1], [0, 0]), 16, 6, 0, 6, flip);
    checkCol2im(geom('conv1', [28, 28], [5, 5], [1, 1], [1, 1], [0, 0]), 64, 1, 0, 1, flip);
    checkCol2im(geom('conv2 same', [12, 12], [5, 5], [1, 1], [1, 1], [2, 2]), 16, 6, 0, 6, flip);
  }
});

/** pool then poolGrad, both modes, on x (default random); y from the kernel must match ref, dx too. */
function checkPool(g: Geom, cn: number, mean: number, X = randArray(prod(g.w) * cn)) {
  const tag = `pool ${mean ? 'mean' : 'max'} ${g.name}, cn ${cn}`;
  const a = args(g), O = prod(outSize(g)) * cn, W = prod(g.w) * cn, K = prod(g.k);
  const x64 = Float64Array.from(X), want = new Float64Array(O), scale = new Float64Array(O);
  REF.pool(x64, want, cn, ...a, mean);
  REF.pool(Float64Array.from(X, Math.abs), scale, cn, ...a, 1);
  R.reset();
  const x = R.put(X), y = output(O);
  R.exports.pool(x, y, cn, ...a, mean);
  const Y = R.f32(y, O).slice();
  if (mean) close(tag, Y, want, scale, K); else exact(tag, Y, want);
  guardIntact(tag, y, O);

  const DY = randArray(O), dwant = new Float64Array(W), dscale = new Float64Array(W);
  REF.poolGrad(x64, Float64Array.from(Y), Float64Array.from(DY), dwant, cn, ...a, mean);
  REF.poolGrad(x64, Float64Array.from(Y), Float64Array.from(DY, Math.abs), dscale, cn, ...a, mean);
  const dy = R.put(DY), dx = output(W);
  R.exports.poolGrad(x, y, dy, dx, cn, ...a, mean);
  close(`${tag} grad`, R.f32(dx, W), dwant, dscale, prod(outSize(g)));
  guardIntact(`${tag} grad`, dx, W);
}

const CNS = [1, 3, 8, 17, 24];
test('pool and poolGrad (max and mean): every geometry × cn', () => {
  for (const g of ALL) for (const cn of CNS) for (const mean of [0, 1]) checkPool(g, cn, mean);
});

test('max pool ties go to the first maximum, k1 fastest (values from {-1, -0, 0, 1})', () => {
  const vals = [-1, -0, 0, 1];
  // cn 301: more lanes than poolGrad serves per walk of a window (128), with a ragged end
  for (const g of ALL) for (const cn of [1, 5, 8, 301]) checkPool(g, cn, 0, Float32Array.from({ length: prod(g.w) * cn }, () => vals[Math.floor((rand() + 1) * 2)]));
  // a window of equal values sends its whole gradient to the first position, in both dims
  const g = geom('ties 2×2', [2, 2], [2, 2], [1, 1], [1, 1], [0, 0]);
  R.reset();
  const x = R.put([3, 3, 3, 3]), y = output(1), dy = R.put([5]), dx = output(4);
  R.exports.pool(x, y, 1, ...args(g), 0);
  R.exports.poolGrad(x, y, dy, dx, 1, ...args(g), 0);
  assert.equal([...R.f32(y, 1)], [3]);
  assert.equal([...R.f32(dx, 4)], [5, 0, 0, 0]);
});

test('max pool: a NaN in a window gives NaN and routes nothing; windows wholly in padding give -Infinity', () => {
  for (const g of ALL) for (const cn of [1, 6, 9]) {
    const X = randArray(prod(g.w) * cn);
    for (let i = 0; i < X.length; i += 7) X[i] = NaN;
    checkPool(g, cn, 0, X);
  }
  const g = geom('all padding', [2], [2], [5], [1], [3], [3]);
  R.reset();
  const x = R.put([1, 2, 3, 4]), y = output(4), dx = output(4);
  R.exports.pool(x, y, 2, ...args(g), 0);            // o = 2: windows [-3,-2] (padding) and [2, 3] (padding)
  assert.equal([...R.f32(y, 4)], [-Infinity, -Infinity, -Infinity, -Infinity]);
  R.exports.poolGrad(x, y, R.put([1, 1, 1, 1]), dx, 2, ...args(g), 0);
  assert.equal([...R.f32(dx, 4)], [0, 0, 0, 0]);
});

/**
 * NAME_part (the threads' split): a call for rows [r0, r1) of the written buffer's outer axis
 * writes exactly those rows, bit for bit as the whole call does, and nothing else; the rows of
 * three parts together are the whole call's output. `run(out, r0, r1)` calls the part into `out`
 * (r1 = -1: the whole kernel); `init` fills an output before a call.
 */
function checkParts(tag: string, len: number, rows: number, init: () => Float32Array, run: (out: number, r0: number, r1: number) => void) {
  const whole = output(len, init());
  run(whole, 0, -1);
  const W = R.f32(whole, len).slice(), rowLen = len / rows;
  const cuts = [...new Set([0, Math.min(1, rows), Math.floor(rows / 2), rows])];
  const joined = output(len, init());
  for (let i = 0; i + 1 < cuts.length; i++) {
    const single = output(len, init()), before = R.f32(single, len).slice();
    run(single, cuts[i], cuts[i + 1]);
    run(joined, cuts[i], cuts[i + 1]);
    const got = R.f32(single, len);
    for (let e = 0; e < len; e++) {
      const r = Math.floor(e / rowLen), inside = r >= cuts[i] && r < cuts[i + 1];
      if (!Object.is(got[e], inside ? W[e] : before[e])) {
        assert.unreachable(`${tag}, rows [${cuts[i]}, ${cuts[i + 1]}): [${e}] (row ${r}) = ${got[e]}, want ${inside ? W[e] : before[e]}`);
      }
    }
    guardIntact(`${tag} part`, single, len);
  }
  exact(`${tag}, parts joined`, R.f32(joined, len), W);
}

test('im2col_part, col2im_part, pool_part, poolGrad_part: each writes its rows as the whole call, nothing else', () => {
  const vals = [-1, -0, 0, 1];
  for (const g of ALL) for (const [c, c0, cg] of [[1, 0, 1], [5, 2, 2]]) for (const flip of [0, 1]) {
    const n = 3, a = args(g), o = outSize(g), K = prod(g.k), tag = `${g.name}, c ${c} c0 ${c0} cg ${cg}, flip ${flip}`;
    R.reset();
    const X = R.put(randArray(prod(g.w) * c * n)), colLen = K * cg * prod(o) * n, COL = R.put(randArray(colLen));
    const sentinel = (len: number) => () => new Float32Array(len).fill(SENTINEL);
    checkParts(`im2col_part ${tag}`, colLen, K * cg, sentinel(colLen), (out, r0, r1) =>
      r1 < 0 ? R.exports.im2col(X, out, n, c, c0, cg, ...a, flip) : R.exports.im2col_part(X, out, n, c, c0, cg, ...a, flip, r0, r1));
    const X0 = randArray(prod(g.w) * c * n);
    checkParts(`col2im_part ${tag}`, X0.length, g.w[0], () => X0, (out, r0, r1) =>
      r1 < 0 ? R.exports.col2im(COL, out, n, c, c0, cg, ...a, flip) : R.exports.col2im_part(COL, out, n, c, c0, cg, ...a, flip, r0, r1));
    if (c0 > 0 || flip) continue;
    // pooling: ties (values from {-1, -0, 0, 1}) so that a max window's first maximum may lie in another part's rows
    for (const mean of [0, 1]) for (const cn of [1, 6, 133]) {
      const ptag = `${mean ? 'mean' : 'max'} ${g.name}, cn ${cn}`, wl = prod(g.w) * cn, ol = prod(o) * cn;
      const x = R.put(Float32Array.from({ length: wl }, () => vals[Math.floor((rand() + 1) * 2)]));
      checkParts(`pool_part ${ptag}`, ol, o[0], sentinel(ol), (out, r0, r1) =>
        r1 < 0 ? R.exports.pool(x, out, cn, ...a, mean) : R.exports.pool_part(x, out, cn, ...a, mean, r0, r1));
      const y = output(ol);
      R.exports.pool(x, y, cn, ...a, mean);
      const dy = R.put(randArray(ol));
      checkParts(`poolGrad_part ${ptag}`, wl, g.w[0], sentinel(wl), (out, r0, r1) =>
        r1 < 0 ? R.exports.poolGrad(x, y, dy, out, cn, ...a, mean) : R.exports.poolGrad_part(x, y, dy, out, cn, ...a, mean, r0, r1));
    }
  }
});

test('pool at LeNet shape 2×2 on [24,24,6·64]', () => {
  for (const mean of [0, 1]) checkPool(geom('lenet pool', [24, 24], [2, 2], [2, 2], [1, 1], [0, 0]), 6 * 64, mean);
});

test.run();
