// The demo's names job: the character-level causal transformer of examples/names.ts (its model,
// data and loss functions, imported, not copied) trained in the Web Worker on the first names of
// names.json (the raw @stdlib lists, written by scripts/demo.mjs). A smaller default than the
// command line's (dim 32, 2 blocks, no dropout, a few epochs) so a run takes seconds on a slow
// machine. Held-out loss is in nats per character, next to the add-one bigram baseline on the
// same split (both reported as metrics, so the page charts one and prints the other).
import type { TrainingJob, Tensor } from '../../src/index.ts';
import {
  cleanNames, split, stream, batches, namesModel, batchLoss, evaluate, masks, ngramLoss, VOCAB, type Batch, type NamesModel,
} from '../names.ts';
import { initPolicy } from './job.ts';

type Fluxion = typeof import('../../src/index.ts');

export interface NamesConfig {
  model: 'names';
  policy: 'auto' | 'cpu' | 'gpu';
  epochs: number;
  batch: number;
  /** Adam's learning rate, decaying linearly to a tenth over the run (default 0.01). */
  lr?: number;
  maxSteps?: number;
  /** Updates between held-out evaluations (0: at the end of each epoch). */
  evalEvery?: number;
  seed?: number;
  dim?: number; layers?: number; heads?: number;
  /** The raw name lists (a JSON array of strings), fetched by the worker. */
  dataUrl: string;
}

/** The architecture a config names: the page builds the same one to load the worker's weights into. */
export const namesShape = (c: Pick<NamesConfig, 'dim' | 'layers' | 'heads'>) =>
  ({ dim: c.dim ?? 32, layers: c.layers ?? 2, heads: c.heads ?? 4, dropout: 0, maxLen: 16 });
export const NAMES_LR = 0.01;

/** The names data set as the page and worker see it: the 90/10 split of the cleaned names.json. */
export async function namesData(url: string, seed = 1) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  const names = cleanNames(await r.json() as string[]);
  return { names, ...split(names, seed) };
}

export async function namesJob(fx: Fluxion, c: NamesConfig): Promise<TrainingJob> {
  await initPolicy(fx, c.policy);
  const seed = c.seed ?? 1, { train, test } = await namesData(c.dataUrl, seed);
  const bigram = ngramLoss(2, train, test);
  fx.seed(seed);
  const m: NamesModel = namesModel(namesShape(c)), lr = c.lr ?? NAMES_LR, opt = fx.setup(fx.Adam(lr), m);
  const mk = masks(), rand = stream(seed + 1), testBatches = batches(test, 256, rand);
  const perEpoch = Math.ceil(train.length / c.batch), total = Math.min(c.maxSteps ?? Infinity, c.epochs * perEpoch);
  let step = 0;
  // One epoch per iteration: fresh length-sorted batches; the learning rate is set before each update.
  // Each batch's targets become a tensor when the loop takes the item, and die with its step.
  const data = {
    *[Symbol.iterator]() {
      for (const x of batches(train, c.batch, rand)) {
        fx.adjust(opt, lr * (1 - 0.9 * Math.min(1, step++ / total)));
        yield [x, fx.tensor(x.y, [VOCAB, x.len, x.B]), mk.get(x.len)] as const;
      }
    },
  };
  return {
    model: m, opt, data, epochs: c.epochs, maxSteps: c.maxSteps, evalEvery: c.evalEvery ?? 0,
    loss: (x: Batch, y: Tensor, mask: Tensor) => batchLoss(m, x, y, mask),
    evaluate: async () => ({ loss: await evaluate(m, testBatches, mk.get), bigram }),
    dispose: () => mk.dispose(),
  };
}
