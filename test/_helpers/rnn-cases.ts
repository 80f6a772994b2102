// Recurrent layers as functions of all their tensors, for the op sweeps (test/ops.test.ts,
// test/autograd.test.ts) and test/rnn.test.ts: `seqCase` builds the layer once and returns
// f(x, Wi, Wh, b, h0, c0 | Wh_h̃) that runs it with those tensors as its weights and state.
import { RNN, LSTM, GRU, GRUv3, withPolicy, add, sum, mul, tensor, Tensor, type Activation } from '../../src/index.js';
import { GATES, type Kind } from './rnn-oracle.js';
import { input, type Input, type Fn } from './gradcheck.js';

export interface SeqCase { label: string; f: Fn; inputs: Input[] }
export interface SeqOpts {
  inp: number; H: number; len: number;
  /** Batch size; 0: unbatched x [in, len]. */
  B: number;
  /** h0 (and c0) as [H] shared by the batch instead of [H, B]. */
  shared?: boolean;
  /** Also return the final state: f returns Σ y·w1 + Σ hT·w2 (+ Σ cT·w3). */
  state?: boolean;
  /** With `state`: return [y, hT, cT?] as they are instead of a scalar of them. */
  raw?: boolean;
  σ?: Activation;
  bias?: boolean;
}

const LAYERS = { rnn: RNN, lstm: LSTM, gru: GRU, gruv3: GRUv3 } as const;

/** The layer's function of its tensors, and random inputs for it (h0, c0 nonzero). */
export function seqCase(kind: Kind, o: SeqOpts): SeqCase {
  const { inp, H, len, B } = o, G = GATES[kind] * H;
  const m = withPolicy('ref', () => kind === 'rnn'
    ? RNN(inp, H, o.σ, { return_state: !!o.state, bias: o.bias ?? true })
    : (LAYERS[kind] as typeof LSTM)(inp, H, { return_state: !!o.state, bias: o.bias ?? true })) as any;
  const cell = m.cell;
  const biasKey = kind === 'gru' || kind === 'gruv3' ? 'b' : 'bias';
  const sshape = B && !o.shared ? [H, B] : [H];
  const inputs: Input[] = [input(B ? [inp, len, B] : [inp, len]), input([G, inp], -0.7, 0.7), input([G, H], -0.7, 0.7)];
  if (o.bias !== false) inputs.push(input([G], -0.5, 0.5));
  inputs.push(input(sshape, -0.8, 0.8));
  if (kind === 'lstm') inputs.push(input(sshape, -0.8, 0.8));
  if (kind === 'gruv3') inputs.push(input([H, H], -0.7, 0.7));
  const ys = B ? H * B : H;   // the final state's size
  const w = [input([ys]), input([ys])].map((i) => Float64Array.from(i.data));
  const f: Fn = (...xs: Tensor[]) => {
    const [x, Wi, Wh] = xs;
    let k = 3;
    const b = o.bias !== false ? xs[k++] : false, h0 = xs[k++], e = xs[k];
    Object.assign(cell, { Wi, Wh, [biasKey]: b });
    if (kind === 'gruv3') cell['Wh_h̃'] = e;
    const r = m(x, kind === 'lstm' ? [h0, e] : h0);
    if (!o.state) return r;
    const [y, s] = r as [Tensor, Tensor | [Tensor, Tensor]];
    const [h, c] = Array.isArray(s) ? s : [s, null];
    if (o.raw) return (c ? [y, h, c] : [y, h]) as unknown as Tensor;
    const dot = (t: Tensor, v: Float64Array) => sum(mul(t, tensor(v, [v.length]).view(t.shape)));
    let out = add(sum(mul(y, y)), dot(h, w[0]));
    if (c) out = add(out, dot(c, w[1]));
    return out;
  };
  const label = `${kind}${kind === 'rnn' && o.σ ? ` ${o.σ.name || 'σ'}` : ''} in ${inp} H ${H} len ${len} ${B ? `B ${B}` : 'unbatched'}` +
    `${o.shared ? ' shared h0' : ''}${o.state ? ' +state' : ''}${o.bias === false ? ' no bias' : ''}`;
  return { label, f, inputs };
}

/** Gradient cases for every kind: short and odd lengths, batch 1, unbatched, shared h0, final state. */
export function seqGradCases(): SeqCase[] {
  const out: SeqCase[] = [];
  for (const kind of ['rnn', 'lstm', 'gru', 'gruv3'] as Kind[]) {
    out.push(seqCase(kind, { inp: 3, H: 4, len: 5, B: 2 }));
    out.push(seqCase(kind, { inp: 2, H: 3, len: 1, B: 1 }));
    out.push(seqCase(kind, { inp: 3, H: 2, len: 3, B: 0 }));
    out.push(seqCase(kind, { inp: 2, H: 3, len: 2, B: 3, shared: true, state: true }));
    out.push(seqCase(kind, { inp: 1, H: 2, len: 4, B: 1, state: true, bias: false }));
  }
  return out;
}

/**
 * The ops sweep's cases at size n (test/ops.test.ts): every kind with hid = n, batched (odd batch,
 * h0 shared by the batch) and unbatched, each output compared with the reference; `state` adds
 * the final state (the rnnState op). Weights scale as 1/√n so the gates do not all saturate.
 */
export function seqSweep(n: number, state: boolean): { label: string; args: { shape: number[]; data: Float64Array }[]; run: (xs: Tensor[]) => Tensor[]; tol: { rtol: number; atol: number } }[] {
  const out = [];
  for (const kind of ['rnn', 'lstm', 'gru', 'gruv3'] as Kind[]) for (const B of [0, (n % 5) + 2]) {
    const inp = (n % 7) + 2, len = 3;
    const c = seqCase(kind, { inp, H: n, len, B, shared: B > 0, state, raw: true });
    const s = 1 / Math.sqrt(n);
    const args = c.inputs.map((i, k) => ({ shape: [...i.shape], data: Float64Array.from(i.data, (v) => (k === 2 || (kind === 'gruv3' && k === c.inputs.length - 1) ? Math.fround(v * s) : v)) }));
    // a few f32 roundings per step through K = n + in products, compounded over the steps
    out.push({ label: c.label, args, run: (xs: Tensor[]) => [c.f(...xs)].flat() as Tensor[], tol: { rtol: 1e-4, atol: 8 * (n + inp) * len * 2 ** -23 } });
  }
  return out;
}
