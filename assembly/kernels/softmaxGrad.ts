// softmaxGrad along the middle axis of [outer, len, inner], from the forward output y:
//   softmax:    dx = y·(dy − Σ_l dy·y)
//   logsoftmax: dx = dy − exp(y)·Σ_l dy
// inner == 1: SIMD along the slice; else SIMD across 4 slices at a time. Two passes. O(n).
import { vexp, hsum } from "../simd";

/** One contiguous slice. */
function row(y: usize, dy: usize, dx: usize, len: i32, log: i32): void {
  let vs = f32x4.splat(0);
  let s: f64 = 0;
  let l = 0;
  for (; l + 4 <= len; l += 4) {
    const o = <usize>l << 2, g = v128.load(dy + o);
    vs = f32x4.add(vs, log ? g : f32x4.mul(g, v128.load(y + o)));
    if ((l & 1023) == 1020) { s += hsum(vs); vs = f32x4.splat(0); }
  }
  s += hsum(vs);
  for (; l < len; l++) { const o = <usize>l << 2, g = load<f32>(dy + o); s += log ? g : g * load<f32>(y + o); }
  const vsum = f32x4.splat(<f32>s);
  for (l = 0; l + 4 <= len; l += 4) {
    const o = <usize>l << 2, g = v128.load(dy + o), v = v128.load(y + o);
    v128.store(dx + o, log ? f32x4.sub(g, f32x4.mul(vexp(v), vsum)) : f32x4.mul(v, f32x4.sub(g, vsum)));
  }
  for (; l < len; l++) {
    const o = <usize>l << 2, g = f32x4.splat(load<f32>(dy + o)), v = f32x4.splat(load<f32>(y + o));
    const r = log ? f32x4.sub(g, f32x4.mul(vexp(v), vsum)) : f32x4.mul(v, f32x4.sub(g, vsum));
    store<f32>(dx + o, f32x4.extract_lane(r, 0));
  }
}

/** Four slices side by side (stride ld bytes), or one when `one` (lanes 1–3 ignored). */
function cols(y: usize, dy: usize, dx: usize, len: i32, ld: usize, log: i32, one: bool): void {
  let vs = f32x4.splat(0);
  for (let l = 0; l < len; l++) {
    const o = <usize>l * ld;
    const g = one ? f32x4.splat(load<f32>(dy + o)) : v128.load(dy + o);
    vs = f32x4.add(vs, log ? g : f32x4.mul(g, one ? f32x4.splat(load<f32>(y + o)) : v128.load(y + o)));
  }
  for (let l = 0; l < len; l++) {
    const o = <usize>l * ld;
    const g = one ? f32x4.splat(load<f32>(dy + o)) : v128.load(dy + o);
    const v = one ? f32x4.splat(load<f32>(y + o)) : v128.load(y + o);
    const r = log ? f32x4.sub(g, f32x4.mul(vexp(v), vs)) : f32x4.mul(v, f32x4.sub(g, vs));
    if (one) store<f32>(dx + o, f32x4.extract_lane(r, 0)); else v128.store(dx + o, r);
  }
}

/** KERNELS.softmaxGrad, from the forward output y. */
export function softmaxGrad(y: usize, dy: usize, dx: usize, outer: i32, len: i32, inner: i32, log: i32): void {
  if (len <= 0) return;
  const ld = <usize>inner << 2;
  for (let o = 0; o < outer; o++) {
    const off = <usize>o * <usize>len * ld;
    if (inner == 1) { row(y + off, dy + off, dx + off, len, log); continue; }
    let i = 0;
    for (; i + 4 <= inner; i += 4) { const c = off + (<usize>i << 2); cols(y + c, dy + c, dx + c, len, ld, log, false); }
    for (; i < inner; i++) { const c = off + (<usize>i << 2); cols(y + c, dy + c, dx + c, len, ld, log, true); }
  }
}
