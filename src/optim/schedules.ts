// Learning-rate schedules with legacy Flux.Optimise semantics (FLUX_SEMANTICS.md 2.5 notes),
// written as rules that scale the gradient, for use in a chain: `OptimiserChain(Adam(), ExpDecay(1))`.
// State per parameter: its step count n. ExpDecay's current η is shared by all parameters.

import type { Tensor } from '../tensor.js';
import { mul } from '../ops/binary.js';
import { ruleCtor, type Rule } from './rule.js';
import { nonneg, int } from './check.js';

interface ExpDecayOptions { eta?: number; decay?: number; decay_step?: number; clip?: number; start?: number }
class ExpDecayRule implements Rule<number> {
  eta: number; readonly decay: number; readonly decay_step: number; readonly clip: number; readonly start: number;
  #last = 0;                      // the step count at which η last decayed (counted once across params)
  constructor({ eta = 0.001, decay = 0.1, decay_step = 1000, clip = 1e-4, start = 0 }: ExpDecayOptions = {}) {
    this.eta = nonneg('ExpDecay', 'eta', eta); this.decay = nonneg('ExpDecay', 'decay', decay);
    this.decay_step = int('ExpDecay', 'decay_step', decay_step, 1); this.clip = nonneg('ExpDecay', 'clip', clip);
    this.start = int('ExpDecay', 'start', start, 0);
  }
  init() { return 0; }
  apply(n: number, _x: Tensor, g: Tensor): [number, Tensor] {
    n += 1;                                                                               // this parameter's step count
    if (n > this.start && n % this.decay_step === 0 && n > this.#last) {
      this.eta = Math.max(this.eta * this.decay, this.clip);                             // η ← max(η·decay, clip)
      this.#last = n;
    }
    return [n, mul(g, this.eta)];                                                        // Δ = η·g
  }
}
/**
 * Step decay (legacy Flux): every `decay_step` steps after `start`, η ← max(η·decay, clip); Δ = η·g.
 * @example const opt = OptimiserChain(Adam(), ExpDecay(1.0, 0.5, 1000, 1e-4));
 *          update(opt, ps, gs);
 */
export const ExpDecay = ruleCtor(ExpDecayRule, 'ExpDecay', ['eta', 'decay', 'decay_step', 'clip', 'start']);

class InvDecayRule implements Rule<number> {
  readonly gamma: number;
  constructor({ gamma = 0.001 }: { gamma?: number } = {}) { this.gamma = nonneg('InvDecay', 'gamma', gamma); }
  init() { return 1; }
  apply(n: number, _x: Tensor, g: Tensor): [number, Tensor] {
    return [n + 1, mul(g, 1 / (1 + this.gamma * n))];                                   // Δ = g/(1 + γn), n = 1, 2, …
  }
}
/**
 * Inverse-time decay (legacy Flux): Δ = g/(1 + γn) at the n-th step of each parameter.
 * @example const opt = OptimiserChain(InvDecay(0.01), Descent(0.1));
 *          update(opt, ps, gs);
 */
export const InvDecay = ruleCtor(InvDecayRule, 'InvDecay', ['gamma']);
