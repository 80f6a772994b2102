// softmax / logsoftmax along the middle axis of [outer, len, inner].
// Stable: subtract the slice max. A slice whose max is +Inf gives its +Inf entries equal shares
// of mass 1 and the rest 0 (log: log(1/count) and −Inf). inner == 1: SIMD along the contiguous
// slice; inner ≥ 4: SIMD across 4 slices at a time (lanes whose max is +Inf are redone by the
// scalar path). Three passes over each slice (max, exp-sum, scale). O(n) exps.
import { vexp, vlog, hsum, hmax } from "../simd";

/**
 * ln s for the f64 sum of exps, rounded to f32, without the f64 Math.log: that one's lookup tables
 * are 4 KB of incompressible data, a quarter of the gzipped module. ln s = ln f + ln(s/f) with
 * f = f32(s): Mathf.log (musl logf, < 1 ulp) for the first term, and s/f − 1 (|s/f − 1| < 2⁻²⁴,
 * so ln(1 + δ) = δ to 1e-15) for the second.
 */
@inline function logSum(s: f64): f32 {
  const f = <f32>s;
  return <f32>(<f64>Mathf.log(f) + (s / <f64>f - 1));
}

/** One slice of len values at stride ld bytes (scalar; handles +Inf). */
function slice1(x: usize, y: usize, len: i32, ld: usize, log: i32): void {
  let mx: f32 = -Infinity;
  for (let l = 0; l < len; l++) mx = max(mx, load<f32>(x + <usize>l * ld));
  if (mx == Infinity) {
    let cnt = 0;
    for (let l = 0; l < len; l++) if (load<f32>(x + <usize>l * ld) == Infinity) cnt++;
    const share: f32 = 1 / <f32>cnt;
    for (let l = 0; l < len; l++) {
      const inf = load<f32>(x + <usize>l * ld) == Infinity;
      store<f32>(y + <usize>l * ld, log ? (inf ? Mathf.log(share) : -Infinity) : (inf ? share : 0));
    }
    return;
  }
  let s: f64 = 0;
  for (let l = 0; l < len; l++) {
    const e = f32x4.extract_lane(vexp(f32x4.splat(load<f32>(x + <usize>l * ld) - mx)), 0);
    s += e;
    if (!log) store<f32>(y + <usize>l * ld, e);
  }
  if (log) {
    const ls = logSum(s);
    for (let l = 0; l < len; l++) store<f32>(y + <usize>l * ld, (load<f32>(x + <usize>l * ld) - mx) - ls);
  } else {
    const r = <f32>(1 / s);
    for (let l = 0; l < len; l++) store<f32>(y + <usize>l * ld, load<f32>(y + <usize>l * ld) * r);
  }
}

/** A contiguous slice (inner == 1), SIMD along len. */
function row(x: usize, y: usize, len: i32, log: i32): void {
  let vm = f32x4.splat(-Infinity);
  let l = 0;
  for (; l + 4 <= len; l += 4) vm = f32x4.max(vm, v128.load(x + (<usize>l << 2)));
  let mx = hmax(vm);
  for (; l < len; l++) mx = max(mx, load<f32>(x + (<usize>l << 2)));
  if (mx == Infinity || mx != mx) { slice1(x, y, len, 4, log); return; }
  const m4 = f32x4.splat(mx);
  let vs = f32x4.splat(0);
  let s: f64 = 0;
  for (l = 0; l + 4 <= len; l += 4) {
    const o = <usize>l << 2;
    const e = vexp(f32x4.sub(v128.load(x + o), m4));
    vs = f32x4.add(vs, e);
    if (!log) v128.store(y + o, e);
    if ((l & 1023) == 1020) { s += hsum(vs); vs = f32x4.splat(0); }
  }
  s += hsum(vs);
  for (; l < len; l++) {
    const o = <usize>l << 2;
    const e = f32x4.extract_lane(vexp(f32x4.splat(load<f32>(x + o) - mx)), 0);
    s += e;
    if (!log) store<f32>(y + o, e);
  }
  if (log) {
    const lsf = logSum(s), ls = f32x4.splat(lsf); // (x − max) − log Σ: exact first difference
    for (l = 0; l + 4 <= len; l += 4) { const o = <usize>l << 2; v128.store(y + o, f32x4.sub(f32x4.sub(v128.load(x + o), m4), ls)); }
    for (; l < len; l++) { const o = <usize>l << 2; store<f32>(y + o, (load<f32>(x + o) - mx) - lsf); }
  } else {
    const r = f32x4.splat(<f32>(1 / s));
    for (l = 0; l + 4 <= len; l += 4) { const o = <usize>l << 2; v128.store(y + o, f32x4.mul(v128.load(y + o), r)); }
    for (; l < len; l++) { const o = <usize>l << 2; store<f32>(y + o, load<f32>(y + o) * f32x4.extract_lane(r, 0)); }
  }
}

/** Four slices side by side (stride ld bytes along len). */
function cols4(x: usize, y: usize, len: i32, ld: usize, log: i32): void {
  let vm = f32x4.splat(-Infinity);
  for (let l = 0; l < len; l++) vm = f32x4.max(vm, v128.load(x + <usize>l * ld));
  let vs = f32x4.splat(0);
  for (let l = 0; l < len; l++) {
    const e = vexp(f32x4.sub(v128.load(x + <usize>l * ld), vm));
    vs = f32x4.add(vs, e);
    if (!log) v128.store(y + <usize>l * ld, e);
  }
  if (log) {
    const ls = vlog(vs);
    for (let l = 0; l < len; l++) v128.store(y + <usize>l * ld, f32x4.sub(f32x4.sub(v128.load(x + <usize>l * ld), vm), ls));
  } else {
    const r = f32x4.div(f32x4.splat(1), vs);
    for (let l = 0; l < len; l++) v128.store(y + <usize>l * ld, f32x4.mul(v128.load(y + <usize>l * ld), r));
  }
  // lanes whose max is +Inf (or NaN) are redone by the scalar path
  for (let j = 0; j < 4; j++) if (!(lane(vm, j) < Infinity)) slice1(x + (<usize>j << 2), y + (<usize>j << 2), len, ld, log);
}

@inline function lane(v: v128, j: i32): f32 {
  return j == 0 ? f32x4.extract_lane(v, 0) : j == 1 ? f32x4.extract_lane(v, 1) : j == 2 ? f32x4.extract_lane(v, 2) : f32x4.extract_lane(v, 3);
}

/** KERNELS.softmax: softmax (log = 0) or logsoftmax (log = 1) along len. */
export function softmax(x: usize, y: usize, outer: i32, len: i32, inner: i32, log: i32): void {
  if (len <= 0) return;
  const ld = <usize>inner << 2;
  for (let o = 0; o < outer; o++) {
    const off = <usize>o * <usize>len * ld;
    if (inner == 1) { row(x + off, y + off, len, log); continue; }
    let i = 0;
    for (; i + 4 <= inner; i += 4) cols4(x + off + (<usize>i << 2), y + off + (<usize>i << 2), len, ld, log);
    for (; i < inner; i++) slice1(x + off + (<usize>i << 2), y + off + (<usize>i << 2), len, ld, log);
  }
}
