// The strided kernel (an N-D strided copy: permutedims, slices, broadcasts) against the float64
// reference in src/backends/ref.ts, at ranks 1–6 and awkward sizes, with permuted, offset,
// negative and zero (broadcast) strides; and that it writes exactly n elements.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ref } from '../../src/backends/ref.ts';
import { loadRaw } from './loadRaw.ts';

const R = loadRaw('simd', 64);
let seed = 7;
const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;

/** Contiguous strides of a [dims] array (row-major, last fastest). */
const contiguous = (dims: number[]) => dims.map((_, i) => dims.slice(i + 1).reduce((a, b) => a * b, 1));

/**
 * Copies from a random source of `src` elements through (off, dims, strides) on both devices and
 * compares every element exactly (a copy is exact in f32) plus a guard past the end of y.
 */
function check(tag: string, src: number, off: number, dims: number[], strides: number[]) {
  const d = [...Array(6 - dims.length).fill(1), ...dims], s = [...Array(6 - strides.length).fill(0), ...strides];
  const n = d.reduce((a, b) => a * b, 1);
  const X = Float32Array.from({ length: src }, rand);
  const want = new Float64Array(n);
  ref.strided(Float64Array.from(X), want, n, off, d[0], d[1], d[2], d[3], d[4], d[5], s[0], s[1], s[2], s[3], s[4], s[5]);
  R.reset();
  const x = R.put(X), y = R.alloc((n + 4) * 4);
  R.f32(y, n + 4).fill(-7);
  R.exports.strided(x, y, n, off, d[0], d[1], d[2], d[3], d[4], d[5], s[0], s[1], s[2], s[3], s[4], s[5]);
  const got = R.f32(y, n + 4);
  for (let i = 0; i < n; i++) if (got[i] !== want[i]) assert.unreachable(`${tag}: y[${i}] = ${got[i]}, want ${want[i]}`);
  for (let i = n; i < n + 4; i++) assert.is(got[i], -7, `${tag}: wrote past y`);
}

const SIZES = [1, 3, 5, 7, 17, 33];

test('contiguous copies, every rank 1–6', () => {
  for (let rank = 1; rank <= 6; rank++)
    for (const a of SIZES) {
      const dims = Array.from({ length: rank }, (_, i) => [a, 3, 5, 2, 7, 1][i] ?? 1);
      if (dims.reduce((p, q) => p * q, 1) > 50000) continue;
      check(`contiguous ${dims}`, dims.reduce((p, q) => p * q, 1), 0, dims, contiguous(dims));
    }
});

test('transposes and permutations (permutedims)', () => {
  for (const r of SIZES) for (const c of SIZES) check(`transpose ${r}×${c}`, r * c, 0, [c, r], [1, c]);
  const perms = [[2, 0, 1], [1, 2, 0], [0, 2, 1], [2, 1, 0]];
  for (const [p, q, w] of [[3, 5, 7], [17, 1, 3], [33, 5, 1]])
    for (const perm of perms) {
      const dims = [p, q, w], st = contiguous(dims);
      check(`permute [${dims}] by ${perm}`, p * q * w, 0, perm.map((i) => dims[i]), perm.map((i) => st[i]));
    }
  const dims6 = [2, 3, 1, 5, 2, 3], st6 = contiguous(dims6), perm6 = [5, 3, 0, 4, 2, 1];
  check('permute rank 6', 180, 0, perm6.map((i) => dims6[i]), perm6.map((i) => st6[i]));
});

test('offset slices: rows, columns, steps, reversed', () => {
  // x is [17, 33]; take rows 3..12, columns 5..29
  check('slice rows and cols', 17 * 33, 3 * 33 + 5, [9, 24], [33, 1]);
  check('slice whole rows', 17 * 33, 2 * 33, [7, 33], [33, 1]);
  check('every other column', 17 * 33, 1, [17, 16], [33, 2]);
  check('one column', 17 * 33, 4, [17, 1], [33, 1]);
  check('one element', 17 * 33, 100, [1], [1]);
  check('reversed row', 33, 32, [33], [-1]);
  check('reversed rows of [5, 7]', 35, 28, [5, 7], [-7, 1]);
  check('rank-4 slice', 5 * 7 * 3 * 17, 17 + 3 * 17 * 2, [4, 5, 2, 13], [7 * 3 * 17, 3 * 17, 17, 1]);
});

test('broadcasts (stride 0) at every position', () => {
  for (const n of SIZES) {
    check(`scalar to ${n}`, 1, 0, [n], [0]);
    check(`row to [${n}, 7]`, 7, 0, [n, 7], [0, 1]);
    check(`column to [7, ${n}]`, 7, 0, [7, n], [1, 0]);
    check(`offset column to [3, ${n}, 5]`, 20, 2, [3, n, 5], [5, 0, 1]);
  }
  check('rank 6 mixed', 3 * 5 * 7, 0, [2, 3, 1, 5, 3, 7], [0, 35, 0, 7, 0, 1]);
  check('all zero strides', 10, 4, [3, 5, 2, 17], [0, 0, 0, 0]);
});

test('n = 0 writes nothing', () => {
  R.reset();
  const x = R.put([1, 2]), y = R.alloc(16);
  R.f32(y, 4).fill(-7);
  R.exports.strided(x, y, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1);
  assert.equal(Array.from(R.f32(y, 4)), [-7, -7, -7, -7]);
});

test.run();
