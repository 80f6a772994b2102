// The recurrent layers written out as Flux's source does, step by step in float64 on plain arrays
// (no fluxion op involved): the independent definition test/rnn.test.ts holds every device to.
// Layouts are fluxion's (row-major, features first): x [in, len, B], W [rows, cols], h [H, B].
import { unaryRef } from '../../src/backends/ref.js';
import { Unary } from '../../src/ops/codes.js';

export type Kind = 'rnn' | 'lstm' | 'gru' | 'gruv3';
export const GATES: Record<Kind, number> = { rnn: 1, lstm: 4, gru: 3, gruv3: 3 };

export interface OracleIn {
  kind: Kind; inp: number; H: number; len: number; B: number;
  x: ArrayLike<number>; Wi: ArrayLike<number>; Wh: ArrayLike<number>; b: ArrayLike<number> | null;
  /** [H] (shared by the batch) or [H, B]; null: zeros. */
  h0: ArrayLike<number> | null; c0?: ArrayLike<number> | null; Whh?: ArrayLike<number>;
  /** RNN: the activation's unary code and alpha. */
  act?: number; alpha?: number;
}

const sig = (v: number) => 1 / (1 + Math.exp(-v));

/** Y [H, len, B] and the final h, c ([H, B]). */
export function oracle(o: OracleIn): { y: Float64Array; h: Float64Array; c: Float64Array } {
  const { kind, inp, H, len, B, x, Wi, Wh } = o, G = GATES[kind] * H;
  const state = (s: ArrayLike<number> | null | undefined) =>
    Float64Array.from({ length: H * B }, (_, k) => (s ? (s.length === H ? s[Math.floor(k / B)] : s[k]) : 0));
  let h = state(o.h0), c = state(o.c0);
  const y = new Float64Array(H * len * B);
  const bias = (r: number) => (o.b ? o.b[r] : 0);
  /** W[rows, cols] · v (v [cols, B] given by an accessor) at row r, column j. */
  const dot = (W: ArrayLike<number>, cols: number, r: number, v: (i: number) => number) => {
    let s = 0;
    for (let i = 0; i < cols; i++) s += W[r * cols + i] * v(i);
    return s;
  };
  for (let t = 0; t < len; t++) {
    const hn = new Float64Array(H * B), cn = new Float64Array(H * B);
    for (let j = 0; j < B; j++) {
      const xt = (i: number) => x[(i * len + t) * B + j], ht = (i: number) => h[i * B + j];
      const gx = Float64Array.from({ length: G }, (_, r) => dot(Wi, inp, r, xt));
      const gh = Float64Array.from({ length: G }, (_, r) => dot(Wh, H, r, ht));
      if (kind === 'rnn') {
        for (let r = 0; r < H; r++) hn[r * B + j] = unaryRef(o.act ?? Unary.tanh, gx[r] + gh[r] + bias(r), o.alpha ?? 0, Infinity);
      } else if (kind === 'lstm') {
        for (let r = 0; r < H; r++) {
          const g = (q: number) => gx[q * H + r] + gh[q * H + r] + bias(q * H + r);
          const i = sig(g(0)), f = sig(g(1)), cc = Math.tanh(g(2)), out = sig(g(3));
          cn[r * B + j] = f * c[r * B + j] + i * cc;
          hn[r * B + j] = out * Math.tanh(cn[r * B + j]);
        }
      } else {
        const rr = Float64Array.from({ length: H }, (_, r) => sig(gx[r] + gh[r] + bias(r)));
        const z = Float64Array.from({ length: H }, (_, r) => sig(gx[H + r] + gh[H + r] + bias(H + r)));
        for (let r = 0; r < H; r++) {
          // v1: tanh(gx + r .* gh + b); v3 (Flux's code): tanh(gx + Wh_h̃ * (r .* h) + b)
          const rec = kind === 'gru' ? rr[r] * gh[2 * H + r] : dot(o.Whh!, H, r, (i) => rr[i] * ht(i));
          const n = Math.tanh(gx[2 * H + r] + rec + bias(2 * H + r));
          hn[r * B + j] = (1 - z[r]) * n + z[r] * ht(r);
        }
      }
    }
    h = hn; if (kind === 'lstm') c = cn;
    for (let r = 0; r < H; r++) for (let j = 0; j < B; j++) y[(r * len + t) * B + j] = h[r * B + j];
  }
  return { y, h, c };
}
