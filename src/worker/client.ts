// The page side (or Node's main thread): `TrainingWorker` wraps a worker running
// `serveTraining`, waits for its ready message, starts runs with a config, routes progress to
// `onProgress`, and resolves with the weights (transferred, not copied). `cancel()` or an
// AbortSignal stops a run after its current step; a worker that dies rejects every open run.

import { describe } from '../tensor.js';
import { listen, isMessage, type PortLike, type TrainingProgress, type TrainingResult, type FromWorker } from './protocol.js';

/**
 * What `TrainingWorker.train(config, opts)` accepts.
 * @example tw.train(config, { onProgress: (p) => chart(p.step, p.loss), signal: AbortSignal.timeout(60_000), transfer: [config.x.buffer] })
 */
export interface RunOptions {
  /** Called with every progress report. */
  onProgress?: (p: TrainingProgress) => void;
  /** Buffers in the config to move rather than copy (e.g. the training data). */
  transfer?: unknown[];
  /** Aborting it cancels the run (same as `run.cancel()`). */
  signal?: AbortSignal;
}

/**
 * A started run: await it (or `run.result`) for the result; `cancel()` ends it early, keeping the weights.
 * @example const run = tw.train({ lr: 0.01 });
 *          stop.onclick = () => run.cancel();
 *          const { weights, steps } = await run;
 */
export interface TrainingRun extends PromiseLike<TrainingResult> {
  readonly id: number;
  readonly result: Promise<TrainingResult>;
  cancel(): void;
}

interface Open { resolve(r: TrainingResult): void; reject(e: Error): void; onProgress?: (p: TrainingProgress) => void }

/** A worker (Web Worker, or worker_threads Worker) that has a `terminate` and error events. */
type WorkerLike = PortLike & { terminate?: () => unknown };

/**
 * Drives a worker that runs `serveTraining`. Works with `new Worker(url, { type: 'module' })`
 * in a page and with `new Worker(file)` from 'node:worker_threads'.
 * @example const tw = new TrainingWorker(new Worker(new URL('./worker.js', import.meta.url), { type: 'module' }));
 *          const run = tw.train({ lr: 0.01 }, { onProgress: (p) => chart.add(p.step, p.loss) });
 *          stopButton.onclick = () => run.cancel();
 *          loadModel(m, (await run).weights);
 */
export class TrainingWorker<C = unknown> {
  /** Resolves when the worker's `serveTraining` is listening. */
  readonly ready: Promise<void>;
  readonly #port: WorkerLike;
  readonly #open = new Map<number, Open>();
  #next = 1;
  #dead: Error | null = null;
  #unlisten: (() => void)[] = [];

  constructor(worker: WorkerLike) {
    if (!worker || typeof worker.postMessage !== 'function')
      throw new TypeError(`TrainingWorker: expected a Worker (or a port with postMessage), got ${describe(worker)}`);
    this.#port = worker;
    let ready!: () => void;
    this.ready = new Promise<void>((r) => { ready = r; });
    this.#unlisten.push(listen(worker, (d) => { if (isMessage(d)) this.#receive(d as FromWorker, ready); }));
    this.#watch(worker);
    worker.postMessage({ fluxion: 'hello' });      // answered by 'ready'; covers a ready sent before we listened
  }

  /**
   * Starts a run: the worker's `setup(config)` builds the job. Runs in one worker go one at a time.
   * @example const { weights, eval: m } = await tw.train({ epochs: 2 }, { onProgress: console.log });
   */
  train(config: C, opts: RunOptions = {}): TrainingRun {
    const id = this.#next++;
    const result = new Promise<TrainingResult>((resolve, reject) => {
      if (this.#dead) { reject(this.#dead); return; }
      this.#open.set(id, { resolve, reject, onProgress: opts.onProgress });
    });
    const cancel = () => { if (this.#open.has(id) && !this.#dead) this.#port.postMessage({ fluxion: 'cancel', id }); };
    if (opts.signal) {
      if (opts.signal.aborted) queueMicrotask(cancel);
      else opts.signal.addEventListener('abort', cancel, { once: true });
    }
    this.ready.then(() => {
      if (!this.#open.has(id)) return;
      try { this.#port.postMessage({ fluxion: 'train', id, config }, opts.transfer as any[]); }
      catch (e) { this.#settle(id, e as Error); }
    });
    return { id, result, cancel, then: (a, b) => result.then(a, b) };
  }

  /** Stops the worker (when it has `terminate`) and rejects open runs. */
  terminate(): void {
    this.#fail(new Error('TrainingWorker: terminated'));
    for (const u of this.#unlisten) u();
    this.#port.terminate?.();
  }

  #receive(m: FromWorker, ready: () => void): void {
    if (m.fluxion === 'ready') { ready(); return; }
    const o = this.#open.get(m.id);
    if (!o) return;
    if (m.fluxion === 'progress') o.onProgress?.(m.progress);
    else if (m.fluxion === 'done') { this.#open.delete(m.id); o.resolve(m.result); }
    else if (m.fluxion === 'error') {
      const e = new Error(`training worker: ${m.error.message}`);
      e.name = m.error.name;
      if (m.error.stack) e.stack = `${e.name}: ${e.message}\n(in the worker) ${m.error.stack}`;
      this.#settle(m.id, e);
    }
  }

  #settle(id: number, e: Error): void {
    const o = this.#open.get(id);
    if (o) { this.#open.delete(id); o.reject(e); }
  }

  #fail(e: Error): void {
    this.#dead ??= e;
    for (const id of [...this.#open.keys()]) this.#settle(id, e);
  }

  /** A worker that fails to load or crashes, or (Node) exits, rejects every open run. */
  #watch(w: WorkerLike): void {
    const any = w as WorkerLike & { on?: (t: string, f: (x: any) => void) => unknown; addEventListener?: (t: string, f: (x: any) => void) => void };
    if (typeof any.on === 'function' && typeof any.addEventListener !== 'function') {
      any.on('error', (err: Error) => this.#fail(new Error(`training worker failed: ${err?.message ?? err}`)));
      any.on('exit', (code: number) => this.#fail(new Error(`training worker exited (code ${code})`)));
    } else if (typeof any.addEventListener === 'function' && typeof any.terminate === 'function') {
      any.addEventListener('error', (e: { message?: string; preventDefault?: () => void }) => {
        e.preventDefault?.();
        this.#fail(new Error(`training worker failed: ${e.message || 'the script did not load or threw (see the console)'}`));
      });
      any.addEventListener('messageerror', () => this.#fail(new Error('training worker: a message could not be deserialised')));
    }
  }
}

/**
 * One run in `worker`: `new TrainingWorker(worker).train(config, opts)`.
 * @example const run = trainInWorker(new Worker('./worker.js', { type: 'module' }), { lr: 0.01 }, { onProgress });
 *          const { weights } = await run;
 */
export function trainInWorker<C>(worker: WorkerLike, config: C, opts: RunOptions = {}): TrainingRun {
  return new TrainingWorker<C>(worker).train(config, opts);
}
