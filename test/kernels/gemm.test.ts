// The blocked GEMM (assembly/gemm.ts, gemm_strided) is bit-identical on any block of C: a block
// [i0,i1)×[j0,j1) computed alone (operand pointers offset, C's strides kept) equals the same
// block of the whole product bit for bit, on every path it can pick (B read in place for few
// rows or packed, the 6-row and one-pointer kernels of a transposed A, edge tiles, KC and NC
// blocks), and with acc = 1. Matmul split over threads by output blocks relies on it. Values
// are checked against float64 in matmul.test.ts and bmm.test.ts; here only equality matters.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadRaw, relaxedSupported, type Raw } from './loadRaw.ts';

let seed = 777;
const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;

// [m, k, n]: m ≤ 8 (B in place, 6-row kernel at m ≥ 6), m past 8 (packed), partial panels
// (n % 8), k past KC = 256, n past NC = 512, conv1's product shapes (6×25, 25×…×6)
const SHAPES: [number, number, number][] = [
  [6, 25, 203], [7, 9, 40], [8, 17, 13], [5, 3, 24], [6, 300, 530], [9, 16, 33], [16, 150, 70],
  [25, 300, 6], [13, 40, 11], [3, 257, 9], [12, 7, 520],
];
// row and column cuts of each block (clamped to the shape): blocks of 1 row, odd offsets, ≥ 6 rows
const ROWS = [[0, 1], [1, 7], [2, 9], [0, 6], [5, 16], [3, 25]];
const COLS = [[0, 8], [3, 11], [5, 6], [1, 203], [8, 530], [0, 13]];

/** C = op(A)·op(B) through bmm with batch 1 (gemm_strided itself, every stride free), whole and by blocks. */
function blocks(R: Raw, m: number, k: number, n: number, ta: number, tb: number, acc: number) {
  R.reset();
  const E = R.exports;
  const [sam, sak] = ta ? [1, m] : [k, 1], [sbk, sbn] = tb ? [1, k] : [n, 1];
  const pa = R.put(Float32Array.from({ length: m * k }, rand)), pb = R.put(Float32Array.from({ length: k * n }, rand));
  const c0 = Float32Array.from({ length: m * n }, rand);
  const whole = R.put(c0), part = R.put(c0), ws = R.alloc(E.bmm_ws_bytes(m, k, n));
  E.bmm(pa, pb, whole, m, k, n, 1, 0, sam, sak, 0, sbk, sbn, 0, n, 1, ws);
  const tag = `m=${m} k=${k} n=${n} ta=${ta} tb=${tb} acc=${acc}`;
  if (!acc && m > 1 && n > 1 && k > 1) {   // matmul's own call (n = 1, k = 1 take its other paths)
    const mm = R.alloc(m * n * 4);
    E.matmul(pa, pb, mm, m, k, n, ta, tb, 0, R.alloc(E.matmul_ws_bytes(m, k, n)));
    assert.equal(new Uint32Array(R.memory.buffer, mm, m * n), new Uint32Array(R.memory.buffer, whole, m * n), `${tag}: matmul ≠ gemm_strided`);
  }
  let count = 0;
  for (const [r0, r1] of ROWS) for (const [q0, q1] of COLS) {
    const i0 = Math.min(r0, m - 1), i1 = Math.min(r1, m), j0 = Math.min(q0, n - 1), j1 = Math.min(q1, n);
    if (i1 <= i0 || j1 <= j0) continue;
    R.f32(part, m * n).set(c0);
    const at = (i0 * n + j0) * 4;
    E.bmm(pa + (i0 * sam) * 4, pb + (j0 * sbn) * 4, part + at, i1 - i0, k, j1 - j0, 1, 0, sam, sak, 0, sbk, sbn, 0, n, 1, ws);
    const got = new Uint32Array(R.memory.buffer, part, m * n), want = new Uint32Array(R.memory.buffer, whole, m * n);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
      const inside = i >= i0 && i < i1 && j >= j0 && j < j1;
      const w = inside ? want[i * n + j] : new Uint32Array(c0.buffer)[i * n + j];
      if (got[i * n + j] !== w) assert.unreachable(`${tag}, block [${i0},${i1})×[${j0},${j1}): C[${i},${j}] bits ${got[i * n + j]}, want ${w}${inside ? '' : ' (outside the block: untouched)'}`);
    }
    count++;
  }
  return count;
}

test('gemm_strided: any block of C alone equals that block of the whole product, bit for bit', () => {
  const R = loadRaw('simd', 256);
  let count = 0;
  for (const [m, k, n] of SHAPES) for (const [ta, tb] of [[0, 0], [1, 0], [0, 1], [1, 1]]) for (const acc of [0, 1]) count += blocks(R, m, k, n, ta, tb, acc);
  assert.ok(count > 1000, `${count} blocks`);
});

// The relaxed module (fused multiply-add) has only matmul: a block of rows of a row-major A is
// one matmul on offset pointers, which covers the path choice by the number of rows.
if (relaxedSupported()) {
  test('relaxed matmul: a block of rows alone equals those rows of the whole product, bit for bit', () => {
    const R = loadRaw('relaxed', 256);
    const E = R.exports;
    let count = 0;
    for (const [m, k, n] of SHAPES) for (const tb of [0, 1]) {
      R.reset();
      const pa = R.put(Float32Array.from({ length: m * k }, rand)), pb = R.put(Float32Array.from({ length: k * n }, rand));
      const whole = R.alloc(m * n * 4), part = R.alloc(m * n * 4), ws = R.alloc(E.matmul_ws_bytes(m, k, n));
      E.matmul(pa, pb, whole, m, k, n, 0, tb, 0, ws);
      for (const [r0, r1] of ROWS) {
        const i0 = Math.min(r0, m - 1), i1 = Math.min(r1, m);
        if (i1 <= i0 || (i1 - i0) * n === 0) continue;
        E.matmul(pa + i0 * k * 4, pb, part + i0 * n * 4, i1 - i0, k, n, 0, tb, 0, ws);
        const got = new Uint32Array(R.memory.buffer, part + i0 * n * 4, (i1 - i0) * n);
        const want = new Uint32Array(R.memory.buffer, whole + i0 * n * 4, (i1 - i0) * n);
        assert.equal(got, want, `m=${m} k=${k} n=${n} tb=${tb}: rows [${i0},${i1})`);
        count++;
      }
    }
    assert.ok(count > 60, `${count} blocks`);
  });
}

test.run();
