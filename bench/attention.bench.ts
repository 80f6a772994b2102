// Attention benchmark, fluxion (Wasm, one thread, setPolicy('cpu')) next to TensorFlow.js's wasm
// backend (one thread) in the same run, medians via tinybench, at the shapes of examples/names.ts
// (dim 64, 4 heads of 16, names of ~8 and 15 tokens, batch 32).
// 1. batched_mul alone, each library in its own layout and in the form its attention uses it:
//    fluxion [m, k, batch] (scores batched_mul(k, q, { transA }), output batched_mul(v, α)),
//    tfjs [batch, m, k] (scores tf.matMul(q, k, false, true), output tf.matMul(α, v)); no readback
//    on either side (both run synchronously); ~2 MFLOP of products a sample. tfjs's wasm backend
//    hands XNNPACK only untransposed products with batch 1 (a blocked scalar loop does the rest), so
//    one more row times its 64×64×64 batch as 32 2-D matMuls.
// 2. Self-attention on x of 15 tokens × batch 32, causal mask, loss Σ y, forward and forward +
//    backward (the gradient with respect to the four projection weights): fluxion's
//    MultiHeadAttention(64, { nheads: 4 }) against the same layer composed from tfjs-core ops
//    (projections by tf.matMul, heads by reshape + transpose, scores scaled by 1/√16, the mask
//    added as −Inf, as fluxion does, before tf.softmax, tf.variableGrads of the sum).
// Run: `node --experimental-wasm-relaxed-simd --import ./test/_helpers/register.mjs bench/run.ts attention`.
import * as fx from '../src/index.ts';
import { tfReady, useTf } from './tfjs.ts';
import type * as TF from '@tensorflow/tfjs-core';
import { runTasks, fmt } from './_util.ts';

const D = 64, H = 4, DH = D / H, L = 15, B = 32;

type Dims = [number, number, number];
/** A batched product: fluxion's operand shapes and flag, tfjs's operand shapes and flags (split: one 2-D matMul a matrix). */
interface Case { name: string; fa: Dims; fb: Dims; transA: boolean; ta: Dims; tb: Dims; tt: [boolean, boolean]; split?: boolean }
const scores = (l: number, n: number): Case => ({ name: `scores kᵀ·q, L ${l}, batch ${n}`,
  fa: [DH, l, n], fb: [DH, l, n], transA: true, ta: [n, l, DH], tb: [n, l, DH], tt: [false, true] });
const output = (l: number, n: number): Case => ({ name: `output v·α, L ${l}, batch ${n}`,
  fa: [DH, l, n], fb: [l, l, n], transA: false, ta: [n, l, l], tb: [n, l, DH], tt: [false, false] });
const big: Case = { name: '64×64×64, batch 32', fa: [64, 64, 32], fb: [64, 64, 32], transA: false, ta: [32, 64, 64], tb: [32, 64, 64], tt: [false, false] };
const CASES: Case[] = [scores(8, B * H), output(8, B * H), scores(L, B * H), output(L, B * H), scores(L, H), big,
  { ...big, name: `${big.name}; tfjs as 32 2-D matMuls`, split: true }];
const flops = (c: Case) => 2 * c.ta.reduce((a, b) => a * b) * c.tb[c.tt[1] ? 1 : 2];
const reps = (c: Case) => Math.max(1, Math.round(2e6 / flops(c)));   // products a sample

type Task = [string, () => unknown];

function fluxion() {
  fx.setPolicy('cpu');
  fx.seed(1);
  const mha = fx.MultiHeadAttention(D, { nheads: H }), ps = fx.params(mha);
  const x = fx.rand(D, L, B).keep(), mask = fx.make_causal_mask(x).keep();
  const ops = CASES.map((c) => [fx.rand(...c.fa).keep(), fx.rand(...c.fb).keep()]);
  const tasks: Task[] = CASES.map((c, i) => [`fx ${c.name}`, () => fx.scope(() => {
    for (let r = reps(c); r > 0; r--) fx.batched_mul(ops[i][0], ops[i][1], { transA: c.transA });
  })]);
  tasks.push(['fx fwd', () => fx.scope(() => { mha(x, { mask }); })],
    ['fx fwdbwd', () => fx.gradient(() => fx.sum(mha(x, { mask })[0]), ps).dispose()]);
  return { tasks, dispose: () => { for (const t of [x, mask, ...ps, ...ops.flat()]) t.dispose(); } };
}

async function tfjs() {
  const tf = await tfReady();
  if (!await useTf('wasm')) throw new Error('tfjs wasm backend unavailable');
  const ops = CASES.map((c) => [tf.randomUniform(c.ta), tf.randomUniform(c.tb)] as TF.Tensor3D[]);
  const mats = CASES.map((c, i) => (c.split ? ops[i].map((t) => tf.unstack(t)) : [[], []]));
  const tasks: Task[] = CASES.map((c, i) => [`tf ${c.name}`, () => {
    for (let r = reps(c); r > 0; r--) {
      if (!c.split) tf.matMul(ops[i][0], ops[i][1], ...c.tt).dispose();
      else for (let j = 0; j < c.ta[0]; j++) tf.matMul(mats[i][0][j], mats[i][1][j], ...c.tt).dispose();
    }
  }]);
  // Dense(64 => 64) without bias, as Flux's MultiHeadAttention: x·W with W [in, out]
  const ws = Array.from({ length: 4 }, () => tf.variable(tf.randomUniform([D, D], -0.3, 0.3)));
  const x = tf.randomUniform([B * L, D]);
  // query i sees keys j ≤ i: 0 there, −Inf above the diagonal
  const mask = tf.tensor2d(Float32Array.from({ length: L * L }, (_, n) => (n % L > Math.floor(n / L) ? -Infinity : 0)), [L, L]);
  const heads = (t: TF.Tensor) => tf.transpose(tf.reshape(t, [B, L, H, DH]), [0, 2, 1, 3]);   // [B, H, L, dh]
  const loss = () => {
    const [q, k, v] = ws.slice(0, 3).map((w) => heads(tf.matMul(x, w)));
    const α = tf.softmax(tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(DH)), mask));
    const y = tf.matMul(tf.reshape(tf.transpose(tf.matMul(α, v), [0, 2, 1, 3]), [B * L, D]), ws[3]);
    return tf.sum(y) as TF.Scalar;
  };
  tasks.push(['tf fwd', () => { const l = tf.tidy(loss); l.dataSync(); l.dispose(); }],
    ['tf fwdbwd', () => {
      const { value, grads } = tf.variableGrads(loss, ws);
      grads[ws[0].name].dataSync();
      value.dispose(); tf.dispose(Object.values(grads));
    }]);
  return { tasks, check: () => tf.tidy(() => tf.sum(tf.isNaN(tf.variableGrads(loss, ws).grads[ws[0].name])).dataSync()[0]),
    dispose: () => tf.dispose([...ws, x, mask, ...ops.flat(), ...mats.flat(2)]) };
}

export async function runAttentionBench(): Promise<string> {
  await fx.init({ gpu: false, threads: 1 });   // one thread, as the tfjs columns run (threads.bench.ts has two)
  const f = fluxion();
  const fxT = await runTasks(f.tasks, 1000, { iterations: 10, warmupIterations: 3 });
  f.dispose();
  let tfT = new Map<string, number>(), note = '';
  try {
    const t = await tfjs();
    if (t.check()) throw new Error('NaN in the gradient');
    tfT = await runTasks(t.tasks, 1000, { iterations: 10, warmupIterations: 3 });
    t.dispose();
  } catch (e) { note = ` tfjs wasm: not measured: ${(e as Error).message}.`; }
  const row = (name: string, key: string, n = 1) => {
    const a = fxT.get(`fx ${key}`)! / n, b = (tfT.get(`tf ${key}`) ?? NaN) / n;
    return `| ${name} | ${fmt(a, 3)} | ${fmt(b, 3)} | ${fmt(b / a, 2)}x |`;
  };
  return [
    `Median ms per call; fluxion vs tfjs is tfjs ms / fluxion ms (above 1: fluxion is faster). batched_mul rows: per product, ` +
    `fluxion [m, k, batch] against tf.matMul on [batch, m, k]; per head k, q and v are ${DH} × L, α is L × L. Attention rows: self-attention, dim ${D}, ${H} heads, ` +
    `x of ${L} tokens × batch ${B}, causal mask, loss Σ y; the gradient is with respect to the four projection weights.${note}`,
    '',
    '| case | fluxion wasm ms | tfjs wasm ms | fluxion vs tfjs |',
    '|---|---:|---:|---:|',
    ...CASES.map((c) => row(`batched_mul: ${c.name}`, c.name, reps(c))),
    row('MultiHeadAttention forward', 'fwd'),
    row('MultiHeadAttention forward + backward', 'fwdbwd'),
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await runAttentionBench());
