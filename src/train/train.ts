// train and trainStep (Flux's `train!` and `trainstep!`), with `stop()` and `skip()`.
// One step: gradient of the loss, one read of the loss value (dataSync on the CPU, one awaited
// readback on the GPU), the non-finite check, the optimiser update, then the callbacks. On the GPU
// a step is one command-buffer submission: the loss copy and the update are recorded before it,
// the update kernels skip their writes on the device when the loss is not finite (`guarded`),
// and the check that throws runs when the 4-byte readback arrives. Each step runs in a
// synchronous scope, so every temporary (tape, gradients, the batch a synchronous iterator made)
// is freed at its end; parameters and optimiser state are kept tensors. No scope is open across
// an await (async data, async callbacks, the GPU's loss readback): tensors other code creates
// meanwhile (a second train, a UI prediction) are never this step's to free. Per step: O(ops of
// the loss), one closure (the guarded update) and no readback besides the loss. Nothing here
// outlives a call: a step's inputs travel as arguments, so once train or trainStep returns the
// library holds no reference to the model, loss, parameters, optimiser or data (trainStep's last
// loss is held in a WeakMap keyed by a parameter).
// The page stays responsive: after ~25 ms of work train yields one macrotask (setImmediate in
// Node, else a MessageChannel made for the call and closed at its end; never a clamped timer), so
// input, timers, messages and a callback's DOM updates get in and paint. The cost is a clock read
// every few items and a few microseconds per yield.

import { Tensor, scope, describe, openScope, closeScope, adopt, nextTensorId } from '../tensor.js';
import { withgradientOf, paramsArg, Params, type Grads } from '../autograd.js';
import { update, isBound, isRule, OptimiserState, type Rule, type BoundOptimiser } from '../optim/index.js';
import { runtime } from '../runtime.js';
import { guarded } from '../ops/optim.js';
import { preferAsync } from '../data.js';
import { options as checkOptions, int, show } from '../check.js';
import { namedTensors } from '../io.js';
import { progressBar, type ProgressStream } from './progress.js';

// Private signals, thrown by stop()/skip() and caught by train; created once (one stack capture).
class StopSignal extends Error {}
class SkipSignal extends Error {}
const STOP = new StopSignal('stop() was called outside train (call it in a callback or in the loss during train)');
const SKIP = new SkipSignal('skip() was called outside train (call it in the loss during train)');

/**
 * Ends `train` cleanly after the current step; call it in a callback or in the loss.
 * @example const cb = () => { if (testloss() < 0.01) stop(); };
 *          await train(loss, ps, data, opt, { cb });
 */
export function stop(): never { throw STOP; }

/**
 * Skips the update for the current data item; call it inside the loss.
 * @example const loss = (x, y) => { if (bad(x)) skip(); return mse(m(x), y); };
 *          await train(loss, ps, data, opt);
 */
export function skip(): never { throw SKIP; }

export type Loss = (...args: any[]) => Tensor;
export type Callback = () => unknown;
export type Opt = Rule | BoundOptimiser | OptimiserState;

/**
 * What `train` takes after the optimiser.
 * @example await train(loss, ps, data, opt, { cb: [throttle(evalcb, 5), () => { if (done()) stop(); }] })
 */
export interface TrainOptions {
  /** A function or an array of functions, called after every update; promises are awaited. */
  cb?: Callback | readonly Callback[];
  /** Passes over the data (default 1). Data iterated again: an array, a DataLoader, zip(...); not a generator. */
  epochs?: number;
  /**
   * `true`: a progress bar with the loss (stderr in Node; plain console lines every 2 s elsewhere);
   * a stream (`process.stdout`, anything with `write`): the bar there; a function: called after
   * every update with a TrainProgress (update a page with it). Nothing is shown by default.
   */
  progress?: boolean | ProgressStream | ((p: TrainProgress) => unknown);
}

/**
 * What a `progress` function gets after each update: the epoch (from 1, of `epochs`), the item
 * within it (from 1, of `total` items per epoch; null when the data has no length) and its loss.
 * @example await train(loss, m, data, st, { epochs: 5, progress: (p) => { bar.value = (p.epoch - 1 + p.step / p.total!) / p.epochs; } });
 */
export interface TrainProgress { epoch: number; epochs: number; step: number; total: number | null; loss: number }

/**
 * What `train` returns: updates done, items skipped, whether stop() ended it, the last loss.
 * @example const { steps, loss, stopped } = await train(loss, ps, data, opt);
 */
export interface TrainSummary { steps: number; skipped: number; stopped: boolean; loss: number }

/** What the loss is called with in one step: passed as an argument, so no closure is made. */
interface LossCall { loss: Loss; model: unknown; item: unknown; fn: string }
/** @internal The model argument of a loss that does not take the model. */
export const NONE = {};
/** The model argument before the first item decides whether the loss takes the model (takesModel). */
const UNDECIDED = {};

/** Arguments an item spreads to: an array's elements (a numeric array is one argument, as in Flux). */
const spreadCount = (item: unknown) => (Array.isArray(item) && typeof item[0] !== 'number' ? item.length : 1);
/**
 * Given a model and a bare rule, train cannot tell current Flux's loss(m, x, y) from the implicit
 * loss(x, y) by the arguments alone; the loss's declared parameters do: one more than the item
 * spreads to means the model comes first (Flux's train! with a rule sets it up the same way).
 */
const takesModel = (loss: Loss, item: unknown) => loss.length === spreadCount(item) + 1;

/** Calls the loss on one data item: arrays of arguments are spread, anything else is one argument. */
function callLoss(c: LossCall): Tensor {
  const f = c.loss, it = c.item, m = c.model;
  let r: Tensor;
  if (m !== NONE) r = Array.isArray(it) && typeof it[0] !== 'number' ? f(m, ...it) : f(m, it);
  else if (!Array.isArray(it) || typeof it[0] === 'number') r = f(it);
  else r = it.length === 2 ? f(it[0], it[1]) : f(...it);
  if (!(r instanceof Tensor) || r.size !== 1) badLoss(c.fn, r);
  return r;
}

/** The loss returned something other than a scalar tensor: say what to do about it. */
function badLoss(fn: string, r: unknown): never {
  if (r instanceof Tensor) throw new RangeError(`${fn}: the loss returned a tensor of shape [${r.shape.join(', ')}]; it must be a scalar ` +
    `(one number): reduce it with mean(...) or sum(...) (a loss with agg: 'none' gives one value per element)`);
  if (r === undefined) throw new TypeError(`${fn}: the loss returned undefined; it must return a scalar tensor ` +
    '(a braced arrow function needs `return`: (x, y) => { return mse(m(x), y); })');
  if (typeof r === 'number') throw new TypeError(`${fn}: the loss returned the number ${r}, not a tensor: return the tensor itself ` +
    '(reading it with .item() or dataSync() inside the loss cuts the gradient)');
  if (r instanceof Promise) throw new TypeError(`${fn}: the loss returned a Promise; it must be synchronous (not async, no await inside)`);
  throw new TypeError(`${fn}: the loss returned ${show(r)}; it must return a scalar tensor such as mse(m(x), y)`);
}

/** The loss value if the tensor lives on the host (one 4-byte read), else null. */
function hostValue(t: Tensor): number | null {
  const v = t.backend.readSync(t.buf, 1);
  return v ? v[0] : null;
}

const ignore = () => {};

function stepBody(c: LossCall, ps: Params, opt: Opt): Tensor {
  const { val, grad } = withgradientOf(callLoss, c, ps, 'trainStep');
  const l = hostValue(val);
  if (l === null) {
    // GPU: record the loss readback now, so it shares the step's one submission with the update;
    // a later `await loss.item()` uses it instead of submitting again.
    const ra = val.data();
    ra.catch(ignore);                  // nobody may read it: a lost device must not be unhandled
    val.readAhead = ra;
  }
  // The update waits on the loss on the device: on the GPU a non-finite loss cancels it without a
  // readback; on the CPU the check above already decided and the guard costs one load per kernel.
  if (l === null || Number.isFinite(l)) guarded(val, () => update(opt, ps, grad));
  runtime.gpu?.flush();
  return val;
}

/**
 * The loss tensor trainStep last returned for a set of parameters, keyed by its first parameter
 * (a model passed as `ps` makes a new Params object every call; its tensors stay the same).
 */
const lastLoss = new WeakMap<Tensor, Tensor>();

/**
 * One update: the gradient of the loss on `item`, then `update(opt, ps, grads)`; returns the loss
 * before the update. Given a model and a loss that takes it first (`(m, x, y) => ...`, one more
 * parameter than the item has arguments), the loss gets the model, as Flux's `trainstep!`.
 * The loss stays valid until the next trainStep on the same parameters, which
 * frees it unless it was kept (`l.keep()`) or disposed, so a manual loop that ignores it leaks
 * nothing. Like Flux's `trainstep!`, a non-finite loss skips the update on every device (train
 * throws instead): on the GPU the update kernels read the loss on the device, and the loss's
 * 4-byte readback is recorded in the step's one submission, so `await l.item()` adds no submit.
 * @example for (const [x, y] of DataLoader([X, Y], { batchsize: 32 })) trainStep(loss, ps, [x, y], opt);
 *          const l = trainStep((x, y) => mse(m(x), y), params(m), [x, y], Descent(0.1));
 *          console.log(l.dataSync()[0]);
 */
export function trainStep(loss: Loss, ps: Params | unknown, item: unknown, opt: Opt): Tensor {
  if (typeof loss !== 'function') throw new TypeError(`trainStep: loss must be a function, got ${describe(loss)}`);
  if (!isRule(opt) && !isBound(opt) && !(opt instanceof OptimiserState))
    throw new TypeError(`trainStep: opt must be a rule such as Descent(0.1), a bound optimiser or a setup() state, got ${describe(opt)}`);
  const params = ps instanceof Params ? ps : ps == null && isBound(opt) ? opt.params : checkParams(ps, 'trainStep');
  const model = ps instanceof Params || ps == null || !takesModel(loss, item) ? NONE : ps;
  const key = params.order.length ? params.order[0] : null;
  if (key) { const prev = lastLoss.get(key); if (prev && !prev.kept) prev.dispose(); }
  const s = openScope();
  let val: Tensor;
  try { val = stepBody({ loss, model, item, fn: 'trainStep' }, params, opt); } catch (e) { closeScope(s, undefined); throw e; }
  closeScope(s, val);
  if (key) lastLoss.set(key, val);
  return val;
}

/**
 * Flux's `train!`: one update per data item, then the callbacks. Forms:
 * `train(loss, model, data, setup(rule, model))` (current Flux: the loss gets the model first;
 * a bare rule is set up for the call when the loss takes one more parameter than an item has
 * arguments), `train(loss, ps, data, rule, { cb })` (ps = params(m) or a model; the loss gets the
 * item only) and `train(loss, data, boundOpt, { cb })` (seed: `SGD(params(m), 0.1)`). Items that
 * are arrays are spread into the loss. Options: `cb`, `epochs` (passes over the data), `progress`
 * (a bar in a terminal, or a function for a page). A non-finite loss throws "Loss is NaN on data
 * item i (counting from 0)" naming the first non-finite parameter or input, and that step's update
 * does not happen, on every device (on the GPU the update kernels check the loss on the device).
 * Every ~25 ms of work train yields to the event loop, so a page stays responsive and a
 * callback's DOM updates paint. Tensors the data iterator makes for an item are freed with that
 * step (keep() one it hands out again); no scope stays open while train awaits, so tensors other
 * code makes meanwhile are never freed by it.
 * @example await train(loss, params(m), repeated([x, y], 100), Descent(0.1), { cb: throttle(evalcb, 5) });
 *          await train(loss, zip(xs, ys), SGD(params(m), 0.1));
 */
export function train(loss: Loss, ps: Params, data: Iterable<unknown> | AsyncIterable<unknown>, opt: Rule | BoundOptimiser | OptimiserState, options?: TrainOptions): Promise<TrainSummary>;
/**
 * The seed form: the optimiser is bound to its parameters, so none are passed.
 * @example await train((x, y) => mse(m(x), y), zip(xs, ys), SGD(params(m), 0.1), { cb });
 */
export function train(loss: Loss, data: Iterable<unknown> | AsyncIterable<unknown>, opt: BoundOptimiser, options?: TrainOptions): Promise<TrainSummary>;
/**
 * Current Flux's explicit form: the loss gets the model first, and the state is `setup(rule, model)`
 * (a bare rule is set up for the call, its state kept with the rule as in the implicit form).
 * @example const st = setup(Adam(0.01), m);
 *          await train((m, x, y) => mse(m(x), y), m, DataLoader([X, Y], { batchsize: 32 }), st, { epochs: 5, progress: true });
 */
export function train<M extends object>(loss: (model: M, ...item: any[]) => Tensor, model: M, data: Iterable<unknown> | AsyncIterable<unknown>, state: OptimiserState | Rule, options?: TrainOptions): Promise<TrainSummary>;
/**
 * The implicit form with a model or an array of tensors in place of `params(m)`.
 * @example await train((x, y) => mse(m(x), y), m, [[x, y]], Descent(0.1));
 */
export function train(loss: Loss, ps: object, data: Iterable<unknown> | AsyncIterable<unknown>, opt: Rule | BoundOptimiser, options?: TrainOptions): Promise<TrainSummary>;
export async function train(loss: Loss, ...args: unknown[]): Promise<TrainSummary> {
  if (typeof loss !== 'function') throw new TypeError(`train: loss must be a function, got ${describe(loss)}`);
  const { ps, data, opt, model, maybeModel, options, names } = parseArgs(args);
  const o = checkOptions<TrainOptions>('train', options, ['cb', 'epochs', 'progress']);
  const cbs = callbacks(o.cb);
  const epochs = o.epochs === undefined ? 1 : int('train', 'epochs', o.epochs, 1);
  const progress = reporter(o.progress, epochs);
  checkData(data, loss, epochs);
  return trainLoop(loss, ps, data, opt, model, cbs, null, { epochs, progress, maybeModel, names });
}

/**
 * @internal What serveTraining adds to train's loop; not public API. `around` runs each step
 * (it must call `run` once and return its result: the worker traces some steps), and `after`
 * sees each update's loss and data item, before the callbacks.
 */
export interface StepHooks {
  around?<T>(run: () => T): T;
  after?(loss: number, item: unknown): void;
}

/** @internal What train adds to the loop (serveTraining passes none). */
export interface LoopExtras {
  /** Passes over the data (default 1). */
  epochs?: number;
  /** Called after each update (before the callbacks), at each epoch's end and when the loop ends. */
  progress?: Reporter | null;
  /** A model the loss gets first if it takes one (decided at the first item: takesModel). */
  maybeModel?: unknown;
  /** Where the non-finite message finds parameter names (a model; a Params has none). */
  names?: unknown;
  /** Milliseconds of work between yields to the event loop (default 25; tests use 0 and Infinity). */
  sliceMs?: number;
}

/** @internal A progress sink: a user's function or the terminal bar. */
export interface Reporter {
  step(p: TrainProgress): unknown;
  epochEnd(): void;
  end(): void;
}

/** Work between yields: under the 50 ms a browser calls a long task, with room for one more step. */
const SLICE_MS = 25;

/**
 * A macrotask boundary chosen for this call: setImmediate (Node, Bun), else a MessageChannel
 * (browsers, workers, Deno), made at the first yield and closed at the end of the call; a
 * setTimeout (clamped to 4 ms once nested) only where neither exists. Not scheduler.yield: its
 * continuation runs ahead of the page's queued tasks, so a loop that keeps yielding with it
 * starves messages and timers (Chromium 156: a message posted before train waited out 200,000
 * steps); a posted message queues behind them, and rendering gets its turn either way.
 */
function makeYielder(): { next: () => Promise<void>; close: () => void } {
  const si = (globalThis as { setImmediate?: (f: () => void) => unknown }).setImmediate;
  if (typeof si === 'function') return { next: () => new Promise<void>((r) => { si(r); }), close: ignore };
  if (typeof MessageChannel === 'function') {
    const ch = new MessageChannel();
    let wake: (() => void) | null = null;
    ch.port1.onmessage = () => { const w = wake; wake = null; w?.(); };
    return { next: () => new Promise<void>((r) => { wake = r; ch.port2.postMessage(0); }), close: () => { ch.port1.close(); ch.port2.close(); } };
  }
  return { next: () => new Promise<void>((r) => { setTimeout(r, 0); }), close: ignore };
}

/**
 * @internal train's loop over validated arguments (serveTraining calls it once per epoch);
 * `model` is NONE unless the loss takes the model first.
 */
export async function trainLoop(loss: Loss, ps: Params, data: unknown, opt: Opt, model: unknown,
  cbs: readonly Callback[], hooks: StepHooks | null, extras: LoopExtras = {}): Promise<TrainSummary> {
  const useAsync = typeof (data as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function' &&
    (typeof (data as Iterable<unknown>)[Symbol.iterator] !== 'function' || (data as { [preferAsync]?: boolean })[preferAsync] === true);
  const epochs = extras.epochs ?? 1, report = extras.progress ?? null, slice = extras.sliceMs ?? SLICE_MS;
  const total = lengthOf(data);
  const sum: TrainSummary = { steps: 0, skipped: 0, stopped: false, loss: NaN };
  const call: LossCall = { loss, model: extras.maybeModel === undefined ? model : UNDECIDED, item: undefined, fn: 'train' };
  const around = hooks?.around, after = hooks?.after;
  let item: unknown, epoch = 1;

  /** Everything after the data item is in hand; a number (the loss), SKIP, or a promise of one (GPU, or a non-finite loss). */
  const body = (i: number): number | SkipSignal | Promise<number> => {
    const it0 = item;
    call.item = it0;
    if (call.model === UNDECIDED) call.model = takesModel(loss, it0) ? extras.maybeModel : NONE;
    let res: { val: Tensor; grad: Grads };
    try { res = withgradientOf(callLoss, call, ps, 'train'); } catch (e) { if (e === SKIP) return SKIP; throw e; } finally { call.item = undefined; }
    const l = hostValue(res.val);
    if (l !== null) {
      if (!Number.isFinite(l)) return nonFinite(l, i, it0);
      const val = res.val, grad = res.grad;
      guarded(val, () => update(opt, ps, grad));
      runtime.gpu?.flush();
      return l;
    }
    // GPU: the loss readback is recorded first, then the update, and one submit carries the whole
    // step (forward, backward, update, the 4-byte copy). The update kernels read the loss on the
    // device and do nothing when it is not finite, so the check that throws here comes after the
    // submit but the parameters and the optimiser state are as they were before this step.
    const p = res.val.item(), val = res.val, grad = res.grad;
    guarded(val, () => update(opt, ps, grad));
    runtime.gpu?.flush();
    return p.then((v) => (Number.isFinite(v) ? v : nonFinite(v, i, it0)));
  };
  // Read inside the step's scope (a promise keeps it open), so the item's tensors are still alive.
  const nonFinite = (l: number, i: number, it0: unknown): Promise<never> =>
    diagnose(ps, extras.names, it0).then((why) => {
      throw new RangeError(`train: Loss is ${l} on data item ${i} (counting from 0)${epochs > 1 ? ` of epoch ${epoch}` : ''}, stopping training; ${why}`);
    });
  const step = (i: number) => around ? around(() => body(i)) : body(i);
  const DONE = {};
  let cur = 0, since = 0, it: Iterator<unknown> | AsyncIterator<unknown> | null = null;
  const adoptAndStep = () => { adopt(item, since); return step(cur); };
  // A synchronous iterator's next() is this step's own synchronous code: a batch it makes is the
  // step's, freed with it.
  const nextAndStep = () => {
    const n = (it as Iterator<unknown>).next();
    if (n.done) return DONE;
    item = n.value;
    return step(cur);
  };

  // The clock is read every `stride` items: tiny steps (20 µs) would otherwise pay a read (~0.1 µs)
  // each; the stride doubles while reads come under 1 ms apart (at most 64 items) and halves past
  // 4 ms, so a yield comes at most a couple of milliseconds late.
  let yielder: ReturnType<typeof makeYielder> | null = null, lastYield = performance.now(), lastRead = lastYield;
  let stride = 1, count = 0;
  try {
    for (epoch = 1; epoch <= epochs; epoch++) {
      it = useAsync ? (data as AsyncIterable<unknown>)[Symbol.asyncIterator]() : (data as Iterable<unknown>)[Symbol.iterator]();
      for (let i = 0; ; i++) {
        // Outside every scope and before the item is taken, so skipped items and epoch ends count too.
        if (++count >= stride) {
          count = 0;
          const now = performance.now(), gap = now - lastRead;
          lastRead = now;
          if (gap < 1 && stride < 64 && slice > 0) stride *= 2;
          else if (gap > 4 && stride > 1) stride >>= 1;
          if (now - lastYield >= slice) { await (yielder ??= makeYielder()).next(); lastYield = lastRead = performance.now(); }
        }
        cur = i;
        let r: unknown;
        if (useAsync) {
          // Awaited outside any scope, so nothing another task creates meanwhile joins a step; the
          // step then adopts what the iterator made for this item (tensors new since `since`).
          since = nextTensorId();
          const n = await (it as AsyncIterator<unknown>).next();
          if (n.done) break;
          item = n.value;
          r = scope(adoptAndStep);
        } else r = scope(nextAndStep);
        // On the GPU the step's scope ends when its loss readback arrives; it left the stack already.
        const l = r instanceof Promise ? await r : r;
        if (l === DONE) break;
        if (l === SKIP) { sum.skipped++; item = undefined; continue; }
        sum.steps++; sum.loss = l as number;
        if (after) after(l as number, item);
        item = undefined;
        // Progress first: an update a callback ends with stop() is still shown.
        if (report) {
          const out = scope(() => report.step({ epoch, epochs, step: i + 1, total, loss: l as number }));
          if (out instanceof Promise) await out;
        }
        for (let k = 0; k < cbs.length; k++) {
          const out = scope(cbs[k]);
          if (out instanceof Promise) await out;
        }
      }
      const ended = it;
      it = null;
      const ret = ended.return?.();
      if (ret instanceof Promise) await ret.catch(ignore);
      report?.epochEnd();
    }
  } catch (e) {
    if (e !== STOP) throw e;
    sum.stopped = true;
  } finally {
    item = undefined;
    if (it) { const ret = it.return?.(); if (ret instanceof Promise) await ret.catch(ignore); }
    yielder?.close();
    report?.end();
  }
  return sum;
}

/** Items per pass when the data says (an array, a DataLoader), else null. */
function lengthOf(data: unknown): number | null {
  const n = (data as { length?: unknown }).length;
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 ? n : null;
}

/** The tensors of a data item, with where they sit: `argument 1 of the item`, `the item's x`. */
function itemTensors(item: unknown): [string, Tensor][] {
  if (item instanceof Tensor) return [['the item', item]];
  if (Array.isArray(item)) return item.flatMap((v, k) => (v instanceof Tensor ? [[`argument ${k} of the item`, v] as [string, Tensor]] : []));
  if (item && typeof item === 'object')
    return Object.entries(item).flatMap(([k, v]) => (v instanceof Tensor ? [[`the item's ${k}`, v] as [string, Tensor]] : []));
  return [];
}

/** Where a tensor first holds a non-finite value, as `NaN at index 7`, or null. */
async function firstBad(t: Tensor): Promise<string | null> {
  if (t.disposed) return null;
  const v = await t.data();
  for (let k = 0; k < v.length; k++) if (!Number.isFinite(v[k])) return `${v[k]} at index ${k}`;
  return null;
}

/**
 * Why the loss was not finite, for the error train throws: the first non-finite parameter (an
 * earlier update made it so), else the first non-finite input, else neither (the loss itself).
 * Runs only on that error, so reading every tensor back costs nothing in training.
 */
async function diagnose(ps: Params, namesFrom: unknown, item: unknown): Promise<string> {
  let names: Map<Tensor, string> | null = null;
  if (namesFrom !== undefined && !(namesFrom instanceof Params)) {
    try { names = new Map(namedTensors(namesFrom).map(([k, t]) => [t, k])); } catch { names = null; }
  }
  const out: string[] = [];
  const order = ps.order;
  for (let k = 0; k < order.length; k++) {
    const bad = await firstBad(order[k]);
    if (bad) {
      out.push(`parameter ${names?.get(order[k]) ?? `${k} of params`} (shape [${order[k].shape.join(', ')}]) holds ${bad}: ` +
        'an earlier update made it non-finite (try a smaller learning rate, or look for a gradient that overflowed)');
      break;
    }
  }
  for (const [where, t] of itemTensors(item)) {
    const bad = await firstBad(t);
    if (bad) { out.push(`${where} (shape [${t.shape.join(', ')}]) holds ${bad}: the data has a non-finite value`); break; }
  }
  if (out.length) return out.join('; ');
  return 'the parameters and the item\'s tensors are all finite, so the loss computation made it (log of 0, 0/0, exp ' +
    'overflowing; crossentropy takes probabilities, e.g. after softmax, logitcrossentropy takes logits)';
}

interface Parsed { ps: Params; data: unknown; opt: Opt; model: unknown; maybeModel: unknown; options: unknown; names: unknown }

function parseArgs(args: unknown[]): Parsed {
  if (isBound(args[1])) {
    if (args.length > 3) throw new TypeError(`train: with a bound optimiser the form is train(loss, data, opt, { cb }), got ${args.length + 1} arguments`);
    return { ps: args[1].params, data: args[0], opt: args[1], model: NONE, maybeModel: undefined, options: args[2], names: undefined };
  }
  if (args[2] instanceof OptimiserState && !(args[0] instanceof Params)) {   // params(m) first: the v0.7 form
    if (args.length > 4) throw new TypeError(`train: the explicit form is train(loss, model, data, state, { cb }), got ${args.length + 1} arguments`);
    return { ps: args[2].params, data: args[1], opt: args[2], model: args[0], maybeModel: undefined, options: args[3], names: args[0] };
  }
  // train(loss, data, Descent(0.1)): the rule came where the model was due.
  if ((isRule(args[1]) || args[1] instanceof OptimiserState) && args.length <= 3 && (args[2] === undefined || isPlainObject(args[2]))) {
    const r = args[1], name = isRule(r) ? ruleName(r) : 'a setup() state';
    throw new TypeError(`train: ${name} came right after the data, so there is no model to train. Current Flux: ` +
      `train((m, x, y) => loss(m(x), y), model, data, setup(${isRule(r) ? name : 'rule'}, model)); or train(loss, params(m), data, ` +
      `${isRule(r) ? name : 'rule'}); or bind the rule to the parameters: train(loss, data, SGD(params(m), 0.1))`);
  }
  const [ps, data, opt, options] = args;
  if (!isRule(opt) && !isBound(opt) && !(opt instanceof OptimiserState)) {
    throw new TypeError(`train: ${opt === undefined ? 'no optimiser was given' : `the optimiser must be a rule such as Descent(0.1) or a setup(rule, model) state, got ${show(opt)}`}; ` +
      'the forms are train(loss, model, data, setup(rule, model)) (the loss takes the model first), ' +
      'train(loss, ps, data, rule, { cb }) with ps = params(m), and train(loss, data, SGD(params(m), 0.1), { cb })');
  }
  if (args.length > 4) throw new TypeError(`train: expected at most 5 arguments, got ${args.length + 1}`);
  // A model (not params(m)) with a bare rule: the first item decides whether the loss takes it.
  const maybeModel = isRule(opt) && !(ps instanceof Params) && ps !== null && (typeof ps === 'object' || typeof ps === 'function') ? ps : undefined;
  return { ps: checkParams(ps, 'train'), data, opt, model: NONE, maybeModel, options, names: ps };
}

const isPlainObject = (x: unknown) => !!x && typeof x === 'object' && Object.getPrototypeOf(x) === Object.prototype;
const ruleName = (r: Rule) => { const n = (r as object).constructor?.name; return n && n !== 'Object' ? `${n}(...)` : 'the rule'; };

const checkParams = (ps: unknown, fn: string): Params => paramsArg(fn, 'ps', ps);

function callbacks(cb: unknown): Callback[] {
  if (cb === undefined || cb === null) return [];
  const list = Array.isArray(cb) ? [...cb] : [cb];
  list.forEach((f, i) => {
    if (typeof f !== 'function') throw new TypeError(`train: cb${Array.isArray(cb) ? `[${i}]` : ''} must be a function, got ${describe(f)}`);
  });
  return list;
}

/** The stream `progress: true` draws on: stderr in Node, else plain lines on the console. */
function defaultStream(): ProgressStream {
  const err = (globalThis as { process?: { stderr?: ProgressStream } }).process?.stderr;
  if (err && typeof err.write === 'function') return err;
  return { write: (s: string) => { console.log(s.endsWith('\n') ? s.slice(0, -1) : s); } };
}

const fmtLoss = (l: number) => String(Number(l.toPrecision(4)));

function reporter(p: unknown, epochs: number): Reporter | null {
  if (p === undefined || p === null || p === false) return null;
  if (typeof p === 'function') return { step: p as (x: TrainProgress) => unknown, epochEnd: ignore, end: ignore };
  let stream: ProgressStream;
  if (p === true) stream = defaultStream();
  else if (typeof p === 'object' && typeof (p as ProgressStream).write === 'function') stream = p as ProgressStream;
  else throw new TypeError(`train: progress must be true, a function (p) => ... or a stream with write(), got ${show(p)}`);
  const bar = progressBar({ stream });
  return {
    step: (s) => bar.tick(s.step, s.total ?? 0, epochs > 1 ? { epoch: `${s.epoch}/${epochs}`, loss: fmtLoss(s.loss) } : { loss: fmtLoss(s.loss) }),
    epochEnd: () => bar.done(),
    end: () => bar.done(),
  };
}

function checkData(data: unknown, loss: Loss, epochs: number): void {
  const d = data as Iterable<unknown> & AsyncIterable<unknown>;
  if (d == null || typeof d === 'string' || (typeof d[Symbol.iterator] !== 'function' && typeof d[Symbol.asyncIterator] !== 'function'))
    throw new TypeError(`train: data must be iterable (an array of items, repeated(...), zip(...), a DataLoader), got ${describe(data)}`);
  // The classic slip: train(loss, ps, [x, y], opt) instead of [[x, y]] for one step.
  if (Array.isArray(d) && d.length > 1 && loss.length > 1 && d.every((x) => x instanceof Tensor))
    throw new TypeError(`train: data is an array of ${d.length} tensors, so each step would get one tensor; ` +
      `for one step with arguments (x, y) pass [[x, y]] (or repeated([x, y], n))`);
  // A generator (or any iterator) runs once: a second epoch would see no data.
  if (epochs > 1 && typeof (d as unknown as Iterator<unknown>).next === 'function')
    throw new TypeError(`train: epochs is ${epochs} but data is an iterator (a generator such as repeated(...)), which runs once; ` +
      'pass data that can be iterated again: an array, zip(...) of arrays, a DataLoader');
}
