// Fused optimiser updates: one pass over memory per parameter, in place. They are ops like any
// other (the scheduler places them where the parameter lives) but are never differentiated.

import { defineOp, applyInPlace, type OpDef } from './registry.js';
import { empty, type Tensor } from '../tensor.js';
import type { Backend } from '../backends/backend.js';

function same(fn: string) {
  return (ins: readonly Tensor[]) => {
    for (let i = 1; i < ins.length - 1; i++) {   // the last input is the 1-element guard
      if (ins[i].size !== ins[0].size)
        throw new RangeError(`${fn}: argument ${i} has shape [${ins[i].shape}], the parameter has shape [${ins[0].shape}]`);
    }
    return ins[0].shape;
  };
}
const cost = (k: number) => (ins: readonly Tensor[]) => ({ flops: k * ins[0].size, bytes: 4 * ins.length * ins[0].size });

export const descentDef = defineOp<{ eta: number }>({
  name: 'descent', kernels: ['descent'], shape: same('descent'), cost: cost(2),
  run(b, _o, [x, g, ok], p) { b.descent(x.buf, g.buf, ok.buf, x.size, p.eta); },
});
export const momentumDef = defineOp<{ eta: number; rho: number }>({
  name: 'momentum', kernels: ['momentum'], shape: same('momentum'), cost: cost(4),
  run(b, _o, [x, g, v, ok], p) { b.momentum(x.buf, g.buf, v.buf, ok.buf, x.size, p.eta, p.rho); },
});
export interface AdamP { eta: number; b1: number; b2: number; eps: number; b1t: number; b2t: number; lambda: number }
export const adamDef = defineOp<AdamP>({
  name: 'adam', kernels: ['adam', 'adamw'], shape: same('adam'), cost: cost(12),
  run(b, _o, [x, g, m, v, ok], p) {
    if (p.lambda) b.adamw(x.buf, g.buf, m.buf, v.buf, ok.buf, x.size, p.eta, p.b1, p.b2, p.eps, p.b1t, p.b2t, p.lambda);
    else b.adam(x.buf, g.buf, m.buf, v.buf, ok.buf, x.size, p.eta, p.b1, p.b2, p.eps, p.b1t, p.b2t);
  },
});

// The loss whose finiteness every in-place write of the current update waits on (the update
// kernels and copyIf read it on the device, so a GPU step needs no readback to skip a NaN step).
// Set only for the duration of a `guarded` call.
let guard: Tensor | null = null;

/**
 * Runs `fn` (an optimiser update) so that its in-place writes (parameters and optimiser state)
 * take effect only if `loss` holds a finite number: train and trainStep pass the step's loss.
 * @example guarded(loss, () => update(opt, ps, grads));   // a NaN loss leaves everything as it was
 */
export function guarded<T>(loss: Tensor, fn: () => T): T {
  const prev = guard;
  guard = loss;
  try { return fn(); } finally { guard = prev; }
}
/** The guard of the enclosing `guarded` call, or null. */
export const currentGuard = (): Tensor | null => guard;

// A 1-element 0 per device: the guard of an update outside `guarded` (a user's own update call),
// made once so such an update allocates nothing. Keyed weakly: a lost device's goes with it.
const finite = new WeakMap<Backend, Tensor>();
function finiteOn(b: Backend): Tensor {
  let t = finite.get(b);
  if (!t || t.disposed || t.backend !== b) {   // (an update that moved to the GPU migrated it)
    t = empty([1], b).keep();
    b.fill(t.buf, 1, 0);
    finite.set(b, t);
  }
  return t;
}

/** Runs an update op with the guard as its last input. */
function inPlace<P>(def: OpDef<P>, ins: Tensor[], p: P): void {
  applyInPlace(def, [...ins, guard ?? finiteOn(ins[0].backend)], p);
}

/** x −= eta·g, in place. */
export const descentStep = (x: Tensor, g: Tensor, eta: number) => inPlace(descentDef, [x, g], { eta });
/** v = rho·v + eta·g; x −= v, in place. */
export const momentumStep = (x: Tensor, g: Tensor, v: Tensor, eta: number, rho: number) =>
  inPlace(momentumDef, [x, g, v], { eta, rho });
/** One Adam (lambda = 0) or AdamW step, in place; b1t/b2t are βᵗ for this step. */
export const adamStep = (x: Tensor, g: Tensor, m: Tensor, v: Tensor, p: AdamP) => inPlace(adamDef, [x, g, m, v], p);
