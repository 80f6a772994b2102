// Raw-ABI tests of the Wasm bmm kernel against float64 loops, in depth: fluxion's batch-last
// layout (the SIMD-across-batch path of 16-matrix blocks from batch 16, its last block
// overlapping when 16 does not divide the batch; a smaller batch on the per-matrix path) and
// batch-major strides, every transposed variant, broadcast operands, shapes past the KC/NC
// blocking, and that nothing outside C is written. (test/browser/kernel-suite.ts runs bmm on
// every device; this sweeps the Wasm paths more densely.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadRaw, type Raw } from './loadRaw.ts';

let seed = 4242;
const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;

interface L { len: number; sb: number; si: number; sj: number }
/** Strides of op(X) [r×c] for X stored [r, c, B] (batch last) or [B, r, c]; trans: stored [c, r]. */
function layout(r: number, c: number, B: number, trans: boolean, bcast: boolean, major: boolean): L {
  const [R, C] = trans ? [c, r] : [r, c], nb = bcast ? 1 : B;
  const [row, col, bat] = major ? [C, 1, R * C] : [C * nb, nb, 1];
  return { len: R * C * nb, sb: bcast ? 0 : bat, si: trans ? col : row, sj: trans ? row : col };
}

function check(R: Raw, m: number, k: number, n: number, B: number, A: L, Bl: L, major: boolean, tag: string) {
  R.reset();
  const [scb, scm, scn] = major ? [m * n, n, 1] : [1, n * B, B];
  const a = Float32Array.from({ length: A.len }, rand), b = Float32Array.from({ length: Bl.len }, rand);
  const pa = R.put(a), pb = R.put(b), size = m * n * B, pc = R.alloc((size + 8) * 4);
  R.f32(pc, size + 8).fill(7);
  const ws = R.alloc(R.exports.bmm_ws_bytes(m, k, n));
  R.exports.bmm(pa, pb, pc, m, k, n, B, A.sb, A.si, A.sj, Bl.sb, Bl.si, Bl.sj, scb, scm, scn, ws);
  const got = R.f32(pc, size + 8), tol = 2e-7 * (k + 4) * 4;
  for (let z = 0; z < B; z++) for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let p = 0; p < k; p++) s += a[z * A.sb + i * A.si + p * A.sj] * b[z * Bl.sb + p * Bl.si + j * Bl.sj];
    const at = z * scb + i * scm + j * scn;
    if (!(Math.abs(got[at] - s) <= tol)) assert.unreachable(`${tag}: C_${z}[${i},${j}] = ${got[at]}, want ${s}`);
  }
  for (let i = size; i < size + 8; i++) assert.is(got[i], 7, `${tag}: wrote past C`);
}

const DIMS = [1, 2, 3, 4, 5, 7, 8, 9, 17];
const BATCH = [1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 20, 33];

test('batch-last (fluxion\'s layout): every size, batch, transposed variant', () => {
  const R = loadRaw('simd', 64);
  let count = 0;
  for (const m of DIMS) for (const n of DIMS) {
    const k = DIMS[(m * 3 + n) % DIMS.length];
    for (const B of BATCH) for (const [ta, tb] of [[0, 0], [1, 0], [0, 1], [1, 1]]) {
      if ((m + n + B + ta + tb) % 3) continue;   // a third of the grid: every value of each still appears
      check(R, m, k, n, B, layout(m, k, B, !!ta, false, false), layout(k, n, B, !!tb, false, false), false, `m${m} k${k} n${n} B${B} ta${ta} tb${tb}`);
      count++;
    }
  }
  assert.ok(count > 500, `${count} cases`);
});

test('broadcast operands and batch-major strides', () => {
  const R = loadRaw('simd', 64);
  for (const [m, k, n] of [[3, 5, 7], [8, 4, 9], [17, 9, 2], [1, 7, 1]]) for (const B of [1, 3, 4, 6, 9])
    for (const major of [false, true]) for (const [ta, tb] of [[0, 0], [1, 1], [1, 0], [0, 1]]) for (const [ba, bb] of [[0, 0], [1, 0], [0, 1], [1, 1]]) {
      check(R, m, k, n, B, layout(m, k, B, !!ta, !!ba, major), layout(k, n, B, !!tb, !!bb, major), major,
        `${major ? 'major' : 'last'} m${m} k${k} n${n} B${B} ta${ta} tb${tb} ba${ba} bb${bb}`);
    }
});

test('past the KC and NC blocks (k > 256, n > 512) and large matrices, on both paths', () => {
  const R = loadRaw('simd', 256);
  for (const [m, k, n, B] of [[5, 300, 9, 4], [3, 513, 6, 5], [6, 40, 530, 2], [9, 260, 517, 1], [70, 130, 70, 5],
    [5, 300, 9, 19], [3, 513, 6, 16], [6, 40, 530, 17], [70, 130, 70, 18]])
    for (const major of [false, true]) for (const tb of [0, 1]) {
      check(R, m, k, n, B, layout(m, k, B, false, false, major), layout(k, n, B, !!tb, false, major), major, `m${m} k${k} n${n} B${B} tb${tb} ${major ? 'major' : 'last'}`);
    }
});

test('k = 0 gives zeros; m, n or batch 0 writes nothing', () => {
  const R = loadRaw('simd', 2);
  for (const B of [1, 5, 16, 19]) check(R, 3, 0, 4, B, layout(3, 0, B, false, false, false), layout(0, 4, B, false, false, false), false, `k0 B${B}`);
  const c = R.put([1, 2, 3, 4]);
  R.exports.bmm(0, 0, c, 0, 3, 2, 4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0);
  R.exports.bmm(0, 0, c, 2, 3, 2, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0);
  assert.equal([...R.f32(c, 4)], [1, 2, 3, 4]);
});

test.run();
