// The explicit style's optimiser state, shaped like the model as Optimisers.jl's tree of Leafs:
// `setup(rule, model)` mirrors the model's fields (the ones params() walks, null where nothing is
// trainable), with one Leaf per trainable tensor, shared by every path that reaches that tensor
// (tied weights are updated once). A Leaf holds its rule and a frozen flag, so `freeze`, `thaw`
// and `adjust` act on any part of the tree (`state.layers[0]`). The per-parameter state (momenta)
// stays in one Map keyed by the parameter, which saveModel/loadModel read and replace; a Leaf
// reads its entry there. `update` with gradients shaped like the model walks the state, the
// gradient and the model together, so a mismatch is reported with its path (`layers[1].weight`).

import { Tensor, describe, sameShape } from '../tensor.js';
import { Params } from '../autograd.js';
import type { ModelKeys } from '../autograd.js';
import { mapModel, EMPTY, joinPath } from '../nn/params.js';
import { show, isPlain } from '../check.js';
import type { Rule } from './rule.js';

/**
 * True for an optimiser rule (anything with `init` and `apply`): `isRule(Adam())`.
 * @example if (isRule(opt)) update(opt, ps, gs);
 */
export const isRule = (x: unknown): x is Rule =>
  !!x && typeof x === 'object' && typeof (x as Rule).init === 'function' && typeof (x as Rule).apply === 'function';

/** The rule's class name (`Adam`), for messages. */
export const ruleName = (r: Rule): string => (r.constructor?.name && r.constructor.name !== 'Object' ? r.constructor.name : 'rule');

/**
 * One trainable tensor's place in a setup state (Optimisers.jl's `Leaf`): its rule, whether it is
 * frozen, and its optimiser state (undefined until its first update).
 * @example const st = setup(Momentum(), Chain(Dense(2, 3), Dense(3, 1)));
 *          st.layers[0].weight.rule; st.layers[0].weight.frozen   // Momentum, false
 */
export class Leaf<R extends Rule = Rule> {
  /** True after `freeze`: `update` leaves this parameter and its state alone. */
  frozen = false;
  readonly #param: Tensor;
  readonly #states: Map<Tensor, unknown>;
  constructor(public rule: R, param: Tensor, states: Map<Tensor, unknown>) {
    this.#param = param; this.#states = states;
  }
  /** The parameter this leaf updates. */
  get param(): Tensor { return this.#param; }
  /** The rule's state for the parameter (momenta, step counts); undefined before the first update. */
  get state(): unknown { return this.#states.get(this.#param); }
  /** @internal The map the state lives in (the setup state's `state`). */
  static states(l: Leaf): Map<Tensor, unknown> { return l.#states; }
}

/**
 * The part of a setup state that mirrors a model of type `T`: a Leaf per tensor, arrays and
 * fields as in the model, null where nothing is trainable.
 * @example const st: OptimiserState & StateTree<typeof m> = setup(Adam(), m);
 *          freeze(st.layers[0]);
 */
export type StateTree<T, R extends Rule = Rule> =
  T extends Tensor ? Leaf<R>
  : T extends number | string | boolean | bigint | symbol | null | undefined ? null
  : T extends readonly unknown[] ? { -readonly [K in keyof T]: StateTree<T[K], R> }
  : T extends ReadonlyMap<infer K, infer V> ? Map<K, StateTree<V, R>>
  : T extends (...a: any[]) => any ? ([ModelKeys<T>] extends [never] ? null : { readonly [K in ModelKeys<T>]: StateTree<T[K], R> })
  : T extends object ? { readonly [K in ModelKeys<T>]: StateTree<T[K], R> }
  : null;

/**
 * What `setup(rule, model)` returns: an OptimiserState whose fields mirror the model's.
 * @example const st: SetupState<Adam, typeof m> = setup(Adam(), m);
 *          st.layers[1].bias.frozen
 */
export type SetupState<R extends Rule, M> = OptimiserState<R> & (
  M extends Params | Tensor ? unknown
  : M extends readonly unknown[] ? { readonly [i: number]: StateTree<M[number], R> }
  : StateTree<M, R>);

interface Inner { rule: Rule; params: Params; state: Map<Tensor, unknown>; tree: unknown; leaves: Map<Tensor, Leaf> }
const inner = new WeakMap<object, Inner>();
/** Names the setup state keeps for itself; a model field of that name cannot be mirrored. */
const RESERVED = new Set(['rule', 'params', 'state']);

/**
 * The explicit-style state: `const st = setup(Adam(), model); update(st, model, grads)`. Its
 * fields mirror the model's (`st.layers[0].weight` is a Leaf); `st.rule` is the rule it was set
 * up with (setting it sets every leaf's), `st.params` the parameters, `st.state` their optimiser
 * state by parameter.
 * @example const st = setup(Adam(), m);
 *          st.rule; st.params.length; freeze(st.layers[0])
 */
export class OptimiserState<R extends Rule = Rule> {
  /**
   * `model` is the structure to mirror (default: the parameters, by index); every parameter in
   * `params` gets a Leaf either way.
   */
  constructor(rule: R, params: Params, state = new Map<Tensor, unknown>(), model?: unknown) {
    if (!isRule(rule)) throw new TypeError(`OptimiserState: rule must be an optimiser rule such as Adam(), got ${describe(rule)}`);
    if (!(params instanceof Params)) throw new TypeError(`OptimiserState: params must be a Params (from params(model)), got ${describe(params)}`);
    if (!(state instanceof Map)) throw new TypeError(`OptimiserState: state must be a Map, got ${describe(state)}`);
    const leaves = new Map<Tensor, Leaf>();
    const leafOf = (t: Tensor): Leaf => {
      let l = leaves.get(t);
      if (!l) leaves.set(t, (l = new Leaf(rule, t, state)));
      return l;
    };
    for (const p of params) leafOf(p);
    const m = mapModel(model === undefined || model instanceof Params ? params.order : model, leafOf);
    const tree = m === EMPTY ? null : m;
    if (isPlain(tree)) {
      for (const k of Object.keys(tree)) {
        if (!RESERVED.has(k)) Object.defineProperty(this, k, { value: tree[k], enumerable: true });
        else if (tree[k] !== null) {
          throw new TypeError(`setup: the model's field ${k} holds parameters, but a setup state keeps its own ${k}; ` +
            'rename the field, or set up a model that holds it: setup(rule, { model })');
        }
      }
    } else if (Array.isArray(tree)) {
      tree.forEach((v, i) => Object.defineProperty(this, i, { value: v, enumerable: true }));
    }
    inner.set(this, { rule, params, state, tree, leaves });
  }
  /** The rule it was set up with (or last adjusted to as a whole); setting it sets every leaf's. */
  get rule(): R { return inner.get(this)!.rule as R; }
  set rule(r: R) {
    if (!isRule(r)) throw new TypeError(`OptimiserState: rule must be an optimiser rule such as Adam(), got ${describe(r)}`);
    const s = inner.get(this)!;
    s.rule = r;
    for (const l of s.leaves.values()) l.rule = r;
  }
  /** The parameters, in params(model) order. */
  get params(): Params { return inner.get(this)!.params; }
  /** The optimiser state of each parameter (created at its first update). */
  get state(): Map<Tensor, unknown> { return inner.get(this)!.state; }
}

/** @internal The Leaf of `p` in a setup state (undefined for a parameter it was not set up with). */
export const leafOf = (st: OptimiserState, p: Tensor): Leaf | undefined => inner.get(st)!.leaves.get(p);
/** @internal Sets the state's own rule without touching its leaves (adjust sets those one by one). */
export const setRootRule = (st: OptimiserState, r: Rule): void => { inner.get(st)!.rule = r; };

/** A mirror node (a part of a setup state): a Leaf, or an array, Map or plain object holding them. */
export const isStatePart = (x: unknown): boolean =>
  x instanceof Leaf || ((Array.isArray(x) || x instanceof Map || isPlain(x)) && hasLeaf(x, new Set()));
function hasLeaf(x: unknown, seen: Set<unknown>): boolean {
  if (x instanceof Leaf) return true;
  if (x === null || typeof x !== 'object' || seen.has(x)) return false;
  seen.add(x);
  const vs = Array.isArray(x) ? x : x instanceof Map ? [...x.values()] : isPlain(x) ? Object.values(x) : [];
  return vs.some((v) => hasLeaf(v, seen));
}

/**
 * The Leafs of a setup state or a part of it (`state.layers[0]`); null (a part of the model
 * without parameters) has none. Anything else is an error naming `fn` and what was given
 * instead: a rule, a model, a layer.
 */
export function leavesOf(tree: unknown, fn: string): Leaf[] {
  if (tree instanceof OptimiserState) return [...inner.get(tree)!.leaves.values()];
  if (tree === null) return [];
  const bad = (what: string): never => {
    throw new TypeError(`${fn}: expected the state from setup(rule, model) or a part of it such as state.layers[0], got ${what}`);
  };
  if (isRule(tree)) bad(`the rule ${ruleName(tree)}; make the state once, before the loop: const state = setup(rule, model)`);
  const out = new Set<Leaf>();
  const seen = new Set<unknown>();
  const go = (x: unknown, path: string): void => {
    if (x instanceof Leaf) { out.add(x); return; }
    if (x === null || seen.has(x)) return;
    if (x instanceof Tensor) bad(`a model (it holds a tensor${path ? ` at ${path}` : ''}); pass the state from setup(rule, model), or the matching part of it`);
    if (typeof x === 'function') bad(`a layer or function${path ? ` at ${path}` : ''}; pass the matching part of the state from setup(rule, model), such as state.layers[0]`);
    if (typeof x !== 'object') bad(path ? `${show(x)} at ${path}` : show(x));
    seen.add(x);
    if (x instanceof OptimiserState) { for (const l of inner.get(x)!.leaves.values()) out.add(l); }
    else if (Array.isArray(x)) x.forEach((v, i) => go(v, joinPath(path, i)));
    else if (x instanceof Map) { for (const v of x.values()) go(v, path); }
    else if (isPlain(x)) { for (const k of Object.keys(x)) go(x[k], joinPath(path, k)); }
    else bad(path ? `${show(x)} at ${path}` : show(x));
  };
  go(tree, '');
  if (!out.size) bad(`${show(tree)}, which holds no optimiser state`);
  return [...out];
}

/**
 * Stops updates of the parameters in a setup state or a part of it (Optimisers.freeze!): `update`
 * skips them and keeps their optimiser state as it is, until `thaw`. Returns `tree`.
 * @example const st = setup(Adam(), m);
 *          freeze(st.layers[0]);          // train only the later layers
 *          update(st, m, gradient((m) => loss(m, x, y), m)[0]);
 */
export function freeze<T>(tree: T): T {
  for (const l of leavesOf(tree, 'freeze')) l.frozen = true;
  return tree;
}

/**
 * Undoes `freeze` on a setup state or a part of it (Optimisers.thaw!). Returns `tree`.
 * @example thaw(st);                      // every parameter is updated again
 */
export function thaw<T>(tree: T): T {
  for (const l of leavesOf(tree, 'thaw')) l.frozen = false;
  return tree;
}

/** One parameter's update: the model's tensor, its gradients (summed when they differ), its Leaf. */
export interface TreeJob { leaf: Leaf; x: Tensor; gs: Tensor[] }

const holdsTensor = (x: unknown, seen = new Set<unknown>()): boolean => {
  if (x instanceof Tensor) return true;
  if (x === null || typeof x !== 'object' || seen.has(x)) return false;
  seen.add(x);
  const vs = Array.isArray(x) ? x : x instanceof Map ? [...x.values()] : Object.values(x);
  return vs.some((v) => holdsTensor(v, seen));
};

/**
 * Walks a state tree `s`, a gradient `g` shaped like the model and (when `hasX`) the model `x`
 * together, collecting one job per Leaf reached by a gradient. Checks everything, changes nothing.
 * A null or undefined gradient (Zygote's `nothing`) skips that part.
 */
export function gatherTree(s: unknown, g: unknown, x: unknown, hasX: boolean, fn: string, jobs: Map<Leaf, TreeJob>, path = ''): void {
  if (g === null || g === undefined) return;
  const at = path ? ` at ${path}` : '';
  if (s instanceof OptimiserState) s = inner.get(s)!.tree;
  if (s === null) {
    if (holdsTensor(g)) throw new TypeError(`${fn}: the gradient${at} holds tensors, but the model has no trainable parameters there`);
    return;
  }
  if (s instanceof Leaf) {
    const p = s.param;
    if (hasX && x !== p) {
      throw new TypeError(x instanceof Tensor
        ? `${fn}: the model's ${path || 'tensor'} is not the tensor this state was set up with; make the state from this model: setup(rule, model)`
        : `${fn}: the model has ${show(x)}${at}, where the state has a parameter of shape [${p.shape}]`);
    }
    if (!(g instanceof Tensor)) throw new TypeError(`${fn}: the gradient${at} must be a tensor of shape [${p.shape}] (or null), got ${show(g)}`);
    if (g.disposed) throw new TypeError(`${fn}: the gradient${at} is a disposed tensor`);
    if (!sameShape(g.shape, p.shape)) throw new RangeError(`${fn}: the gradient${at} has shape [${g.shape}], the parameter has shape [${p.shape}]`);
    const job = jobs.get(s);
    if (!job) jobs.set(s, { leaf: s, x: p, gs: [g] });
    else if (!job.gs.includes(g)) job.gs.push(g);         // tied weights: each path's part, summed
    return;
  }
  const modelHas = (what: string) => {
    if (hasX && (x === null || (typeof x !== 'object' && typeof x !== 'function') || x instanceof Tensor))
      throw new TypeError(`${fn}: the model has ${show(x)}${at}, where the state has ${what}`);
  };
  if (Array.isArray(s)) {
    modelHas(`an array of ${s.length}`);
    if (!Array.isArray(g) || g.length !== s.length)
      throw new TypeError(`${fn}: the gradient${at} must be an array of ${s.length} (like the model), got ${show(g)}`);
    for (let i = 0; i < s.length; i++) gatherTree(s[i], g[i], hasX ? (x as unknown[])[i] : undefined, hasX, fn, jobs, joinPath(path, i));
    return;
  }
  if (s instanceof Map) {
    modelHas('a Map');
    if (!(g instanceof Map)) throw new TypeError(`${fn}: the gradient${at} must be a Map (like the model), got ${show(g)}`);
    for (const [k, v] of s) gatherTree(v, g.get(k), hasX ? (x as Map<unknown, unknown>).get(k) : undefined, hasX, fn, jobs, `${path}.get(${show(k)})`);
    return;
  }
  const fields = Object.keys(s as object);
  modelHas(`a layer with fields ${fields.join(', ')}`);
  if (typeof g !== 'object' || g instanceof Tensor || Array.isArray(g) || g instanceof Map)
    throw new TypeError(`${fn}: the gradient${at} must be an object with the fields ${fields.join(', ')} (like the model), got ${show(g)}`);
  for (const k of Object.keys(g)) {
    if (!Object.hasOwn(s as object, k) && (g as Record<string, unknown>)[k] != null)
      throw new TypeError(`${fn}: the gradient has a field ${joinPath(path, k)} that the model does not have (the model's fields${at}: ${fields.join(', ')})`);
  }
  for (const k of fields) {
    if ((s as Record<string, unknown>)[k] !== null && !(k in (g as object))) {
      throw new TypeError(`${fn}: the gradient${at} has no field ${k}, where the model has parameters ` +
        `(give null for no gradient; the gradient's fields: ${Object.keys(g).join(', ') || 'none'})`);
    }
    gatherTree((s as Record<string, unknown>)[k], (g as Record<string, unknown>)[k],
      hasX ? (x as Record<string, unknown>)[k] : undefined, hasX, fn, jobs, joinPath(path, k));
  }
}
