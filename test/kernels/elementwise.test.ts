// The generated elementwise kernels (unary, unaryGrad, biasAct, binary) at every op code and at
// sizes whose last n % 4 elements take the padded tail pass: each element must come out
// bit-identical to the same input computed in the main SIMD loop (the kernels promise results
// independent of position), nothing may be written past n, and results must match the float64
// reference (src/backends/ref.ts) to float32 accuracy.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { UNARY_OPS, BINARY_OPS, Unary, Binary } from '../../src/ops/codes.ts';
import { ref, unaryRef, unaryDerivRef, binaryRef } from '../../src/backends/ref.ts';
import { loadRaw } from './loadRaw.ts';

const R = loadRaw('simd', 16);
const E = R.exports;
let seed = 99;
const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
/** Values where every op is defined and well conditioned (log, sqrt, pow need x > 0). */
const positive = (n: number) => Float32Array.from({ length: n }, () => 0.25 + 2.5 * rand());
const signed = (n: number) => Float32Array.from({ length: n }, () => 6 * rand() - 3);
const SIZES = [1, 2, 3, 5, 6, 7, 9, 13, 33];
const GUARD = 4;
const [AL, BE] = [Math.fround(0.7), Math.fround(1.9)];
const same = (a: number, b: number) => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));
const close = (a: number, b: number, rel = 2e-5, abs = 1e-6) => Math.abs(a - b) <= abs + rel * Math.abs(b);
/** Domain of op: positive where the op needs it, else both signs. */
const domain = (op: number) =>
  ([Unary.log, Unary.sqrt, Unary.powscalar, Unary.reciprocal, Unary.log1p].includes(op) ? positive : signed);

/** An output buffer of n floats followed by a guard that must stay untouched. */
function out(n: number) {
  const p = R.alloc((n + GUARD) * 4);
  R.f32(p, n + GUARD).fill(-12345);
  return p;
}
function guarded(p: number, n: number, tag: string) {
  const g = R.f32(p + n * 4, GUARD);
  for (let i = 0; i < GUARD; i++) assert.is(g[i], -12345, `${tag}: wrote past n`);
}

test('unary and unaryGrad: every code, tails bit-identical to the main loop, vs float64', () => {
  for (let op = 0; op < UNARY_OPS.length; op++) {
    R.reset();
    const X = domain(op)(40), DY = signed(40);
    const x = R.put(X), dy = R.put(DY);
    const yAll = out(40), dxAll = out(40);
    E.unary(op, x, yAll, 40, AL, BE);
    E.unaryGrad(op, x, yAll, dy, dxAll, 40, AL, BE);
    const YA = R.f32(yAll, 40), DA = R.f32(dxAll, 40);
    for (let i = 0; i < 40; i++) {
      const name = UNARY_OPS[op].name, v = X[i];
      assert.ok(close(YA[i], unaryRef(op, v, AL, BE)), `${name}(${v}) = ${YA[i]}, want ${unaryRef(op, v, AL, BE)}`);
      const want = DY[i] * unaryDerivRef(op, v, YA[i], AL, BE);
      assert.ok(close(DA[i], want, 1e-4, 1e-5), `${name}'(${v})·dy = ${DA[i]}, want ${want}`);
    }
    for (const n of SIZES) {
      const y = out(n), dx = out(n);
      E.unary(op, x, y, n, AL, BE);
      E.unaryGrad(op, x, yAll, dy, dx, n, AL, BE);
      const Y = R.f32(y, n), D = R.f32(dx, n);
      for (let i = 0; i < n; i++) {
        assert.ok(same(Y[i], YA[i]), `${UNARY_OPS[op].name} n=${n}: y[${i}] = ${Y[i]}, main loop gave ${YA[i]}`);
        assert.ok(same(D[i], DA[i]), `${UNARY_OPS[op].name}' n=${n}: dx[${i}] = ${D[i]}, main loop gave ${DA[i]}`);
      }
      guarded(y, n, `unary ${op} n=${n}`);
      guarded(dx, n, `unaryGrad ${op} n=${n}`);
      // in place (y = x): the same values
      const z = R.put(X.subarray(0, n));
      E.unary(op, z, z, n, AL, BE);
      for (let i = 0; i < n; i++) assert.ok(same(R.f32(z, n)[i], YA[i]), `${UNARY_OPS[op].name} in place n=${n} at ${i}`);
    }
  }
});

test('biasAct: every code (fused and not), cols = 1 and row tails, vs unary on x + b and float64', () => {
  for (let act = 0; act < UNARY_OPS.length; act++) {
    for (const [rows, cols] of [[1, 1], [3, 1], [7, 1], [9, 1], [2, 3], [3, 5], [4, 8], [5, 13]]) {
      R.reset();
      const n = rows * cols, X = domain(act)(n), Bv = Float32Array.from({ length: rows }, () => 0.25 * rand());
      const x = R.put(X), b = R.put(Bv), y = out(n);
      E.biasAct(x, b, y, rows, cols, act, AL);
      const XB = Float32Array.from(X, (v, i) => v + Bv[(i / cols) | 0]); // f32 sums, as the kernel adds
      const padded = R.put([...XB, ...new Array(64).fill(0.5)]), want = out(n + 64);
      E.unary(act, padded, want, n + 64, AL, Infinity); // every element of interest in the main loop
      const Y = R.f32(y, n), W = R.f32(want, n);
      const wantRef = new Float64Array(n);
      ref.biasAct(Float64Array.from(X), Float64Array.from(Bv), wantRef, rows, cols, act, AL);
      for (let i = 0; i < n; i++) {
        const tag = `biasAct ${UNARY_OPS[act].name} [${rows},${cols}] at ${i}`;
        assert.ok(same(Y[i], W[i]), `${tag}: ${Y[i]}, unary(x + b) gave ${W[i]}`);
        if (act !== Unary.clamp) assert.ok(close(Y[i], wantRef[i], 1e-4, 1e-5), `${tag}: ${Y[i]} vs float64 ${wantRef[i]}`);
      }
      guarded(y, n, `biasAct ${act} [${rows},${cols}]`);
    }
  }
});

test('binary: every code, contiguous and broadcast rows with tails, vs float64', () => {
  for (let op = 0; op < BINARY_OPS.length; op++) {
    for (const n of SIZES) {
      R.reset();
      const pos = op === Binary.pow || op === Binary.xlogy;
      const A = pos ? positive(n) : signed(n), B = pos ? positive(n) : signed(n);
      const A2 = Float32Array.from({ length: 2 * n }, (_, i) => A[i >> 1]); // A at stride 2
      const a = R.put(A), b = R.put(B), a2 = R.put(A2), c = out(n), cb = out(n), cs = out(n);
      E.binary(op, a, b, c, 1, 1, n, 0, 0, 1, 0, 0, 1);    // contiguous
      E.binary(op, a, b, cb, 1, 1, n, 0, 0, 1, 0, 0, 0);   // b broadcast (stride 0)
      E.binary(op, a2, b, cs, 1, 1, n, 0, 0, 2, 0, 0, 1);  // a gathered (stride 2)
      const C = R.f32(c, n), CB = R.f32(cb, n), CS = R.f32(cs, n);
      for (let i = 0; i < n; i++) {
        const tag = `${BINARY_OPS[op].name} n=${n} at ${i}`;
        assert.ok(close(C[i], binaryRef(op, A[i], B[i]), 1e-5, 1e-6), `${tag}: ${C[i]} vs ${binaryRef(op, A[i], B[i])}`);
        assert.ok(close(CB[i], binaryRef(op, A[i], B[0]), 1e-5, 1e-6), `${tag} (b broadcast): ${CB[i]}`);
        assert.ok(same(CS[i], C[i]), `${tag} (a strided): ${CS[i]} vs contiguous ${C[i]}`);
      }
      guarded(cs, n, `binary ${op} strided n=${n}`);
      guarded(c, n, `binary ${op} n=${n}`);
      guarded(cb, n, `binary ${op} bcast n=${n}`);
    }
  }
});

test.run();
