// The float64 reference backend: plain loops, no tricks. It is the living definition every fast
// kernel (Wasm, WGSL) is tested against, and the device on which gradients are checked by
// finite differences. Buffers are Float64Array; nothing here is tuned for speed. The library
// itself imports only unaryRef (numbers through activations); tests call installReference().

import type { Backend } from './backend.js';
import { Reduce, UNARY_OPS, BINARY_OPS, CONSTANTS, type UnaryName, type BinaryName } from '../ops/codes.js';
import { runtime } from '../runtime.js';

type F = Float64Array;
const { SELU_L, SELU_A, GELU_S, GELU_C } = CONSTANTS;

const sigmoid = (x: number) => x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
const softplus = (x: number) => x < 0 ? Math.log1p(Math.exp(x)) : x + Math.log1p(Math.exp(-x));
/** strided/stridedWrite: the strided side's index of the i-th element of the contiguous [d0,…,d5] side. */
const stridedAt = (off: number, d: number[], s: number[]) => (i: number) => {
  let r = i, at = off;
  for (let k = 5; k >= 0; k--) { at += (r % d[k]) * s[k]; r = Math.floor(r / d[k]); }
  return at;
};

/** A unary op: f(x) and f'(x) given y = f(x), so the rules read like the literature. */
interface UnaryDef { f(x: number, a: number, b: number): number; df(x: number, y: number, a: number, b: number): number }

/** Every unary op of src/ops/codes.ts (the mapped type makes a missing one a type error). */
const UNARY: { readonly [K in UnaryName]: UnaryDef } = {
  identity: { f: (x) => x, df: () => 1 },
  neg: { f: (x) => -x, df: () => -1 },
  abs: { f: (x) => Math.abs(x), df: (x) => x > 0 ? 1 : x < 0 ? -1 : 0 },
  exp: { f: (x) => Math.exp(x), df: (_x, y) => y },
  log: { f: (x) => Math.log(x), df: (x) => 1 / x },
  sqrt: { f: (x) => Math.sqrt(x), df: (_x, y) => 0.5 / y },
  square: { f: (x) => x * x, df: (x) => 2 * x },
  tanh: { f: (x) => Math.tanh(x), df: (_x, y) => 1 - y * y },
  sigmoid: { f: sigmoid, df: (_x, y) => y * (1 - y) },
  relu: { f: (x) => x < 0 ? 0 : x, df: (x) => x > 0 ? 1 : 0 },
  relu6: { f: (x) => Math.min(Math.max(x, 0), 6), df: (x) => x > 0 && x < 6 ? 1 : 0 },
  leakyrelu: { f: (x, a) => x > 0 ? x : a * x, df: (x, _y, a) => x > 0 ? 1 : a },
  elu: { f: (x, a) => x >= 0 ? x : a * Math.expm1(x), df: (x, _y, a) => x >= 0 ? 1 : a * Math.exp(x) },
  celu: { f: (x, a) => x >= 0 ? x : a * Math.expm1(x / a), df: (x, _y, a) => x >= 0 ? 1 : Math.exp(x / a) },
  selu: { f: (x) => SELU_L * (x > 0 ? x : SELU_A * Math.expm1(x)), df: (x) => SELU_L * (x > 0 ? 1 : SELU_A * Math.exp(x)) },
  gelu: {
    f: (x) => 0.5 * x * (1 + Math.tanh(GELU_S * (x + GELU_C * x * x * x))),
    df: (x) => {                                             // product rule on x/2·(1 + tanh u)
      if (!Number.isFinite(x)) return x > 0 ? 1 : 0;         // the limits, not 0·Inf
      const t = Math.tanh(GELU_S * (x + GELU_C * x * x * x));
      return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * GELU_S * (1 + 3 * GELU_C * x * x);
    },
  },
  swish: { f: (x) => x * sigmoid(x), df: (x) => { const s = sigmoid(x); return s + x * s * (1 - s); } },
  hardsigmoid: { f: (x) => Math.min(Math.max((x + 3) / 6, 0), 1), df: (x) => x > -3 && x < 3 ? 1 / 6 : 0 },
  hardswish: { f: (x) => x * Math.min(Math.max((x + 3) / 6, 0), 1), df: (x) => x < -3 ? 0 : x > 3 ? 1 : (2 * x + 3) / 6 },
  softplus: { f: softplus, df: (x) => sigmoid(x) },
  softsign: { f: (x) => x / (1 + Math.abs(x)), df: (x) => { const d = 1 + Math.abs(x); return 1 / (d * d); } },
  mish: {
    f: (x) => x * Math.tanh(softplus(x)),
    df: (x) => { const t = Math.tanh(softplus(x)); return t + x * (1 - t * t) * sigmoid(x); },   // tanh(sp) + x·sech²(sp)·σ(x)
  },
  logsigmoid: { f: (x) => -softplus(-x), df: (x) => sigmoid(-x) },
  sign: { f: (x) => x > 0 ? 1 : x < 0 ? -1 : x === 0 ? 0 : NaN, df: () => 0 },
  reciprocal: { f: (x) => 1 / x, df: (x) => -1 / (x * x) },
  log1p: { f: (x) => Math.log1p(x), df: (x) => 1 / (1 + x) },
  clamp: { f: (x, a, b) => Math.min(Math.max(x, a), b), df: (x, _y, a, b) => x >= a && x <= b ? 1 : 0 },
  powscalar: { f: (x, a) => Math.pow(x, a), df: (x, _y, a) => a === 0 ? 0 : a * Math.pow(x, a - 1) },
  addscalar: { f: (x, a) => x + a, df: () => 1 },
  mulscalar: { f: (x, a) => x * a, df: (_x, _y, a) => a },
};
const UNARY_BY_CODE: readonly UnaryDef[] = UNARY_OPS.map((r) => UNARY[r.name]);

/** Every binary op of src/ops/codes.ts. */
const BINARY: { readonly [K in BinaryName]: (a: number, b: number) => number } = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: (a, b) => Math.pow(a, b),
  maximum: (a, b) => Math.max(a, b),
  minimum: (a, b) => Math.min(a, b),
  greater: (a, b) => a > b ? 1 : 0,
  xlogy: (a, b) => a === 0 ? 0 : a * Math.log(b),
  equal: (a, b) => a === b ? 1 : 0,
};
const BINARY_BY_CODE = BINARY_OPS.map((r) => BINARY[r.name]);

function unaryDef(op: number, fn: string): UnaryDef {
  const d = UNARY_BY_CODE[op];
  if (!d) throw new RangeError(`${fn}: unknown unary op code ${op}`);
  return d;
}

/** f(x) for every unary op code: the definitions of docs/KERNELS.md. */
export function unaryRef(op: number, x: number, a: number, b: number): number {
  return unaryDef(op, 'unary').f(x, a, b);
}

/**
 * f'(x) for every unary op code (y = f(x) is passed so the rules read like the literature). At a
 * NaN input every derivative is NaN, so a NaN poisons the gradient on every device alike.
 */
export function unaryDerivRef(op: number, x: number, y: number, a: number, b: number): number {
  const d = unaryDef(op, 'unaryGrad');
  return Number.isNaN(x) ? NaN : d.df(x, y, a, b);
}

/** c = a op b for every binary op code. */
export function binaryRef(op: number, a: number, b: number): number {
  const f = BINARY_BY_CODE[op];
  if (!f) throw new RangeError(`binary: unknown op code ${op}`);
  return f(a, b);
}

function softmaxSlice(x: F, y: F, base: number, len: number, inner: number, log: number) {
  let mx = -Infinity;
  for (let l = 0; l < len; l++) mx = Math.max(mx, x[base + l * inner]);
  if (mx === Infinity) {                                     // +Inf entries share the mass
    let k = 0;                                               // (logsoftmax = log of that)
    for (let l = 0; l < len; l++) if (x[base + l * inner] === Infinity) k++;
    for (let l = 0; l < len; l++) {
      const inf = x[base + l * inner] === Infinity;
      y[base + l * inner] = log ? (inf ? Math.log(1 / k) : -Infinity) : (inf ? 1 / k : 0);
    }
    return;
  }
  let s = 0;
  for (let l = 0; l < len; l++) s += Math.exp(x[base + l * inner] - mx);
  const ls = Math.log(s);
  for (let l = 0; l < len; l++) {
    const d = x[base + l * inner] - mx;
    y[base + l * inner] = log ? d - ls : Math.exp(d) / s;
  }
}


/** The spatial geometry shared by im2col, col2im, pool and poolGrad (see src/backends/kernels.ts). */
interface Geom { w: number[]; k: number[]; o: number[]; s: number[]; d: number[]; p: number[] }
const geom = (...g: number[]): Geom => ({ w: g.slice(0, 3), k: g.slice(3, 6), o: g.slice(6, 9), s: g.slice(9, 12), d: g.slice(12, 15), p: g.slice(15, 18) });

/** Calls f(kIndex, oIndex, xIndex) for every kernel offset k and output position o, in row-major order of k then o; xIndex is -1 outside x. */
function windows(g: Geom, flip: number, f: (kk: number, oo: number, xi: number) => void): void {
  const { w, k, o, s, d, p } = g;
  for (let a = 0; a < k[0]; a++) for (let b = 0; b < k[1]; b++) for (let e = 0; e < k[2]; e++) {
    const kk = (a * k[1] + b) * k[2] + e;
    const ka = flip ? [k[0] - 1 - a, k[1] - 1 - b, k[2] - 1 - e] : [a, b, e];
    for (let i = 0; i < o[0]; i++) for (let j = 0; j < o[1]; j++) for (let l = 0; l < o[2]; l++) {
      const oo = (i * o[1] + j) * o[2] + l;
      const at = [i, j, l].map((q, t) => q * s[t] + ka[t] * d[t] - p[t]);
      f(kk, oo, at.every((v, t) => v >= 0 && v < w[t]) ? (at[0] * w[1] + at[1]) * w[2] + at[2] : -1);
    }
  }
}

/** Calls f(r, k, a) for every element of a recurrent step (see the rnnStep row of kernels.ts). */
function steps(hid: number, b: number, ld: number, off: number, f: (r: number, k: number, a: number) => void): void {
  for (let r = 0; r < hid; r++) for (let j = 0; j < b; j++) f(r, r * b + j, r * ld + off + j);
}

let live = 0;

export const ref: Backend<F> = {
  name: 'ref',
  alloc(n) { live += n * 8; return new Float64Array(n); },
  free(_b, n) { live -= n * 8; },
  write(b, data, offset = 0) { for (let i = 0; i < data.length; i++) b[offset + i] = data[i]; },
  async read(b, n) { return b.slice(0, n); },
  readSync(b, n) { return b.slice(0, n); },
  has: () => true,
  flush() {},
  bytes() { return live; },

  matmul(a, b, c, m, k, n, ta, tb, acc) {
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += (ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
      c[i * n + j] = acc ? c[i * n + j] + s : s;
    }
  },
  bmm(a, b, c, m, k, n, batch, sab, sam, sak, sbb, sbk, sbn, scb, scm, scn) {
    for (let z = 0; z < batch; z++) for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[z * sab + i * sam + p * sak] * b[z * sbb + p * sbk + j * sbn];
      c[z * scb + i * scm + j * scn] = s;
    }
  },
  unary(op, x, y, n, al, be) { for (let i = 0; i < n; i++) y[i] = unaryRef(op, x[i], al, be); },
  unaryGrad(op, x, y, dy, dx, n, al, be) {
    for (let i = 0; i < n; i++) dx[i] = dy[i] * unaryDerivRef(op, x[i], y[i], al, be);
  },
  binary(op, a, b, c, d0, d1, d2, as0, as1, as2, bs0, bs1, bs2) {
    let o = 0;
    for (let i = 0; i < d0; i++) for (let j = 0; j < d1; j++) for (let l = 0; l < d2; l++)
      c[o++] = binaryRef(op, a[i * as0 + j * as1 + l * as2], b[i * bs0 + j * bs1 + l * bs2]);
  },
  reduce(op, x, y, outer, len, inner) {
    for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) {
      const at = (l: number) => x[(o * len + l) * inner + i];
      let r: number;
      if (op === Reduce.sum || op === Reduce.mean || op === Reduce.sumsq) {
        r = 0;
        for (let l = 0; l < len; l++) r += op === Reduce.sumsq ? at(l) * at(l) : at(l);
        if (op === Reduce.mean) r /= len;
      } else if (op === Reduce.max || op === Reduce.min) {
        r = at(0);
        for (let l = 1; l < len; l++) r = op === Reduce.max ? Math.max(r, at(l)) : Math.min(r, at(l));
      } else if (op === Reduce.argmax || op === Reduce.argmin) {
        r = 0;                                               // the first NaN wins (Julia's findmax)
        for (let l = 1; l < len && !Number.isNaN(at(r)); l++) {
          if (Number.isNaN(at(l)) || (op === Reduce.argmax ? at(l) > at(r) : at(l) < at(r))) r = l;
        }
      } else throw new RangeError(`reduce: unknown op code ${op}`);
      y[o * inner + i] = r;
    }
  },
  softmax(x, y, outer, len, inner, log) {
    for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) softmaxSlice(x, y, o * len * inner + i, len, inner, log);
  },
  softmaxGrad(y, dy, dx, outer, len, inner, log) {
    for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) {
      const base = o * len * inner + i;
      let s = 0;
      for (let l = 0; l < len; l++) { const j = base + l * inner; s += log ? dy[j] : dy[j] * y[j]; }
      for (let l = 0; l < len; l++) {
        const j = base + l * inner;
        dx[j] = log ? dy[j] - Math.exp(y[j]) * s : y[j] * (dy[j] - s);
      }
    }
  },
  biasAct(x, b, y, rows, cols, act, al) {
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) y[r * cols + c] = unaryRef(act, x[r * cols + c] + b[r], al, Infinity);
  },
  transpose(x, y, rows, cols) {
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) y[c * rows + r] = x[r * cols + c];
  },
  strided(x, y, n, off, d0, d1, d2, d3, d4, d5, s0, s1, s2, s3, s4, s5) {
    const at = stridedAt(off, [d0, d1, d2, d3, d4, d5], [s0, s1, s2, s3, s4, s5]);
    for (let i = 0; i < n; i++) y[i] = x[at(i)];
  },
  stridedWrite(x, y, n, off, d0, d1, d2, d3, d4, d5, s0, s1, s2, s3, s4, s5) {
    const at = stridedAt(off, [d0, d1, d2, d3, d4, d5], [s0, s1, s2, s3, s4, s5]);
    for (let i = 0; i < n; i++) y[at(i)] = x[i];
  },
  gather(x, idx, y, n, k, len) {
    for (let i = 0; i < n; i++) {
      const j = i % k, v = idx[j];
      y[i] = Number.isInteger(v) && v >= 0 && v < len ? x[(i - j) / k * len + v] : NaN;
    }
  },
  scatter(x, order, offs, y, n, k, len) {
    for (let i = 0; i < n; i++) {
      const v = i % len, o = (i - v) / len;
      let r = 0;
      for (let q = offs[v]; q < offs[v + 1]; q++) r += x[o * k + order[q]];
      y[i] = r;
    }
  },
  im2col(x, col, n, c, c0, cg, w1, w2, w3, k1, k2, k3, o1, o2, o3, s1, s2, s3, d1, d2, d3, p1, p2, p3, flip) {
    const g = geom(w1, w2, w3, k1, k2, k3, o1, o2, o3, s1, s2, s3, d1, d2, d3, p1, p2, p3), Q = g.o[0] * g.o[1] * g.o[2] * n;
    windows(g, flip, (kk, oo, xi) => {
      for (let cc = 0; cc < cg; cc++) for (let m = 0; m < n; m++)
        col[(kk * cg + cc) * Q + oo * n + m] = xi < 0 ? 0 : x[(xi * c + c0 + cc) * n + m];
    });
  },
  col2im(col, x, n, c, c0, cg, w1, w2, w3, k1, k2, k3, o1, o2, o3, s1, s2, s3, d1, d2, d3, p1, p2, p3, flip) {
    const g = geom(w1, w2, w3, k1, k2, k3, o1, o2, o3, s1, s2, s3, d1, d2, d3, p1, p2, p3), Q = g.o[0] * g.o[1] * g.o[2] * n, W = g.w[0] * g.w[1] * g.w[2];
    for (let xi = 0; xi < W; xi++) for (let cc = 0; cc < cg; cc++) x.fill(0, (xi * c + c0 + cc) * n, (xi * c + c0 + cc + 1) * n);
    windows(g, flip, (kk, oo, xi) => {
      if (xi < 0) return;
      for (let cc = 0; cc < cg; cc++) for (let m = 0; m < n; m++) x[(xi * c + c0 + cc) * n + m] += col[(kk * cg + cc) * Q + oo * n + m];
    });
  },
  pool(x, y, cn, w1, w2, w3, k1, k2, k3, o1, o2, o3, s1, s2, s3, d1, d2, d3, p1, p2, p3, mean) {
    const g = geom(w1, w2, w3, k1, k2, k3, o1, o2, o3, s1, s2, s3, d1, d2, d3, p1, p2, p3), O = g.o[0] * g.o[1] * g.o[2], K = g.k[0] * g.k[1] * g.k[2];
    y.fill(mean ? 0 : -Infinity, 0, O * cn);
    windows(g, 0, (_kk, oo, xi) => {
      if (xi < 0) return;
      for (let q = 0; q < cn; q++) {
        const v = x[xi * cn + q], at = oo * cn + q;
        y[at] = mean ? y[at] + v / K : Number.isNaN(v) || Number.isNaN(y[at]) ? NaN : Math.max(y[at], v);
      }
    });
  },
  poolGrad(x, y, dy, dx, cn, w1, w2, w3, k1, k2, k3, o1, o2, o3, s1, s2, s3, d1, d2, d3, p1, p2, p3, mean) {
    const g = geom(w1, w2, w3, k1, k2, k3, o1, o2, o3, s1, s2, s3, d1, d2, d3, p1, p2, p3), O = g.o[0] * g.o[1] * g.o[2], K = g.k[0] * g.k[1] * g.k[2];
    dx.fill(0, 0, g.w[0] * g.w[1] * g.w[2] * cn);
    if (mean) {
      windows(g, 0, (_kk, oo, xi) => { if (xi >= 0) for (let q = 0; q < cn; q++) dx[xi * cn + q] += dy[oo * cn + q] / K; });
      return;
    }
    // NNlib walks a window with the first spatial dim fastest and routes dy to the first maximum.
    const { k } = g, first = new Int32Array(O * cn).fill(-1), ks: number[][] = [];
    for (let e = 0; e < k[2]; e++) for (let b = 0; b < k[1]; b++) for (let a = 0; a < k[0]; a++) ks.push([a, b, e]);
    const pos = new Map<number, number[]>();                 // kernel index → x index per output position
    windows(g, 0, (kk, oo, xi) => { let v = pos.get(kk); if (!v) pos.set(kk, v = []); v[oo] = xi; });
    for (const [a, b, e] of ks) {
      const xs = pos.get((a * k[1] + b) * k[2] + e)!;
      for (let oo = 0; oo < O; oo++) {
        const xi = xs[oo];
        if (xi < 0) continue;
        for (let q = 0; q < cn; q++) if (first[oo * cn + q] < 0 && x[xi * cn + q] === y[oo * cn + q]) first[oo * cn + q] = xi;
      }
    }
    for (let oo = 0; oo < O; oo++) for (let q = 0; q < cn; q++) {
      const xi = first[oo * cn + q];
      if (xi >= 0) dx[xi * cn + q] += dy[oo * cn + q];
    }
  },
  fill(y, n, v) { y.fill(v, 0, n); },
  copy(x, xo, y, yo, n) { y.set(x.subarray(xo, xo + n), yo); },
  copyIf(x, y, guard, n) { if (Number.isFinite(guard[0])) y.set(x.subarray(0, n)); },
  descent(x, g, guard, n, eta) {
    if (!Number.isFinite(guard[0])) return;
    for (let i = 0; i < n; i++) x[i] -= eta * g[i];
  },
  momentum(x, g, v, guard, n, eta, rho) {
    if (!Number.isFinite(guard[0])) return;
    for (let i = 0; i < n; i++) { v[i] = rho * v[i] + eta * g[i]; x[i] -= v[i]; }
  },
  adam(x, g, m, v, guard, n, eta, b1, b2, eps, b1t, b2t) {
    if (!Number.isFinite(guard[0])) return;
    for (let i = 0; i < n; i++) {
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
      x[i] -= eta * (m[i] / (1 - b1t)) / (Math.sqrt(v[i] / (1 - b2t)) + eps);
    }
  },
  adamw(x, g, m, v, guard, n, eta, b1, b2, eps, b1t, b2t, lambda) {
    if (!Number.isFinite(guard[0])) return;
    for (let i = 0; i < n; i++) {
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
      x[i] -= eta * ((m[i] / (1 - b1t)) / (Math.sqrt(v[i] / (1 - b2t)) + eps) + lambda * x[i]);
    }
  },

  // Recurrent steps: element (r, j) of a step; k indexes the [rows, b] state buffers, a the
  // [rows, ld] sequence buffers at column off + j; gate block q of a G-row buffer is row q·hid + r.
  rnnStep(g, z, bias, h, c, y, hp, cp, hid, b, ld, off, kind, act, al) {
    steps(hid, b, ld, off, (r, k, a) => {
      const [a0, a1, a2, a3] = [0, 1, 2, 3].map((q) => a + q * hid * ld), zk = (q: number) => k + q * hid * b;
      const pre = (q: number) => g[[a0, a1, a2, a3][q]] + z[zk(q)] + bias[q * hid + r];
      if (kind !== 3) hp[a] = h[k];
      if (kind === 0) {
        const u = pre(0);
        g[a] = u; h[k] = y[a] = unaryRef(act, u, al, Infinity);
      } else if (kind === 1) {
        const i = sigmoid(pre(0)), f = sigmoid(pre(1)), cc = Math.tanh(pre(2)), o = sigmoid(pre(3));
        cp[a] = c[k];
        c[k] = f * c[k] + i * cc;
        h[k] = y[a] = o * Math.tanh(c[k]);
        g[a0] = i; g[a1] = f; g[a2] = cc; g[a3] = o;
      } else if (kind <= 3) {
        const rr = sigmoid(pre(0)), u = sigmoid(pre(1));
        g[a0] = rr; g[a1] = u;
        if (kind === 3) { c[k] = cp[a] = rr * h[k]; return; }
        const n = Math.tanh(g[a2] + rr * z[zk(2)] + bias[2 * hid + r]);
        cp[a] = z[zk(2)]; g[a2] = n;
        h[k] = y[a] = (1 - u) * n + u * h[k];
      } else {
        const u = g[a1], n = Math.tanh(g[a2] + z[k] + bias[2 * hid + r]);
        g[a2] = n;
        h[k] = y[a] = (1 - u) * n + u * h[k];
      }
    });
  },
  rnnStepGrad(g, s, e, dy, dh, dz, hid, b, ld, off, kind, act, al) {
    steps(hid, b, ld, off, (_r, k, a) => {
      const at = [0, 1, 2, 3].map((q) => a + q * hid * ld), [g0, g1, g2, g3] = at.map((x) => g[x]), zk = (q: number) => k + q * hid * b;
      const dht = dy[a] + dh[k];
      if (kind === 0) { dz[k] = g[a] = dht * unaryDerivRef(act, g[a], s[a], al, Infinity); return; }
      if (kind === 1) {
        const [i, f, cc, o] = [g0, g1, g2, g3], tc = Math.tanh(f * s[a] + i * cc), dct = e[k] + dht * o * (1 - tc * tc);
        const d = [dct * cc * i * (1 - i), dct * s[a] * f * (1 - f), dct * i * (1 - cc * cc), dht * tc * o * (1 - o)];
        d.forEach((v, q) => { g[at[q]] = v; dz[zk(q)] = v; });
        e[k] = dct * f;
        return;
      }
      if (kind === 3) {
        g[a] = dz[k] = e[k] * s[a] * g0 * (1 - g0);
        dh[k] += e[k] * g0;
        dz[zk(1)] = g1;
        return;
      }
      const u = g1, n = g2, dn = dht * (1 - u) * (1 - n * n);
      g[at[1]] = dht * (s[a] - n) * u * (1 - u); g[at[2]] = dn;
      dh[k] = dht * u;
      if (kind === 4) { dz[k] = dn; return; }
      const dr = dn * e[a] * g0 * (1 - g0);
      g[a] = dz[k] = dr; e[a] = dz[zk(2)] = dn * g0; dz[zk(1)] = g[at[1]];
    });
  },
};

/**
 * Makes the reference device available to `setPolicy('ref')` (tests and diagnostics). Kept out
 * of the library's own imports so the bundle ships only the scalar definitions above.
 */
export function installReference(): void { runtime.ref = ref; }
