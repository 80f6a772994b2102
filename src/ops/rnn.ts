// Recurrent layers as one op per sequence (Flux's RNN, LSTM, GRU and GRUv3 over [in, len, batch]).
// Forward: one matmul projects the whole sequence (row-major [in, len, batch] is an [in, len·batch]
// matrix), then each step is one matmul (Wh·h) and one fused kernel for the gate arithmetic, which
// reads step t of the projection at a column offset (nothing is sliced) and writes h_t into the
// output. While a gradient records, the op keeps the gate activations (in the projection's buffer)
// and the previous states; its gradient walks the steps in reverse with one fused kernel and one
// matmul (Whᵀ·dz) per step, then takes dX, dWi, dWh and db as whole-sequence matmuls and one
// reduction, so autograd sees one node per sequence instead of a dozen per step.
// The final state (return_state, and the cells' LSTM state) is the small rnnState op on the output.

import { defineOp, apply } from './registry.js';
import { Reduce } from './codes.js';
import { Tensor, empty, moveTo, sameShape, type Shape } from '../tensor.js';
import { badShape } from '../check.js';
import { recording } from '../autograd.js';
import { runtime } from '../runtime.js';
import type { Backend } from '../backends/backend.js';

/** Layer kinds, and their gate counts. */
export const RNN_KIND = { rnn: 0, lstm: 1, gru: 2, gruv3: 3 } as const;
const GATES = [1, 4, 3, 3];
/** Rows of Wh that the per-step matmul uses (GRUv3 ignores Wh's candidate block, as Flux does). */
const ZROWS = [1, 4, 3, 2];

/** What the forward keeps for the gradient (while a gradient records). */
interface Saved { g: Tensor; hp: Tensor; cp: Tensor }

/**
 * The sequence op's parameters. `kind`, `act`, `alpha`, `name` and `state` are given; shape()
 * fills the sizes; run() and the rnnState gradients fill the rest.
 * @example apply(rnnSeqDef, [x, Wi, Wh, b, h0, c0], seqParams(RNN_KIND.lstm, 'LSTM(3 => 5)'))
 */
export interface SeqP {
  kind: number; act: number; alpha: number; name: string;
  /** Keep the final cell state for rnnState (LSTM with return_state, and LSTMCell). */
  state: boolean;
  inp: number; hid: number; len: number; batch: number; batched: boolean;
  saved: Saved | null;
  /** The LSTM's final cell state (when `state`). */
  cT: Tensor | null;
  /** Gradients of the final h and c, left here by rnnState's gradient. */
  dhT: Tensor | null; dcT: Tensor | null;
}

/** Fresh parameters for one call of the sequence op. */
export function seqParams(kind: number, name: string, act = 0, alpha = 0, state = false): SeqP {
  return { kind, act, alpha, name, state, inp: 0, hid: 0, len: 0, batch: 0, batched: false, saved: null, cT: null, dhT: null, dcT: null };
}

/** Checks a weight's shape against what the layer's sizes imply. */
function want(p: SeqP, what: string, t: Tensor, shape: Shape): void {
  if (!sameShape(t.shape, shape)) badShape(p.name, what, t.shape, shape);
}

/** Checks an initial state: [hid] (shared by the batch) or [hid, batch]. */
function wantState(p: SeqP, what: string, t: Tensor): void {
  const H = p.hid;
  if (t.shape[0] !== H || (t.rank === 2 ? t.shape[1] !== p.batch : t.rank !== 1)) badShape(p.name, `initial state ${what}`, t.shape, `[${H}] or [${H}, ${p.batch}]`);
}

/** Copies an initial state into the [hid, batch] buffer `to` (broadcast over the batch when it is [hid]). */
function initState(b: Backend, s: Tensor, to: Tensor, hid: number, batch: number): void {
  if (s.size === hid * batch) b.copy(s.buf, 0, to.buf, 0, s.size);
  else b.strided(s.buf, to.buf, hid * batch, 0, 1, 1, 1, 1, hid, batch, 0, 0, 0, 0, 1, 0);
}

export const rnnSeqDef = defineOp<SeqP>({
  name: 'rnnSeq',
  kernels: ['matmul', 'copy', 'strided', 'fill', 'reduce', 'rnnStep', 'rnnStepGrad'],
  shape(ins, p) {
    const [x, Wi, Wh, bias, h0, extra] = ins, G = GATES[p.kind], I = Wi.shape[Wi.rank - 1];
    p.hid = Wh.shape[Wh.rank - 1]; p.inp = I;
    if (x.rank < 2 || x.rank > 3 || x.shape[0] !== I || !x.size) {
      badShape(p.name, 'input', x.shape, `[${I}, len] or [${I}, len, batch]` +
        (x.shape[0] !== I && x.shape[1] === I ? ' (a sequence given as [len, in]? permutedims it)' : x.rank < 2 ? " (one time step is the cell's job)" : ''));
    }
    p.len = x.shape[1]; p.batched = x.rank === 3; p.batch = p.batched ? x.shape[2] : 1;
    want(p, 'Wi', Wi, [G * p.hid, p.inp]);
    want(p, 'Wh', Wh, [G * p.hid, p.hid]);
    want(p, 'bias', bias, [G * p.hid]);
    wantState(p, 'h', h0);
    if (p.kind === RNN_KIND.lstm) wantState(p, 'c', extra);
    if (p.kind === RNN_KIND.gruv3) want(p, 'Wh_h̃', extra, [p.hid, p.hid]);
    return p.batched ? [p.hid, p.len, p.batch] : [p.hid, p.len];
  },
  run(b, y, ins, p) {
    const [x, Wi, Wh, bias, h0, extra] = ins, { kind, hid: H, len, batch: B, inp } = p;
    const G = GATES[kind] * H, ld = len * B;
    const buf = (n: number) => empty([n], b);
    const g = buf(G * ld), h = buf(H * B), hp = buf(H * ld), z = buf(ZROWS[kind] * H * B);
    // c and cp: the LSTM's cell states, GRU's zn, GRUv3's rh and rhs, else (never touched) one float each
    const c = buf(kind === RNN_KIND.lstm || kind === RNN_KIND.gruv3 ? H * B : 1), cp = buf(kind ? H * ld : 1);
    const zn = kind === RNN_KIND.gruv3 ? buf(H * B) : null;
    const step = (k: number, zz: Tensor) => b.rnnStep(g.buf, zz.buf, bias.buf, h.buf, c.buf, y.buf, hp.buf, cp.buf, H, B, ld, off, k, p.act, p.alpha);
    let off = 0;
    b.matmul(Wi.buf, x.buf, g.buf, G, inp, ld, 0, 0, 0);
    initState(b, h0, h, H, B);
    if (kind === RNN_KIND.lstm) initState(b, extra, c, H, B);
    for (; off < ld; off += B) {
      b.matmul(Wh.buf, h.buf, z.buf, ZROWS[kind] * H, H, B, 0, 0, 0);
      step(kind, z);
      if (zn) {
        b.matmul(extra.buf, c.buf, zn.buf, H, H, B, 0, 0, 0);
        step(4, zn);
      }
    }
    // the gradient's buffers live as long as the gradient call's scope (or until the gradient ran)
    p.saved = recording() ? { g, hp, cp } : null;
    const kept = new Set<Tensor | null>(p.saved ? Object.values(p.saved) : []);
    if (p.state && kind === RNN_KIND.lstm) { p.cT = c; kept.add(c); }
    for (const t of [g, h, hp, z, c, cp, zn]) if (t && !kept.has(t)) t.dispose();
  },
  grad(dy0, ins0, y, p, needs) {
    const s = p.saved;
    if (!s) throw new Error(`${p.name}: the forward pass kept nothing for the gradient (it ran outside gradient())`);
    const b = y.backend, { kind, hid: H, len, batch: B, inp } = p, G = GATES[kind] * H, ld = len * B;
    const tr = runtime.tracer, t0 = tr ? performance.now() : 0;
    const ins = ins0.map((t) => moveTo(t, b)), dy = moveTo(dy0, b);
    const [x, Wi, Wh, , h0, extra] = ins;
    const buf = (shape: Shape) => empty(shape, b);
    const { g, hp, cp } = s;
    // the carried gradients: dh (of h_{t}) and dc (LSTM; else one float kernels never touch), seeded by the final state's gradients
    const dh = buf([H, B]), dc = buf(kind === RNN_KIND.lstm ? [H, B] : [1]);
    const seed = (to: Tensor, from: Tensor | null) => {
      if (from) { const f = moveTo(from, b); b.copy(f.buf, 0, to.buf, 0, H * B); if (f !== from) f.dispose(); }
      else b.fill(to.buf, H * B, 0);
    };
    seed(dh, p.dhT);
    if (kind === RNN_KIND.lstm) seed(dc, p.dcT);
    const dz = buf([ZROWS[kind] * H, B]), drh = kind === RNN_KIND.gruv3 ? buf([H, B]) : null;
    // the kernels' s and e: y, cp (LSTM's c_{t-1}) or hp; dc, cp (GRU's zn) or drh
    const sb = kind === RNN_KIND.rnn ? y : kind === RNN_KIND.lstm ? cp : hp, eb = kind === RNN_KIND.gru ? cp : drh ?? dc;
    const step = (k: number, d: Tensor) => b.rnnStepGrad(g.buf, sb.buf, eb.buf, dy.buf, dh.buf, d.buf, H, B, ld, off, k, p.act, p.alpha);
    let off = ld - B;
    for (; off >= 0; off -= B) {
      if (drh) {
        step(4, dz);
        b.matmul(extra.buf, dz.buf, drh.buf, H, H, B, 1, 0, 0);
      }
      step(drh ? 3 : kind, dz);
      // dh0 unused: the last Whᵀ·dz can go (RNN and LSTM: dh is the matmul's alone; GRUs add to their direct term)
      if (off || needs[4]) b.matmul(Wh.buf, dz.buf, dh.buf, H, ZROWS[kind] * H, B, 1, 0, kind > 1 ? 1 : 0);
    }
    // g now holds the gradient of the gate pre-activations: the input side of every gate
    let dx: Tensor | null = null, dWi: Tensor | null = null, dWh: Tensor | null = null, db: Tensor | null = null;
    let dh0: Tensor | null = null, d5: Tensor | null = null;
    if (needs[0]) { dx = buf(x.shape); b.matmul(Wi.buf, g.buf, dx.buf, inp, G, ld, 1, 0, 0); }
    if (needs[1]) { dWi = buf(Wi.shape); b.matmul(g.buf, x.buf, dWi.buf, G, ld, inp, 0, 1, 0); }
    if (needs[2]) {
      dWh = buf(Wh.shape);
      if (kind === RNN_KIND.rnn || kind === RNN_KIND.lstm) b.matmul(g.buf, hp.buf, dWh.buf, G, ld, H, 0, 1, 0);
      else {
        // the reset and update blocks are the input side's; the candidate block is zn (v1) or unused (v3)
        if (kind === RNN_KIND.gruv3) b.fill(dWh.buf, G * H, 0);
        b.matmul(g.buf, hp.buf, dWh.buf, 2 * H, ld, H, 0, 1, 0);
        if (kind === RNN_KIND.gru) {
          const t = buf([H, H]);
          b.matmul(cp.buf, hp.buf, t.buf, H, ld, H, 0, 1, 0);
          b.copy(t.buf, 0, dWh.buf, 2 * H * H, H * H);
          t.dispose();
        }
      }
    }
    if (needs[3]) { db = buf([G]); b.reduce(Reduce.sum, g.buf, db.buf, G, ld, 1); }
    if (needs[4]) dh0 = h0.size === H * B ? dh.view(h0.shape) : dh;
    if (needs[5] && kind === RNN_KIND.lstm) d5 = extra.size === H * B ? dc.view(extra.shape) : dc;
    if (needs[5] && kind === RNN_KIND.gruv3) {
      const du = buf([H, ld]);
      b.copy(g.buf, 2 * H * ld, du.buf, 0, H * ld);
      d5 = buf([H, H]);
      b.matmul(du.buf, cp.buf, d5.buf, H, ld, H, 0, 1, 0);
      du.dispose();
    }
    for (const t of [g, hp, cp, dz, drh]) t?.dispose();
    if (!needs[4]) dh.dispose();
    if (!(needs[5] && kind === RNN_KIND.lstm)) dc.dispose();
    ins.forEach((t, i) => { if (t !== ins0[i]) t.dispose(); });
    if (dy !== dy0) dy.dispose();
    p.saved = null;
    if (tr) tr.op(rnnSeqDef, ins0, y.shape, b, performance.now() - t0);   // the backward, in trace() as the op again
    return [dx, dWi, dWh, db, dh0, d5];
  },
  cost(ins, p) {
    const { kind, hid: H, inp, len, batch: B } = p, G = GATES[kind] * H, ld = len * B;
    const mm = 2 * G * inp * ld + 2 * ZROWS[kind] * H * H * ld + (kind === RNN_KIND.gruv3 ? 2 * H * H * ld : 0);
    const w = ins.reduce((a, t) => a + t.size, 0);
    return { flops: mm + 40 * G * ld, bytes: 4 * (w + 2 * G * ld + 3 * H * ld) };
  },
});

/** rnnState's parameters: the sequence call it reads, and which state (c: the LSTM's cell state). */
export interface StateP { seq: SeqP; c: boolean }

/**
 * The final state of a sequence op: h (the last step of its output) or the LSTM's c. Its gradient
 * is handed to the sequence op's gradient (as the seed of its backward walk) through `seq`.
 */
export const rnnStateDef = defineOp<StateP>({
  name: 'rnnState',
  kernels: ['strided', 'copy', 'fill'],
  shape(_ins, p) { return p.seq.batched ? [p.seq.hid, p.seq.batch] : [p.seq.hid]; },
  run(b, out, [y, c], p) {
    const { hid, len, batch } = p.seq;
    if (p.c) b.copy(c.buf, 0, out.buf, 0, out.size);
    else b.strided(y.buf, out.buf, out.size, (len - 1) * batch, 1, 1, 1, 1, hid, batch, 0, 0, 0, 0, len * batch, 1);
  },
  grad(dy, [y], _out, p) {
    if (p.c) p.seq.dcT = dy; else p.seq.dhT = dy;
    // the sequence op's gradient must run even when only the state reaches the loss
    const z = empty(y.shape, dy.backend);
    dy.backend.fill(z.buf, z.size, 0);
    return [z, null];
  },
  cost: (_i, p) => ({ flops: 0, bytes: 8 * p.seq.hid * p.seq.batch }),
});

/**
 * Runs a recurrent layer over a sequence: the output [hid, len, batch] (or [hid, len]) and, when
 * `p.state`, the final state: h (when `wantH`) and the LSTM's c. `extra` is c0 (LSTM) or Wh_h̃ (GRUv3).
 */
export function runSequence(p: SeqP, ins: readonly Tensor[], wantH: boolean): { y: Tensor; h: Tensor | null; c: Tensor | null } {
  const y = apply(rnnSeqDef, ins, p);
  const h = p.state && wantH ? apply(rnnStateDef, [y], { seq: p, c: false }) : null;
  let c: Tensor | null = null;
  if (p.cT) {
    c = apply(rnnStateDef, [y, p.cT], { seq: p, c: true });
    if (!recording()) { p.cT.dispose(); p.cT = null; }
  }
  return { y, h, c };
}
