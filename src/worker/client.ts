// The page side (or Node's main thread): `TrainingWorker` wraps a worker running
// `serveTraining`, waits for its ready message, starts runs with a config, routes progress to
// `onProgress`, and resolves with the weights (transferred, not copied). Runs go one at a time:
// the worker queues a run asked for while another is going. `cancel()` or an AbortSignal stops a
// run after its current step, or takes a queued one out of the queue; a worker that dies rejects
// every open run. Every message from the worker is checked before it is believed: one for a run
// this client did not start is ignored, and a malformed one for its own run rejects that run
// with an error saying what was wrong, never an exception thrown in the page.

import { describe } from '../tensor.js';
import { listen, isMessage, show, type PortLike, type TrainingProgress, type TrainingResult } from './protocol.js';

/**
 * What `TrainingWorker.train(config, opts)` accepts.
 * @example tw.train(config, { onProgress: (p) => chart(p.step, p.loss), signal: AbortSignal.timeout(60_000), transfer: [config.x.buffer] })
 */
export interface RunOptions {
  /** Called with every progress report. If it throws, the run rejects with that error and the worker is told to cancel it. */
  onProgress?: (p: TrainingProgress) => void;
  /**
   * Buffers in the config to move rather than copy (e.g. the training data). They move when the
   * run is sent, as soon as the worker is ready, even if it then waits its turn there; a run
   * cancelled before it was sent leaves them here.
   */
  transfer?: unknown[];
  /** Aborting it cancels the run (same as `run.cancel()`). */
  signal?: AbortSignal;
}

/**
 * Options of `new TrainingWorker(worker, opts)`.
 * @example const tw = new TrainingWorker(worker, { onError: (e) => log.warn(e.message) });
 */
export interface WorkerOptions {
  /**
   * Problems that belong to no run of this client: the worker refused a request (a
   * 'protocol-error'). Default: `console.warn`.
   */
  onError?: (e: Error) => void;
}

/**
 * A started run: await it (or `run.result`) for the result. `cancel()` ends a running run early,
 * keeping the weights (it resolves with `cancelled: true`); a run still waiting for its turn is
 * taken out of the queue and rejects with an `AbortError`.
 * @example const run = tw.train({ lr: 0.01 });
 *          stop.onclick = () => run.cancel();
 *          const { weights, steps } = await run;
 */
export interface TrainingRun extends PromiseLike<TrainingResult> {
  /** 1, 2, 3… per TrainingWorker, in the order `train` was called. */
  readonly id: number;
  readonly result: Promise<TrainingResult>;
  cancel(): void;
}

interface Open {
  n: number;
  /** Whether the 'train' message has gone to the worker (it waits for the worker's 'ready'). */
  sent: boolean;
  result: Promise<TrainingResult>;
  resolve(r: TrainingResult): void;
  reject(e: Error): void;
  onProgress?: (p: TrainingProgress) => void;
  cleanup(): void;
}

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
  readonly #onError: (e: Error) => void;
  /** Open runs by wire id. The random token makes ids unique to this client (see RunId). */
  readonly #open = new Map<string, Open>();
  readonly #token = token();
  #next = 1;
  #dead: Error | null = null;
  #unlisten: (() => void)[] = [];

  constructor(worker: WorkerLike, options: WorkerOptions = {}) {
    if (!worker || typeof worker.postMessage !== 'function')
      throw new TypeError(`TrainingWorker: expected a Worker (or a port with postMessage), got ${describe(worker)}`);
    if (options === null || typeof options !== 'object') throw new TypeError(`TrainingWorker: options must be an object, got ${describe(options)}`);
    if (options.onError !== undefined && typeof options.onError !== 'function')
      throw new TypeError(`TrainingWorker: options.onError must be a function, got ${describe(options.onError)}`);
    this.#port = worker;
    this.#onError = options.onError ?? ((e) => console.warn(e.message));
    let ready!: () => void;
    this.ready = new Promise<void>((r) => { ready = r; });
    this.#unlisten.push(listen(worker, (d) => this.#receive(d, ready)));
    this.#watch(worker);
    worker.postMessage({ fluxion: 'hello' });      // answered by 'ready'; covers a ready sent before we listened
  }

  /**
   * Starts a run: the worker's `setup(config)` builds the job. Runs go one at a time: a run asked
   * for while another is going starts when the worker has finished the earlier ones.
   * @example const a = tw.train({ lr: 0.1 }), b = tw.train({ lr: 0.01 });   // b waits for a
   *          const { weights, eval: m } = await a; await b;
   */
  train(config: C, opts: RunOptions = {}): TrainingRun {
    if (opts === null || typeof opts !== 'object') throw new TypeError(`TrainingWorker.train: options must be an object, got ${describe(opts)}`);
    if (opts.onProgress !== undefined && typeof opts.onProgress !== 'function')
      throw new TypeError(`TrainingWorker.train: options.onProgress must be a function, got ${describe(opts.onProgress)}`);
    if (opts.signal !== undefined && typeof (opts.signal as Partial<AbortSignal> | null)?.addEventListener !== 'function')
      throw new TypeError(`TrainingWorker.train: options.signal must be an AbortSignal, got ${describe(opts.signal)}`);
    const n = this.#next++, id = `${this.#token}:${n}`;
    let open!: Open;
    const result = new Promise<TrainingResult>((resolve, reject) => {
      open = { n, sent: false, result: null!, resolve, reject, onProgress: opts.onProgress, cleanup: () => {} };
    });
    open.result = result;
    const cancel = () => this.#cancel(id);
    if (this.#dead) { open.reject(this.#dead); return { id: n, result, cancel, then: (a, b) => result.then(a, b) }; }
    this.#open.set(id, open);
    if (opts.signal) {
      const signal = opts.signal;
      signal.addEventListener('abort', cancel, { once: true });
      open.cleanup = () => signal.removeEventListener('abort', cancel);
      if (signal.aborted) cancel();
    }
    this.ready.then(() => {
      if (!this.#open.has(id)) return;              // cancelled or failed before the worker was ready
      open.sent = true;
      try { this.#port.postMessage({ fluxion: 'train', id, config }, opts.transfer as any[]); }
      catch (e) {
        const err = new Error(`TrainingWorker.train: the run could not be sent to the worker (is the config plain data?): ${e instanceof Error ? e.message : show(e)}`);
        if (e instanceof Error) err.name = e.name;
        this.#settle(id, err);
      }
    });
    return { id: n, result, cancel, then: (a, b) => result.then(a, b) };
  }

  /** Stops the worker (when it has `terminate`) and rejects every open run, queued ones too. */
  terminate(): void {
    this.#fail(new Error('TrainingWorker: terminated'), true);
    for (const u of this.#unlisten) u();
    this.#port.terminate?.();
  }

  #cancel(id: string): void {
    const o = this.#open.get(id);
    if (!o || this.#dead) return;
    if (!o.sent) { this.#settle(id, abort(`TrainingWorker: run ${o.n} was cancelled before it started`), true); return; }
    // The worker answers: a running run ends with its weights, a queued one with an AbortError.
    try { this.#port.postMessage({ fluxion: 'cancel', id }); }
    catch (e) { this.#settle(id, new Error(`TrainingWorker: could not ask the worker to cancel run ${o.n}: ${show(e)}`)); }
  }

  #receive(d: unknown, ready: () => void): void {
    if (!isMessage(d)) return;                     // the app's own messages share the port
    const kind = d.fluxion;
    if (kind === 'ready') { ready(); return; }
    if (kind === 'protocol-error') { this.#report(d.error); return; }
    // Not ours (another client's run on this worker), a guess, or a run already settled.
    const o = typeof d.id === 'string' ? this.#open.get(d.id) : undefined;
    if (!o) return;
    const id = d.id as string;
    const bad = (what: string) => {
      this.#settle(id, new TypeError(`training worker: run ${o.n}: ${what}`));
      if (kind !== 'done' && kind !== 'error') this.#tell(id);   // it may still be training
    };
    if (kind === 'progress') {
      const why = badProgress(d.progress);
      if (why) { bad(`a progress report ${why}`); return; }
      try { o.onProgress?.(d.progress as TrainingProgress); }
      catch (e) { this.#settle(id, e instanceof Error ? e : new Error(`onProgress threw ${show(e)}`)); this.#tell(id); }
    } else if (kind === 'done') {
      const why = badResult(d.result);
      if (why) { bad(`the worker finished, but its result ${why}`); return; }
      this.#open.delete(id); o.cleanup(); o.resolve(d.result as TrainingResult);
    } else if (kind === 'error') {
      const err = d.error as { name?: unknown; message?: unknown; stack?: unknown } | null;
      const message = err !== null && typeof err === 'object' ? err.message : undefined;
      if (typeof message !== 'string' || !message) { bad(`the worker reported a failure without a message (got ${show(d.error)})`); return; }
      const e = new Error(`training worker: ${message}`);
      if (typeof err!.name === 'string' && err!.name) e.name = err!.name;
      if (typeof err!.stack === 'string') e.stack = `${e.name}: ${e.message}\n(in the worker) ${err!.stack}`;
      this.#settle(id, e, e.name === 'AbortError');
    } else bad(`unknown message kind ${show(kind)} from the worker`);
  }

  /** Asks the worker to stop a run this side has given up on, so the next one is not kept waiting. */
  #tell(id: string): void {
    try { this.#port.postMessage({ fluxion: 'cancel', id }); } catch { /* the worker is gone: nothing to stop */ }
  }

  #report(error: unknown): void {
    const m = error !== null && typeof error === 'object' ? (error as { message?: unknown }).message : undefined;
    const e = new Error(typeof m === 'string' && m ? `training worker: ${m}` : `training worker: a protocol error without a message (got ${show(error)})`);
    try { this.#onError(e); } catch { /* a throwing handler must not break message handling */ }
  }

  /**
   * Rejects a run. `quiet` rejections do not count as unhandled, though awaiting them still
   * throws: a cancel the page asked for (in `b.cancel(); await a; await b`, b's AbortError comes
   * while a is awaited), every run ended by terminate, and all but the first of several runs ended
   * at once by the worker dying (in `try { await a; await b } catch {}`, a's rejection skips
   * `await b`). Node would end the process over any of them.
   */
  #settle(id: string, e: Error, quiet = false): void {
    const o = this.#open.get(id);
    if (!o) return;
    this.#open.delete(id);
    o.cleanup();
    if (quiet) o.result.catch(() => {});
    o.reject(e);
  }

  /** Rejects every open run; the oldest still counts as unhandled unless the page asked for this. */
  #fail(e: Error, asked = false): void {
    this.#dead ??= e;
    let first = !asked;
    for (const id of [...this.#open.keys()]) { this.#settle(id, e, !first); first = false; }
  }

  /** A worker that fails to load or crashes, or (Node) exits, rejects every open run. */
  #watch(w: WorkerLike): void {
    const any = w as WorkerLike & { on?: (t: string, f: (x: any) => void) => unknown; addEventListener?: (t: string, f: (x: any) => void) => void };
    if (typeof any.on === 'function' && typeof any.addEventListener !== 'function') {
      any.on('error', (err: Error) => this.#fail(new Error(`training worker failed: ${err?.message ?? err}`)));
      any.on('exit', (code: number) => this.#fail(new Error(`training worker exited (code ${code})`)));
      any.on('messageerror', () => this.#fail(new Error('training worker: a message could not be deserialised')));
    } else if (typeof any.addEventListener === 'function' && typeof any.terminate === 'function') {
      any.addEventListener('error', (e: { message?: string; preventDefault?: () => void }) => {
        e.preventDefault?.();
        this.#fail(new Error(`training worker failed: ${e.message || 'the script did not load or threw (see the console)'}`));
      });
      any.addEventListener('messageerror', () => this.#fail(new Error('training worker: a message could not be deserialised')));
    }
  }
}

/** Random per client, so run ids from two clients of one worker never collide and are not guessable. */
function token(): string {
  const c = (globalThis as { crypto?: { getRandomValues?<T extends Uint32Array>(a: T): T } }).crypto;
  const a = new Uint32Array(4);
  if (typeof c?.getRandomValues === 'function') c.getRandomValues(a);
  else for (let i = 0; i < 4; i++) a[i] = Math.floor(Math.random() * 2 ** 32);
  return Array.from(a, (x) => x.toString(36)).join('');
}

function abort(message: string): Error {
  const e = new Error(message);
  e.name = 'AbortError';
  return e;
}

const PROGRESS_NUMBERS = ['step', 'epoch', 'samples', 'loss', 'meanLoss', 'samplesPerSec', 'elapsedMs', 'tensors'] as const;

/** Why a progress report cannot be passed to onProgress, or '' when it can. */
function badProgress(p: unknown): string {
  if (p === null || typeof p !== 'object') return `is not an object (got ${show(p)})`;
  const r = p as Record<string, unknown>;
  for (const k of PROGRESS_NUMBERS) if (typeof r[k] !== 'number') return `has no number '${k}' (got ${show(r[k])})`;
  for (const k of ['eval', 'placement']) if (r[k] !== undefined && (r[k] === null || typeof r[k] !== 'object')) return `has a '${k}' that is not an object (got ${show(r[k])})`;
  return '';
}

/** Why a 'done' result is not a TrainingResult, or '' when it is. */
function badResult(r: unknown): string {
  if (r === null || typeof r !== 'object') return `is missing (got ${show(r)})`;
  const o = r as Record<string, unknown>;
  if (Object.prototype.toString.call(o.weights) !== '[object Uint8Array]') return `has no weights (a Uint8Array; got ${show(o.weights)})`;
  for (const k of ['steps', 'epochs', 'samples'] as const) if (typeof o[k] !== 'number') return `has no number '${k}' (got ${show(o[k])})`;
  if (typeof o.cancelled !== 'boolean') return `has no boolean 'cancelled' (got ${show(o.cancelled)})`;
  return '';
}

/**
 * One run in `worker`: `new TrainingWorker(worker).train(config, opts)`.
 * @example const run = trainInWorker(new Worker('./worker.js', { type: 'module' }), { lr: 0.01 }, { onProgress });
 *          const { weights } = await run;
 */
export function trainInWorker<C>(worker: WorkerLike, config: C, opts: RunOptions = {}): TrainingRun {
  return new TrainingWorker<C>(worker).train(config, opts);
}
