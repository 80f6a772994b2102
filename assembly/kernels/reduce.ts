// reduce: y[o,i] = reduce_l x[o,l,i], x viewed [outer,len,inner], y [outer,inner].
// inner == 1: SIMD along len (16 lanes); inner ≥ 4: SIMD across inner, 4 columns at a time.
// Sums are accumulated in f32 over blocks of BLK rows, block totals in f64, so the error stays
// ~ (BLK/lanes + 1)·ε for len up to ~1e6. argmax/argmin: first extremum, index as f32; a NaN
// beats every number and the first NaN wins (Julia's findmax; max/min return NaN). O(n).
import * as C from "../../build/gen/codes";
import { hsum, hmax, hmin } from "../simd";

const BLK: i32 = 256;

@inline function vinit(op: i32): v128 {
  if (op == C.R_MAX || op == C.R_ARGMAX) return f32x4.splat(-Infinity);
  if (op == C.R_MIN || op == C.R_ARGMIN) return f32x4.splat(Infinity);
  return f32x4.splat(0);
}

@inline function vstep(op: i32, s: v128, x: v128): v128 {
  if (op == C.R_MAX) return f32x4.max(s, x);
  if (op == C.R_MIN) return f32x4.min(s, x);
  if (op == C.R_SUMSQ) return f32x4.add(s, f32x4.mul(x, x));
  return f32x4.add(s, x);
}

@inline function isSum(op: i32): bool { return op == C.R_SUM || op == C.R_MEAN || op == C.R_SUMSQ; }

/** Reduce len contiguous values at x (inner == 1). */
@inline function reduce_row(op: i32, x: usize, len: i32): f32 {
  if (op == C.R_ARGMAX || op == C.R_ARGMIN) {
    let best = load<f32>(x), bi = 0;
    for (let l = 1; l < len && best == best; l++) {
      const v = load<f32>(x + (<usize>l << 2));
      if (v != v || (op == C.R_ARGMAX ? v > best : v < best)) { best = v; bi = l; }
    }
    return <f32>bi;
  }
  let total: f64 = 0;
  let r: f32 = op == C.R_MAX ? -Infinity : op == C.R_MIN ? Infinity : 0;
  let l = 0;
  while (l + 16 <= len) {
    let s0 = vinit(op), s1 = vinit(op), s2 = vinit(op), s3 = vinit(op);
    const end = min(len & ~15, l + BLK);
    for (; l < end; l += 16) {
      const p = x + (<usize>l << 2);
      s0 = vstep(op, s0, v128.load(p)); s1 = vstep(op, s1, v128.load(p, 16));
      s2 = vstep(op, s2, v128.load(p, 32)); s3 = vstep(op, s3, v128.load(p, 48));
    }
    if (op == C.R_MAX) r = max(r, hmax(f32x4.max(f32x4.max(s0, s1), f32x4.max(s2, s3))));
    else if (op == C.R_MIN) r = min(r, hmin(f32x4.min(f32x4.min(s0, s1), f32x4.min(s2, s3))));
    else total += <f64>hsum(f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3)));
  }
  for (; l < len; l++) {
    const v = load<f32>(x + (<usize>l << 2));
    if (op == C.R_MAX) r = max(r, v);
    else if (op == C.R_MIN) r = min(r, v);
    else total += op == C.R_SUMSQ ? <f64>v * v : <f64>v;
  }
  if (op == C.R_MEAN) return <f32>(total / len);
  return isSum(op) ? <f32>total : r;
}

/** Reduce 4 columns (stride inner) over len rows, into y (4 floats). */
@inline function reduce_cols4(op: i32, x: usize, y: usize, len: i32, inner: i32): void {
  const ld = <usize>inner << 2;
  if (op == C.R_ARGMAX || op == C.R_ARGMIN) {
    let best = v128.load(x), bi = f32x4.splat(0);
    for (let l = 1; l < len; l++) {
      const v = v128.load(x + <usize>l * ld);
      const cmp = op == C.R_ARGMAX ? f32x4.gt(v, best) : f32x4.lt(v, best);
      const better = v128.and(f32x4.eq(best, best), v128.or(cmp, f32x4.ne(v, v)));
      best = v128.bitselect(v, best, better);
      bi = v128.bitselect(f32x4.splat(<f32>l), bi, better);
    }
    v128.store(y, bi);
    return;
  }
  let lo = f32x4.splat(0), hi = f32x4.splat(0); // f64x2 block totals
  let r = vinit(op);
  for (let l0 = 0; l0 < len; l0 += BLK) {
    let s = vinit(op);
    const end = min(len, l0 + BLK);
    for (let l = l0; l < end; l++) s = vstep(op, s, v128.load(x + <usize>l * ld));
    if (isSum(op)) {
      lo = f64x2.add(lo, f64x2.promote_low_f32x4(s));
      hi = f64x2.add(hi, f64x2.promote_low_f32x4(f32x4.shuffle(s, s, 2, 3, 0, 1)));
    } else r = vstep(op, r, s);
  }
  if (isSum(op)) {
    if (op == C.R_MEAN) { lo = f64x2.div(lo, f64x2.splat(<f64>len)); hi = f64x2.div(hi, f64x2.splat(<f64>len)); }
    r = f32x4.shuffle(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5);
  }
  v128.store(y, r);
}

@inline function run(op: i32, x: usize, y: usize, outer: i32, len: i32, inner: i32): void {
  for (let o = 0; o < outer; o++) {
    const xo = x + (<usize>o * <usize>len * <usize>inner << 2), yo = y + (<usize>(o * inner) << 2);
    if (inner == 1) { store<f32>(yo, reduce_row(op, xo, len)); continue; }
    let i = 0;
    for (; i + 4 <= inner; i += 4) reduce_cols4(op, xo + (<usize>i << 2), yo + (<usize>i << 2), len, inner);
    for (; i < inner; i++) {
      // scalar column: same rules, f64 accumulation
      const xi = xo + (<usize>i << 2), ld = <usize>inner << 2;
      let acc: f64 = op == C.R_MAX || op == C.R_ARGMAX ? -Infinity : op == C.R_MIN || op == C.R_ARGMIN ? Infinity : 0;
      let bi = 0;
      for (let l = 0; l < len; l++) {
        const v = <f64>load<f32>(xi + <usize>l * ld);
        if (op == C.R_MAX) acc = max(acc, v);
        else if (op == C.R_MIN) acc = min(acc, v);
        else if (op == C.R_ARGMAX) { if (l == 0 || (acc == acc && (v != v || v > acc))) { acc = v; bi = l; } }
        else if (op == C.R_ARGMIN) { if (l == 0 || (acc == acc && (v != v || v < acc))) { acc = v; bi = l; } }
        else acc += op == C.R_SUMSQ ? v * v : v;
      }
      if (op == C.R_MEAN) acc /= len;
      store<f32>(yo + (<usize>i << 2), op == C.R_ARGMAX || op == C.R_ARGMIN ? <f32>bi : <f32>acc);
    }
  }
}

/** KERNELS.reduce; an unknown op code traps. */
export function reduce(op: i32, x: usize, y: usize, outer: i32, len: i32, inner: i32): void {
  if (len <= 0) return;
  switch (op) {
    case C.R_SUM: run(C.R_SUM, x, y, outer, len, inner); break;
    case C.R_MEAN: run(C.R_MEAN, x, y, outer, len, inner); break;
    case C.R_MAX: run(C.R_MAX, x, y, outer, len, inner); break;
    case C.R_MIN: run(C.R_MIN, x, y, outer, len, inner); break;
    case C.R_ARGMAX: run(C.R_ARGMAX, x, y, outer, len, inner); break;
    case C.R_ARGMIN: run(C.R_ARGMIN, x, y, outer, len, inner); break;
    case C.R_SUMSQ: run(C.R_SUMSQ, x, y, outer, len, inner); break;
    default: unreachable();
  }
}
