// Recurrent benchmark (issue 12): LSTM(128 => 256) over 64 steps at batch 32, forward and
// forward+backward (the gradient of Σ y with respect to Wi, Wh, bias), fluxion (Wasm) next to
// TensorFlow.js's wasm backend in the same run, plus the time the LSTM's matmul flops take at
// this run's own matmul rate (fluxion's 256×256×256 and the LSTM's own shapes, measured here).
// tfjs-core has no layers, so its LSTM is tf.basicLSTMCell (concat [x, h] · kernel, the gates,
// tfjs's own op) step by step inside tf.variableGrads, the way a tfjs-core user writes one; its
// per-step inputs are sliced before timing. Run: `node --import ./test/_helpers/register.mjs bench/run.ts rnn`.
import * as fx from '../src/index.ts';
import { tfReady, useTf } from './tfjs.ts';
import type * as TF from '@tensorflow/tfjs-core';
import { runTasks, fmt } from './_util.ts';

const IN = 128, H = 256, LEN = 64, B = 32, G = 4 * H;
/** Matmul flops of the forward (input projection + recurrent products); the backward's are twice that. */
const FWD_FLOPS = 2 * G * (IN + H) * LEN * B;

function fluxion() {
  fx.setPolicy('cpu');
  fx.seed(1);
  const m = fx.LSTM(IN, H), ps = fx.params(m), x = fx.rand(IN, LEN, B).keep();
  return {
    fwd: () => fx.scope(() => { m(x); }),
    fwdBwd: () => fx.gradient(() => fx.sum(m(x)), ps).dispose(),
    dispose: () => { x.dispose(); for (const p of ps) p.dispose(); },
  };
}

async function tfjs() {
  const tf = await tfReady();
  if (!await useTf('wasm')) throw new Error('tfjs wasm backend unavailable');
  const kernel = tf.variable(tf.randomUniform([IN + H, G], -0.1, 0.1)), bias = tf.variable(tf.zeros([G]));
  const xs = Array.from({ length: LEN }, () => tf.randomUniform([B, IN]) as TF.Tensor2D);
  const run = () => {
    let c = tf.zeros([B, H]) as TF.Tensor2D, h = tf.zeros([B, H]) as TF.Tensor2D, loss = tf.scalar(0);
    for (let t = 0; t < LEN; t++) {
      [c, h] = tf.basicLSTMCell(0, kernel as TF.Tensor2D, bias as TF.Tensor1D, xs[t], c, h);
      loss = tf.add(loss, tf.sum(h));
    }
    return loss as TF.Scalar;
  };
  return {
    fwd: () => { const l = tf.tidy(run); l.dataSync(); l.dispose(); },
    fwdBwd: () => {
      const { value, grads } = tf.variableGrads(run, [kernel, bias]);
      grads[kernel.name].dataSync();
      value.dispose(); tf.dispose(Object.values(grads));
    },
    dispose: () => { tf.dispose([kernel, bias, ...xs]); },
  };
}

/** fluxion's matmul rate on this run: 256³, and the LSTM's own products (ms for all of them). */
function matmulRate() {
  fx.setPolicy('cpu');
  const keep = (t: fx.Tensor) => t.keep();
  const a = keep(fx.rand(256, 256)), b = keep(fx.rand(256, 256));
  // one forward + backward: projection, per-step Wh·h and Whᵀ·dz, dX, dWi, dWh
  const Wi = keep(fx.rand(G, IN)), X = keep(fx.rand(IN, LEN * B)), Wh = keep(fx.rand(G, H)), h = keep(fx.rand(H, B));
  const dz = keep(fx.rand(G, B)), D = keep(fx.rand(G, LEN * B)), Hs = keep(fx.rand(H, LEN * B));
  const lstmProducts = () => fx.scope(() => {
    fx.matmul(Wi, X);
    for (let t = 0; t < LEN; t++) { fx.matmul(Wh, h); fx.matmul(Wh, dz, { transA: true }); }
    fx.matmul(Wi, D, { transA: true }); fx.matmul(D, X, { transB: true }); fx.matmul(D, Hs, { transB: true });
  });
  return {
    tasks: [['mm 256', () => fx.scope(() => { fx.matmul(a, b); })], ['lstm products', lstmProducts]] as [string, () => unknown][],
    dispose: () => { for (const t of [a, b, Wi, X, Wh, h, dz, D, Hs]) t.dispose(); },
  };
}

export async function runRnnBench(): Promise<string> {
  await fx.init({ gpu: false, threads: 1 });   // one thread, as the tfjs columns run (threads.bench.ts has two)
  const f = fluxion(), mm = matmulRate();
  // the matmul rate before and after the LSTM rows, the better one kept: the machine is shared
  const fxTimes = await runTasks([mm.tasks[0], ['fx fwd', f.fwd], ['fx fwdbwd', f.fwdBwd], mm.tasks[1], ['mm 256 again', mm.tasks[0][1]]],
    1500, { iterations: 8, warmupIterations: 2 });
  f.dispose(); mm.dispose();
  let tfTimes = new Map<string, number>(), tfNote = '';
  try {
    const t = await tfjs();
    tfTimes = await runTasks([['tf fwd', t.fwd], ['tf fwdbwd', t.fwdBwd]], 3000, { iterations: 3, warmupIterations: 1 });
    t.dispose();
  } catch (e) { tfNote = ` (tfjs wasm: not measured: ${(e as Error).message})`; }
  const rate = (2 * 256 ** 3) / (Math.min(fxTimes.get('mm 256')!, fxTimes.get('mm 256 again')!) * 1e6);   // GFLOP/s
  const prod = fxTimes.get('lstm products')!;
  const gf = (flops: number, ms: number) => fmt(flops / (ms * 1e6), 1);
  const rows = [
    ['forward', fxTimes.get('fx fwd')!, tfTimes.get('tf fwd') ?? NaN, FWD_FLOPS],
    ['forward + backward', fxTimes.get('fx fwdbwd')!, tfTimes.get('tf fwdbwd') ?? NaN, 3 * FWD_FLOPS],
  ] as const;
  const lines = [
    `LSTM(${IN} => ${H}), ${LEN} steps, batch ${B}, loss Σ y; gradient with respect to Wi, Wh, bias. ` +
    `Median ms (GFLOP/s of the matmul flops). fluxion matmul rate this run: ${fmt(rate, 1)} GFLOP/s at 256³; the LSTM's own ` +
    `products (projection, ${LEN}×(Wh·h, Whᵀ·dz), dX, dWi, dWh) take ${fmt(prod, 1)} ms together as plain matmuls${tfNote}.`,
    '',
    '| pass | fluxion wasm | tfjs wasm (basicLSTMCell) | fluxion vs tfjs | flops-time at 256³ rate | fluxion / flops-time |',
    '|---|---:|---:|---:|---:|---:|',
    ...rows.map(([name, a, b, flops]) => {
      const ft = flops / (rate * 1e6);
      return `| ${name} | ${fmt(a, 1)} ms (${gf(flops, a)}) | ${fmt(b, 1)} ms (${gf(flops, b)}) | ${fmt(b / a, 1)}x | ${fmt(ft, 1)} ms | ${fmt(a / ft, 2)}x |`;
    }),
    '',
    `Forward + backward against its own products as plain matmuls (same shapes, same run): ${fmt(rows[1][1] / prod, 2)}x.`,
  ];
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await runRnnBench());
