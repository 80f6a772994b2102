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

import { Tensor, scope, describe, openScope, closeScope, adopt, nextTensorId } from '../tensor.js';
import { withgradientOf, paramsArg, Params, type Grads } from '../autograd.js';
import { update, isBound, isRule, OptimiserState, type Rule, type BoundOptimiser } from '../optim/index.js';
import { runtime } from '../runtime.js';
import { guarded } from '../ops/optim.js';
import { preferAsync } from '../data.js';
import { options as checkOptions } from '../check.js';

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
}

/**
 * What `train` returns: updates done, items skipped, whether stop() ended it, the last loss.
 * @example const { steps, loss, stopped } = await train(loss, ps, data, opt);
 */
export interface TrainSummary { steps: number; skipped: number; stopped: boolean; loss: number }

/** What the loss is called with in one step: passed as an argument, so no closure is made. */
interface LossCall { loss: Loss; model: unknown; item: unknown }
/** @internal The model argument of a loss that does not take the model. */
export const NONE = {};

/** Calls the loss on one data item: arrays of arguments are spread, anything else is one argument. */
function callLoss(c: LossCall): Tensor {
  const f = c.loss, it = c.item, m = c.model;
  if (m !== NONE) return Array.isArray(it) && typeof it[0] !== 'number' ? f(m, ...it) : f(m, it);
  if (!Array.isArray(it) || typeof it[0] === 'number') return f(it);   // a numeric array is one argument (Flux)
  return it.length === 2 ? f(it[0], it[1]) : f(...it);
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
 * One update: the gradient of `loss(...item)`, then `update(opt, ps, grads)`; returns the loss
 * before the update. The loss stays valid until the next trainStep on the same parameters, which
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
  const key = params.order.length ? params.order[0] : null;
  if (key) { const prev = lastLoss.get(key); if (prev && !prev.kept) prev.dispose(); }
  const s = openScope();
  let val: Tensor;
  try { val = stepBody({ loss, model: NONE, item }, params, opt); } catch (e) { closeScope(s, undefined); throw e; }
  closeScope(s, val);
  if (key) lastLoss.set(key, val);
  return val;
}

/**
 * Flux's `train!`: one update per data item, then the callbacks. Forms:
 * `train(loss, ps, data, rule, { cb })` (ps = params(m) or a model), `train(loss, data, boundOpt,
 * { cb })` (seed: `SGD(params(m), 0.1)`), and `train(loss, model, data, setup(rule, model))`
 * (current Flux: the loss gets the model first). Items that are arrays are spread into the loss.
 * A non-finite loss throws "Loss is NaN on data item i (0-based)..." and that step's update does
 * not happen, on every device (on the GPU the update kernels check the loss on the device).
 * Tensors the data iterator makes for an item are freed with that step (keep() one it hands out
 * again); no scope stays open while train awaits, so tensors other code makes meanwhile are
 * never freed by it.
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
 * Current Flux's explicit form: the loss gets the model first, and the state is `setup(rule, model)`.
 * @example const st = setup(Adam(0.01), m);
 *          await train((m, x, y) => mse(m(x), y), m, DataLoader([X, Y], { batchsize: 32 }), st);
 */
export function train<M extends object>(loss: (model: M, ...item: any[]) => Tensor, model: M, data: Iterable<unknown> | AsyncIterable<unknown>, state: OptimiserState, options?: TrainOptions): Promise<TrainSummary>;
/**
 * The implicit form with a model or an array of tensors in place of `params(m)`.
 * @example await train((x, y) => mse(m(x), y), m, [[x, y]], Descent(0.1));
 */
export function train(loss: Loss, ps: object, data: Iterable<unknown> | AsyncIterable<unknown>, opt: Rule | BoundOptimiser, options?: TrainOptions): Promise<TrainSummary>;
export async function train(loss: Loss, ...args: unknown[]): Promise<TrainSummary> {
  if (typeof loss !== 'function') throw new TypeError(`train: loss must be a function, got ${describe(loss)}`);
  const { ps, data, opt, model, options } = parseArgs(args);
  const cbs = callbacks(options);
  checkData(data, loss);
  return trainLoop(loss, ps, data, opt, model, cbs, null);
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

/**
 * @internal train's loop over validated arguments (serveTraining calls it once per epoch);
 * `model` is NONE unless the loss takes the model first.
 */
export async function trainLoop(loss: Loss, ps: Params, data: unknown, opt: Opt, model: unknown,
  cbs: readonly Callback[], hooks: StepHooks | null): Promise<TrainSummary> {
  const useAsync = typeof (data as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function' &&
    (typeof (data as Iterable<unknown>)[Symbol.iterator] !== 'function' || (data as { [preferAsync]?: boolean })[preferAsync] === true);
  const it: Iterator<unknown> | AsyncIterator<unknown> = useAsync
    ? (data as AsyncIterable<unknown>)[Symbol.asyncIterator]() : (data as Iterable<unknown>)[Symbol.iterator]();
  const sum: TrainSummary = { steps: 0, skipped: 0, stopped: false, loss: NaN };
  const call: LossCall = { loss, model, item: undefined };
  const around = hooks?.around, after = hooks?.after;
  let item: unknown;

  /** Everything after the data item is in hand; a number (the loss), SKIP, or a promise of one (GPU). */
  const body = (i: number): number | SkipSignal | Promise<number> => {
    call.item = item;
    let res: { val: Tensor; grad: Grads };
    try { res = withgradientOf(callLoss, call, ps, 'train'); } catch (e) { if (e === SKIP) return SKIP; throw e; } finally { call.item = undefined; }
    const l = hostValue(res.val);
    if (l !== null) return finish(l, res.grad, i, res.val);
    // GPU: the loss readback is recorded first, then the update, and one submit carries the whole
    // step (forward, backward, update, the 4-byte copy). The update kernels read the loss on the
    // device and do nothing when it is not finite, so the check that throws here comes after the
    // submit but the parameters and the optimiser state are as they were before this step.
    const p = res.val.item(), val = res.val, grad = res.grad;
    guarded(val, () => update(opt, ps, grad));
    runtime.gpu?.flush();
    return p.then((v) => check(v, i));
  };
  const check = (l: number, i: number, note = ''): number => {
    if (!Number.isFinite(l)) throw new RangeError(`train: Loss is ${l} on data item ${i} (counting from 0), stopping training${note}`);
    return l;
  };
  const finish = (l: number, grad: Grads, i: number, val: Tensor): number => {
    check(l, i);
    guarded(val, () => update(opt, ps, grad));
    runtime.gpu?.flush();
    return l;
  };
  const step = (i: number) => around ? around(() => body(i)) : body(i);
  const DONE = {};
  let cur = 0, since = 0;
  const adoptAndStep = () => { adopt(item, since); return step(cur); };
  // A synchronous iterator's next() is this step's own synchronous code: a batch it makes is the
  // step's, freed with it.
  const nextAndStep = () => {
    const n = (it as Iterator<unknown>).next();
    if (n.done) return DONE;
    item = n.value;
    return step(cur);
  };

  try {
    for (let i = 0; ; i++) {
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
      for (let k = 0; k < cbs.length; k++) {
        const out = scope(cbs[k]);
        if (out instanceof Promise) await out;
      }
    }
  } catch (e) {
    if (e !== STOP) throw e;
    sum.stopped = true;
  } finally {
    item = undefined;
    const ret = it.return?.();
    if (ret instanceof Promise) await ret.catch(() => {});
  }
  return sum;
}

function parseArgs(args: unknown[]): { ps: Params; data: unknown; opt: Opt; model: unknown; options: unknown } {
  if (isBound(args[1])) {
    if (args.length > 3) throw new TypeError(`train: with a bound optimiser the form is train(loss, data, opt, { cb }), got ${args.length + 1} arguments`);
    return { ps: args[1].params, data: args[0], opt: args[1], model: NONE, options: args[2] };
  }
  if (args[2] instanceof OptimiserState && !(args[0] instanceof Params)) {   // params(m) first: the v0.7 form
    if (args.length > 4) throw new TypeError(`train: the explicit form is train(loss, model, data, state, { cb }), got ${args.length + 1} arguments`);
    return { ps: args[2].params, data: args[1], opt: args[2], model: args[0], options: args[3] };
  }
  const [ps, data, opt, options] = args;
  if (!isRule(opt) && !isBound(opt) && !(opt instanceof OptimiserState)) {
    throw new TypeError('train: expected train(loss, ps, data, rule, { cb }) with a rule such as Descent(0.1), ' +
      `or train(loss, data, SGD(params(m), 0.1), { cb }); got ${describe(args[2])} as the optimiser (or train(loss, model, data, setup(rule, model)))`);
  }
  if (args.length > 4) throw new TypeError(`train: expected at most 5 arguments, got ${args.length + 1}`);
  return { ps: checkParams(ps, 'train'), data, opt, model: NONE, options };
}

const checkParams = (ps: unknown, fn: string): Params => paramsArg(fn, 'ps', ps);

function callbacks(options: unknown): Callback[] {
  const cb = checkOptions<TrainOptions>('train', options, ['cb']).cb;
  if (cb === undefined || cb === null) return [];
  const list = Array.isArray(cb) ? [...cb] : [cb];
  list.forEach((f, i) => {
    if (typeof f !== 'function') throw new TypeError(`train: cb${Array.isArray(cb) ? `[${i}]` : ''} must be a function, got ${describe(f)}`);
  });
  return list;
}

function checkData(data: unknown, loss: Loss): void {
  const d = data as Iterable<unknown> & AsyncIterable<unknown>;
  if (d == null || typeof d === 'string' || (typeof d[Symbol.iterator] !== 'function' && typeof d[Symbol.asyncIterator] !== 'function'))
    throw new TypeError(`train: data must be iterable (an array of items, repeated(...), zip(...), a DataLoader), got ${describe(data)}`);
  // The classic slip: train(loss, ps, [x, y], opt) instead of [[x, y]] for one step.
  if (Array.isArray(d) && d.length > 1 && loss.length > 1 && d.every((x) => x instanceof Tensor))
    throw new TypeError(`train: data is an array of ${d.length} tensors, so each step would get one tensor; ` +
      `for one step with arguments (x, y) pass [[x, y]] (or repeated([x, y], n))`);
}
