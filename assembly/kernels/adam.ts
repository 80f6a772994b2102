// adam and adamw (one file: adamw is adam with the decay term, one shared step): one pass over
// x, g, m, v each, SIMD with a scalar tail. b1t = β1^t, b2t = β2^t for this step. Nothing is
// written unless guard[0] (the step's loss) is finite. O(n).
import { finiteAt } from "../simd";

@inline function adam_step(x: usize, g: usize, m: usize, v: usize, o: usize,
  b1: v128, c1: v128, b2: v128, c2: v128, sm: v128, sv: v128, eps: v128, eta: v128, wd: v128, decay: bool): v128 {
  const gg = v128.load(g + o);
  const nm = f32x4.add(f32x4.mul(b1, v128.load(m + o)), f32x4.mul(c1, gg));
  const nv = f32x4.add(f32x4.mul(b2, v128.load(v + o)), f32x4.mul(c2, f32x4.mul(gg, gg)));
  v128.store(m + o, nm);
  v128.store(v + o, nv);
  const xo = v128.load(x + o);
  let d = f32x4.div(f32x4.mul(nm, sm), f32x4.add(f32x4.sqrt(f32x4.mul(nv, sv)), eps));
  if (decay) d = f32x4.add(d, f32x4.mul(wd, xo));
  return f32x4.sub(xo, f32x4.mul(eta, d));
}

@inline function adam_run(x: usize, g: usize, m: usize, v: usize, n: i32, eta: f32, b1: f32, b2: f32,
  eps: f32, b1t: f32, b2t: f32, lambda: f32, decay: bool): void {
  const vb1 = f32x4.splat(b1), vc1 = f32x4.splat(1 - b1), vb2 = f32x4.splat(b2), vc2 = f32x4.splat(1 - b2);
  const sm = f32x4.splat(1 / (1 - b1t)), sv = f32x4.splat(1 / (1 - b2t));
  const ve = f32x4.splat(eps), veta = f32x4.splat(eta), wd = f32x4.splat(lambda);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(x + o, adam_step(x, g, m, v, o, vb1, vc1, vb2, vc2, sm, sv, ve, veta, wd, decay));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const xo = load<f32>(x + o), gg = load<f32>(g + o);
    const nm = b1 * load<f32>(m + o) + (1 - b1) * gg;
    const nv = b2 * load<f32>(v + o) + (1 - b2) * gg * gg;
    store<f32>(m + o, nm);
    store<f32>(v + o, nv);
    let d = nm * f32x4.extract_lane(sm, 0) / (Mathf.sqrt(nv * f32x4.extract_lane(sv, 0)) + eps);
    if (decay) d += lambda * xo;
    store<f32>(x + o, xo - eta * d);
  }
}

/** Adam (Kingma & Ba, arXiv:1412.6980): m, v moments; bias-corrected step. */
export function adam(x: usize, g: usize, m: usize, v: usize, guard: usize, n: i32, eta: f32, b1: f32, b2: f32, eps: f32, b1t: f32, b2t: f32): void {
  if (finiteAt(guard)) adam_run(x, g, m, v, n, eta, b1, b2, eps, b1t, b2t, 0, false);
}

/** AdamW (Loshchilov & Hutter, arXiv:1711.05101), coupled as Optimisers.jl: Δ = η(d + λx). */
export function adamw(x: usize, g: usize, m: usize, v: usize, guard: usize, n: i32, eta: f32, b1: f32, b2: f32, eps: f32, b1t: f32, b2t: f32, lambda: f32): void {
  if (finiteAt(guard)) adam_run(x, g, m, v, n, eta, b1, b2, eps, b1t, b2t, lambda, true);
}
