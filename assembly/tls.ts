// Per-thread scratch: the few bytes of memory a kernel needs besides its arguments (the tail
// slots of simd.ts, strided's normalised dims, the conv kernels' geometry and lane mask). One instance of the module runs per thread, all
// on one shared memory, and a Wasm global is per instance: so the scratch is reached through a
// global that each instance points at its own block (thread_scratch, set by the JS pool before
// the instance runs a kernel). An instance nobody points uses the static block, as the one-thread
// module always does. Only the kernels module imports this file: the relaxed matmul module needs
// no scratch and so carries no data.

/**
 * Bytes of scratch per thread: tail slots 0-3 (64), strided's dims (24) and steps (24); from 128
 * the conv geometry (CONV_GEO, 96); from 256 poolGrad's served-lane mask (POOL_SERVED, 512); from
 * 768 the recurrent steps' buffer pointers (RNN_BASE, 32), a row's (RNN_ROW, 32) and the tail slots'
 * (RNN_SLOT, 32), and the tail slots (RNN_TAILS, 512).
 */
export const TLS_BYTES: i32 = 1376;
export const CONV_GEO: usize = 128;
export const POOL_SERVED: usize = 256;
export const RNN_BASE: usize = 768;
export const RNN_ROW: usize = 800;
export const RNN_SLOT: usize = 832;
export const RNN_TAILS: usize = 864;
const STATIC = memory.data(TLS_BYTES, 16);
let base: usize = STATIC;

/** The address `off` bytes into this instance's scratch. */
@inline export function tls(off: usize): usize { return base + off; }

/** Points this instance's scratch at `p` (TLS_BYTES bytes, 16-aligned); 0 restores the static block. */
export function setTls(p: usize): void { base = p ? p : STATIC; }

// Tails: the last n % 4 elements go through the same vector code via a zeroed 16-byte slot, so
// each op's SIMD body is instantiated once (the module stays small) and every element gets
// bit-identical results wherever it sits. Slots 0-3 are this thread's scratch (bytes 0-63).
/** The `r` (< 4) floats at `src` as a vector, zero-padded, through slot `slot`. */
@inline export function tailLoad(src: usize, r: i32, slot: i32): v128 {
  const t = tls(<usize>slot << 4);
  v128.store(t, f32x4.splat(0));
  memory.copy(t, src, <usize>r << 2);
  return v128.load(t);
}
/** Stores the first `r` lanes of `v` at `dst`. */
@inline export function tailStore(v: v128, dst: usize, r: i32): void {
  const t = tls(0);
  v128.store(t, v);
  memory.copy(dst, t, <usize>r << 2);
}
/** The address of tail slot `slot` (for gathers that fill a slot themselves). */
@inline export function tailSlot(slot: i32): usize { return tls(<usize>slot << 4); }
