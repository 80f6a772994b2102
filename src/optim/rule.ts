// Optimiser rules (Optimisers.jl's shape), and the three ways to drive them: implicit
// `update(rule, ps, grads)`, explicit `setup(rule, model)` + `update(state, model, grads)` (grads
// shaped like the model, from `gradient((m) => ..., model)`, or a Grads), and the seed-era bound
// optimiser `SGD(params(m), 0.1)`. Per-parameter state is keyed by tensor identity; the setup
// state's tree of Leafs (per-parameter rule and frozen flag) is in state.ts.
//
// CONTRACT used by `train` (src/train/):
//   - `isBound(opt)` is true exactly for bound optimisers (the result of any rule constructor
//     called with a `Params` first: `SGD(params(m), 0.1)`, `Adam(params(m))`).
//   - For every step, train calls `update(opt, ps, grads)`: `opt` is a rule, a bound optimiser or
//     a `setup` state; `ps` is a Params (for a bound optimiser, `opt.params`), `grads` a `Grads`.
//     `update(bound, bound.params, grads)` is the same as `bound.step(grads)`.
//   - update mutates the parameters in place (`x ← x − Δ`), skips parameters without a gradient,
//     throws before touching anything else if a gradient's shape differs from its parameter's,
//     and allocates nothing that outlives the call except optimiser state on first use.
//   - For a setup state, a frozen parameter (`freeze`) is skipped and each parameter is updated
//     with its own Leaf's rule (`adjust` on a part of the state changes only that part's).
//   - A bound optimiser `opt` is a function: `opt()` applies the gradients it was last given
//     (`opt.grads`, set by `opt.step(gs)`, by `update(opt, ps, gs)` or directly); it has
//     `opt.params`, `opt.rule` (replaced by `adjust`), `opt.state` and `opt.step(grads)`
//     (= remember grads, then apply them). Calling `opt()` twice applies the gradients twice.
// Cost: one pass over each parameter for the fused rules (Descent, Momentum, Adam, AdamW), a few
// tensor ops per parameter for the others; temporaries are freed after each parameter.

import { Tensor, scope, describe, sameShape } from '../tensor.js';
import { Params, Grads, noGrad, toParams } from '../autograd.js';
import { add } from '../ops/binary.js';
import { descentStep } from '../ops/optim.js';
import { isPlain as isPlainObject } from '../check.js';
import {
  OptimiserState, Leaf, isRule, ruleName, leafOf, setRootRule, leavesOf, isStatePart, gatherTree,
  type SetupState, type TreeJob,
} from './state.js';

export { OptimiserState, isRule };

/**
 * An optimisation rule: `init` makes the state for one parameter, `apply` returns the new state
 * and the step Δ (null = no update this step), and the caller does `x ← x − Δ`.
 * @example const Sign: Rule<null> = { init: () => null, apply: (s, x, dx) => [s, mul(sign(dx), 0.01)] };
 *          const st = setup(Sign, m);   // a custom rule, usable everywhere a built-in one is
 */
export interface Rule<S = any> {
  init(x: Tensor): S;
  apply(state: S, x: Tensor, dx: Tensor): [S, Tensor | null];
  /** Optional fused form: does `x ← x − Δ` in place in one pass and returns the new state. */
  step?(state: S, x: Tensor, dx: Tensor): S;
  /** Optional: the rule with hyper-parameters changed (for rules holding other rules). */
  adjust?(changes: Record<string, unknown>): Rule;
}

/**
 * Gradients per parameter: a `Grads`, a Map, or an array in the order of the parameters.
 * @example update(setup(Descent(0.1), [w]), [w], [dw])   // an array in parameter order
 *          update(opt, ps, new Map([[w, dw]]))
 */
export type GradsLike = Grads | ReadonlyMap<Tensor, Tensor | null | undefined> | readonly (Tensor | null | undefined)[];

/**
 * A rule bound to parameters (seed form): `const opt = SGD(params(m), 0.1); opt.step(gs)`.
 * @example const opt = SGD(params(m), 0.1);
 *          opt.step(gradient(() => loss(x, y), opt.params));
 */
export interface BoundOptimiser<R extends Rule = Rule> {
  /** Applies the gradients last given (`opt.grads`). */
  (): void;
  readonly params: Params;
  rule: R;
  readonly state: Map<Tensor, unknown>;
  grads: GradsLike | null;
  /** Remembers `grads` and applies them: the same as `update(opt, opt.params, grads)`. */
  step(grads: GradsLike): void;
}

const bounds = new WeakSet<object>();
const implicit = new WeakMap<Rule, Map<Tensor, unknown>>();

/**
 * True for a bound optimiser (`SGD(params(m), 0.1)`).
 * @example if (isBound(opt)) update(opt, opt.params, gs);
 */
export const isBound = (x: unknown): x is BoundOptimiser =>
  typeof x === 'function' && bounds.has(x);

/** Binds `rule` to `ps` (what `Adam(params(m))` returns). */
export function bind<R extends Rule>(rule: R, ps: Params): BoundOptimiser<R> {
  const name = `${ruleName(rule)}(params)`;
  const opt = function bound() {
    if (!opt.grads) throw new Error(`${name}(): no gradients to apply; call opt.step(grads), or set opt.grads = grads first`);
    run(opt.rule, opt.state, opt.params, opt.grads, `${name}()`);
  } as BoundOptimiser<R>;
  Object.defineProperties(opt, {
    params: { value: ps, enumerable: true },
    state: { value: new Map<Tensor, unknown>(), enumerable: true },
    name: { value: name },
  });
  opt.rule = rule;
  opt.grads = null;
  opt.step = (grads: GradsLike) => { opt.grads = grads; run(opt.rule, opt.state, opt.params, grads, `${name}.step`); };
  bounds.add(opt);
  return opt;
}

/**
 * Sets up the explicit style (Optimisers.setup): a state shaped like the model, with one Leaf per
 * trainable tensor (`state.layers[0].weight`) holding the rule, a frozen flag and the optimiser
 * state (made at the parameter's first update).
 * @example const st = setup(Adam(1e-3), model);
 *          update(st, model, gradient((m) => loss(m(x), y), model)[0]);
 */
export function setup<R extends Rule, M>(rule: R, model: M): SetupState<R, M> {
  if (!isRule(rule)) {
    throw new TypeError(`setup: rule must be an optimiser rule such as Adam(), got ${describe(rule)}` +
      ((rule as unknown) instanceof OptimiserState ? ' (this is already a setup state: pass it to update or train as it is)' : ''));
  }
  return new OptimiserState(rule, resolve(model, 'setup', 'model'), new Map(), model) as SetupState<R, M>;
}

/**
 * Gradients shaped like the model, as `gradient((m) => loss(m), model)` returns them: a tensor
 * (or null) per parameter, arrays and fields as in the model, null where nothing is trainable.
 * @example const g: GradTree = gradient((m) => mse(m(x), y), model)[0];
 *          update(state, model, g);
 */
export type GradTree = Tensor | null | undefined | readonly GradTree[] | ReadonlyMap<unknown, GradTree> | { readonly [k: string]: GradTree };

/**
 * One optimiser step (Optimisers.update!): `x ← x − Δ` for every parameter with a gradient, in
 * place. Forms:
 * - explicit: `update(state, model, grads)` with `state = setup(rule, model)` and `grads` shaped
 *   like the model (`gradient((m) => loss(m), model)[0]`), or a Grads; also on a part of the
 *   state: `update(state.layers[0], model.layers[0], grads.layers[0])`. Frozen parameters are
 *   skipped; a gradient that does not match the model is an error naming its path.
 * - implicit: `update(rule, ps, grads)` with `grads` a Grads, a Map or an array in parameter
 *   order (the state is kept per rule object), or a bound optimiser `update(opt, opt.params, gs)`.
 * Everything is checked before the first parameter changes. Returns `opt`.
 * @example const st = setup(Descent(0.1), model);
 *          const g = gradient((m) => mse(m(x), y), model)[0];
 *          update(st, model, g);
 * @example const opt = Descent(0.1), ps = params(m);
 *          update(opt, ps, gradient(() => mse(m(x), y), ps));
 */
export function update<T extends Rule | BoundOptimiser | OptimiserState>(opt: T, ps: unknown, grads: GradsLike | GradTree): T;
export function update<T extends object>(opt: T, model: unknown, grads: GradTree): T;
export function update(opt: unknown, ps: unknown, grads: unknown): unknown {
  const state = opt instanceof OptimiserState;
  if (!state && !isBound(opt) && !isRule(opt) && !isStatePart(opt)) {
    throw new TypeError('update: opt must be a rule such as Descent(0.1), a bound optimiser, or the state from setup(rule, model) ' +
      `(or a part of it such as state.layers[0]), got ${describe(opt)}`);
  }
  const form = gradsForm(opt, ps, grads);
  if (form === 'tree') {
    if (isRule(opt) || isBound(opt)) {
      const what = isRule(opt) ? `the rule ${ruleName(opt)}` : 'a bound optimiser';
      throw new TypeError(`update: gradients shaped like the model need the state from setup: ` +
        `make it once, before the loop, with const state = setup(rule, model), then call update(state, model, grads); got ${what}`);
    }
    const jobs = new Map<Leaf, TreeJob>();
    gatherTree(opt, grads, ps, ps != null && !(ps instanceof Params), 'update', jobs);
    const todo: Step[] = [];
    for (const j of jobs.values()) if (!j.leaf.frozen) todo.push([j.x, j.gs, j.leaf.rule, Leaf.states(j.leaf)]);
    steps(todo);
  } else if (isBound(opt)) { run(opt.rule, opt.state, resolve(ps ?? opt.params, 'update', 'ps'), grads as GradsLike, 'update'); opt.grads = grads as GradsLike; }
  else if (state) run(opt.rule, opt.state, resolve(ps ?? opt.params, 'update', 'model'), grads as GradsLike, 'update', opt);
  else if (isRule(opt)) {
    let st = implicit.get(opt);
    if (!st) implicit.set(opt, (st = new Map()));
    run(opt, st, resolve(ps, 'update', 'ps'), grads as GradsLike, 'update');
  } else {
    throw new TypeError('update: a part of a setup state takes gradients shaped like the same part of the model: ' +
      `update(state.layers[0], model.layers[0], grads.layers[0]), got ${describe(grads)}`);
  }
  return opt;
}

/**
 * Whether `grads` is the implicit form (a Grads, a Map, or an array of tensors in parameter order)
 * or shaped like the model. An array of tensors is both for a model that is an array of tensors,
 * where the two agree; it is read as the model's shape only when the state mirrors an array of
 * that length.
 */
function gradsForm(opt: unknown, ps: unknown, grads: unknown): 'flat' | 'tree' {
  if (grads instanceof Grads || grads instanceof Map) return 'flat';
  if (Array.isArray(grads)) {
    const flat = grads.every((g) => g == null || g instanceof Tensor);
    if (!flat) return 'tree';
    if (opt instanceof OptimiserState) return Array.isArray(ps) && ps.length === grads.length && Object.hasOwn(opt, 0) ? 'tree' : 'flat';
    return isStatePart(opt) ? 'tree' : 'flat';
  }
  if (grads instanceof Tensor || isPlainObject(grads)) return 'tree';
  throw new TypeError('update: grads must be a Grads (from gradient), a Map or an array of tensors, or gradients shaped like ' +
    `the model (from gradient((m) => loss(m), model)), got ${describe(grads)}`);
}

/**
 * Changes hyper-parameters, keeping momenta; unknown keys are ignored (Optimisers.adjust!). A rule
 * gives a copy (which continues from the rule's implicit state); a bound optimiser, a setup state
 * or a part of one (`state.layers[0]`) is changed in place, from the next update on.
 * @example opt = adjust(opt, { eta: 1e-4 });   // or adjust(opt, 1e-4)
 *          adjust(state, { beta: [0.8, 0.99] });
 *          adjust(state.layers[0], 1e-4);        // only the first layer's parameters
 */
export function adjust<T extends Rule | BoundOptimiser | OptimiserState | object>(opt: T, changes: number | Record<string, unknown>): T {
  const ch = typeof changes === 'number' ? { eta: changes } : changes;
  if (!isPlainObject(ch))
    throw new TypeError(`adjust: changes must be a number (eta) or an object such as { eta: 0.01 }, got ${describe(changes)}`);
  if (typeof changes === 'number' && !(changes >= 0 && changes < Infinity))
    throw new RangeError(`adjust: eta must be a finite number ≥ 0, got ${changes}`);
  if (isBound(opt)) { opt.rule = adjusted(opt.rule, ch); return opt; }
  if (isRule(opt)) {
    const out = adjusted(opt, ch);
    const st = implicit.get(opt);
    if (st) implicit.set(out, new Map(st));
    return out as T;
  }
  if (!(opt instanceof OptimiserState) && !isStatePart(opt)) {
    throw new TypeError('adjust: expected a rule, a bound optimiser, or the state from setup(rule, model) or a part of it ' +
      `such as state.layers[0], got ${describe(opt)}`);
  }
  // Leaves sharing a rule share its adjusted copy; every copy is made (and validated) first.
  const leaves = leavesOf(opt, 'adjust'), copies = new Map<Rule, Rule>();
  const copy = (r: Rule) => { let c = copies.get(r); if (!c) copies.set(r, (c = adjusted(r, ch))); return c; };
  const root = opt instanceof OptimiserState ? copy(opt.rule) : null;
  const next = leaves.map((l) => copy(l.rule));
  if (root) setRootRule(opt as OptimiserState, root);
  leaves.forEach((l, i) => { l.rule = next[i]; });
  return opt;
}

/** adjustRule, with the rule constructor's refusal of a value prefixed by `adjust: `. */
function adjusted<R extends Rule>(rule: R, ch: Record<string, unknown>): R {
  try { return adjustRule(rule, ch); } catch (e) {
    if (!(e instanceof Error) || e.message.startsWith('adjust')) throw e;
    const E = e instanceof RangeError ? RangeError : TypeError;
    throw new E(`adjust: ${e.message}`);
  }
}

/** A copy of `rule` with the known hyper-parameters in `ch` replaced (and validated again). */
export function adjustRule<R extends Rule>(rule: R, ch: Record<string, unknown>): R {
  if (rule.adjust) return rule.adjust(ch) as R;
  const o: Record<string, unknown> = {};
  for (const k of Object.keys(rule)) o[k] = k in ch ? ch[k] : (rule as Record<string, unknown>)[k];
  return new (rule.constructor as new (o: Record<string, unknown>) => R)(o);
}

function resolve(ps: unknown, fn: string, arg: string): Params {
  if (ps instanceof Params) return ps;
  try { return toParams(ps); } catch {
    throw new TypeError(`${fn}: ${arg} must be params(model), a model or an array of tensors, got ${describe(ps)}`);
  }
}

function lookup(grads: GradsLike, p: Tensor, i: number): Tensor | null | undefined {
  if (grads instanceof Grads || grads instanceof Map) return grads.get(p);
  return (grads as readonly (Tensor | null | undefined)[])[i];
}

/** One parameter's update: the parameter, its gradients (summed), the rule and the state map. */
type Step = [x: Tensor, gs: Tensor[], rule: Rule, states: Map<Tensor, unknown>];

/**
 * The update loop of the flat forms (Grads, Map, array). Checks all shapes first so a bad call
 * changes nothing. For a setup state `st`, each parameter uses its Leaf's rule and is skipped when
 * frozen; a parameter it was not set up with uses `rule`.
 */
function run(rule: Rule, states: Map<Tensor, unknown>, ps: Params, grads: GradsLike, fn: string, st?: OptimiserState): void {
  if (!(grads instanceof Grads || grads instanceof Map || Array.isArray(grads)))
    throw new TypeError(`${fn}: grads must be a Grads (from gradient), a Map or an array of tensors, got ${describe(grads)}`);
  const todo: Step[] = [];
  let i = 0;
  for (const p of ps) {
    const g = lookup(grads, p, i++);
    if (g == null) continue;
    if (!(g instanceof Tensor)) throw new TypeError(`${fn}: gradient for a parameter of shape [${p.shape}] must be a tensor, got ${describe(g)}`);
    if (!sameShape(g.shape, p.shape))
      throw new RangeError(`${fn}: gradient for a parameter of shape [${p.shape}] has shape [${g.shape}]`);
    const leaf = st && leafOf(st, p);
    if (leaf?.frozen) continue;
    todo.push([p, [g], leaf ? leaf.rule : rule, states]);
  }
  steps(todo);
}

/** Applies the steps: `x ← x − Δ` with each rule's fused `step` where it has one. */
function steps(todo: Step[]): void {
  noGrad(() => {
    for (const [p, gs, rule, states] of todo) {
      let s = states.has(p) ? states.get(p) : rule.init(p);
      states.set(p, s);
      scope(() => {
        let g = gs[0];
        for (let k = 1; k < gs.length; k++) g = add(g, gs[k]);
        if (rule.step) s = rule.step(s, p, g);
        else {
          const [s2, d] = rule.apply(s, p, g);
          s = s2;
          if (d) descentStep(p, d, 1);
        }
      });
      states.set(p, s);
    }
  });
}

// ---- Constructors: callable with or without `new`, positional or with an options object, and
// with a Params first for the seed form.

type Positional<O, K extends readonly (keyof O)[]> = { -readonly [I in keyof K]?: O[K[I] & keyof O] };

/**
 * What `Adam`, `Descent`, ... are: `Adam()`, `Adam(1e-3, [0.9, 0.999])`, `Adam({ eta })`, `Adam(params(m))`.
 * @example Adam(); Adam(1e-3, [0.9, 0.999]); Adam({ eta: 1e-3 }); new Adam(); Adam(params(m), 1e-3)
 */
export interface RuleCtor<O, K extends readonly (keyof O)[], R extends Rule> {
  (ps: Params, opts: Partial<O>): BoundOptimiser<R>;
  (ps: Params, ...args: Positional<O, K>): BoundOptimiser<R>;
  (opts: Partial<O>): R;
  (...args: Positional<O, K>): R;
  new (opts: Partial<O>): R;
  new (...args: Positional<O, K>): R;
  readonly prototype: R;
}

const plain = isPlainObject;

/** Makes the public constructor of a rule class whose constructor takes an options object. */
export function ruleCtor<O, const K extends readonly (keyof O & string)[], R extends Rule>(
  cls: new (o: Partial<O>) => R, name: string, keys: K,
): RuleCtor<O, K, R> {
  Object.defineProperty(cls, 'name', { value: name });
  const make = (args: unknown[]): R => {
    const o: Record<string, unknown> = {};
    if (args.length && plain(args[args.length - 1])) {
      const opts = args.pop() as Record<string, unknown>;
      for (const k of Object.keys(opts)) {
        if (!keys.includes(k as K[number]))
          throw new TypeError(`${name}: unknown option ${k} (options: ${keys.join(', ') || 'none'})`);
        if (opts[k] === null) throw new TypeError(`${name}: ${k} must not be null (leave it out for the default)`);
        o[k] = opts[k];
      }
    }
    if (args.length > keys.length)
      throw new TypeError(`${name}: expected at most ${keys.length} arguments (${keys.join(', ')}), got ${args.length}`);
    args.forEach((v, i) => {
      if (v === null) throw new TypeError(`${name}: ${keys[i]} must not be null (pass undefined for the default)`);
      if (v !== undefined) o[keys[i]] = v;
    });
    return new cls(o as Partial<O>);
  };
  const f = function (...args: unknown[]) {
    if (args[0] instanceof Params) return bind(make(args.slice(1)), args[0]);
    return make(args);
  };
  f.prototype = cls.prototype;
  Object.defineProperty(f, 'name', { value: name });
  return f as unknown as RuleCtor<O, K, R>;
}
