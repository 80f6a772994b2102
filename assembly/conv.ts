// Helpers shared by im2col, col2im, pool and poolGrad. Their layouts keep the batch (or
// channels·batch) axis fastest, so each spatial position is one contiguous run of floats: the
// kernels work run by run (the run loops below, v128 with a scalar tail), and the bounds of each
// spatial dim are solved once per loop (lo, hi) instead of being tested per element.
import { tls, CONV_GEO } from "./tls";

/** First t in [0, len) with t·s + off ≥ 0 (len when none); s > 0. */
@inline export function lo(off: i32, s: i32, len: i32): i32 {
  return off >= 0 ? 0 : min(len, (s - 1 - off) / s);
}

/** One past the last t in [0, len) with t·s + off < w, never below `from` (so [from, hi) may be empty). */
@inline export function hi(off: i32, s: i32, w: i32, len: i32, from: i32): i32 {
  const r = w - 1 - off;
  return r < 0 ? from : max(from, min(len, r / s + 1));
}

// The geometry (w, k, o, s, d, p, and the written rows [r0, r1) of x, each for dims 1–3) as
// im2col/col2im use it, after `canon`: in this thread's scratch (tls), as threads run them at once.
@inline export function geo(field: i32, dim: i32): i32 { return load<i32>(tls(CONV_GEO + (<usize>(field * 3 + dim) << 2))); }
@inline function put(field: i32, dim: i32, v: i32): void { store<i32>(tls(CONV_GEO + (<usize>(field * 3 + dim) << 2)), v); }

/**
 * Stores the geometry with the unused spatial dims (size, kernel and output 1, no padding) moved
 * first. The layouts do not change (a dim of 1 is no dim), but a 1-D or 2-D geometry then ends
 * in dim 3, the one whose runs can join into one copy. [r0, r1): the rows of x's dim 1 a part of
 * col2im writes (0, w1 for all); the other dims are whole.
 */
export function canon(w1: i32, w2: i32, w3: i32, k1: i32, k2: i32, k3: i32, o1: i32, o2: i32, o3: i32,
  s1: i32, s2: i32, s3: i32, d1: i32, d2: i32, d3: i32, p1: i32, p2: i32, p3: i32, r0: i32, r1: i32): void {
  put(0, 0, w1); put(0, 1, w2); put(0, 2, w3); put(1, 0, k1); put(1, 1, k2); put(1, 2, k3);
  put(2, 0, o1); put(2, 1, o2); put(2, 2, o3); put(3, 0, s1); put(3, 1, s2); put(3, 2, s3);
  put(4, 0, d1); put(4, 1, d2); put(4, 2, d3); put(5, 0, p1); put(5, 1, p2); put(5, 2, p3);
  put(6, 0, r0); put(6, 1, 0); put(6, 2, 0); put(7, 0, r1); put(7, 1, w2); put(7, 2, w3);
  let to = 2;
  for (let t = 2; t >= 0; t--) {
    if (geo(0, t) == 1 && geo(1, t) == 1 && geo(2, t) == 1 && geo(5, t) == 0) continue;
    if (to != t) for (let f = 0; f < 8; f++) put(f, to, geo(f, t));
    to--;
  }
  for (; to >= 0; to--) for (let f = 0; f < 8; f++) put(f, to, f == 5 || f == 6 ? 0 : 1);
}

// Below this many bytes a run is copied or zeroed by a v128 loop: memory.copy/fill are calls into
// the engine, slower than the loop for the short runs (one batch of one position) these kernels move.
const BULK: usize = 512;

/** dst[0 … bytes) = src[…] (bytes a multiple of 4). */
@inline export function copyRun(dst: usize, src: usize, bytes: usize): void {
  if (bytes >= BULK) { memory.copy(dst, src, bytes); return; }
  let i: usize = 0;
  for (; i + 16 <= bytes; i += 16) v128.store(dst + i, v128.load(src + i));
  for (; i < bytes; i += 4) store<u32>(dst + i, load<u32>(src + i));
}

/** dst[0 … bytes) = 0 (a plain function: the kernels zero in many places, never in their hottest loop). */
export function zeroRun(dst: usize, bytes: usize): void {
  if (bytes >= BULK) { memory.fill(dst, 0, bytes); return; }
  let i: usize = 0;
  for (; i + 16 <= bytes; i += 16) v128.store(dst + i, i32x4.splat(0));
  for (; i < bytes; i += 4) store<u32>(dst + i, 0);
}

/** dst += src over a run. */
@inline export function addRun(dst: usize, src: usize, bytes: usize): void {
  let i: usize = 0;
  for (; i + 16 <= bytes; i += 16) v128.store(dst + i, f32x4.add(v128.load(dst + i), v128.load(src + i)));
  for (; i < bytes; i += 4) store<f32>(dst + i, load<f32>(dst + i) + load<f32>(src + i));
}

/** dst = max(dst, src) over a run (NaN wins, as f32.max does). */
@inline export function maxRun(dst: usize, src: usize, bytes: usize): void {
  let i: usize = 0;
  for (; i + 16 <= bytes; i += 16) v128.store(dst + i, f32x4.max(v128.load(dst + i), v128.load(src + i)));
  for (; i < bytes; i += 4) store<f32>(dst + i, max<f32>(load<f32>(dst + i), load<f32>(src + i)));
}

// The means multiply by 1/k: f32x4.div measured several times slower than the whole pass.

/** dst += src · r over a run. */
@inline export function addMulRun(dst: usize, src: usize, bytes: usize, r: f32): void {
  const rv = f32x4.splat(r);
  let i: usize = 0;
  for (; i + 16 <= bytes; i += 16) v128.store(dst + i, f32x4.add(v128.load(dst + i), f32x4.mul(v128.load(src + i), rv)));
  for (; i < bytes; i += 4) store<f32>(dst + i, load<f32>(dst + i) + load<f32>(src + i) * r);
}

/** dst ·= r over a run. */
@inline export function mulRun(dst: usize, bytes: usize, r: f32): void {
  const rv = f32x4.splat(r);
  let i: usize = 0;
  for (; i + 16 <= bytes; i += 16) v128.store(dst + i, f32x4.mul(v128.load(dst + i), rv));
  for (; i < bytes; i += 4) store<f32>(dst + i, load<f32>(dst + i) * r);
}

/** dst = value over a run. */
export function fillRun(dst: usize, bytes: usize, value: f32): void {
  const v = f32x4.splat(value);
  let i: usize = 0;
  for (; i + 16 <= bytes; i += 16) v128.store(dst + i, v);
  for (; i < bytes; i += 4) store<f32>(dst + i, value);
}
