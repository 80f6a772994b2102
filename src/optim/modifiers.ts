// Rules that transform the gradient rather than step on their own: WeightDecay, SignDecay,
// ClipGrad, ClipNorm (per array), AccumGrad, and OptimiserChain, which feeds each rule's output
// into the next. A chain whose last rule has a fused `step` hands it the transformed gradient.

import type { Tensor } from '../tensor.js';
import { describe } from '../tensor.js';
import { add, mul, pow } from '../ops/binary.js';
import { sqrt, sign, abs, clamp, reciprocal } from '../ops/unary.js';
import { sum, sumsq, max } from '../ops/reduce.js';
import { descentStep } from '../ops/optim.js';
import { ruleCtor, isRule, adjustRule, bind, type Rule, type BoundOptimiser } from './rule.js';
import { Params } from '../autograd.js';
import { nonneg, int, bool, fullLike } from './check.js';

class WeightDecayRule implements Rule<null> {
  readonly lambda: number;
  constructor({ lambda = 5e-4 }: { lambda?: number } = {}) { this.lambda = nonneg('WeightDecay', 'lambda', lambda); }
  init() { return null; }
  apply(s: null, x: Tensor, g: Tensor): [null, Tensor] { return [s, add(g, mul(x, this.lambda))]; }   // g + λx
}
/**
 * L2 regularisation as a gradient transform: g ← g + λx. Put it first in a chain. Krogh & Hertz (1991), NIPS 4.
 * @example const opt = OptimiserChain(WeightDecay(1e-4), Adam());
 *          update(opt, ps, gs);
 */
export const WeightDecay = ruleCtor(WeightDecayRule, 'WeightDecay', ['lambda']);

class SignDecayRule implements Rule<null> {
  readonly lambda: number;
  constructor({ lambda = 1e-3 }: { lambda?: number } = {}) { this.lambda = nonneg('SignDecay', 'lambda', lambda); }
  init() { return null; }
  apply(s: null, x: Tensor, g: Tensor): [null, Tensor] { return [s, add(g, mul(sign(x), this.lambda))]; } // g + λ·sign(x)
}
/**
 * L1 regularisation as a gradient transform: g ← g + λ·sign(x). Tibshirani (1996), doi:10.1111/j.2517-6161.1996.tb02080.x.
 * @example const opt = OptimiserChain(SignDecay(1e-3), Descent(0.1));
 *          update(opt, ps, gs);
 */
export const SignDecay = ruleCtor(SignDecayRule, 'SignDecay', ['lambda']);

class ClipGradRule implements Rule<null> {
  readonly delta: number;
  constructor({ delta = 10.0 }: { delta?: number } = {}) { this.delta = nonneg('ClipGrad', 'delta', delta, true); }
  init() { return null; }
  apply(s: null, _x: Tensor, g: Tensor): [null, Tensor] { return [s, clamp(g, -this.delta, this.delta)]; }
}
/**
 * Clamps every gradient element to [−δ, δ]. Mikolov (2012), PhD thesis, Brno University of Technology.
 * @example const opt = OptimiserChain(ClipGrad(1), Adam());
 *          update(opt, ps, gs);
 */
export const ClipGrad = ruleCtor(ClipGradRule, 'ClipGrad', ['delta']);

class ClipNormRule implements Rule<null> {
  readonly omega: number; readonly p: number; readonly throw: boolean;
  constructor({ omega = 10, p = 2, throw: th = true }: { omega?: number; p?: number; throw?: boolean } = {}) {
    this.omega = nonneg('ClipNorm', 'omega', omega, true);
    if (typeof p !== 'number' || !(p > 0)) throw new RangeError(`ClipNorm: p must be > 0 (or Infinity), got ${describe(p)}`);
    this.p = p; this.throw = bool('ClipNorm', 'throw', th);
  }
  init() { return null; }
  apply(s: null, x: Tensor, g: Tensor): [null, Tensor] {
    const { p, omega } = this;
    const n = p === 2 ? sqrt(sumsq(g)) : p === Infinity ? max(abs(g)) : p === 1 ? sum(abs(g)) : pow(sum(pow(abs(g), p)), 1 / p);
    const host = n.backend.readSync(n.buf, 1);
    if (!host) return [s, mul(g, clamp(mul(reciprocal(n), omega), -Infinity, 1))];       // GPU: no sync read, no check
    const v = host[0];
    if (this.throw && !Number.isFinite(v))
      throw new RangeError(`ClipNorm: gradient has ${p}-norm ${v}, for a parameter of shape [${x.shape}]`);
    return [s, v > omega ? mul(g, omega / v) : g];                                        // g·min(ω/‖g‖, 1)
  }
}
/**
 * Rescales each gradient array to p-norm at most ω (per array, not global); a non-finite norm throws. Pascanu et al. (2013), arXiv:1211.5063.
 * @example const opt = OptimiserChain(ClipNorm(1), Adam());
 *          const lax = ClipNorm({ omega: 1, throw: false });
 */
export const ClipNorm = ruleCtor(ClipNormRule, 'ClipNorm', ['omega', 'p', 'throw']);

type Acc = [acc: Tensor, counter: number];
class AccumGradRule implements Rule<Acc> {
  readonly n: number;
  constructor({ n = 1 }: { n?: number } = {}) { this.n = int('AccumGrad', 'n', n, 1); }
  init(x: Tensor): Acc { return [fullLike(x), 1]; }
  apply([acc, c]: Acc, _x: Tensor, g: Tensor): [Acc, Tensor | null] {
    acc.assign(c === 1 ? mul(g, 1 / this.n) : add(acc, mul(g, 1 / this.n)));           // acc ← (c == 1 ? 0 : acc) + g/n
    return c >= this.n ? [[acc, 1], acc] : [[acc, c + 1], null];                         // no update until the n-th call
  }
}
/**
 * Accumulates the mean of `n` gradients and passes it on every n-th step (no update in between).
 * Put it first in a chain. Ott et al. (2018), arXiv:1806.00187.
 * @example const opt = OptimiserChain(AccumGrad(4), Adam());
 *          update(opt, ps, gs);
 */
export const AccumGrad = ruleCtor(AccumGradRule, 'AccumGrad', ['n']);

class OptimiserChainRule implements Rule<unknown[]> {
  readonly rules: readonly Rule[];
  constructor(rules: readonly Rule[]) {
    rules.forEach((r, i) => {
      if (!isRule(r)) throw new TypeError(`OptimiserChain: argument ${i} must be a rule such as Adam(), got ${describe(r)}`);
    });
    this.rules = [...rules];
  }
  init(x: Tensor): unknown[] { return this.rules.map((r) => r.init(x)); }
  apply(s: unknown[], x: Tensor, g: Tensor): [unknown[], Tensor | null] {
    const out = [...s];
    let d: Tensor | null = g;
    for (let i = 0; i < this.rules.length && d; i++) [out[i], d] = this.rules[i].apply(out[i], x, d);
    return [out, d];                                                                      // empty chain: Δ = g
  }
  step(s: unknown[], x: Tensor, g: Tensor): unknown[] {
    const out = [...s], k = this.rules.length - 1;
    let d: Tensor | null = g;
    for (let i = 0; i < k && d; i++) [out[i], d] = this.rules[i].apply(out[i], x, d);
    if (!d) return out;
    const last = this.rules[k];
    if (!last) descentStep(x, d, 1);
    else if (last.step) out[k] = last.step(out[k], x, d);
    else { let e: Tensor | null; [out[k], e] = last.apply(out[k], x, d); if (e) descentStep(x, e, 1); }
    return out;
  }
  adjust(ch: Record<string, unknown>): Rule { return new OptimiserChainRule(this.rules.map((r) => adjustRule(r, ch))); }
}
Object.defineProperty(OptimiserChainRule, 'name', { value: 'OptimiserChain' });
/**
 * Composes rules: each rule's output is the next one's gradient; empty = Descent(1).
 * @example const opt = OptimiserChain(ClipGrad(1), WeightDecay(1e-4), Adam());
 *          update(opt, ps, gs);
 */
export function OptimiserChain(...rules: Rule[]): OptimiserChainRule;
export function OptimiserChain(ps: Params, ...rules: Rule[]): BoundOptimiser<OptimiserChainRule>;
export function OptimiserChain(...args: (Rule | Params)[]): OptimiserChainRule | BoundOptimiser<OptimiserChainRule> {
  if (args[0] instanceof Params) return bind(new OptimiserChainRule(args.slice(1) as Rule[]), args[0]);
  return new OptimiserChainRule(args as Rule[]);
}
OptimiserChain.prototype = OptimiserChainRule.prototype;
export type { OptimiserChainRule };
