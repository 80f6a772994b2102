// Gradient-descent rules without Adam's moments: Descent, Momentum, Nesterov, RMSProp, Rprop,
// AdaGrad, AdaDelta, Lion. Formulas and defaults: Optimisers.jl (FLUX_SEMANTICS.md 2.5).
// Descent and Momentum have a fused in-place `step` (one pass over memory, no allocation).
// State tensors are kept and updated in place with `assign`; temporaries die with the step.

import type { Tensor } from '../tensor.js';
import { add, sub, mul, div, greater } from '../ops/binary.js';
import { sqrt, square, sign, clamp } from '../ops/unary.js';
import { descentStep, momentumStep } from '../ops/optim.js';
import { ruleCtor, type Rule } from './rule.js';
import { nonneg, unit, betas, pair, bool, fullLike, type Pair } from './check.js';

class DescentRule implements Rule<null> {
  readonly eta: number;
  constructor({ eta = 0.1 }: { eta?: number } = {}) { this.eta = nonneg('Descent', 'eta', eta); }
  init() { return null; }
  apply(s: null, _x: Tensor, g: Tensor): [null, Tensor] { return [s, mul(g, this.eta)]; }       // Δ = η·g
  step(s: null, x: Tensor, g: Tensor) { descentStep(x, g, this.eta); return s; }
}
/**
 * Plain gradient descent: Δ = η·g.
 * @example const opt = Descent(0.1);
 *          update(opt, ps, gradient(() => loss(x, y), ps));
 */
export const Descent = ruleCtor(DescentRule, 'Descent', ['eta']);

type V = [v: Tensor];
class MomentumRule implements Rule<V> {
  readonly eta: number; readonly rho: number;
  constructor({ eta = 0.01, rho = 0.9 }: { eta?: number; rho?: number } = {}) {
    this.eta = nonneg('Momentum', 'eta', eta); this.rho = unit('Momentum', 'rho', rho);
  }
  init(x: Tensor): V { return [fullLike(x)]; }
  apply(s: V, _x: Tensor, g: Tensor): [V, Tensor] {
    s[0].assign(add(mul(s[0], this.rho), mul(g, this.eta)));                            // v ← ρv + ηg
    return [s, s[0]];                                                                     // Δ = v
  }
  step(s: V, x: Tensor, g: Tensor) { momentumStep(x, g, s[0], this.eta, this.rho); return s; }
}
/**
 * Gradient descent with momentum: v ← ρv + ηg; Δ = v. Polyak (1964), doi:10.1016/0041-5553(64)90137-5.
 * @example const opt = Momentum(0.01, 0.9);
 *          update(opt, ps, gs);
 */
export const Momentum = ruleCtor(MomentumRule, 'Momentum', ['eta', 'rho']);

class NesterovRule implements Rule<V> {
  readonly eta: number; readonly rho: number;
  constructor({ eta = 0.001, rho = 0.9 }: { eta?: number; rho?: number } = {}) {
    this.eta = nonneg('Nesterov', 'eta', eta); this.rho = unit('Nesterov', 'rho', rho);
  }
  init(x: Tensor): V { return [fullLike(x)]; }
  apply(s: V, _x: Tensor, g: Tensor): [V, Tensor] {
    const { eta, rho } = this, v = s[0];
    const d = add(mul(v, -rho * rho), mul(g, (1 + rho) * eta));                          // Δ = −ρ²v + (1+ρ)ηg
    v.assign(sub(mul(v, rho), mul(g, eta)));                                              // v ← ρv − ηg
    return [s, d];
  }
}
/**
 * Nesterov momentum: Δ = −ρ²v + (1+ρ)ηg, then v ← ρv − ηg. Sutskever et al. (2013), proceedings.mlr.press/v28/sutskever13.
 * @example const opt = Nesterov(0.001, 0.9);
 *          update(opt, ps, gs);
 */
export const Nesterov = ruleCtor(NesterovRule, 'Nesterov', ['eta', 'rho']);

type RMS = [q: Tensor, l: Tensor | null];
class RMSPropRule implements Rule<RMS> {
  readonly eta: number; readonly rho: number; readonly epsilon: number; readonly centred: boolean;
  constructor({ eta = 0.001, rho = 0.9, epsilon = 1e-8, centred = false }: { eta?: number; rho?: number; epsilon?: number; centred?: boolean } = {}) {
    this.eta = nonneg('RMSProp', 'eta', eta); this.rho = unit('RMSProp', 'rho', rho);
    this.epsilon = nonneg('RMSProp', 'epsilon', epsilon); this.centred = bool('RMSProp', 'centred', centred);
  }
  init(x: Tensor): RMS { return [fullLike(x), this.centred ? fullLike(x) : null]; }
  apply(s: RMS, x: Tensor, g: Tensor): [RMS, Tensor] {
    const { eta, rho, epsilon } = this, [q] = s;
    q.assign(add(mul(q, rho), mul(square(g), 1 - rho)));                                 // q ← ρq + (1−ρ)g²
    let den = q;
    if (this.centred) {
      const l = s[1] ?? (s[1] = fullLike(x));
      l.assign(add(mul(l, rho), mul(g, 1 - rho)));                                        // l ← ρl + (1−ρ)g
      den = sub(q, square(l));
    }
    return [s, div(mul(g, eta), add(sqrt(den), epsilon))];                                // Δ = ηg/(√(q − l²) + ε)
  }
}
/**
 * RMSProp, optionally centred: Δ = ηg/(√(q − l²) + ε). Hinton, Lecture 6e (2012), cs.toronto.edu/~tijmen/csc321/slides/lecture_slides_lec6.pdf.
 * @example const opt = RMSProp(0.001, 0.9);
 *          const c = RMSProp({ eta: 0.001, centred: true });
 */
export const RMSProp = ruleCtor(RMSPropRule, 'RMSProp', ['eta', 'rho', 'epsilon', 'centred']);

type RP = [gprev: Tensor, etas: Tensor];
class RpropRule implements Rule<RP> {
  readonly eta: number; readonly ell: Pair; readonly gamma: Pair;
  constructor({ eta = 1e-3, ell = [0.5, 1.2], gamma = [1e-6, 50.0] }: { eta?: number; ell?: Pair; gamma?: Pair } = {}) {
    this.eta = nonneg('Rprop', 'eta', eta); this.ell = pair('Rprop', 'ell', ell); this.gamma = pair('Rprop', 'gamma', gamma);
  }
  init(x: Tensor): RP { return [fullLike(x), fullLike(x, this.eta)]; }
  apply(s: RP, _x: Tensor, g: Tensor): [RP, Tensor] {
    const [gp, e] = s, [lm, lp] = this.ell, [gmin, gmax] = this.gamma;
    const pg = mul(gp, g), up = greater(pg, 0), down = greater(0, pg);
    const grow = clamp(mul(e, lp), -Infinity, gmax), shrink = clamp(mul(e, lm), gmin, Infinity);
    e.assign(add(e, add(mul(up, sub(grow, e)), mul(down, sub(shrink, e)))));              // ηᵢ ← min(ηᵢℓ⁺, Γmax) | max(ηᵢℓ⁻, Γmin) | ηᵢ
    gp.assign(mul(g, sub(1, down)));                                                     // gprev ← gprev·g < 0 ? 0 : g
    return [s, mul(e, sign(gp))];                                                        // Δ = ηᵢ·sign(gprev)
  }
}
/**
 * Resilient backprop: per-element step sizes grown by ℓ⁺ / shrunk by ℓ⁻ on sign agreement. Riedmiller & Braun (1993), doi:10.1109/ICNN.1993.298623.
 * @example const opt = Rprop(1e-3, [0.5, 1.2], [1e-6, 50]);
 *          update(opt, ps, gs);
 */
export const Rprop = ruleCtor(RpropRule, 'Rprop', ['eta', 'ell', 'gamma']);

class AdaGradRule implements Rule<V> {
  readonly eta: number; readonly epsilon: number;
  constructor({ eta = 0.1, epsilon = 1e-8 }: { eta?: number; epsilon?: number } = {}) {
    this.eta = nonneg('AdaGrad', 'eta', eta); this.epsilon = nonneg('AdaGrad', 'epsilon', epsilon);
  }
  init(x: Tensor): V { return [fullLike(x, this.epsilon)]; }                            // acc = ε
  apply(s: V, _x: Tensor, g: Tensor): [V, Tensor] {
    const acc = s[0];
    acc.assign(add(acc, square(g)));                                                     // acc ← acc + g²
    return [s, div(mul(g, this.eta), add(sqrt(acc), this.epsilon))];                     // Δ = ηg/(√acc + ε)
  }
}
/**
 * AdaGrad: Δ = ηg/(√Σg² + ε). Duchi et al. (2011), jmlr.org/papers/v12/duchi11a.
 * @example const opt = AdaGrad(0.1);
 *          update(opt, ps, gs);
 */
export const AdaGrad = ruleCtor(AdaGradRule, 'AdaGrad', ['eta', 'epsilon']);

type AD = [acc: Tensor, dacc: Tensor];
class AdaDeltaRule implements Rule<AD> {
  readonly rho: number; readonly epsilon: number;
  constructor({ rho = 0.9, epsilon = 1e-8 }: { rho?: number; epsilon?: number } = {}) {
    this.rho = unit('AdaDelta', 'rho', rho); this.epsilon = nonneg('AdaDelta', 'epsilon', epsilon);
  }
  init(x: Tensor): AD { return [fullLike(x), fullLike(x)]; }
  apply(s: AD, _x: Tensor, g: Tensor): [AD, Tensor] {
    const { rho, epsilon } = this, [acc, dacc] = s;
    acc.assign(add(mul(acc, rho), mul(square(g), 1 - rho)));                             // acc ← ρacc + (1−ρ)g²
    const d = div(mul(g, sqrt(add(dacc, epsilon))), sqrt(add(acc, epsilon)));            // Δ = g√(Δacc + ε)/√(acc + ε)
    dacc.assign(add(mul(dacc, rho), mul(square(d), 1 - rho)));                           // Δacc ← ρΔacc + (1−ρ)Δ²
    return [s, d];
  }
}
/**
 * AdaDelta (no learning rate): Δ = g·√(Δacc + ε)/√(acc + ε). Zeiler (2012), arXiv:1212.5701.
 * @example const opt = AdaDelta(0.9);
 *          update(opt, ps, gs);
 */
export const AdaDelta = ruleCtor(AdaDeltaRule, 'AdaDelta', ['rho', 'epsilon']);

class LionRule implements Rule<V> {
  readonly eta: number; readonly beta: Pair;
  constructor({ eta = 0.001, beta = [0.9, 0.999] }: { eta?: number; beta?: Pair } = {}) {
    this.eta = nonneg('Lion', 'eta', eta); this.beta = betas('Lion', beta);
  }
  init(x: Tensor): V { return [fullLike(x)]; }
  apply(s: V, _x: Tensor, g: Tensor): [V, Tensor] {
    const [b1, b2] = this.beta, m = s[0];
    m.assign(add(mul(g, b2), mul(m, 1 - b2)));                                           // m ← β₂g + (1−β₂)m (as coded)
    return [s, mul(sign(add(mul(g, b2 - b1), mul(m, b1))), this.eta)];                  // Δ = η·sign((β₂−β₁)g + β₁m)
  }
}
/**
 * Lion (EvoLved Sign Momentum): Δ = η·sign(...). Chen et al. (2023), arXiv:2302.06675.
 * @example const opt = Lion(1e-4, [0.9, 0.99]);
 *          update(opt, ps, gs);
 */
export const Lion = ruleCtor(LionRule, 'Lion', ['eta', 'beta']);
