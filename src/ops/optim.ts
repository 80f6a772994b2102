// Fused optimiser updates: one pass over memory per parameter, in place. They are ops like any
// other (the scheduler places them where the parameter lives) but are never differentiated.

import { defineOp, applyInPlace } from './registry.js';
import type { Tensor } from '../tensor.js';

function same(fn: string) {
  return (ins: readonly Tensor[]) => {
    for (let i = 1; i < ins.length; i++) {
      if (ins[i].size !== ins[0].size)
        throw new RangeError(`${fn}: argument ${i} has shape [${ins[i].shape}], the parameter has shape [${ins[0].shape}]`);
    }
    return ins[0].shape;
  };
}
const cost = (k: number) => (ins: readonly Tensor[]) => ({ flops: k * ins[0].size, bytes: 4 * ins.length * ins[0].size });

export const descentDef = defineOp<{ eta: number }>({
  name: 'descent', kernels: ['descent'], shape: same('descent'), cost: cost(2),
  run(b, _o, [x, g], p) { b.descent(x.buf, g.buf, x.size, p.eta); },
});
export const momentumDef = defineOp<{ eta: number; rho: number }>({
  name: 'momentum', kernels: ['momentum'], shape: same('momentum'), cost: cost(4),
  run(b, _o, [x, g, v], p) { b.momentum(x.buf, g.buf, v.buf, x.size, p.eta, p.rho); },
});
export interface AdamP { eta: number; b1: number; b2: number; eps: number; b1t: number; b2t: number; lambda: number }
export const adamDef = defineOp<AdamP>({
  name: 'adam', kernels: ['adam', 'adamw'], shape: same('adam'), cost: cost(12),
  run(b, _o, [x, g, m, v], p) {
    if (p.lambda) b.adamw(x.buf, g.buf, m.buf, v.buf, x.size, p.eta, p.b1, p.b2, p.eps, p.b1t, p.b2t, p.lambda);
    else b.adam(x.buf, g.buf, m.buf, v.buf, x.size, p.eta, p.b1, p.b2, p.eps, p.b1t, p.b2t);
  },
});

/** x −= eta·g, in place. */
export const descentStep = (x: Tensor, g: Tensor, eta: number) => applyInPlace(descentDef, [x, g], { eta });
/** v = rho·v + eta·g; x −= v, in place. */
export const momentumStep = (x: Tensor, g: Tensor, v: Tensor, eta: number, rho: number) =>
  applyInPlace(momentumDef, [x, g, v], { eta, rho });
/** One Adam (lambda = 0) or AdamW step, in place; b1t/b2t are βᵗ for this step. */
export const adamStep = (x: Tensor, g: Tensor, m: Tensor, v: Tensor, p: AdamP) => applyInPlace(adamDef, [x, g, m, v], p);
