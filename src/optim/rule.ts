// Optimiser rules (Optimisers.jl's shape), and the three ways to drive them: implicit
// `update(rule, ps, grads)`, explicit `setup(rule, model)` + `update(state, model, grads)`, and the
// seed-era bound optimiser `SGD(params(m), 0.1)`. Per-parameter state is keyed by tensor identity.
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
//   - A bound optimiser `opt` is a function: `opt()` applies the gradients it was last given
//     (`opt.grads`, set by `opt.step(gs)`, by `update(opt, ps, gs)` or directly); it has
//     `opt.params`, `opt.rule` (replaced by `adjust`), `opt.state` and `opt.step(grads)`
//     (= remember grads, then apply them). Calling `opt()` twice applies the gradients twice.
// Cost: one pass over each parameter for the fused rules (Descent, Momentum, Adam, AdamW), a few
// tensor ops per parameter for the others; temporaries are freed after each parameter.

import { Tensor, scope, describe, sameShape } from '../tensor.js';
import { Params, Grads, noGrad, toParams } from '../autograd.js';
import { descentStep } from '../ops/optim.js';

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

/**
 * The explicit-style state: `const st = setup(Adam(), model); update(st, model, grads)`.
 * @example const st = setup(Adam(), m);
 *          st.rule; st.params.length   // the rule, and the parameters it updates
 */
export class OptimiserState<R extends Rule = Rule> {
  constructor(public rule: R, readonly params: Params, readonly state = new Map<Tensor, unknown>()) {}
}

const bounds = new WeakSet<object>();
const implicit = new WeakMap<Rule, Map<Tensor, unknown>>();

/**
 * True for a bound optimiser (`SGD(params(m), 0.1)`).
 * @example if (isBound(opt)) update(opt, opt.params, gs);
 */
export const isBound = (x: unknown): x is BoundOptimiser =>
  typeof x === 'function' && bounds.has(x);

/**
 * True for an optimiser rule (anything with `init` and `apply`): `isRule(Adam())`.
 * @example if (isRule(opt)) update(opt, ps, gs);
 */
export const isRule = (x: unknown): x is Rule =>
  !!x && typeof x === 'object' && typeof (x as Rule).init === 'function' && typeof (x as Rule).apply === 'function';

const ruleName = (r: Rule) => (r.constructor?.name && r.constructor.name !== 'Object' ? r.constructor.name : 'rule');

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
 * Sets up the explicit style: per-parameter state for `rule` over the model's parameters.
 * @example const st = setup(Adam(1e-3), model);
 *          update(st, model, gradient(() => loss(model(x), y), params(model)));
 */
export function setup<R extends Rule>(rule: R, model: unknown): OptimiserState<R> {
  if (!isRule(rule)) throw new TypeError(`setup: rule must be an optimiser rule such as Adam(), got ${describe(rule)}`);
  return new OptimiserState(rule, resolve(model, 'setup', 'model'));
}

/**
 * One optimiser step over `ps`: `x ← x − Δ` for every parameter with a gradient.
 * `opt` is a rule (state kept per rule object), a bound optimiser, or a `setup` state.
 * @example const opt = Descent(0.1), ps = params(m);
 *          update(opt, ps, gradient(() => mse(m(x), y), ps));
 */
export function update<T extends Rule | BoundOptimiser | OptimiserState>(opt: T, ps: unknown, grads: GradsLike): T {
  if (isBound(opt)) { run(opt.rule, opt.state, resolve(ps ?? opt.params, 'update', 'ps'), grads, 'update'); opt.grads = grads; }
  else if (opt instanceof OptimiserState) run(opt.rule, opt.state, resolve(ps ?? opt.params, 'update', 'model'), grads, 'update');
  else if (isRule(opt)) {
    let st = implicit.get(opt);
    if (!st) implicit.set(opt, (st = new Map()));
    run(opt, st, resolve(ps, 'update', 'ps'), grads, 'update');
  } else throw new TypeError(`update: opt must be a rule such as Descent(0.1), a bound optimiser or a setup() state, got ${describe(opt)}`);
  return opt;
}

/**
 * Changes hyper-parameters, keeping momenta; unknown keys are ignored. A rule gives a copy (which
 * continues from the rule's implicit state); a bound optimiser or setup state is changed in place.
 * @example opt = adjust(opt, { eta: 1e-4 });   // or adjust(opt, 1e-4)
 *          adjust(state, { beta: [0.8, 0.99] });
 */
export function adjust<T extends Rule | BoundOptimiser | OptimiserState>(opt: T, changes: number | Record<string, unknown>): T {
  const ch = typeof changes === 'number' ? { eta: changes } : changes;
  if (!ch || typeof ch !== 'object' || Array.isArray(ch))
    throw new TypeError(`adjust: changes must be a number (eta) or an object such as { eta: 0.01 }, got ${describe(changes)}`);
  if (isBound(opt) || opt instanceof OptimiserState) { opt.rule = adjustRule(opt.rule, ch); return opt; }
  if (!isRule(opt)) throw new TypeError(`adjust: expected a rule, a bound optimiser or a setup() state, got ${describe(opt)}`);
  const out = adjustRule(opt, ch);
  const st = implicit.get(opt);
  if (st) implicit.set(out, new Map(st));
  return out as T;
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

/** The update loop shared by every form. Checks all shapes first so a bad call changes nothing. */
function run(rule: Rule, states: Map<Tensor, unknown>, ps: Params, grads: GradsLike, fn: string): void {
  if (!(grads instanceof Grads || grads instanceof Map || Array.isArray(grads)))
    throw new TypeError(`${fn}: grads must be a Grads (from gradient), a Map or an array of tensors, got ${describe(grads)}`);
  const todo: [Tensor, Tensor][] = [];
  let i = 0;
  for (const p of ps) {
    const g = lookup(grads, p, i++);
    if (g == null) continue;
    if (!(g instanceof Tensor)) throw new TypeError(`${fn}: gradient for a parameter of shape [${p.shape}] must be a tensor, got ${describe(g)}`);
    if (!sameShape(g.shape, p.shape))
      throw new RangeError(`${fn}: gradient for a parameter of shape [${p.shape}] has shape [${g.shape}]`);
    todo.push([p, g]);
  }
  noGrad(() => {
    for (const [p, g] of todo) {
      let s = states.has(p) ? states.get(p) : rule.init(p);
      states.set(p, s);
      scope(() => {
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

const plain = (x: unknown): x is Record<string, unknown> =>
  !!x && typeof x === 'object' && (Object.getPrototypeOf(x) === Object.prototype || Object.getPrototypeOf(x) === null);

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
        o[k] = opts[k];
      }
    }
    if (args.length > keys.length)
      throw new TypeError(`${name}: expected at most ${keys.length} arguments (${keys.join(', ')}), got ${args.length}`);
    args.forEach((v, i) => { if (v !== undefined) o[keys[i]] = v; });
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
