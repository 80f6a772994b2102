// Reverse-mode autodiff on a tape. While `gradient` runs the loss, `apply` appends one node per
// op whose inputs depend on a parameter; the backward pass walks the tape in reverse and calls
// each op's gradient rule, written in tensor ops, so it is scheduled like the forward pass.
// Everything runs inside a scope: nothing of the tape outlives the call but the gradients.

import { Tensor, openScope, closeScope } from './tensor.js';
import type { OpDef } from './ops/registry.js';
// backward() sums and broadcasts gradients with tensor ops, and gradient(f, model) walks the
// model for its parameters. These imports close cycles (the ops and nn/params import this
// module) that are harmless: nothing here calls them before a gradient call.
import { add } from './ops/binary.js';
import { sumTo } from './ops/reduce.js';
import { params, mapModel, EMPTY } from './nn/params.js';
import { fail, func, show } from './check.js';

export interface TapeNode { def: OpDef; ins: readonly Tensor[]; out: Tensor; p: unknown; needs: boolean[] }
interface Tape { id: number; nodes: TapeNode[] }

let tape: Tape | null = null;
let tapeIds = 0;

export const recording = (): boolean => tape !== null;

/** Called by `apply` for every op while a tape records. */
export function record(def: OpDef, ins: readonly Tensor[], out: Tensor, p: unknown): void {
  const id = tape!.id;
  let any = false;
  for (let i = 0; i < ins.length; i++) if (ins[i].tape === id) { any = true; break; }
  if (!any) return;
  if (!def.grad) throw new Error(`gradient: op ${def.name} has no gradient rule`);
  out.tape = id;
  tape!.nodes.push({ def, ins, out, p, needs: ins.map((t) => t.tape === id) });
}

/**
 * Runs `fn` without recording (gradient rules, optimiser updates inside a gradient call).
 * @example const gs = gradient(() => {
 *            const target = noGrad(() => m(x2));   // not differentiated
 *            return mse(m(x), target);
 *          }, params(m));
 */
export function noGrad<T>(fn: () => T): T {
  func('noGrad', 'fn', fn);
  const saved = tape;
  tape = null;
  try { return fn(); } finally { tape = saved; }
}

/**
 * An ordered identity set of trainable tensors: `params(m)`.
 * @example const ps = params(m);
 *          ps.length; [...ps].map((p) => p.shape)   // 4, [[32, 784], [32], [10, 32], [10]]
 */
export class Params implements Iterable<Tensor> {
  readonly order: Tensor[] = [];
  readonly #set = new Set<Tensor>();
  constructor(ts: Iterable<Tensor> = []) {
    if (ts === null || typeof ts !== 'object' || typeof (ts as Iterable<Tensor>)[Symbol.iterator] !== 'function')
      fail('Params', 'ts must be an array (or iterable) of tensors', ts);
    for (const t of ts) this.push(t, 'Params');
  }
  push(t: Tensor, fn = 'Params.push'): void {
    if (!(t instanceof Tensor) || t.disposed) fail(fn, 'expected live tensors', t);
    if (!this.#set.has(t)) { this.#set.add(t); this.order.push(t); t.keep(); }
  }
  has(t: Tensor): boolean { return this.#set.has(t); }
  get length(): number { return this.order.length; }
  [Symbol.iterator]() { return this.order[Symbol.iterator](); }
}

/**
 * Gradients keyed by parameter: `grads.get(p)` (undefined for a parameter the loss did not reach).
 * @example const gs = gradient(() => mse(m(x), y), params(m));
 *          const dW = gs.get(m.layers[0].weight);   // a Tensor shaped like the weight
 */
export class Grads {
  readonly #map = new Map<Tensor, Tensor>();
  constructor(readonly params: Params) {
    if (!(params instanceof Params)) fail('Grads', 'params must be a Params (from params(model))', params);
  }
  get(p: Tensor): Tensor | undefined { return this.#map.get(p); }
  set(p: Tensor, g: Tensor): void { this.#map.set(p, g); }
  has(p: Tensor): boolean { return this.#map.has(p); }
  tensors(): Tensor[] { return [...this.#map.values()]; }
  [Symbol.iterator]() { return this.#map.entries(); }
  /** Frees every gradient tensor. */
  dispose(): void { for (const g of this.#map.values()) g.dispose(); this.#map.clear(); }
}

export type ParamsLike = Params | Iterable<Tensor> | object;
/** `ps` as Params: itself, or the parameters of a model, tensor or array of them (`params(ps)`). */
export const toParams = (x: unknown): Params => x instanceof Params ? x : params(x);
/** toParams for a public function's argument: an error names `fn` and `arg`. */
export function paramsArg(fn: string, arg: string, x: unknown): Params {
  if (x instanceof Params) return x;
  try { return params(x); } catch (e) {
    throw new TypeError(`${fn}: ${arg} must be params(model), a model or an array of tensors, got ${show(x)} (${(e as Error).message})`);
  }
}

/** The one-element tensor of ones that seeds the backward pass, on the loss's device. */
function onesLike(like: Tensor): Tensor {
  const t = new Tensor(like.shape, { backend: like.backend, buf: like.backend.alloc(1), n: 1, refs: 1 });
  like.backend.fill(t.buf, 1, 1);
  return t;
}

/**
 * The gradient of a value of type `T` in the explicit form: a tensor's is a tensor (null if the
 * loss does not depend on it), an array's an array, a layer's or object's an object with the same
 * fields; a field without trainable tensors (an activation, a number, a running statistic) is
 * null, as Zygote's `nothing`. At run time a layer with no trainable tensor at all (Dropout,
 * relu) is null too, and a Dense's `W`/`b` aliases are not there (only `weight`, `bias`).
 * @example const [g] = gradient((m) => mse(m(x), y), Chain(Dense(2, 3, relu), Dense(3, 1)));
 *          g.layers[0].weight   // Tensor [3, 2]; g.layers[0].σ === null
 */
export type Gradient<T> =
  T extends Tensor ? Tensor | null
  : T extends number | string | boolean | bigint | symbol | null | undefined ? null
  : T extends readonly unknown[] ? { -readonly [K in keyof T]: Gradient<T[K]> }
  : T extends ReadonlyMap<infer K, infer V> ? Map<K, Gradient<V>>
  : T extends (...a: any[]) => any ? ([ModelKeys<T>] extends [never] ? null : GradientFields<T>)
  : T extends object ? GradientFields<T>
  : null;
/** The field names a model-shaped tree mirrors (string keys, not numeric ones such as a Chain's `m[0]`). */
export type ModelKeys<T> = keyof T extends infer K ? K extends string ? K extends `${number}` ? never : K : never : never;
type GradientFields<T> = { -readonly [K in ModelKeys<T>]: Gradient<T[K]> };
/**
 * The gradients of the arguments of an explicit `gradient(f, ...args)` call: one per argument, in order.
 * @example const [dm, dx] = gradient((m, x) => mse(m(x), y), model, x);
 */
export type Gradients<A extends readonly unknown[]> = { -readonly [K in keyof A]: Gradient<A[K]> };
/**
 * What `gradient(f, ...args)` returns for a loss `F`: a `Grads` for the implicit form (one
 * argument, and a loss of no parameters or a Params), else one gradient per argument.
 * @example const gs: GradientOf<() => Tensor, [Params]> = gradient(() => mse(m(x), y), params(m));
 */
export type GradientOf<F extends (...args: any[]) => Tensor, A extends unknown[]> =
  A extends [Params] ? Grads : A extends [unknown] ? (Parameters<F> extends [] ? Grads : Gradients<A>) : Gradients<A>;

/** True when `gradient(f, ...args)` is the implicit form: one argument, a Params or a loss of no arguments. */
function implicitForm(fn: string, f: Function, args: readonly unknown[]): boolean {
  if (args.length === 0)
    throw new TypeError(`${fn}: nothing to differentiate with respect to: pass the model, as in ${fn}((m) => loss(m(x), y), model), ` +
      `or its parameters, as in ${fn}(() => loss(m(x), y), params(m))`);
  const k = args.findIndex((a) => a instanceof Params);
  if (k >= 0 && (args.length > 1 || f.length > 0)) {
    throw new TypeError(`${fn}: params(...) is for the implicit form, whose loss takes no arguments: ${fn}(() => loss(m(x), y), params(m)); ` +
      `for gradients shaped like the model pass the model itself: ${fn}((m) => loss(m(x), y), m)` + (args.length > 1 ? ` (argument ${k + 1} is a Params)` : ''));
  }
  return args.length === 1 && (k === 0 || f.length === 0);
}

/**
 * The value of the loss and its gradient. Two forms, as in Zygote:
 * - explicit (current Flux): `withgradient((m) => loss(m, x, y), model)` calls `f(model)` and
 *   returns `{ val, grad }` with `grad` an array of one gradient per argument, each shaped like
 *   that argument (see `Gradient`);
 * - implicit: `withgradient(() => loss(x, y), params(m))` (or a model, with a loss of no
 *   arguments) returns `grad` as a `Grads`, `grad.get(p)` per parameter.
 * @example const { val, grad: [g] } = withgradient((m) => mse(m(x), y), model);
 *          update(state, model, g);
 * @example const { val, grad } = withgradient(() => mse(m(x), y), params(m));
 */
export function withgradient<A extends unknown[], F extends (...args: A) => Tensor>(f: F, ...args: A): { val: Tensor; grad: GradientOf<F, A> };
export function withgradient(f: Function, ...args: unknown[]): { val: Tensor; grad: Grads | unknown[] } {
  func('withgradient', 'f', f);
  if (implicitForm('withgradient', f, args))
    return withgradientOf(callNoArgs, f as () => Tensor, paramsArg('withgradient', 'ps', args[0]), 'withgradient');
  const { val, grad } = explicit('withgradient', f, args);
  return { val, grad };
}
const callNoArgs = (f: () => Tensor): Tensor => f();

/** Checks what the loss returned: a tensor of one element, before anything is differentiated. */
function checkLoss(val: unknown, fn: string): asserts val is Tensor {
  if (val instanceof Promise) throw new TypeError(`${fn}: the loss function must be synchronous (it returned a Promise)`);
  if (!(val instanceof Tensor)) throw new TypeError(`${fn}: the loss function must return a tensor, got ${typeof val}`);
  if (val.size !== 1) {
    throw new RangeError(`${fn}: the loss must be a scalar (one element), got shape [${val.shape}]; ` +
      'reduce it first, e.g. with sum(...) or mean(...), or use a loss such as mse that returns one value');
  }
}

/**
 * @internal withgradient of `f(arg)`: train's step passes its inputs as `arg` instead of
 * capturing them in a closure, so a step allocates no function.
 */
export function withgradientOf<A>(f: (arg: A) => Tensor, arg: A, ps: ParamsLike, fn = 'gradient'): { val: Tensor; grad: Grads } {
  const params = toParams(ps);
  if (tape) throw new Error(`${fn}: nested gradient calls are not supported`);
  const s = openScope();
  let out: { val: Tensor; grad: Grads };
  try {
    const t: Tape = { id: ++tapeIds, nodes: [] };
    for (const p of params) p.tape = t.id;
    tape = t;
    let val: unknown;
    try { val = f(arg); } finally { tape = null; }
    checkLoss(val, fn);
    const grad = new Grads(params);
    for (const [p, g] of backward(t, val, params)) grad.set(p, g);
    out = { val, grad };
  } catch (e) { closeScope(s, undefined); throw e; }
  closeScope(s, out);
  return out;
}

/**
 * The explicit form: `f(...args)` differentiated with respect to every trainable tensor in
 * `args` (the tensors params() finds in each; numbers and other values are constants), the
 * gradients returned shaped like the arguments. The arguments' tensors are not kept or copied.
 */
function explicit(fn: string, f: Function, args: unknown[]): { val: Tensor; grad: unknown[]; inputs: Set<Tensor> } {
  if (tape) throw new Error(`${fn}: nested gradient calls are not supported`);
  const ts = new Set<Tensor>();
  args.forEach((a, i) => mapModel(a, (t, path) => {
    if (t.disposed) throw new TypeError(`${fn}: argument ${i + 1}${path ? ` (${path})` : ''} is a disposed tensor`);
    ts.add(t);
  }));
  if (ts.size === 0) {
    throw new TypeError(`${fn}: no argument holds a tensor to differentiate with respect to (got ${args.map(show).join(', ')}); ` +
      `pass the model, as in ${fn}((m) => loss(m(x), y), model), or wrap a number in a tensor: tensor(3)`);
  }
  const s = openScope();
  let out: { val: Tensor; grad: unknown[] }, results: Tensor[];
  try {
    const t: Tape = { id: ++tapeIds, nodes: [] };
    for (const p of ts) p.tape = t.id;
    tape = t;
    let val: unknown;
    try { val = f(...args); } finally {
      tape = null;
      for (const p of ts) p.tape = 0;           // no stale mark left on the arguments: their views stay plain
    }
    checkLoss(val, fn);
    const gs = backward(t, val, ts);
    const grad = args.map((a) => {
      const g = mapModel(a, (p) => gs.get(p) ?? null);
      return g === EMPTY ? null : g;
    });
    out = { val, grad };
    // The trees can be deeper than what a scope looks into: name their tensors in a flat list.
    results = [val, ...gs.values()];
  } catch (e) { closeScope(s, undefined); throw e; }
  closeScope(s, results);
  return { ...out, inputs: ts };
}

/**
 * The gradient of a scalar loss. Two forms, as in Zygote:
 * - explicit (current Flux): `gradient((m) => loss(m, x, y), model)` calls `f(model)` and returns
 *   an array with one gradient per argument, shaped like it: for a Chain
 *   `{ layers: [{ weight, bias, σ: null }, …] }`, null where nothing is trainable (see
 *   `Gradient`). Several arguments give several gradients: `gradient((m, x) => …, m, x)`.
 *   Numbers and other non-tensor values are constants (their gradient is null); at least one
 *   argument must hold a tensor. A loss that declares no parameters (`f.length === 0`) with one
 *   argument is the implicit form.
 * - implicit: `gradient(() => loss(x, y), params(m))` (or a model, tensor or array of tensors
 *   with a loss of no arguments) returns a `Grads`: `grads.get(p)`.
 * @example const g = gradient((m) => mse(m(x), y), model)[0];
 *          g.layers[0].weight;  update(state, model, g);
 * @example const gs = gradient(() => mse(m(x), y), ps); gs.get(m.layers[0].weight)
 */
export function gradient<A extends unknown[], F extends (...args: A) => Tensor>(f: F, ...args: A): GradientOf<F, A>;
export function gradient(f: Function, ...args: unknown[]): Grads | unknown[] {
  func('gradient', 'f', f);
  if (implicitForm('gradient', f, args)) {
    const ps = paramsArg('gradient', 'ps', args[0]);
    const { val, grad } = withgradientOf(callNoArgs, f as () => Tensor, ps);
    if (!ps.has(val)) val.dispose();               // (a loss that is a parameter stays)
    return grad;
  }
  const { val, grad, inputs } = explicit('gradient', f, args);
  if (!inputs.has(val)) val.dispose();
  return grad;
}

/** The gradient of `loss` for each of `params` it reached, shaped like the parameter. */
function backward(t: Tape, loss: Tensor, params: Iterable<Tensor>): Map<Tensor, Tensor> {
  const grads = new Map<Tensor, Tensor>();
  grads.set(loss, onesLike(loss));
  for (let n = t.nodes.length - 1; n >= 0; n--) {
    const node = t.nodes[n], dy = grads.get(node.out);
    if (!dy) continue;
    const gs = node.def.grad!(dy, node.ins, node.out, node.p, node.needs);
    for (let i = 0; i < node.ins.length; i++) {
      if (!node.needs[i] || !gs[i]) continue;
      const x = node.ins[i];
      let gi = gs[i]!;
      if (gi.size !== x.size) gi = sumTo(gi, x.shape);
      const prev = grads.get(x);
      grads.set(x, prev ? add(prev, gi) : gi);     // a tensor used twice accumulates
    }
  }
  const out = new Map<Tensor, Tensor>();
  for (const p of params) {
    const gp = grads.get(p);
    if (gp) out.set(p, gp.shape.length === p.shape.length ? gp : gp.view(p.shape));
  }
  return out;
}
