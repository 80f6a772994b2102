// The Adam family: Adam, AdamW, RAdam, AdaMax, OAdam, AMSGrad, NAdam, AdaBelief (Optimisers.jl
// formulas, FLUX_SEMANTICS.md 2.5). State: first and second moments (kept tensors, updated in
// place) and βᵗ as numbers (β on the first step). Adam and AdamW have a fused in-place `step`.

import type { Tensor } from '../tensor.js';
import { add, sub, mul, div, maximum } from '../ops/binary.js';
import { sqrt, square, abs } from '../ops/unary.js';
import { adamStep, descentStep } from '../ops/optim.js';
import { ruleCtor, type Rule } from './rule.js';
import { nonneg, betas, bool, fullLike, type Pair } from './check.js';

/**
 * Adam's hyper-parameters (Optimisers.jl's names): η, (β₁, β₂), ϵ.
 * @example Adam({ eta: 3e-4, beta: [0.9, 0.99], epsilon: 1e-8 })
 */
export interface AdamOptions { eta?: number; beta?: Pair; epsilon?: number }
type AS = [m: Tensor, v: Tensor, b1t: number, b2t: number];

/** Shared hyper-parameters (η, β, ε) and their checks. */
abstract class AdamLike {
  readonly eta: number; readonly beta: Pair; readonly epsilon: number;
  constructor(name: string, o: AdamOptions, eta = 1e-3, beta: Pair = [0.9, 0.999], epsilon = 1e-8) {
    this.eta = nonneg(name, 'eta', o.eta ?? eta);
    this.beta = betas(name, o.beta ?? beta);
    this.epsilon = nonneg(name, 'epsilon', o.epsilon ?? epsilon);
  }
  /** m = v = 0, βᵗ = β. */
  /** @internal */ fresh(x: Tensor): AS { return [fullLike(x), fullLike(x), this.beta[0], this.beta[1]]; }
  /** m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g². */
  /** @internal */ moments(m: Tensor, v: Tensor, g: Tensor): void {
    const [b1, b2] = this.beta;
    m.assign(add(mul(m, b1), mul(g, 1 - b1)));
    v.assign(add(mul(v, b2), mul(square(g), 1 - b2)));
  }
  /** m/(1−β₁ᵗ) / (√(v/(1−β₂ᵗ)) + ε): Adam's direction for η = 1. */
  /** @internal */ direction(m: Tensor, v: Tensor, b1t: number, b2t: number): Tensor {
    return div(mul(m, 1 / (1 - b1t)), add(sqrt(mul(v, 1 / (1 - b2t))), this.epsilon));
  }
  /** @internal */ next(s: AS): AS { return [s[0], s[1], s[2] * this.beta[0], s[3] * this.beta[1]]; }
}

class AdamRule extends AdamLike implements Rule<AS> {
  constructor(o: AdamOptions = {}) { super('Adam', o); }
  init(x: Tensor): AS { return this.fresh(x); }
  apply(s: AS, _x: Tensor, g: Tensor): [AS, Tensor] {
    this.moments(s[0], s[1], g);
    return [this.next(s), mul(this.direction(s[0], s[1], s[2], s[3]), this.eta)];       // Δ = η·m̂/(√v̂ + ε)
  }
  step(s: AS, x: Tensor, g: Tensor): AS {
    const [b1, b2] = this.beta;
    adamStep(x, g, s[0], s[1], { eta: this.eta, b1, b2, eps: this.epsilon, b1t: s[2], b2t: s[3], lambda: 0 });
    return this.next(s);
  }
}
/**
 * Adam: Δ = η·m̂/(√v̂ + ε). Kingma & Ba (2014), arXiv:1412.6980.
 * @example const opt = Adam(1e-3, [0.9, 0.999]);
 *          const st = setup(Adam({ eta: 3e-4 }), model);
 */
export const Adam = ruleCtor(AdamRule, 'Adam', ['eta', 'beta', 'epsilon']);

/**
 * AdamW's hyper-parameters: Adam's, the weight decay λ, and `couple` (Optimisers.jl's: decay scaled by η).
 * @example AdamW({ eta: 1e-3, lambda: 0.01 })   // decoupled weight decay
 */
export interface AdamWOptions extends AdamOptions { lambda?: number; couple?: boolean }
class AdamWRule extends AdamLike implements Rule<AS> {
  readonly lambda: number; readonly couple: boolean;
  constructor(o: AdamWOptions = {}) {
    super('AdamW', o);
    this.lambda = nonneg('AdamW', 'lambda', o.lambda ?? 0); this.couple = bool('AdamW', 'couple', o.couple ?? true);
  }
  init(x: Tensor): AS { return this.fresh(x); }
  apply(s: AS, x: Tensor, g: Tensor): [AS, Tensor] {
    const { eta, lambda } = this;
    this.moments(s[0], s[1], g);
    const d = this.direction(s[0], s[1], s[2], s[3]);
    return [this.next(s), this.couple ? mul(add(d, mul(x, lambda)), eta)                 // Δ = η(d + λx)
      : add(mul(d, eta), mul(x, lambda))];                                                // Δ = ηd + λx
  }
  step(s: AS, x: Tensor, g: Tensor): AS {
    const [b1, b2] = this.beta, { eta, lambda, couple } = this;
    if (!couple && lambda && !eta) { const [s2, d] = this.apply(s, x, g); descentStep(x, d, 1); return s2; }
    // couple=false: ηd + λx = η(d + (λ/η)x), so the fused kernel serves both forms.
    adamStep(x, g, s[0], s[1], { eta, b1, b2, eps: this.epsilon, b1t: s[2], b2t: s[3], lambda: couple ? lambda : lambda / eta });
    return this.next(s);
  }
}
/**
 * AdamW, decoupled weight decay: Δ = η(d + λx) (couple=true, default) or ηd + λx. Loshchilov & Hutter (2017), arXiv:1711.05101.
 * @example const opt = AdamW(1e-3, [0.9, 0.999], 1e-2);
 *          const o2 = AdamW({ lambda: 1e-2, couple: false });
 */
export const AdamW = ruleCtor(AdamWRule, 'AdamW', ['eta', 'beta', 'lambda', 'epsilon', 'couple']);

type RS = [m: Tensor, v: Tensor, b1t: number, b2t: number, t: number];
class RAdamRule extends AdamLike implements Rule<RS> {
  constructor(o: AdamOptions = {}) { super('RAdam', o); }
  init(x: Tensor): RS { return [...this.fresh(x), 1]; }
  apply(s: RS, _x: Tensor, g: Tensor): [RS, Tensor] {
    const [m, v, b1t, b2t, t] = s, b2 = this.beta[1];
    const rinf = 2 / (1 - b2) - 1, rho = rinf - 2 * t * b2t / (1 - b2t);                  // ρ∞, ρₜ
    this.moments(m, v, g);
    const next: RS = [...this.next([m, v, b1t, b2t]), t + 1];
    if (rho <= 4) return [next, mul(m, this.eta / (1 - b1t))];                            // Δ = η·m/(1−β₁ᵗ)
    const r = Math.sqrt((rho - 4) * (rho - 2) * rinf / ((rinf - 4) * (rinf - 2) * rho));
    return [next, mul(this.direction(m, v, b1t, b2t), this.eta * r)];                     // Δ = η·r·m̂/(√v̂ + ε)
  }
}
/**
 * Rectified Adam: plain momentum while the variance estimate is unreliable (ρₜ ≤ 4). Liu et al. (2019), arXiv:1908.03265.
 * @example const opt = RAdam(1e-3);
 *          update(opt, ps, gs);
 */
export const RAdam = ruleCtor(RAdamRule, 'RAdam', ['eta', 'beta', 'epsilon']);

class AdaMaxRule extends AdamLike implements Rule<AS> {
  constructor(o: AdamOptions = {}) { super('AdaMax', o); }
  init(x: Tensor): AS { return this.fresh(x); }
  apply(s: AS, _x: Tensor, g: Tensor): [AS, Tensor] {
    const [m, u, b1t] = s, [b1, b2] = this.beta;
    m.assign(add(mul(m, b1), mul(g, 1 - b1)));                                           // m ← β₁m + (1−β₁)g
    u.assign(maximum(mul(u, b2), abs(g)));                                               // u ← max(β₂u, |g|)
    return [this.next(s), mul(div(m, add(u, this.epsilon)), this.eta / (1 - b1t))];      // Δ = η/(1−β₁ᵗ)·m/(u + ε)
  }
}
/**
 * AdaMax, Adam with the infinity norm. Kingma & Ba (2014), arXiv:1412.6980 section 7.
 * @example const opt = AdaMax(1e-3);
 *          update(opt, ps, gs);
 */
export const AdaMax = ruleCtor(AdaMaxRule, 'AdaMax', ['eta', 'beta', 'epsilon']);

type OS = [m: Tensor, v: Tensor, b1t: number, b2t: number, term: Tensor];
class OAdamRule extends AdamLike implements Rule<OS> {
  constructor(o: AdamOptions = {}) { super('OAdam', o, 1e-3, [0.5, 0.9]); }
  init(x: Tensor): OS { return [...this.fresh(x), fullLike(x)]; }
  apply(s: OS, _x: Tensor, g: Tensor): [OS, Tensor] {
    const [m, v, b1t, b2t, term] = s;
    this.moments(m, v, g);
    const prev = mul(term, -1);                                                          // −prev (a copy)
    term.assign(mul(this.direction(m, v, b1t, b2t), this.eta));                          // term ← η·m̂/(√v̂ + ε)
    return [[...this.next([m, v, b1t, b2t]), term], add(mul(term, 2), prev)];           // Δ = 2·term − prev
  }
}
/**
 * Optimistic Adam: Δ = 2·termₜ − termₜ₋₁. Daskalakis et al. (2017), arXiv:1711.00141.
 * @example const opt = OAdam(1e-3, [0.5, 0.9]);
 *          update(opt, ps, gs);
 */
export const OAdam = ruleCtor(OAdamRule, 'OAdam', ['eta', 'beta', 'epsilon']);

type MS = [m: Tensor, v: Tensor, vhat: Tensor];
class AMSGradRule extends AdamLike implements Rule<MS> {
  constructor(o: AdamOptions = {}) { super('AMSGrad', o); }
  init(x: Tensor): MS { const e = this.epsilon; return [fullLike(x, e), fullLike(x, e), fullLike(x, e)]; }
  apply(s: MS, _x: Tensor, g: Tensor): [MS, Tensor] {
    const [m, v, vhat] = s;
    this.moments(m, v, g);
    vhat.assign(maximum(vhat, v));                                                       // v̂ ← max(v̂, v)
    return [s, div(mul(m, this.eta), add(sqrt(vhat), this.epsilon))];                    // Δ = ηm/(√v̂ + ε)
  }
}
/**
 * AMSGrad: Adam with a non-decreasing second moment, no bias correction. Reddi et al. (2018), openreview.net/forum?id=ryQu7f-RZ.
 * @example const opt = AMSGrad(1e-3);
 *          update(opt, ps, gs);
 */
export const AMSGrad = ruleCtor(AMSGradRule, 'AMSGrad', ['eta', 'beta', 'epsilon']);

class NAdamRule extends AdamLike implements Rule<AS> {
  constructor(o: AdamOptions = {}) { super('NAdam', o); }
  init(x: Tensor): AS { return this.fresh(x); }
  apply(s: AS, _x: Tensor, g: Tensor): [AS, Tensor] {
    const [m, v, b1t, b2t] = s, [b1, b2] = this.beta;
    this.moments(m, v, g);
    const num = add(mul(m, b1 / (1 - b1 * b1t)), mul(g, (1 - b1) / (1 - b1t)));          // β₁m/(1−β₁β₁ᵗ) + (1−β₁)g/(1−β₁ᵗ)
    const den = add(sqrt(mul(v, b2 / (1 - b2t))), this.epsilon);                         // √(vβ₂/(1−β₂ᵗ)) + ε
    return [this.next(s), mul(div(num, den), this.eta)];
  }
}
/**
 * NAdam: Adam with Nesterov momentum. Dozat (2016), openreview.net/forum?id=OM0jvwB8jIp57ZJjtNEZ.
 * @example const opt = NAdam(1e-3);
 *          update(opt, ps, gs);
 */
export const NAdam = ruleCtor(NAdamRule, 'NAdam', ['eta', 'beta', 'epsilon']);

class AdaBeliefRule extends AdamLike implements Rule<AS> {
  constructor(o: AdamOptions = {}) { super('AdaBelief', o, 1e-3, [0.9, 0.999], 1e-16); }
  init(x: Tensor): AS { return this.fresh(x); }
  apply(s: AS, _x: Tensor, g: Tensor): [AS, Tensor] {
    const [m, sv, b1t, b2t] = s, [b1, b2] = this.beta;
    m.assign(add(mul(m, b1), mul(g, 1 - b1)));                                           // m ← β₁m + (1−β₁)g
    sv.assign(add(add(mul(sv, b2), mul(square(sub(g, m)), 1 - b2)), this.epsilon));      // s ← β₂s + (1−β₂)(g−m)² + ε
    return [this.next(s), mul(this.direction(m, sv, b1t, b2t), this.eta)];               // Δ = η·m̂/(√ŝ + ε)
  }
}
/**
 * AdaBelief: Adam with the variance of g around m. Zhuang et al. (2020), arXiv:2010.07468.
 * @example const opt = AdaBelief(1e-3);
 *          update(opt, ps, gs);
 */
export const AdaBelief = ruleCtor(AdaBeliefRule, 'AdaBelief', ['eta', 'beta', 'epsilon']);
