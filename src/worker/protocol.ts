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

export type ToWorker =
  | { fluxion: 'hello' }
  | { fluxion: 'train'; id: number; config: unknown }
  | { fluxion: 'cancel'; id: number };

export type FromWorker =
  | { fluxion: 'ready' }
  | { fluxion: 'progress'; id: number; progress: TrainingProgress }
  | { fluxion: 'done'; id: number; result: TrainingResult }
  | { fluxion: 'error'; id: number; error: { name: string; message: string; stack?: string } };

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

export const isMessage = (d: unknown): d is { fluxion: string } =>
  !!d && typeof d === 'object' && typeof (d as { fluxion?: unknown }).fluxion === 'string';
