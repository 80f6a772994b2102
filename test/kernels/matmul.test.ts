// Raw-ABI tests of build/fluxion*.wasm against float64 loops: matmul in depth (all three
// variants, acc = 0/1, shapes that hit every tile edge and the KC/NC blocking), plus smoke checks
// of unary, binary, reduce, softmax, bias_act, transpose and the optimisers.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadRaw, relaxedSupported, type Raw } from './loadRaw.ts';

const SIZES = [1, 3, 4, 5, 7, 16, 17, 63, 64, 65, 257];
let seed = 12345;
const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
const randArr = (n: number) => Float32Array.from({ length: n }, rand);

/** Reference: C = op(A)·op(B) (+ C0), float64. */
function refMatmul(a: Float32Array, b: Float32Array, m: number, k: number, n: number, ta: number, tb: number, c0?: Float32Array) {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let p = 0; p < k; p++) {
      const av = ta ? a[p * m + i] : a[i * k + p];
      for (let j = 0; j < n; j++) c[i * n + j] += av * (tb ? b[j * k + p] : b[p * n + j]);
    }
  if (c0) for (let i = 0; i < c.length; i++) c[i] += c0[i];
  return c;
}

function checkMatmul(R: Raw, m: number, k: number, n: number, ta: number, tb: number, acc: number) {
  R.reset();
  const E = R.exports;
  const A = randArr(m * k), B = randArr(k * n), C0 = randArr(m * n);
  const a = R.put(A), b = R.put(B);
  const c = R.alloc((m * n + 4) * 4);
  R.f32(c, m * n + 4).set([...C0, 7, 7, 7, 7]);
  const ws = R.alloc(E.matmul_ws_bytes(m, k, n));
  E.matmul(a, b, c, m, k, n, ta, tb, acc, ws);
  const ref = refMatmul(A, B, m, k, n, ta, tb, acc ? C0 : undefined);
  const got = R.f32(c, m * n + 4);
  const tol = 2e-7 * (k + 4) * 4;
  const tag = `m=${m} k=${k} n=${n} ta=${ta} tb=${tb} acc=${acc}`;
  for (let i = 0; i < m * n; i++)
    if (!(Math.abs(got[i] - ref[i]) <= tol)) assert.unreachable(`${tag}: c[${i}] = ${got[i]}, want ${ref[i]}`);
  for (let i = 0; i < 4; i++) assert.is(got[m * n + i], 7, `${tag}: wrote past C`);
}

function shapes(): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (const m of SIZES) for (const k of SIZES) for (const n of SIZES) {
    const big = [m, k, n].filter((s) => s === 257).length;
    if (big >= 2 && !(m === 257 && k === 257 && n === 257)) continue;
    if ((m * 7 + k * 3 + n) % 5 !== 0 && big === 0 && m > 7 && n > 7) continue; // thin the middle
    out.push([m, k, n]);
  }
  out.push([5, 300, 600], [33, 513, 70], [32, 784, 64], [784, 32, 64], [32, 64, 784]);
  // few rows (B in place, the 6-row kernel), partial column panels, conv1's shapes
  out.push([6, 25, 100], [6, 300, 530], [8, 17, 13], [6, 16, 9], [25, 300, 6], [16, 150, 70]);
  return out;
}

const builds: ('simd' | 'relaxed')[] = relaxedSupported() ? ['simd', 'relaxed'] : ['simd'];
if (builds.length === 1) console.log('relaxed SIMD: not supported by this engine, skipped (node --experimental-wasm-relaxed-simd)');

for (const build of builds) {
  test(`matmul ${build}: all variants, acc 0/1, edge shapes`, () => {
    const R = loadRaw(build, 512);
    let count = 0;
    for (const [m, k, n] of shapes())
      for (const [ta, tb] of [[0, 0], [1, 0], [0, 1], [1, 1]])
        for (const acc of [0, 1]) { checkMatmul(R, m, k, n, ta, tb, acc); count++; }
    assert.ok(count > 500);
  });
}

test('matmul: k = 0 zeroes C (acc = 0) and leaves it (acc = 1)', () => {
  const R = loadRaw();
  const c = R.put([1, 2, 3, 4]);
  R.exports.matmul(0, 0, c, 2, 0, 2, 0, 0, 1, 0);
  assert.equal([...R.f32(c, 4)], [1, 2, 3, 4]);
  R.exports.matmul(0, 0, c, 2, 0, 2, 0, 0, 0, 0);
  assert.equal([...R.f32(c, 4)], [0, 0, 0, 0]);
});

test('matmul_ws_bytes is O(k·n) and bounded', () => {
  const R = loadRaw();
  assert.ok(R.exports.matmul_ws_bytes(1024, 1024, 1024) <= (256 * 512 + 32) * 4);
  assert.is(R.exports.matmul_ws_bytes(32, 784, 1), 0);
});

const close = (got: number, want: number, rtol = 2e-6, atol = 1e-7) =>
  (Number.isNaN(want) && Number.isNaN(got)) || got === want || Math.abs(got - want) <= atol + rtol * Math.abs(want);

test('unary + unary_grad smoke: overflow-safe sigmoid, softplus, logsigmoid, tanh, exp', () => {
  const R = loadRaw();
  const xs = [-1000, -100, -88, -20, -1, -1e-6, 0, 1e-6, 0.5, 1, 20, 88, 100, 1000];
  const x = R.put(xs), y = R.alloc(xs.length * 4), dy = R.put(xs.map(() => 1)), dx = R.alloc(xs.length * 4);
  const sig = (v: number) => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v)));
  const sp = (v: number) => (v < 0 ? Math.log1p(Math.exp(v)) : v + Math.log1p(Math.exp(-v)));
  const cases: [number, (v: number) => number, (v: number) => number][] = [
    [3, Math.exp, Math.exp], [7, Math.tanh, (v) => 1 - Math.tanh(v) ** 2], [8, sig, (v) => sig(v) * (1 - sig(v))],
    [19, sp, sig], [22, (v) => -sp(-v), (v) => sig(-v)], [25, Math.log1p, (v) => 1 / (1 + v)],
  ];
  for (const [op, f, df] of cases) {
    E_unary(R, op, x, y, dy, dx, xs.length);
    const got = R.f32(y, xs.length), g = R.f32(dx, xs.length);
    xs.forEach((v, i) => {
      const want = Math.fround(f(Math.fround(v)));
      assert.ok(close(got[i], want), `op ${op} f(${v}) = ${got[i]}, want ${want}`);
      const wantd = Math.fround(df(Math.fround(v)));
      if (Number.isFinite(wantd)) assert.ok(close(g[i], wantd, 1e-5, 1e-6), `op ${op} f'(${v}) = ${g[i]}, want ${wantd}`);
    });
  }
});
function E_unary(R: Raw, op: number, x: number, y: number, dy: number, dx: number, n: number) {
  R.exports.unary(op, x, y, n, 0, 0);
  R.exports.unaryGrad(op, x, y, dy, dx, n, 0, 0);
}

for (const build of builds) test(`unary ${build}: all 30 op codes vs float64, and unary_grad vs central differences`, () => {
  const R = loadRaw(build);
  const sig = (v: number) => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v)));
  const sp = (v: number) => (v < 0 ? Math.log1p(Math.exp(v)) : v + Math.log1p(Math.exp(-v)));
  const hs = (v: number) => Math.min(Math.max((v + 3) / 6, 0), 1);
  const [al, be, L, A] = [Math.fround(0.7), Math.fround(1.3), 1.0507009873554805, 1.6732632423543772];
  const F: ((v: number) => number)[] = [
    (v) => v, (v) => -v, Math.abs, Math.exp, Math.log, Math.sqrt, (v) => v * v, Math.tanh, sig, (v) => (v < 0 ? 0 : v),
    (v) => Math.min(Math.max(v, 0), 6), (v) => (v > 0 ? v : al * v), (v) => (v >= 0 ? v : al * Math.expm1(v)),
    (v) => (v >= 0 ? v : al * Math.expm1(v / al)), (v) => L * (v > 0 ? v : A * Math.expm1(v)),
    (v) => v * sig(2 * Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)), (v) => v * sig(v), hs, (v) => v * hs(v), sp,
    (v) => v / (1 + Math.abs(v)), (v) => v * Math.tanh(sp(v)), (v) => -sp(-v), Math.sign, (v) => 1 / v, Math.log1p,
    (v) => Math.min(Math.max(v, al), be), (v) => Math.pow(v, al), (v) => v + al, (v) => v * al];
  const xs = Array.from({ length: 1203 }, (_, i) => Math.fround(-12 + i * 0.02 + 0.0031));
  xs.push(-1e4, -90, -50, -1e-6, 0, 1e-6, 50, 90, 1e4);
  const n = xs.length, x = R.put(xs), y = R.alloc(n * 4), dy = R.put(xs.map(() => 1)), dx = R.alloc(n * 4);
  const kinks = [0, -3, 3, 6, al, be];
  for (let op = 0; op < 30; op++) {
    R.exports.unary(op, x, y, n, al, be);
    R.exports.unaryGrad(op, x, y, dy, dx, n, al, be);
    const Y = R.f32(y, n), D = R.f32(dx, n);
    for (let i = 0; i < n; i++) {
      const v = xs[i], want = Math.fround(F[op](v));
      assert.ok(close(Y[i], want, 3e-6, 1e-12), `op ${op}: f(${v}) = ${Y[i]}, want ${want}`);
      if (Math.abs(v) > 20 || kinks.some((k) => Math.abs(v - k) < 1e-3)) continue;
      const h = 1e-6 * Math.max(1, Math.abs(v)), fd = (F[op](v + h) - F[op](v - h)) / (2 * h);
      if (Number.isFinite(fd)) assert.ok(close(D[i], fd, 1e-4, 2e-6), `op ${op}: f'(${v}) = ${D[i]}, want ${fd}`);
    }
  }
});

test('binary smoke: strided broadcast [3,4,5] op [1,4,1], and xlogy(0, 0) = 0', () => {
  const R = loadRaw();
  const A = randArr(60), B = randArr(4);
  const a = R.put(A), b = R.put(B), c = R.alloc(240);
  for (const [op, f] of [[0, (p: number, q: number) => p + q], [3, (p: number, q: number) => p / q], [5, Math.max]] as const) {
    R.exports.binary(op, a, b, c, 3, 4, 5, 20, 5, 1, 0, 1, 0);
    const got = R.f32(c, 60);
    for (let i = 0; i < 60; i++) assert.ok(close(got[i], Math.fround(f(A[i], B[(i / 5 | 0) % 4]))), `op ${op} at ${i}`);
  }
  const z = R.put([0, 0, 2, 3, 5]), w = R.put([0, NaN, 1, Math.E, 2]), o = R.alloc(20);
  R.exports.binary(8, z, w, o, 1, 1, 5, 0, 0, 1, 0, 0, 1);
  const got = R.f32(o, 5);
  assert.equal([got[0], got[1], got[2]], [0, 0, 0]);
  assert.ok(close(got[3], 3) && close(got[4], 5 * Math.log(2)));
});

test('reduce smoke: sum/mean/max/argmax along the middle axis, inner = 1 and 5; long sum', () => {
  const R = loadRaw();
  for (const [outer, len, inner] of [[2, 7, 5], [3, 37, 1], [1, 1, 9], [2, 300, 4]]) {
    const X = randArr(outer * len * inner);
    X[inner * 3] = X[inner * 5] = 5; // a tie: argmax must return the first
    const x = R.put(X), y = R.alloc(outer * inner * 4);
    for (const op of [0, 1, 2, 3, 4, 5, 6]) {
      R.exports.reduce(op, x, y, outer, len, inner);
      const got = R.f32(y, outer * inner);
      for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) {
        const v = Array.from({ length: len }, (_, l) => X[(o * len + l) * inner + i]);
        const s = v.reduce((p, q) => p + q, 0);
        const want = [s, s / len, Math.max(...v), Math.min(...v), v.indexOf(Math.max(...v)), v.indexOf(Math.min(...v)),
          v.reduce((p, q) => p + q * q, 0)][op];
        assert.ok(close(got[o * inner + i], want, 1e-5, 1e-5), `op ${op} [${outer},${len},${inner}] got ${got[o * inner + i]} want ${want}`);
      }
    }
  }
  const n = 1 << 20, x = R.put(new Float32Array(n).fill(0.1)), y = R.alloc(4);
  R.exports.reduce(0, x, y, 1, n, 1);
  assert.ok(close(R.f32(y, 1)[0], n * Math.fround(0.1), 1e-6), `long sum ${R.f32(y, 1)[0]}`);
});

test('softmax smoke: stable, +Inf slices, logsoftmax, softmax_grad', () => {
  const R = loadRaw();
  for (const [outer, len, inner] of [[2, 9, 1], [1, 6, 6], [3, 5, 2]]) {
    const N = outer * len * inner, X = Float32Array.from({ length: N }, () => rand() * 50);
    X[0] = Infinity; X[inner] = Infinity; // first slice: two +Inf entries
    const x = R.put(X), y = R.alloc(N * 4), dy = R.put(randArr(N)), dx = R.alloc(N * 4);
    for (const log of [0, 1]) {
      R.exports.softmax(x, y, outer, len, inner, log);
      R.exports.softmaxGrad(y, dy, dx, outer, len, inner, log);
      const Y = R.f32(y, N), G = R.f32(dy, N), D = R.f32(dx, N);
      for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) {
        const idx = (l: number) => (o * len + l) * inner + i;
        const v = Array.from({ length: len }, (_, l) => X[idx(l)]);
        const mx = Math.max(...v), ninf = v.filter((t) => t === Infinity).length;
        const e = v.map((t) => (mx === Infinity ? (t === Infinity ? 1 / ninf : 0) : Math.exp(t - mx)));
        const s = e.reduce((p, q) => p + q, 0);
        const sdy = v.reduce((p, _, l) => p + (log ? G[idx(l)] : G[idx(l)] * Y[idx(l)]), 0);
        for (let l = 0; l < len; l++) {
          const p = e[l] / s, want = log ? Math.log(p) : p;
          assert.ok(close(Y[idx(l)], want, 1e-5, 1e-6), `log=${log} [${o},${l},${i}] ${Y[idx(l)]} vs ${want}`);
          if (mx === Infinity) continue;
          const wd = log ? G[idx(l)] - Math.exp(Y[idx(l)]) * sdy : Y[idx(l)] * (G[idx(l)] - sdy);
          assert.ok(close(D[idx(l)], wd, 1e-4, 1e-5), `grad log=${log} ${D[idx(l)]} vs ${wd}`);
        }
      }
    }
  }
});

test('bias_act, transpose, fill smoke', () => {
  const R = loadRaw();
  for (const [rows, cols] of [[5, 1], [7, 9], [3, 4]]) {
    const X = randArr(rows * cols), Bv = randArr(rows);
    const x = R.put(X), b = R.put(Bv), y = R.alloc(rows * cols * 4);
    R.exports.biasAct(x, b, y, rows, cols, 9, 0); // relu
    const Y = R.f32(y, rows * cols);
    for (let i = 0; i < rows * cols; i++) assert.ok(close(Y[i], Math.max(0, Math.fround(X[i] + Bv[(i / cols) | 0]))));
  }
  for (const [rows, cols] of [[1, 1], [5, 7], [64, 65], [33, 4]]) {
    const X = randArr(rows * cols), x = R.put(X), y = R.alloc(rows * cols * 4);
    R.exports.transpose(x, y, rows, cols);
    const Y = R.f32(y, rows * cols);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) assert.is(Y[c * rows + r], X[r * cols + c]);
  }
  const f = R.alloc(7 * 4);
  R.exports.fill(f, 7, 2.5);
  assert.equal([...R.f32(f, 7)], new Array(7).fill(2.5));
});

test('optimisers smoke: descent, momentum, adam, adamw vs float64', () => {
  const R = loadRaw();
  const n = 11, X = randArr(n), G = randArr(n), M = randArr(n).map(Math.abs), V = randArr(n).map(Math.abs);
  const [eta, b1, b2, eps, lam] = [0.01, 0.9, 0.999, 1e-8, 0.1];
  for (const rule of ['descent', 'momentum', 'adam', 'adamw']) {
    const x = R.put(X), g = R.put(G), m = R.put(M), v = R.put(V), ok = R.put([0.5]);   // a finite loss: update
    if (rule === 'descent') R.exports.descent(x, g, ok, n, eta);
    if (rule === 'momentum') R.exports.momentum(x, g, m, ok, n, eta, b1);
    if (rule === 'adam') R.exports.adam(x, g, m, v, ok, n, eta, b1, b2, eps, b1 ** 2, b2 ** 2);
    if (rule === 'adamw') R.exports.adamw(x, g, m, v, ok, n, eta, b1, b2, eps, b1 ** 2, b2 ** 2, lam);
    const got = R.f32(x, n);
    for (let i = 0; i < n; i++) {
      let want: number;
      if (rule === 'descent') want = X[i] - eta * G[i];
      else if (rule === 'momentum') want = X[i] - (b1 * M[i] + eta * G[i]);
      else {
        const mm = b1 * M[i] + (1 - b1) * G[i], vv = b2 * V[i] + (1 - b2) * G[i] ** 2;
        const d = mm / (1 - b1 ** 2) / (Math.sqrt(vv / (1 - b2 ** 2)) + eps);
        want = X[i] - eta * (d + (rule === 'adamw' ? lam * X[i] : 0));
      }
      assert.ok(close(got[i], want, 1e-5, 1e-6), `${rule}[${i}] ${got[i]} vs ${want}`);
    }
  }
});

test.run();
