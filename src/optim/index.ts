// Optimisers: rules (Optimisers.jl names and defaults), modifiers, legacy schedules, the update
// forms of rule.ts, and the seed-era aliases (same rules, current formulas and defaults).

import { Descent } from './rules.js';
import { Adam, NAdam, AdamW } from './adam.js';
import { AdaGrad, AdaDelta } from './rules.js';

export { Descent, Momentum, Nesterov, RMSProp, Rprop, AdaGrad, AdaDelta, Lion } from './rules.js';
export { Adam, AdamW, RAdam, AdaMax, OAdam, AMSGrad, NAdam, AdaBelief, type AdamOptions, type AdamWOptions } from './adam.js';
export { WeightDecay, SignDecay, ClipGrad, ClipNorm, AccumGrad, OptimiserChain } from './modifiers.js';
export { ExpDecay, InvDecay } from './schedules.js';
export {
  update, setup, adjust, isBound, isRule, OptimiserState,
  type Rule, type BoundOptimiser, type GradsLike, type RuleCtor, type GradTree,
} from './rule.js';
export { freeze, thaw, type Leaf, type StateTree, type SetupState } from './state.js';

/**
 * Seed-era name of Descent: `SGD(params(m), 0.1)`.
 * @example const opt = SGD(params(m), 0.1);
 *          await train(loss, data, opt);
 */
export const SGD = Descent;
/**
 * Seed-era name of Adam.
 * @example const opt = ADAM(params(m), 1e-3);
 */
export const ADAM = Adam;
/**
 * Seed-era name of NAdam.
 * @example const opt = NADAM(params(m));
 */
export const NADAM = NAdam;
/**
 * Seed-era name of AdamW (current formula: couple=true; legacy ADAMW is AdamW({ couple: false })).
 * @example const st = setup(ADAMW({ eta: 1e-3, lambda: 1e-4 }), m);
 */
export const ADAMW = AdamW;
/**
 * Seed-era name of AdaGrad (current default η = 0.1).
 * @example const opt = ADAGrad(params(m));
 */
export const ADAGrad = AdaGrad;
/**
 * Seed-era name of AdaDelta (which moves the parameters, unlike Flux v0.7–v0.11).
 * @example const opt = ADADelta(params(m), 0.9);
 */
export const ADADelta = AdaDelta;
