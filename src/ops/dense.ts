// The fused Dense layer op: y = act(W·x .+ b) as one matmul plus one bias+activation pass.
// Only activations whose derivative can be read off y (or off the sign of y) are fused (`fused`
// rows of src/ops/codes.ts), so the backward pass needs no pre-activation buffer; any other
// activation runs as a separate op.

import { defineOp, apply } from './registry.js';
import { Unary, FUSED } from './codes.js';
import { unaryGradDef } from './unary.js';
import { matmul } from './matmul.js';
import { sum } from './reduce.js';
import { Tensor } from '../tensor.js';

/** `ta`: W is stored transposed, [in, out] (a convolution's weight [k…·cin, cout]). */
export interface DenseP { act: number; alpha: number; name: string; ta?: number }

export const denseDef = defineOp<DenseP>({
  name: 'dense',
  kernels: ['matmul', 'biasAct', 'unary', 'unaryGrad', 'reduce'],
  shape([W, x, b], p) {
    const [out, inp] = dims(W, p);
    if (x.rank < 1 || x.rank > 2 || x.shape[0] !== inp) {
      throw new RangeError(`${p.name}: input has ${x.shape[0]} features, expected ${inp} (input shape [${x.shape}])`);
    }
    if (b && b.size !== out) throw new RangeError(`${p.name}: bias has shape [${b.shape}], expected [${out}]`);
    return x.rank === 1 ? [out] : [out, x.shape[1]];
  },
  run(be, y, [W, x, b], p) {
    const [out, inp] = dims(W, p), cols = x.rank === 1 ? 1 : x.shape[1];
    be.matmul(W.buf, x.buf, y.buf, out, inp, cols, p.ta ?? 0, 0, 0);
    if (b) be.biasAct(y.buf, b.buf, y.buf, out, cols, p.act, p.alpha);
    else if (p.act !== Unary.identity) be.unary(p.act, y.buf, y.buf, y.size, p.alpha, 0);
  },
  grad(dy, [W, x, b], y, p, needs) {
    // dz = dy·act'(z), read off y; then dW = dz·xᵀ (x·dzᵀ when W is stored transposed), db = Σ_batch dz, dx = Wᵀ·dz
    const dz = p.act === Unary.identity ? dy : apply(unaryGradDef, [y, y, dy], { code: p.act, alpha: p.alpha, beta: 0 });
    const dz2 = dz.rank === 1 ? dz.view([dz.shape[0], 1]) : dz;
    const x2 = x.rank === 1 ? x.view([x.shape[0], 1]) : x;
    const dW = needs[0] ? (p.ta ? matmul(x2, dz2, { transB: true }) : matmul(dz2, x2, { transB: true })) : null;
    const dx = needs[1] ? matmul(W, dz, { transA: !p.ta }) : null;
    const db = b && needs[2] ? (dz.rank === 1 ? dz : sum(dz, 1).view(b.shape)) : null;
    return [dW, dx, db];
  },
  cost([W, x], p) {
    const [out, inp] = dims(W, p), cols = x.rank === 1 ? 1 : x.shape[1];
    return { flops: 2 * out * inp * cols + 4 * out * cols, bytes: 4 * (out * inp + inp * cols + 2 * out * cols) };
  },
});

const dims = (W: Tensor, p: DenseP) => (p.ta ? [W.shape[1], W.shape[0]] : W.shape);

/** act(W·x .+ b) in one op (the activation must be FUSED in src/ops/codes.ts); b may be null; ta: Wᵀ·x. */
export function dense(W: Tensor, x: Tensor, b: Tensor | null, act: number, alpha: number, name: string, ta = 0): Tensor {
  return apply(denseDef, b ? [W, x, b] : [W, x], { act, alpha, name, ta });
}
