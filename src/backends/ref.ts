// The float64 reference backend: plain loops, no tricks. It is the living definition every fast
// kernel (Wasm, WGSL) is tested against, and the device on which gradients are checked by
// finite differences. Buffers are Float64Array; nothing here is tuned for speed. The library
// itself imports only unaryRef (numbers through activations); tests call installReference().

import type { Backend } from './backend.js';
import { Unary, Binary, Reduce } from '../ops/codes.js';
import { runtime } from '../runtime.js';

type F = Float64Array;
const SELU_L = 1.0507009873554805, SELU_A = 1.6732632423543772;
const GELU_C = Math.sqrt(2 / Math.PI);

const sigmoid = (x: number) => x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
const softplus = (x: number) => x < 0 ? Math.log1p(Math.exp(x)) : x + Math.log1p(Math.exp(-x));

/** f(x) for every unary op code: the definitions of docs/KERNELS.md. */
export function unaryRef(op: number, x: number, a: number, b: number): number {
  switch (op) {
    case Unary.identity: return x;
    case Unary.neg: return -x;
    case Unary.abs: return Math.abs(x);
    case Unary.exp: return Math.exp(x);
    case Unary.log: return Math.log(x);
    case Unary.sqrt: return Math.sqrt(x);
    case Unary.square: return x * x;
    case Unary.tanh: return Math.tanh(x);
    case Unary.sigmoid: return sigmoid(x);
    case Unary.relu: return x < 0 ? 0 : x;
    case Unary.relu6: return Math.min(Math.max(x, 0), 6);
    case Unary.leakyrelu: return x > 0 ? x : a * x;
    case Unary.elu: return x >= 0 ? x : a * Math.expm1(x);
    case Unary.celu: return x >= 0 ? x : a * Math.expm1(x / a);
    case Unary.selu: return SELU_L * (x > 0 ? x : SELU_A * Math.expm1(x));
    case Unary.gelu: return 0.5 * x * (1 + Math.tanh(GELU_C * (x + 0.044715 * x * x * x)));
    case Unary.swish: return x * sigmoid(x);
    case Unary.hardsigmoid: return Math.min(Math.max((x + 3) / 6, 0), 1);
    case Unary.hardswish: return x * Math.min(Math.max((x + 3) / 6, 0), 1);
    case Unary.softplus: return softplus(x);
    case Unary.softsign: return x / (1 + Math.abs(x));
    case Unary.mish: return x * Math.tanh(softplus(x));
    case Unary.logsigmoid: return -softplus(-x);
    case Unary.sign: return x > 0 ? 1 : x < 0 ? -1 : x === 0 ? 0 : NaN;
    case Unary.reciprocal: return 1 / x;
    case Unary.log1p: return Math.log1p(x);
    case Unary.clamp: return Math.min(Math.max(x, a), b);
    case Unary.powscalar: return Math.pow(x, a);
    case Unary.addscalar: return x + a;
    case Unary.mulscalar: return x * a;
  }
  throw new RangeError(`unary: unknown op code ${op}`);
}

/** f'(x) for every unary op code (y = f(x) is passed so the rules read like the literature). */
export function unaryDerivRef(op: number, x: number, y: number, a: number, b: number): number {
  switch (op) {
    case Unary.identity: return 1;
    case Unary.neg: return -1;
    case Unary.abs: return x > 0 ? 1 : x < 0 ? -1 : 0;
    case Unary.exp: return y;
    case Unary.log: return 1 / x;
    case Unary.sqrt: return 0.5 / y;
    case Unary.square: return 2 * x;
    case Unary.tanh: return 1 - y * y;                       // d tanh = 1 - y²
    case Unary.sigmoid: return y * (1 - y);                  // d σ = y(1 - y)
    case Unary.relu: return x > 0 ? 1 : 0;
    case Unary.relu6: return x > 0 && x < 6 ? 1 : 0;
    case Unary.leakyrelu: return x > 0 ? 1 : a;
    case Unary.elu: return x >= 0 ? 1 : a * Math.exp(x);
    case Unary.celu: return x >= 0 ? 1 : Math.exp(x / a);
    case Unary.selu: return SELU_L * (x > 0 ? 1 : SELU_A * Math.exp(x));
    case Unary.gelu: {                                        // product rule on x/2·(1 + tanh u)
      const u = GELU_C * (x + 0.044715 * x * x * x), t = Math.tanh(u);
      return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * GELU_C * (1 + 3 * 0.044715 * x * x);
    }
    case Unary.swish: { const s = sigmoid(x); return s + x * s * (1 - s); }
    case Unary.hardsigmoid: return x > -3 && x < 3 ? 1 / 6 : 0;
    case Unary.hardswish: return x < -3 ? 0 : x > 3 ? 1 : (2 * x + 3) / 6;
    case Unary.softplus: return sigmoid(x);
    case Unary.softsign: { const d = 1 + Math.abs(x); return 1 / (d * d); }
    case Unary.mish: {                                        // tanh(sp) + x·sech²(sp)·σ(x)
      const t = Math.tanh(softplus(x));
      return t + x * (1 - t * t) * sigmoid(x);
    }
    case Unary.logsigmoid: return sigmoid(-x);
    case Unary.sign: return 0;
    case Unary.reciprocal: return -1 / (x * x);
    case Unary.log1p: return 1 / (1 + x);
    case Unary.clamp: return x >= a && x <= b ? 1 : 0;
    case Unary.powscalar: return a === 0 ? 0 : a * Math.pow(x, a - 1);
    case Unary.addscalar: return 1;
    case Unary.mulscalar: return a;
  }
  throw new RangeError(`unaryGrad: unknown op code ${op}`);
}

/** c = a op b for every binary op code. */
export function binaryRef(op: number, a: number, b: number): number {
  switch (op) {
    case Binary.add: return a + b;
    case Binary.sub: return a - b;
    case Binary.mul: return a * b;
    case Binary.div: return a / b;
    case Binary.pow: return Math.pow(a, b);
    case Binary.maximum: return Math.max(a, b);
    case Binary.minimum: return Math.min(a, b);
    case Binary.greater: return a > b ? 1 : 0;
    case Binary.xlogy: return a === 0 ? 0 : a * Math.log(b);
    case Binary.equal: return a === b ? 1 : 0;
  }
  throw new RangeError(`binary: unknown op code ${op}`);
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
        r = 0;
        for (let l = 1; l < len; l++) if (op === Reduce.argmax ? at(l) > at(r) : at(l) < at(r)) r = l;
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
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) y[r * cols + c] = unaryRef(act, x[r * cols + c] + b[r], al, 0);
  },
  transpose(x, y, rows, cols) {
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) y[c * rows + r] = x[r * cols + c];
  },
  strided(x, y, n, off, d0, d1, d2, d3, d4, d5, s0, s1, s2, s3, s4, s5) {
    const d = [d0, d1, d2, d3, d4, d5], s = [s0, s1, s2, s3, s4, s5];
    for (let i = 0; i < n; i++) {
      let r = i, at = off;
      for (let k = 5; k >= 0; k--) { at += (r % d[k]) * s[k]; r = Math.floor(r / d[k]); }
      y[i] = x[at];
    }
  },
  fill(y, n, v) { y.fill(v, 0, n); },
  copy(x, xo, y, yo, n) { y.set(x.subarray(xo, xo + n), yo); },
  descent(x, g, n, eta) { for (let i = 0; i < n; i++) x[i] -= eta * g[i]; },
  momentum(x, g, v, n, eta, rho) {
    for (let i = 0; i < n; i++) { v[i] = rho * v[i] + eta * g[i]; x[i] -= v[i]; }
  },
  adam(x, g, m, v, n, eta, b1, b2, eps, b1t, b2t) {
    for (let i = 0; i < n; i++) {
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
      x[i] -= eta * (m[i] / (1 - b1t)) / (Math.sqrt(v[i] / (1 - b2t)) + eps);
    }
  },
  adamw(x, g, m, v, n, eta, b1, b2, eps, b1t, b2t, lambda) {
    for (let i = 0; i < n; i++) {
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
      x[i] -= eta * ((m[i] / (1 - b1t)) / (Math.sqrt(v[i] / (1 - b2t)) + eps) + lambda * x[i]);
    }
  },
};

/**
 * Makes the reference device available to `setPolicy('ref')` (tests and diagnostics). Kept out
 * of the library's own imports so the bundle ships only the scalar definitions above.
 */
export function installReference(): void { runtime.ref = ref; }
