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
import { params } from './nn/params.js';

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
  constructor(ts: Iterable<Tensor> = []) { for (const t of ts) this.push(t); }
  push(t: Tensor): void {
    if (!(t instanceof Tensor)) throw new TypeError(`params: expected tensors, got ${typeof t}`);
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
  constructor(readonly params: Params) {}
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

/** The one-element tensor of ones that seeds the backward pass, on the loss's device. */
function onesLike(like: Tensor): Tensor {
  const t = new Tensor(like.shape, { backend: like.backend, buf: like.backend.alloc(1), n: 1, refs: 1 });
  like.backend.fill(t.buf, 1, 1);
  return t;
}

/**
 * The value of `f()` (a scalar tensor) and its gradient with respect to `ps`.
 * @example const { val, grad } = withgradient(() => mse(m(x), y), params(m));
 */
export function withgradient(f: () => Tensor, ps: ParamsLike): { val: Tensor; grad: Grads } {
  return withgradientOf(callNoArgs, f, ps);
}
const callNoArgs = (f: () => Tensor): Tensor => f();

/**
 * @internal withgradient of `f(arg)`: train's step passes its inputs as `arg` instead of
 * capturing them in a closure, so a step allocates no function.
 */
export function withgradientOf<A>(f: (arg: A) => Tensor, arg: A, ps: ParamsLike): { val: Tensor; grad: Grads } {
  const params = toParams(ps);
  if (tape) throw new Error('gradient: nested gradient calls are not supported');
  const s = openScope();
  let out: { val: Tensor; grad: Grads };
  try {
    const t: Tape = { id: ++tapeIds, nodes: [] };
    for (const p of params) p.tape = t.id;
    tape = t;
    let val: unknown;
    try { val = f(arg); } finally { tape = null; }
    if (val instanceof Promise) throw new TypeError('gradient: the loss function must be synchronous (it returned a Promise)');
    if (!(val instanceof Tensor)) throw new TypeError(`gradient: the loss function must return a tensor, got ${typeof val}`);
    if (val.size !== 1) throw new RangeError(`gradient: the loss must be a scalar (one element), got shape [${val.shape}]`);
    out = { val, grad: backward(t, val, params) };
  } catch (e) { closeScope(s, undefined); throw e; }
  closeScope(s, out);
  return out;
}

/**
 * The gradient of `f()` with respect to `ps`: `gradient(() => loss(x, y), params(m))`.
 * @example const gs = gradient(() => mse(m(x), y), ps); gs.get(m.layers[0].weight)
 */
export function gradient(f: () => Tensor, ps: ParamsLike): Grads {
  const { val, grad } = withgradient(f, ps);
  val.dispose();
  return grad;
}

function backward(t: Tape, loss: Tensor, params: Params): Grads {
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
  const out = new Grads(params);
  for (const p of params) {
    const gp = grads.get(p);
    if (gp) out.set(p, gp.shape.length === p.shape.length ? gp : gp.view(p.shape));
  }
  return out;
}
