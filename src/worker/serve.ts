// The worker side: `serveTraining(setup)` answers the page's `train` messages by building a job
// with the user's `setup(config)` (model, loss, data, optimiser, evaluation), running each epoch
// with train's own loop (so stop(), skip() and the non-finite check mean what they mean in
// `train`), and streaming progress. After each update a callback yields to the event loop every
// few milliseconds so a `cancel` message gets in, and ends the run with stop(); a cancelled run
// still returns the weights reached. One job at a time per worker. Nothing here touches Node or
// DOM APIs beyond the port.

import { Tensor, describe, scope } from '../tensor.js';
import { Params } from '../autograd.js';
import { params } from '../nn/params.js';
import { trainLoop, stop, NONE, type StepHooks } from '../train/train.js';
import { isBound, isRule, OptimiserState, type Rule, type BoundOptimiser } from '../optim/rule.js';
import { trace, type Trace } from '../trace.js';
import { devices, memory } from '../device.js';
import { runtime } from '../runtime.js';
import { saveModel } from '../io.js';
import { listen, isMessage, type PortLike, type Metrics, type Placement, type TrainingProgress, type TrainingResult, type FromWorker } from './protocol.js';

/**
 * What `setup(config)` returns: everything a training run needs, built inside the worker.
 * @example serveTraining(async () => ({ model: m, loss: (x, y) => mse(m(x), y), data: DataLoader([X, Y], { batchsize: 32 }),
 *            opt: setup(Adam(0.01), m), epochs: 3 }));
 */
export interface TrainingJob {
  /** The model whose weights are returned (anything `params` and `saveModel` accept). */
  model: unknown;
  /** The loss, called with each data item (arrays are spread, as in `train`). */
  loss: (...args: any[]) => Tensor;
  /** One epoch of data: an array, a DataLoader, any (async) iterable; iterated once per epoch. */
  data: Iterable<unknown> | AsyncIterable<unknown>;
  /** A rule (`Adam(0.01)`), a bound optimiser (`SGD(params(m), 0.1)`) or `setup(rule, m)`. */
  opt: Rule | BoundOptimiser | OptimiserState;
  /** Epochs to run (default 1). */
  epochs?: number;
  /** Stop after this many updates (default: no limit). */
  maxSteps?: number;
  /** Held-out metrics, e.g. `async () => ({ loss, accuracy })`; run every `evalEvery` steps and at the end. */
  evaluate?: () => Metrics | Promise<Metrics>;
  /** Updates between evaluations (default: at the end of each epoch only). */
  evalEvery?: number;
  /** Updates between traced steps, whose device placement is reported (default: the first step and each evaluation). */
  traceEvery?: number;
  /** Milliseconds between progress reports (default 100). */
  progressEvery?: number;
  /** Milliseconds of work between yields to the event loop, which let `cancel` in (default 10). */
  yieldEvery?: number;
  /** Called when the run ends, after the weights are taken (free the data tensors here). */
  dispose?: () => void;
}

/**
 * What `setup` gets besides the config.
 * @example serveTraining(async (config, ctx) => { const data = await load(); if (ctx.cancelled()) throw new Error('cancelled'); return job(data); });
 */
export interface JobContext {
  /** The run's id, and whether the page has asked to cancel it. */
  id: number; cancelled(): boolean;
}

/**
 * Builds a training job in the worker from the page's config.
 * @example const setupJob: JobSetup<{ lr: number }> = async ({ lr }) => ({ model: m, loss, data, opt: Adam(lr) });
 *          serveTraining(setupJob);
 */
export type JobSetup<C> = (config: C, ctx: JobContext) => TrainingJob | Promise<TrainingJob>;

/**
 * Where `serveTraining` listens.
 * @example serveTraining(setupJob, { port: parentPort! })   // in a worker_threads worker
 */
export interface ServeOptions {
  /** The port to the page: `self` in a Web Worker (the default there), `parentPort` in worker_threads. */
  port?: PortLike;
}

/**
 * Serves training runs on this worker's port. In a Web Worker the port is `self`; in Node's
 * worker_threads pass `{ port: parentPort }`. Returns a function that stops serving.
 * @example // worker.ts
 *   import { init, serveTraining, Chain, Dense, sigmoid, softmax, mse, Adam, DataLoader } from 'fluxion';
 *   serveTraining(async ({ lr }) => {
 *     await init();
 *     const m = Chain(Dense(784, 32, sigmoid), Dense(32, 10), softmax);
 *     return { model: m, loss: (x, y) => mse(m(x), y), data: DataLoader([x, y], { batchsize: 32 }), opt: Adam(lr) };
 *   });
 */
export function serveTraining<C = unknown>(setup: JobSetup<C>, options: ServeOptions = {}): () => void {
  if (typeof setup !== 'function') throw new TypeError(`serveTraining: setup must be a function (config) => job, got ${describe(setup)}`);
  const port = options.port ?? defaultPort();
  const post = (m: FromWorker, transfer?: unknown[]) => port.postMessage(m, transfer as any[]);
  const cancelled = new Set<number>();
  let busy = false;
  const stop = listen(port, async (d) => {
    if (!isMessage(d)) return;
    const m = d as { fluxion: string; id: number; config?: unknown };
    if (m.fluxion === 'hello') { post({ fluxion: 'ready' }); return; }
    if (m.fluxion === 'cancel') { cancelled.add(m.id); return; }
    if (m.fluxion !== 'train') return;
    if (busy) {
      post({ fluxion: 'error', id: m.id, error: { name: 'Error', message: 'serveTraining: a run is in progress in this worker; wait for it or cancel it first' } });
      return;
    }
    busy = true;
    try {
      const result = await runJob(setup, m.config as C, m.id, () => cancelled.has(m.id), (p) => post({ fluxion: 'progress', id: m.id, progress: p }));
      post({ fluxion: 'done', id: m.id, result }, [result.weights.buffer]);
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      post({ fluxion: 'error', id: m.id, error: { name: err.name, message: err.message, stack: err.stack } });
    } finally { busy = false; cancelled.delete(m.id); }
  });
  post({ fluxion: 'ready' });    // and again on each 'hello', in case the page was not listening yet
  return stop;
}

function defaultPort(): PortLike {
  const g = globalThis as { WorkerGlobalScope?: Function; self?: unknown };
  if (typeof g.WorkerGlobalScope === 'function' && g.self instanceof g.WorkerGlobalScope) return g.self as PortLike;
  throw new TypeError("serveTraining: not in a Web Worker; pass the port, e.g. serveTraining(setup, { port: parentPort }) with parentPort from 'node:worker_threads'");
}

/** A macrotask boundary, so queued messages (cancel) are delivered; setImmediate where it exists. */
function yieldToEvents(): Promise<void> {
  const g = globalThis as { setImmediate?: (f: () => void) => unknown };
  if (typeof g.setImmediate === 'function') return new Promise((r) => g.setImmediate!(r));
  if (typeof MessageChannel === 'function') {
    return new Promise((r) => { const ch = new MessageChannel(); ch.port1.onmessage = () => { ch.port1.close(); r(); }; ch.port2.postMessage(0); });
  }
  return new Promise((r) => setTimeout(r, 0));
}

/** Observations in a data item: the last dimension of its first tensor (observations are last). */
function samplesIn(item: unknown): number {
  const t = Array.isArray(item) ? item[0] : item;
  return t instanceof Tensor ? (t.rank ? t.shape[t.rank - 1] : 1) : 1;
}

function checkJob(job: TrainingJob): void {
  if (!job || typeof job !== 'object') throw new TypeError(`serveTraining: setup must return a job { model, loss, data, opt }, got ${describe(job)}`);
  if (typeof job.loss !== 'function') throw new TypeError(`serveTraining: job.loss must be a function, got ${describe(job.loss)}`);
  if (!isRule(job.opt) && !isBound(job.opt) && !(job.opt instanceof OptimiserState))
    throw new TypeError(`serveTraining: job.opt must be a rule, a bound optimiser or a setup() state, got ${describe(job.opt)}`);
  const d = job.data as { [Symbol.iterator]?: unknown; [Symbol.asyncIterator]?: unknown };
  if (!d || (typeof d[Symbol.iterator] !== 'function' && typeof d[Symbol.asyncIterator] !== 'function'))
    throw new TypeError(`serveTraining: job.data must be iterable (an array, a DataLoader), got ${describe(job.data)}`);
  if (job.dispose !== undefined && typeof job.dispose !== 'function') throw new TypeError(`serveTraining: job.dispose must be a function, got ${describe(job.dispose)}`);
  for (const k of ['epochs', 'maxSteps', 'evalEvery', 'traceEvery', 'progressEvery', 'yieldEvery'] as const) {
    const v = job[k];
    if (v !== undefined && !(typeof v === 'number' && v >= 0)) throw new RangeError(`serveTraining: job.${k} must be a number ≥ 0, got ${describe(v)}`);
  }
}

async function runJob<C>(setup: JobSetup<C>, config: C, id: number, isCancelled: () => boolean,
  report: (p: TrainingProgress) => void): Promise<TrainingResult> {
  const t0 = performance.now();
  const job = await setup(config, { id, cancelled: isCancelled });
  checkJob(job);
  try { return await runChecked(job, t0, isCancelled, report); } finally { job.dispose?.(); }
}

async function runChecked(job: TrainingJob, t0: number, isCancelled: () => boolean,
  report: (p: TrainingProgress) => void): Promise<TrainingResult> {
  const { loss, opt, epochs = 1, maxSteps = Infinity, evaluate, evalEvery = 0, progressEvery = 100, yieldEvery = 10 } = job;
  const ps: Params = isBound(opt) ? opt.params : opt instanceof OptimiserState ? opt.params : params(job.model);
  const traceEvery = job.traceEvery ?? 0;
  let step = 0, samples = 0, epoch = 0, last = NaN, lossSum = 0, lossN = 0, cancelled = false;
  let lastReport = performance.now(), lastSamples = 0, lastYield = lastReport;
  let pendingEval: Metrics | undefined, finalEval: Metrics | undefined, placement: Placement | undefined, evalAt = -1;

  const flush = () => {
    const now = performance.now(), dt = (now - lastReport) / 1000;
    report({ step, epoch, samples, loss: last, meanLoss: lossN ? lossSum / lossN : last,
      samplesPerSec: dt > 0 ? (samples - lastSamples) / dt : 0, elapsedMs: now - t0, tensors: memory().tensors,
      ...(pendingEval ? { eval: pendingEval } : {}), ...(placement ? { placement } : {}) });
    lastReport = now; lastSamples = samples; lossSum = 0; lossN = 0; pendingEval = undefined; placement = undefined;
  };
  const runEval = async () => { if (evaluate && evalAt !== step) { finalEval = pendingEval = await scope(async () => ({ ...(await evaluate()) })); evalAt = step; } };

  const hooks: StepHooks = {
    // The first step, every traceEvery-th and each evaluation's step report their placement.
    around<T>(run: () => T): T {
      if (!(step === 0 || (traceEvery > 0 && step % traceEvery === 0) || (evalEvery > 0 && step % evalEvery === 0))) return run();
      const t = trace(run) as Trace<unknown> | Promise<Trace<unknown>>;
      if (t instanceof Promise) return t.then((tr) => { placement = placed(tr); return tr.result; }) as T;
      placement = placed(t);
      return t.result as T;
    },
    after(l, item) { last = l; step++; samples += samplesIn(item); lossSum += l; lossN++; },
  };
  const ended = () => {
    if (isCancelled()) { cancelled = true; stop(); }
    if (step >= maxSteps) stop();
  };
  // After each update: evaluate and report when due, yield now and then so `cancel` gets in, and
  // end the run with stop(). A promise only when something is awaited, so most steps stay sync.
  const cb = (): void | Promise<void> => {
    if (evalEvery > 0 && step % evalEvery === 0) return runEval().then(() => { flush(); return afterEval(); });
    return afterEval();
  };
  const afterEval = (): void | Promise<void> => {
    const now = performance.now();
    if (now - lastReport >= progressEvery) flush();
    if (now - lastYield >= yieldEvery) return yieldToEvents().then(() => { lastYield = performance.now(); ended(); });
    ended();
  };

  for (epoch = 1; epoch <= epochs; epoch++) {
    if (isCancelled()) { cancelled = true; break; }
    if (step >= maxSteps) break;
    const sum = await trainLoop(loss, ps, job.data, opt, NONE, [cb], hooks);
    if (sum.stopped) break;
    if (!evalEvery) await runEval();
    flush();
  }
  epoch = Math.min(epoch, epochs);
  await runEval();                     // the final metrics, unless they are for this step already
  flush();
  const stateful = isBound(opt) || opt instanceof OptimiserState ? opt : null;
  const weights = await saveModel(job.model, stateful, { 'fluxion.steps': String(step) });
  return { weights, steps: step, epochs: epoch, samples, cancelled, loss: last, ...(finalEval ? { eval: finalEval } : {}),
    ms: performance.now() - t0, devices: JSON.parse(JSON.stringify(devices())), policy: runtime.policy };
}

/** What a traced step reports: the policy, per-device totals, and each op's device and reason. */
function placed(t: Trace<unknown>): Placement {
  return { policy: runtime.policy, summary: t.summary(),
    ops: t.records.map((rec) => ({ op: rec.op, device: rec.device, output: rec.output, why: rec.why })) };
}
