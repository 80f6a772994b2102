// Recurrent layers as one op per sequence (Flux's RNN, LSTM, GRU and GRUv3 over [in, len, batch]).
// Forward: one matmul projects the whole sequence (row-major [in, len, batch] is an [in, len·batch]
// matrix), then each step is one matmul (Wh·h) and one fused kernel for the gate arithmetic, which
// reads step t of the projection at a column offset (nothing is sliced) and writes h_t into the
// output. While a gradient records, the op keeps the gate activations (in the projection's buffer)
// and the previous states; its gradient walks the steps in reverse with one fused kernel and one
// matmul (Whᵀ·dz) per step, then takes dX, dWi, dWh and db as whole-sequence matmuls and one
// reduction, so autograd sees one node per sequence instead of a dozen per step.
// A cell's step is the same op with `step` set: x [in] or [in, batch] is a sequence of length 1.
// The final state (return_state, and the cells' LSTM state) is the small rnnState op on the output.

import { defineOp } from './registry.js';
import { Reduce } from './codes.js';
import { Tensor, empty, moveTo, sameShape, type Shape } from '../tensor.js';
import { badShape } from '../check.js';
import { recording } from '../autograd.js';
import { runtime } from '../runtime.js';
import type { Backend } from '../backends/backend.js';

/** Gate counts by layer kind: 0 RNN, 1 LSTM, 2 GRU, 3 GRUv3. */
export const GATES = [1, 4, 3, 3];
/** Rows of Wh that the per-step matmul uses (GRUv3 ignores Wh's candidate block, as Flux does). */
const ZROWS = [1, 4, 3, 2];

/**
 * The sequence op's parameters. `kind`, `act`, `alpha`, `name`, `state` and `step` are given;
 * shape() fills the sizes; run() and the rnnState gradients fill the rest.
 * @example apply(rnnSeqDef, [x, Wi, Wh, b, h0, c0], { kind: 1, act: 0, alpha: 0, name: 'LSTM(3 => 5)', state: false, step: false } as SeqP)
 */
export interface SeqP {
  kind: number; act: number; alpha: number; name: string;
  /** Keep the final cell state for rnnState (LSTM with return_state, and LSTMCell). */
  state: boolean;
  /** One step of a cell: x is [in] or [in, batch] (a sequence of length 1), y is h′. */
  step: boolean;
  inp: number; hid: number; len: number; batch: number;
  /** What the forward keeps for the gradient (while a gradient records): g, hp, cp. */
  saved: Tensor[] | null;
  /** The LSTM's final cell state (when `state`). */
  cT: Tensor | null;
  /** Gradients of the final h and c, left here by rnnState's gradient. */
  dT: (Tensor | undefined)[];
}

/** C = op(A)·op(B) (+ C when acc) on tensors. */
const mm = (b: Backend, A: Tensor, B: Tensor, C: Tensor, m: number, k: number, n: number, ta = 0, tb = 0, acc = 0) =>
  b.matmul(A.buf, B.buf, C.buf, m, k, n, ta, tb, acc);

export const rnnSeqDef = defineOp<SeqP>({
  name: 'rnnSeq',
  kernels: ['matmul', 'copy', 'strided', 'fill', 'reduce', 'rnnStep', 'rnnStepGrad'],
  shape(ins, p) {
    const [x, Wi, Wh, bias, h0, e] = ins, I = Wi.shape.at(-1)!, H = Wh.shape.at(-1)!, G = GATES[p.kind] * H, s = +p.step, r = x.rank + s;
    p.hid = H; p.inp = I;
    if (r < 2 || r > 3 || x.shape[0] !== I || !x.size) {
      badShape(p.name, 'input', x.shape, s ? `[${I}] or [${I}, batch]` : `[${I}, len] or [${I}, len, batch]` +
        (x.shape[0] !== I && x.shape[1] === I ? ' (a sequence given as [len, in]? permutedims it)' : r < 2 ? " (one time step is the cell's job)" : ''));
    }
    p.len = s || x.shape[1]; p.batch = r > 2 ? x.shape[x.rank - 1] : 1;
    for (const [t, n, w] of [[Wi, 'Wi', [G, I]], [Wh, 'Wh', [G, H]], [bias, 'bias', [G]], [h0, 'h'], ...(p.kind & 1 ? [[e, p.kind > 1 ? 'Wh_h̃' : 'c', p.kind > 1 && [H, H]]] : [])] as [Tensor, string, Shape?][]) {
      // a state is [hid] or [hid, batch]
      if (!sameShape(t.shape, w || [H, p.batch].slice(0, t.rank || 2)))
        badShape(p.name, w ? n : `initial state ${n}`, t.shape, w || `[${H}] or [${H}, ${p.batch}]`);
    }
    p.dT = [];
    return [H, ...x.shape.slice(1)];
  },
  run(b, y, ins, p) {
    const [x, Wi, Wh, bias, h0, e] = ins, { kind, hid: H, batch: B } = p, ld = p.len * B, HB = H * B, G = GATES[kind] * H, Z = ZROWS[kind] * H;
    const buf = (n: number) => empty([n], b);
    const g = buf(G * ld), h = buf(HB), hp = buf(H * ld), z = buf(Z * B);
    // c and cp: the LSTM's cell states, GRU's zn, GRUv3's rh and rhs, else (never touched) one float each
    const c = buf(kind & 1 ? HB : 1), cp = buf(kind ? H * ld : 1), zn = kind > 2 ? buf(HB) : null;
    // an initial state into its [hid, batch] buffer (broadcast over the batch when it is [hid])
    const init = (s: Tensor, to: Tensor) => s.size === HB ? b.copy(s.buf, 0, to.buf, 0, HB) : b.strided(s.buf, to.buf, HB, 0, 1, 1, 1, 1, H, B, 0, 0, 0, 0, 1, 0);
    const step = (k: number, zz: Tensor) => b.rnnStep(g.buf, zz.buf, bias.buf, h.buf, c.buf, y.buf, hp.buf, cp.buf, H, B, ld, off, k, p.act, p.alpha);
    let off = 0;
    mm(b, Wi, x, g, G, p.inp, ld);
    init(h0, h);
    if (kind === 1) init(e, c);
    for (; off < ld; off += B) {
      mm(b, Wh, h, z, Z, H, B);
      step(kind, z);
      if (zn) {
        mm(b, e, c, zn, H, H, B);
        step(4, zn);
      }
    }
    // the gradient's buffers live as long as the gradient call's scope (or until the gradient ran)
    const rec = recording(), keepC = p.state && kind === 1;
    p.saved = rec ? [g, hp, cp] : null;
    if (keepC) p.cT = c;
    for (const t of [h, z, zn, keepC ? null : c, ...(rec ? [] : [g, hp, cp])]) t?.dispose();
  },
  grad(dy0, ins0, y, p, needs) {
    const s = p.saved;
    if (!s) throw new Error(`${p.name}: no saved forward pass`);
    p.saved = null;
    const b = y.backend, { kind, hid: H, batch: B, inp } = p, G = GATES[kind] * H, Z = ZROWS[kind] * H, ld = p.len * B, HB = H * B;
    const tr = runtime.tracer, t0 = tr ? performance.now() : 0;
    // what dies with this call: the saved buffers, the temporaries, the copies moved here
    const tmp = [...s], buf = (shape: Shape) => empty(shape, b), T = (shape: Shape) => { const t = buf(shape); tmp.push(t); return t; };
    const mv = (t: Tensor) => { const m = moveTo(t, b); if (m !== t) tmp.push(m); return m; };
    const [x, Wi, Wh, , h0, e] = ins0.map(mv), dy = mv(dy0), [g, hp, cp] = s;
    // the carried gradients: dh (of h_{t}) and dc (LSTM; else one float kernels never touch), seeded by the final state's gradients
    const seed = (i: number, shape: Shape) => {
      const t = buf(shape), f = p.dT[i];
      if (f) b.copy(mv(f).buf, 0, t.buf, 0, HB); else b.fill(t.buf, t.size, 0);
      return t;
    };
    const dh = seed(0, [H, B]), dc = seed(1, kind === 1 ? [H, B] : [1]);
    const dz = T([Z, B]), drh = kind > 2 ? T([H, B]) : null;
    // the kernels' s and e: y, cp (LSTM's c_{t-1}) or hp; dc, cp (GRU's zn) or drh
    const sb = kind ? kind === 1 ? cp : hp : y, eb = kind === 2 ? cp : drh ?? dc;
    const step = (k: number) => b.rnnStepGrad(g.buf, sb.buf, eb.buf, dy.buf, dh.buf, dz.buf, H, B, ld, off, k, p.act, p.alpha);
    let off = ld - B;
    for (; off >= 0; off -= B) {
      if (drh) {
        step(4);
        mm(b, e, dz, drh, H, H, B, 1);
      }
      step(drh ? 3 : kind);
      // dh0 unused: the last Whᵀ·dz can go (RNN and LSTM: dh is the matmul's alone; GRUs add to their direct term)
      if (off || needs[4]) mm(b, Wh, dz, dh, H, Z, B, 1, 0, +(kind > 1));
    }
    // g now holds the gradient of the gate pre-activations: the input side of every gate
    const r: (Tensor | null)[] = [];   // an input's gradient, or nothing (needs[i] false)
    if (needs[0]) mm(b, Wi, g, r[0] = buf(x.shape), inp, G, ld, 1);
    if (needs[1]) mm(b, g, x, r[1] = buf(Wi.shape), G, ld, inp, 0, 1);
    if (needs[2]) {
      const d = r[2] = buf(Wh.shape);
      // GRUs: the reset and update blocks are the input side's; the candidate block is zn (v1) or unused (v3)
      if (kind > 2) b.fill(d.buf, G * H, 0);
      mm(b, g, hp, d, kind > 1 ? 2 * H : G, ld, H, 0, 1);
      if (kind === 2) {
        const t = T([H, H]);
        mm(b, cp, hp, t, H, ld, H, 0, 1);
        b.copy(t.buf, 0, d.buf, 2 * H * H, H * H);
      }
    }
    if (needs[3]) b.reduce(Reduce.sum, g.buf, (r[3] = buf([G])).buf, G, ld, 1);
    // the initial states' gradients ([hid, batch]; a [hid] state broadcast over the batch gets them all, summed by autograd)
    const give = (i: number, t: Tensor, x: Tensor) => needs[i] ? r[i] = x.size === HB ? t.view(x.shape) : t : tmp.push(t);
    give(4, dh, h0);
    if (kind === 1) give(5, dc, e); else tmp.push(dc);
    if (needs[5] && kind > 2) {
      const du = T([H, ld]);
      b.copy(g.buf, 2 * H * ld, du.buf, 0, H * ld);
      mm(b, du, cp, r[5] = buf([H, H]), H, ld, H, 0, 1);
    }
    for (const t of tmp) t.dispose();
    if (tr) tr.op(rnnSeqDef, ins0, y.shape, b, performance.now() - t0);   // the backward, in trace() as the op again
    return r;
  },
  cost(ins, p) {
    // matmuls: the projection 2·G·in·ld and the steps' 2·G·H·ld (Wh's rows used, plus GRUv3's Wh_h̃: G in all)
    const { kind, hid: H, inp, len, batch } = p, G = GATES[kind] * H, ld = len * batch;
    return { flops: 2 * G * ld * (inp + H + 20), bytes: 4 * (ins.reduce((a, t) => a + t.size, 0) + (2 * G + 3 * H) * ld) };
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
  shape: ([y], { seq: p }) => p.step ? y.shape : [p.hid, ...y.shape.slice(2)],
  run(b, out, [y, c], p) {
    const { hid, len, batch } = p.seq;
    if (p.c) b.copy(c.buf, 0, out.buf, 0, out.size);
    else b.strided(y.buf, out.buf, out.size, (len - 1) * batch, 1, 1, 1, 1, hid, batch, 0, 0, 0, 0, len * batch, 1);
  },
  grad(dy, [y], _out, p) {
    p.seq.dT[+p.c] = dy;
    // the sequence op's gradient must run even when only the state reaches the loss
    const z = empty(y.shape, dy.backend);
    dy.backend.fill(z.buf, z.size, 0);
    return [z, null];
  },
  cost: (_i, p) => ({ flops: 0, bytes: 8 * p.seq.hid * p.seq.batch }),
});
