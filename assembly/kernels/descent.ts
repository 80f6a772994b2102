// descent: x −= eta·g, one fused SIMD pass with a scalar tail. O(n).
import { madd, finiteAt } from "../simd";

/** x −= eta·g, unless guard[0] (the step's loss) is not finite. */
export function descent(x: usize, g: usize, guard: usize, n: i32, eta: f32): void {
  if (!finiteAt(guard)) return;
  const ve = f32x4.splat(-eta);
  let i = 0;
  for (; i + 4 <= n; i += 4) { const o = <usize>i << 2; v128.store(x + o, madd(ve, v128.load(g + o), v128.load(x + o))); }
  for (; i < n; i++) { const o = <usize>i << 2; store<f32>(x + o, load<f32>(x + o) - eta * load<f32>(g + o)); }
}
