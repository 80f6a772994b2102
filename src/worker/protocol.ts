// The messages between a page (or Node's main thread) and a training worker, and the one port
// abstraction both sides use: anything with `postMessage(msg, transfer)` and either
// `addEventListener('message', e => e.data)` (a Web Worker, a worker's `self`, a MessagePort) or
// `on('message', data => …)` (Node's `Worker` and `parentPort`). Plain structured-clone
// objects only, so the same protocol runs over Web Workers and worker_threads.

import type { Trace } from '../trace.js';

/**
 * Where a training job's messages go: a Web Worker, `self` in one, Node's Worker or parentPort.
 * @example serveTraining(setup, { port: parentPort! })   // worker_threads
 *          new TrainingWorker(new Worker(url, { type: 'module' }))
 */
export interface PortLike {
  postMessage(message: unknown, transfer?: any[]): void;
  addEventListener?(type: 'message', listener: (e: { data: unknown }) => void): void;
  removeEventListener?(type: 'message', listener: (e: { data: unknown }) => void): void;
  on?(type: 'message', listener: (data: unknown) => void): unknown;
  off?(type: 'message', listener: (data: unknown) => void): unknown;
  start?(): void;
}

/**
 * Held-out (or any) metrics computed by the job's `evaluate`, e.g. `{ loss, accuracy }`.
 * @example evaluate: async () => ({ loss: (await mse(m(xt), yt).data())[0], accuracy: await acc() })
 */
export type Metrics = Record<string, number>;

/**
 * Which device ran the ops of one traced training step, and why (see `trace`).
 * @example onProgress: (p) => p.placement?.ops.forEach((o) => console.log(o.op, o.device, o.why))
 */
export interface Placement {
  /** The policy in force (`setPolicy`). */
  policy: string;
  /** Per device: ops, measured ms, bytes moved to it. */
  summary: ReturnType<Trace<unknown>['summary']>;
  /** One row per op of the step: its name, device, output shape and the scheduler's reason. */
  ops: { op: string; device: string; output: number[]; why: string }[];
}

/**
 * A progress report, sent at most every `progressEvery` ms and after evaluations.
 * @example tw.train(config, { onProgress: (p) => console.log(`step ${p.step}: loss ${p.loss}, ${p.samplesPerSec} samples/s`) })
 */
export interface TrainingProgress {
  /** Updates done so far, epochs begun (from 1), observations seen. */
  step: number; epoch: number; samples: number;
  /** The loss of the last step, and the mean loss since the previous report. */
  loss: number; meanLoss: number;
  /** Observations per second since the previous report. */
  samplesPerSec: number;
  elapsedMs: number;
  /** Live tensors in the worker (memory().tensors): flat from step to step when nothing leaks. */
  tensors: number;
  /** Present when an evaluation ran since the previous report. */
  eval?: Metrics;
  /** Present when a traced step ran since the previous report. */
  placement?: Placement;
}

/**
 * What a finished (or cancelled) run returns.
 * @example const r = await tw.train(config);
 *          loadModel(m, r.weights); console.log(r.steps, r.loss, r.cancelled);
 */
export interface TrainingResult {
  /** safetensors bytes of the model (and the optimiser state when it is a bound or setup one): `loadModel(m, weights)`. */
  weights: Uint8Array;
  steps: number; epochs: number; samples: number;
  /** True when `cancel()` ended the run early (the weights are those reached so far). */
  cancelled: boolean;
  /** The last step's loss, the last evaluation, and the wall time in the worker. */
  loss: number; eval?: Metrics; ms: number;
  /** What init() found in the worker (devices()) and the policy used. */
  devices: unknown; policy: string;
}

/**
 * A run's id on the wire. TrainingWorker sends `<client token>:<n>`, the token random per client,
 * so two clients on one worker never collide and a stray message cannot name a run by guessing;
 * serveTraining also accepts integers from hand-written clients.
 * @example const id: RunId = run.id;   // 1, 2, 3… per TrainingWorker
 */
export type RunId = string | number;

export type ToWorker =
  | { fluxion: 'hello' }
  | { fluxion: 'train'; id: RunId; config: unknown }
  | { fluxion: 'cancel'; id: RunId };

/**
 * `protocol-error` answers a request the worker could not act on (no id, an id already queued or
 * running, an unknown kind). It names no run on purpose: a run is settled only by its own
 * `done` or `error`, so a forged or duplicate request can never end someone else's run.
 */
export type FromWorker =
  | { fluxion: 'ready' }
  | { fluxion: 'progress'; id: RunId; progress: TrainingProgress }
  | { fluxion: 'done'; id: RunId; result: TrainingResult }
  | { fluxion: 'error'; id: RunId; error: { name: string; message: string; stack?: string } }
  | { fluxion: 'protocol-error'; error: { name: string; message: string } };

/** A usable run id: a non-empty string of at most 200 characters, or a safe integer. */
export const isRunId = (x: unknown): x is RunId =>
  (typeof x === 'string' && x.length > 0 && x.length <= 200) || Number.isSafeInteger(x);

/**
 * A short, never-throwing description of a value that came over the wire, for error messages
 * (unlike `describe`, it bounds strings and reads nothing that could throw twice).
 * @example show({ step: 'x' })   // 'an object {step}'
 */
export function show(x: unknown): string {
  try {
    if (typeof x === 'string') return JSON.stringify(x.length > 60 ? `${x.slice(0, 60)}…` : x);
    if (typeof x === 'function') return 'a function';
    if (x === null || typeof x !== 'object') return String(x);
    if (Array.isArray(x)) return `an array of length ${x.length}`;
    const name = Object.getPrototypeOf(x)?.constructor?.name, keys = Object.keys(x);
    const head = typeof name === 'string' && name !== 'Object' ? `a ${name}` : 'an object';
    return `${head} {${keys.slice(0, 8).join(', ')}${keys.length > 8 ? ', …' : ''}}`;
  } catch { return 'an unreadable value'; }
}

/** Subscribes to a port's messages; returns the unsubscribe function. */
export function listen(port: PortLike, fn: (data: unknown) => void): () => void {
  if (typeof port.on === 'function') {
    port.on('message', fn);
    return () => { port.off?.('message', fn); };
  }
  if (typeof port.addEventListener === 'function') {
    const h = (e: { data: unknown }) => fn(e.data);
    port.addEventListener('message', h);
    port.start?.();
    return () => port.removeEventListener?.('message', h);
  }
  throw new TypeError('fluxion worker: the port must have addEventListener (a Web Worker, self, a MessagePort) or on (a worker_threads Worker or parentPort)');
}

/**
 * A fluxion message: an object with a string `fluxion` kind. Anything else on the port belongs to
 * the application (a worker's `self` carries the app's own messages too) and is left alone.
 */
export function isMessage(d: unknown): d is { fluxion: string } & Record<string, unknown> {
  try { return !!d && typeof d === 'object' && typeof (d as { fluxion?: unknown }).fluxion === 'string'; }
  catch { return false; }     // a throwing getter (an in-process port can carry any object)
}
