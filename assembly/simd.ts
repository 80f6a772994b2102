// @inline SIMD helpers shared by the kernels: fused multiply-add (relaxed when the build has it),
// horizontal sums, and vector exp/log (Cephes-style range reduction + minimax polynomial,
// |rel err| ~1e-7 on their domains; results match Mathf within a few ulp).

/** True when the f32 at `p` is finite: an optimiser update's guard (the step's loss). */
@inline export function finiteAt(p: usize): bool {
  return (load<u32>(p) & 0x7fffffff) < 0x7f800000;
}

/** a·b + c. With relaxed SIMD: one f32x4.relaxed_madd (FMA on x64); else mul + add. */
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** Sum of the four lanes. */
@inline export function hsum(v: v128): f32 {
  const s = f32x4.add(v, f32x4.shuffle(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(f32x4.add(s, f32x4.shuffle(s, s, 1, 0, 3, 2)), 0);
}

@inline export function hmax(v: v128): f32 {
  const s = f32x4.max(v, f32x4.shuffle(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(f32x4.max(s, f32x4.shuffle(s, s, 1, 0, 3, 2)), 0);
}

@inline export function hmin(v: v128): f32 {
  const s = f32x4.min(v, f32x4.shuffle(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(f32x4.min(s, f32x4.shuffle(s, s, 1, 0, 3, 2)), 0);
}

@inline export function vsplat(x: f32): v128 {
  return f32x4.splat(x);
}

/**
 * e^x per lane. Range reduction x = n·ln2 + r, |r| ≤ ln2/2 (ln2 split in two for exactness),
 * degree-5 Cephes polynomial for e^r, then scale by 2^n built in the exponent bits.
 * x > 88.72 → +Inf, x < −103 → 0, NaN → NaN.
 */
@inline export function vexp(x: v128): v128 {
  const xc = f32x4.pmin(f32x4.pmax(x, f32x4.splat(-103.972)), f32x4.splat(88.72283)); // pmin/pmax: one minps/maxps each
  // round(x·log2 e) with the 1.5·2^23 trick: t's low mantissa bits hold n as an integer
  const t = f32x4.add(f32x4.mul(xc, f32x4.splat(1.44269504088896341)), f32x4.splat(12582912.0));
  const fx = f32x4.sub(t, f32x4.splat(12582912.0));
  let r = f32x4.sub(xc, f32x4.mul(fx, f32x4.splat(0.693359375)));
  r = f32x4.add(r, f32x4.mul(fx, f32x4.splat(2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = madd(p, r, f32x4.splat(1.3981999507e-3));
  p = madd(p, r, f32x4.splat(8.3334519073e-3));
  p = madd(p, r, f32x4.splat(4.1665795894e-2));
  p = madd(p, r, f32x4.splat(1.6666665459e-1));
  p = madd(p, r, f32x4.splat(5.0000001201e-1));
  const r2 = f32x4.mul(r, r);
  p = f32x4.add(madd(p, r2, r), f32x4.splat(1.0));
  // 2^n for n in [-126, 128]: split in two factors so n = 128 and n < -126 are exact
  const n = i32x4.sub(t, i32x4.splat(0x4b400000));
  const n1 = i32x4.shr_s(n, 1);
  const s1 = i32x4.shl(i32x4.add(n1, i32x4.splat(127)), 23);
  const s2 = i32x4.shl(i32x4.add(i32x4.sub(n, n1), i32x4.splat(127)), 23);
  let y = f32x4.mul(f32x4.mul(p, s1), s2);
  // overflow / underflow / NaN
  y = v128.bitselect(f32x4.splat(Infinity), y, f32x4.gt(x, f32x4.splat(88.72283)));
  y = v128.bitselect(f32x4.splat(0), y, f32x4.lt(x, f32x4.splat(-103.972)));
  return v128.bitselect(x, y, f32x4.ne(x, x));
}

/**
 * ln x per lane (Cephes logf): x = m·2^e with m in [√½, √2), polynomial in m − 1.
 * x = 0 → −Inf, x < 0 or NaN → NaN, +Inf → +Inf. Subnormals are scaled first.
 */
@inline export function vlog(x: v128): v128 {
  // scale subnormals by 2^23
  const sub = f32x4.lt(x, f32x4.splat(1.17549435e-38));
  const xs = v128.bitselect(f32x4.mul(x, f32x4.splat(8388608.0)), x, sub);
  const bias = v128.bitselect(i32x4.splat(23), i32x4.splat(0), sub);
  const bits = xs;
  let e = i32x4.sub(i32x4.sub(i32x4.shr_u(bits, 23), i32x4.splat(126)), bias);
  let mnt = v128.or(v128.and(bits, i32x4.splat(0x007fffff)), i32x4.splat(0x3f000000)); // [0.5, 1)
  const small = f32x4.lt(mnt, f32x4.splat(0.707106781186547524));
  e = i32x4.add(e, small); // true lanes are -1
  const ef = f32x4.convert_i32x4_s(e);
  let r = f32x4.sub(f32x4.add(mnt, v128.and(mnt, small)), f32x4.splat(1.0));
  const z = f32x4.mul(r, r);
  let p = f32x4.splat(7.0376836292e-2);
  p = madd(p, r, f32x4.splat(-1.1514610310e-1));
  p = madd(p, r, f32x4.splat(1.1676998740e-1));
  p = madd(p, r, f32x4.splat(-1.2420140846e-1));
  p = madd(p, r, f32x4.splat(1.4249322787e-1));
  p = madd(p, r, f32x4.splat(-1.6668057665e-1));
  p = madd(p, r, f32x4.splat(2.0000714765e-1));
  p = madd(p, r, f32x4.splat(-2.4999993993e-1));
  p = madd(p, r, f32x4.splat(3.3333331174e-1));
  p = f32x4.mul(f32x4.mul(p, r), z);
  p = madd(ef, f32x4.splat(-2.12194440e-4), p);
  p = f32x4.sub(p, f32x4.mul(z, f32x4.splat(0.5)));
  let y = f32x4.add(f32x4.add(r, p), f32x4.mul(ef, f32x4.splat(0.693359375)));
  y = v128.bitselect(f32x4.splat(-Infinity), y, f32x4.eq(x, f32x4.splat(0)));
  y = v128.bitselect(f32x4.splat(NaN), y, f32x4.lt(x, f32x4.splat(0)));
  y = v128.bitselect(x, y, v128.or(f32x4.ne(x, x), f32x4.eq(x, f32x4.splat(Infinity))));
  return y;
}

/** e^x − 1 per lane, accurate near 0 (Taylor to x⁸ for |x| < 0.5, else vexp − 1). */
@inline export function vexpm1(x: v128): v128 {
  let p = f32x4.splat(2.48015873e-5);
  p = madd(p, x, f32x4.splat(1.98412698e-4));
  p = madd(p, x, f32x4.splat(1.38888889e-3));
  p = madd(p, x, f32x4.splat(8.33333333e-3));
  p = madd(p, x, f32x4.splat(4.16666667e-2));
  p = madd(p, x, f32x4.splat(1.66666667e-1));
  p = madd(p, x, f32x4.splat(0.5));
  const small = madd(p, f32x4.mul(x, x), x);
  const big = f32x4.sub(vexp(x), f32x4.splat(1.0));
  return v128.bitselect(small, big, f32x4.lt(f32x4.abs(x), f32x4.splat(0.5)));
}

/** ln(1 + x) per lane, accurate near 0: log(w)·x/(w − 1) with w = 1 + x (Goldberg). */
@inline export function vlog1p(x: v128): v128 {
  const w = f32x4.add(x, f32x4.splat(1.0));
  const d = f32x4.sub(w, f32x4.splat(1.0));
  const lw = vlog(w);
  const r = f32x4.mul(lw, f32x4.div(x, d));
  const exact = v128.or(f32x4.eq(d, f32x4.splat(0)), f32x4.eq(w, f32x4.splat(Infinity)));
  return v128.bitselect(v128.bitselect(x, lw, f32x4.eq(d, f32x4.splat(0))), r, exact);
}

/** 1/(1 + e^−x) per lane without overflow: e = e^−|x| ∈ (0, 1]. */
@inline export function vsigmoid(x: v128): v128 {
  const e = vexp(f32x4.neg(f32x4.abs(x)));
  const r = f32x4.div(f32x4.splat(1.0), f32x4.add(f32x4.splat(1.0), e));
  return v128.bitselect(f32x4.mul(e, r), r, f32x4.lt(x, f32x4.splat(0)));
}

/** tanh per lane: sign(x)·(−em)/(em + 2), em = expm1(−2|x|) ∈ (−1, 0]. */
@inline export function vtanh(x: v128): v128 {
  const em = vexpm1(f32x4.mul(f32x4.abs(x), f32x4.splat(-2.0)));
  const t = f32x4.div(f32x4.neg(em), f32x4.add(em, f32x4.splat(2.0)));
  return v128.or(t, v128.and(x, i32x4.splat(0x80000000))); // copy the sign of x (t ≥ 0)
}

/** log(1 + e^−|x|), the overflow-safe tail of log(1 + eˣ). */
@inline export function vlog1pexp_neg_abs(x: v128): v128 {
  return vlog1p(vexp(f32x4.neg(f32x4.abs(x))));
}

/** x^p per lane with Mathf.pow (musl powf). */
export function vpow(x: v128, p: v128): v128 {
  let r = f32x4.splat(Mathf.pow(f32x4.extract_lane(x, 0), f32x4.extract_lane(p, 0)));
  r = f32x4.replace_lane(r, 1, Mathf.pow(f32x4.extract_lane(x, 1), f32x4.extract_lane(p, 1)));
  r = f32x4.replace_lane(r, 2, Mathf.pow(f32x4.extract_lane(x, 2), f32x4.extract_lane(p, 2)));
  return f32x4.replace_lane(r, 3, Mathf.pow(f32x4.extract_lane(x, 3), f32x4.extract_lane(p, 3)));
}

/** Lane-wise select: c ? a : b (c a comparison mask). */
@inline export function sel(c: v128, a: v128, b: v128): v128 {
  return v128.bitselect(a, b, c);
}
