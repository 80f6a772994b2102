// @inline helpers shared by im2col, col2im, pool and poolGrad. Their layouts keep the batch (or
// channels·batch) axis fastest, so each spatial position is one contiguous run of floats; the
// kernels work run by run, and the bounds of each spatial dim are solved once per loop instead
// of being tested per element.

/** First t in [0, len) with t·s + off ≥ 0 (len when none); s > 0. */
@inline export function lo(off: i32, s: i32, len: i32): i32 {
  return off >= 0 ? 0 : min(len, (s - 1 - off) / s);
}

/** One past the last t in [0, len) with t·s + off < w, never below `from` (so [from, hi) may be empty). */
@inline export function hi(off: i32, s: i32, w: i32, len: i32, from: i32): i32 {
  const r = w - 1 - off;
  return r < 0 ? from : max(from, min(len, r / s + 1));
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

/** dst[0 … bytes) = 0. */
@inline export function zeroRun(dst: usize, bytes: usize): void {
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

/** dst += src / k over a run. */
@inline export function addDivRun(dst: usize, src: usize, bytes: usize, k: f32): void {
  const kv = f32x4.splat(k);
  let i: usize = 0;
  for (; i + 16 <= bytes; i += 16) v128.store(dst + i, f32x4.add(v128.load(dst + i), f32x4.div(v128.load(src + i), kv)));
  for (; i < bytes; i += 4) store<f32>(dst + i, load<f32>(dst + i) + load<f32>(src + i) / k);
}

/** dst = value over a run. */
@inline export function fillRun(dst: usize, bytes: usize, value: f32): void {
  const v = f32x4.splat(value);
  let i: usize = 0;
  for (; i + 16 <= bytes; i += 16) v128.store(dst + i, v);
  for (; i < bytes; i += 4) store<f32>(dst + i, value);
}
