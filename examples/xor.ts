// XOR: the smallest problem a network without a hidden layer cannot learn. The four points are one
// batch (features first, observations last: x is [2, 4], y is [1, 4]); the model is
// Chain(Dense(2, 8, tanh), Dense(8, 1, σ)) trained with binarycrossentropy and Adam in current
// Flux's explicit style: `train((m, x, y) => loss(m(x), y), model, data, setup(rule, model))`.
//   npm run example -- --model xor [--epochs 300] [--lr 0.05] [--seed 1]

import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import {
  init, seed, tensor, scope, Chain, Dense, tanh, sigmoid, binarycrossentropy, Adam, setup, train, repeated,
  type Tensor,
} from '../src/index.ts';
import { cli, count, positive } from './cli.ts';

export interface XorOptions { epochs?: number; lr?: number; seed?: number; log?: (line: string) => void }
export interface XorResult {
  /** The model's output for each input pair, in the order of `inputs`. */
  outputs: number[];
  inputs: [number, number][];
  targets: number[];
  /** Inputs whose output is on the right side of ½. */
  right: number;
  loss: number;
  seconds: number;
}

const INPUTS: [number, number][] = [[0, 0], [0, 1], [1, 0], [1, 1]];

/** Trains the XOR network and reports what it outputs for the four inputs. */
export async function runXor(o: XorOptions = {}): Promise<XorResult> {
  const epochs = o.epochs ?? 300, lr = o.lr ?? 0.05, log = o.log ?? (() => {});
  await init({ gpu: false });
  seed(o.seed ?? 1);
  const t0 = performance.now();
  const targets = INPUTS.map(([a, b]) => a ^ b);
  const x = tensor([INPUTS.map((p) => p[0]), INPUTS.map((p) => p[1])]).keep();   // [2, 4]
  const y = tensor([targets]).keep();                                              // [1, 4]
  const m = Chain(Dense(2, 8, tanh), Dense(8, 1, sigmoid));
  log(`xor: Chain(Dense(2, 8, tanh), Dense(8, 1, σ)), binarycrossentropy, Adam(${lr}), ${epochs} steps on the 4 points`);
  const loss = (model: typeof m, xb: Tensor, yb: Tensor) => binarycrossentropy(model(xb), yb);
  await train(loss, m, repeated([x, y], epochs), setup(Adam(lr), m));
  const yhat = scope(() => m(x));
  const outputs = Array.from(yhat.dataSync());
  const final = await scope(async () => loss(m, x, y).item());
  yhat.dispose(); x.dispose(); y.dispose();
  const seconds = (performance.now() - t0) / 1000;
  let right = 0;
  outputs.forEach((v, i) => {
    const ok = (v > 0.5 ? 1 : 0) === targets[i];
    if (ok) right++;
    log(`  ${INPUTS[i][0]} xor ${INPUTS[i][1]} = ${targets[i]}: the model says ${v.toFixed(3)} ${ok ? 'right' : 'WRONG'}`);
  });
  log(`xor: ${right} of 4 right, loss ${final.toFixed(4)}, ${seconds.toFixed(2)} s`);
  return { outputs, inputs: INPUTS, targets, right, loss: final, seconds };
}

export const usage = 'npm run example -- --model xor [--epochs N] [--lr X] [--seed N]';

/** The command line: `main(['--epochs', '300'])`. */
export async function main(argv: string[]): Promise<XorResult | null> {
  const { values: v } = parseArgs({ args: argv, strict: true, options: {
    epochs: { type: 'string' }, lr: { type: 'string' }, seed: { type: 'string' }, help: { type: 'boolean', short: 'h' },
  } });
  if (v.help) { console.log(`usage: ${usage}`); return null; }
  return runXor({ epochs: count('--epochs', v.epochs, 300), lr: positive('--lr', v.lr, 0.05), seed: count('--seed', v.seed, 1, 0), log: console.log });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await cli('xor', main);
