// The worker side: `serveTraining(setup)` answers the page's `train` messages by building a job
// with the user's `setup(config)` (model, loss, data, optimiser, evaluation), running each epoch
// with train's own loop (so stop(), skip() and the non-finite check mean what they mean in
// `train`), and streaming progress. After each update a callback yields to the event loop every
// few milliseconds so a `cancel` message gets in, and ends the run with stop(); a cancelled run
// still returns the weights reached. Runs go one at a time per worker: a `train` that arrives
// during a run waits in a queue (a `cancel` takes it out, answered by an AbortError). A malformed
// request gets a 'protocol-error' reply, which names no run, and a job's failure an 'error' for
// its run; nothing a message carries can crash the worker. Nothing here touches Node or DOM APIs
// beyond the port.

import { Tensor, describe, scope } from '../tensor.js';
import { Params } from '../autograd.js';
import { params } from '../nn/params.js';
import { trainLoop, stop, NONE, type StepHooks } from '../train/train.js';
import { isBound, isRule, OptimiserState, type Rule, type BoundOptimiser } from '../optim/rule.js';
import { trace, type Trace } from '../trace.js';
import { devices, memory } from '../device.js';
import { runtime } from '../runtime.js';
import { saveModel } from '../io.js';
import { listen, isMessage, isRunId, show, type RunId, type PortLike, type Metrics, type Placement, type TrainingProgress, type TrainingResult, type FromWorker } from './protocol.js';

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
  /** The run's id (as the page sent it), and whether the page has asked to cancel it. */
  id: RunId; cancelled(): boolean;
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
 * worker_threads pass `{ port: parentPort }`. Runs go one at a time in the order they arrive,
 * from any number of pages or clients. Returns a function that stops serving (a run in progress
 * finishes; queued ones are rejected).
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
  // A port that throws (closed, or a value it cannot clone) must not take the worker down with it.
  const send = (m: FromWorker, transfer?: unknown[]): boolean => {
    try { port.postMessage(m, transfer as any[]); return true; } catch { return false; }
  };
  const fail = (id: RunId, e: unknown) => send({ fluxion: 'error', id, error: errorFields(e) });
  const refuse = (message: string) => send({ fluxion: 'protocol-error', error: { name: 'TypeError', message: `serveTraining: ${message}` } });

  interface Request { id: RunId; config: unknown; cancelled: boolean }
  const queue: Request[] = [];          // runs go one at a time, in the order asked for
  let current: Request | null = null, serving = true;

  const receive = (m: { fluxion: string } & Record<string, unknown>): void => {
    const { fluxion: kind, id } = m;
    if (kind === 'hello') { send({ fluxion: 'ready' }); return; }
    // A reply kind is never answered, so two ends that both serve cannot ping-pong errors forever.
    if (REPLIES.has(kind)) return;
    if (kind !== 'train' && kind !== 'cancel') { refuse(`unknown message kind ${show(kind)}; ignored`); return; }
    if (!isRunId(id)) { refuse(`a '${kind}' message needs an id (a non-empty string or a safe integer), got ${show(id)}; ignored`); return; }
    if (kind === 'train') {
      // Answering a duplicate with an 'error' for that id would settle the run already using it.
      if (current?.id === id || queue.some((q) => q.id === id)) { refuse(`run ${show(id)} is already queued or running; the second 'train' is ignored`); return; }
      queue.push({ id, config: m.config, cancelled: false });
      void next();
      return;
    }
    if (current?.id === id) { current.cancelled = true; return; }
    const i = queue.findIndex((q) => q.id === id);
    if (i >= 0) { queue.splice(i, 1); fail(id, abort('serveTraining: the run was cancelled before it started')); }
    // Otherwise it already ended: a cancel that crossed its 'done' on the way.
  };

  const next = async (): Promise<void> => {
    if (current || !serving || queue.length === 0) return;
    const req = current = queue.shift()!;
    try {
      const result = await runJob(setup, req.config as C, req.id, () => req.cancelled, (p) => {
        if (!send({ fluxion: 'progress', id: req.id, progress: p }))
          throw new TypeError(`serveTraining: a progress report could not be posted (are the evaluate() metrics plain numbers?): ${show(p)}`);
      });
      const done: FromWorker = { fluxion: 'done', id: req.id, result };
      try { port.postMessage(done, [result.weights.buffer]); }
      catch (e) { fail(req.id, new TypeError(`serveTraining: the result could not be posted: ${errorFields(e).message}`)); }
    } catch (e) { fail(req.id, e); }
    finally { current = null; }
    void next();
  };

  const unlisten = listen(port, (d) => {
    if (!isMessage(d)) return;          // the worker's own messages share the port
    try { receive(d); } catch (e) { refuse(`a message could not be handled: ${errorFields(e).message}`); }
  });
  send({ fluxion: 'ready' });          // and again on each 'hello', in case the page was not listening yet
  return () => {
    serving = false;
    unlisten();
    for (const q of queue.splice(0)) fail(q.id, new Error('serveTraining: the worker stopped serving before the run started'));
  };
}

const REPLIES = new Set<string>(['ready', 'progress', 'done', 'error', 'protocol-error'] satisfies FromWorker['fluxion'][]);

/** An error the page can tell apart from a failure: the run was cancelled, not broken. */
function abort(message: string): Error {
  const e = new Error(message);
  e.name = 'AbortError';
  return e;
}

/** What an 'error' message carries: always a non-empty message, whatever the job threw. */
function errorFields(e: unknown): { name: string; message: string; stack?: string } {
  try {
    if (e instanceof Error) {
      const name = typeof e.name === 'string' && e.name ? e.name : 'Error';
      const message = typeof e.message === 'string' && e.message ? e.message : `${name} (thrown without a message)`;
      return typeof e.stack === 'string' ? { name, message, stack: e.stack } : { name, message };
    }
  } catch { /* fall through: a hostile error object */ }
  const message = typeof e === 'string' && e ? e : `the job threw ${show(e)}, not an Error`;
  return { name: 'Error', message };
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

async function runJob<C>(setup: JobSetup<C>, config: C, id: RunId, isCancelled: () => boolean,
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
