// momentum: v = rho·v + eta·g; x −= v, one fused SIMD pass with a scalar tail. O(n).
import { finiteAt } from "../simd";

/** v = rho·v + eta·g; x −= v, unless guard[0] (the step's loss) is not finite. */
export function momentum(x: usize, g: usize, v: usize, guard: usize, n: i32, eta: f32, rho: f32): void {
  if (!finiteAt(guard)) return;
  const ve = f32x4.splat(eta), vr = f32x4.splat(rho);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const nv = f32x4.add(f32x4.mul(vr, v128.load(v + o)), f32x4.mul(ve, v128.load(g + o)));
    v128.store(v + o, nv);
    v128.store(x + o, f32x4.sub(v128.load(x + o), nv));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const nv = rho * load<f32>(v + o) + eta * load<f32>(g + o);
    store<f32>(v + o, nv);
    store<f32>(x + o, load<f32>(x + o) - nv);
  }
}
