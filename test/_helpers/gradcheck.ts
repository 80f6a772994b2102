// Gradient checks. `gradcheck` compares autograd's gradient with central finite differences,
// both in float64 on the reference device: h = 1e-6·max(1, |x|) (f64 central differences: the
// truncation error is O(h²), the rounding error O(ε/h)). Every element is perturbed for inputs
// of ≤ 64 elements; larger inputs are checked along a random direction v:
// ⟨g, v⟩ vs (f(x + hv) − f(x − hv)) / 2h. A non-scalar f is reduced with fixed random weights,
// sum(f(x) .* w), so the whole vector-Jacobian product is exercised, not only its sum.
import * as assert from 'uvu/assert';
import { Tensor, tensor, scope, gradient, withPolicy, sum, mul, type Shape } from '../../src/index.js';
import type { Device } from './backends.js';

export interface Input { shape: Shape; data: ArrayLike<number> }
export type Fn = (...xs: Tensor[]) => Tensor;

// A small deterministic stream (independent of fluxion's seed), f32-exact values.
let s = 0x2545f491;
export function rnd(): number { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 4294967296; }
export function reseed(n: number) { s = n >>> 0 || 1; }
export const uniform = (n: number, lo = -1, hi = 1) => Float64Array.from({ length: n }, () => Math.fround(lo + (hi - lo) * rnd()));
export const normal = (n: number) => Float64Array.from({ length: n }, () =>
  Math.fround(Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd())));
export const input = (shape: Shape, lo = -1, hi = 1): Input => ({ shape, data: uniform(shape.reduce((a, b) => a * b, 1), lo, hi) });

/** Weights that turn f's output into a scalar loss (null: f is already a scalar). */
function weightsFor(f: Fn, xs: Tensor[]): Float64Array | null {
  const shape = scope(() => f(...xs).shape);
  const n = shape.reduce((a, b) => a * b, 1);
  return n === 1 ? null : uniform(n, -1, 1);
}
const lossOf = (f: Fn, w: Tensor | null) => (xs: Tensor[]) => { const y = f(...xs); return w ? sum(mul(y, w.view(y.shape))) : y; };

/**
 * The gradient of sum(f(xs) .* w) on device `dev`, as float64 arrays (zeros where autograd
 * returned none); `w` from `weights` so the same loss can be evaluated on several devices.
 */
export async function gradOn(dev: Device, f: Fn, inputs: Input[], w: Float64Array | null): Promise<Float64Array[]> {
  const xs = dev.run(() => inputs.map((i) => tensor(Float64Array.from(i.data), i.shape)));
  const wt = w ? dev.run(() => tensor(w, [w.length])) : null;
  const L = lossOf(f, wt);
  const gs = dev.run(() => gradient(() => L(xs), xs));
  const out = await Promise.all(xs.map(async (x) => { const g = gs.get(x); return g ? g.data64() : new Float64Array(x.size); }));
  gs.dispose(); for (const x of xs) x.dispose(); wt?.dispose();
  return out;
}
/** Random weights for f's output on these inputs (evaluated on the reference device). */
export function weights(f: Fn, inputs: Input[]): Float64Array | null {
  return withPolicy('ref', () => {
    const xs = inputs.map((i) => tensor(Float64Array.from(i.data), i.shape));
    try { return weightsFor(f, xs); } finally { for (const x of xs) x.dispose(); }
  });
}

export interface GradcheckOpts { rtol?: number; atol?: number; label?: string }

/** Asserts autograd's gradient of f at `inputs` equals central finite differences (float64, ref). */
export async function gradcheck(f: Fn, inputs: Input[], opts: GradcheckOpts = {}): Promise<void> {
  const { rtol = 1e-5, atol = 1e-6, label = 'gradcheck' } = opts;
  await withPolicy('ref', async () => {
    const xs = inputs.map((i) => tensor(Float64Array.from(i.data), i.shape));
    const w = weightsFor(f, xs);
    const wt = w ? tensor(w, [w.length]) : null;
    const L = lossOf(f, wt);
    const evalL = () => scope(() => (L(xs).buf as Float64Array)[0]);
    const gs = gradient(() => L(xs), xs);
    const bad: string[] = [];
    const check = (what: string, num: number, ana: number) => {
      if (!(Math.abs(num - ana) <= atol + rtol * Math.max(Math.abs(num), Math.abs(ana))))
        bad.push(`${what}: autograd ${ana}, finite differences ${num}`);
    };
    try {
      xs.forEach((x, k) => {
        const buf = x.buf as Float64Array, g = gs.get(x)?.buf as Float64Array | undefined;
        const ana = (i: number) => (g ? g[i] : 0);
        if (x.size <= 64) {
          for (let i = 0; i < x.size; i++) {
            const x0 = buf[i], h = 1e-6 * Math.max(1, Math.abs(x0));
            buf[i] = x0 + h; const fp = evalL();
            buf[i] = x0 - h; const fm = evalL();
            buf[i] = x0;
            check(`input ${k} [${x.shape}] element ${i}`, (fp - fm) / (2 * h), ana(i));
          }
        } else {
          const v = normal(x.size), x0 = Float64Array.from(buf.subarray(0, x.size));
          let big = 1, gv = 0;
          for (let i = 0; i < x.size; i++) { big = Math.max(big, Math.abs(x0[i])); gv += ana(i) * v[i]; }
          const h = 1e-6 * big;
          for (let i = 0; i < x.size; i++) buf[i] = x0[i] + h * v[i];
          const fp = evalL();
          for (let i = 0; i < x.size; i++) buf[i] = x0[i] - h * v[i];
          const fm = evalL();
          buf.set(x0);
          check(`input ${k} [${x.shape}] along a random direction`, (fp - fm) / (2 * h), gv);
        }
      });
    } finally {
      gs.dispose(); for (const x of xs) x.dispose(); wt?.dispose();
    }
    if (bad.length) assert.unreachable(`${label}: ${bad.length} gradient mismatches (rtol ${rtol}, atol ${atol}):\n  ${bad.slice(0, 8).join('\n  ')}`);
  });
}
