// strided: y[i0,…,i5] = x[off + Σ ik·sk], y contiguous [d0,…,d5], strides in elements (0
// broadcasts, negative walks backwards). permutedims, slices and broadcasts are this one copy.
// Dims are first normalised (unit dims dropped, neighbours that are contiguous in x merged), so
// a slice of whole rows becomes one long run. The innermost dim then runs as a SIMD copy
// (stride 1), a splat (stride 0) or a scalar gather; the outer dims are pointer counters, with
// no division per element. stridedWrite is the same walk writing y through the strides from a
// contiguous x (cat, the adjoint of a slice). O(n).

import { tls } from "../tls";

// Normalised dims and element strides, innermost last, in this thread's scratch (tls.ts, bytes
// 64-87 and 88-111: the module allocates nothing).
@inline function DIMS(): usize { return tls(64); }
@inline function STEPS(): usize { return tls(88); }

@inline function dim(k: i32): i32 { return load<i32>(DIMS() + (<usize>k << 2)); }
@inline function step(k: i32): i32 { return load<i32>(STEPS() + (<usize>k << 2)); }

/** Appends dim (d, s) outside the ones kept so far (walking from the innermost); returns the new count. */
@inline function push(r: i32, d: i32, s: i32): i32 {
  if (d == 1) return r;
  if (r > 0) {
    const k = 6 - r; // the dim just inside this one
    if (s == dim(k) * step(k)) { store<i32>(DIMS() + (<usize>k << 2), dim(k) * d); return r; }
  }
  store<i32>(DIMS() + (<usize>(5 - r) << 2), d);
  store<i32>(STEPS() + (<usize>(5 - r) << 2), s);
  return r + 1;
}

/**
 * One innermost run of d elements from src to dst, byte strides ss and ds, one of them 4
 * (the contiguous side): a SIMD copy when both are 4, a splat from a stride-0 source, else scalar.
 */
@inline function run(src: usize, dst: usize, d: i32, ss: isize, ds: isize): void {
  let i = 0;
  if (ss == 4 && ds == 4) {
    for (; i + 4 <= d; i += 4) v128.store(dst + (<usize>i << 2), v128.load(src + (<usize>i << 2)));
    for (; i < d; i++) store<f32>(dst + (<usize>i << 2), load<f32>(src + (<usize>i << 2)));
  } else if (ss == 0) {
    const v = v128.load32_splat(src);
    for (; i + 4 <= d; i += 4) v128.store(dst + (<usize>i << 2), v);
    for (; i < d; i++) store<f32>(dst + (<usize>i << 2), f32x4.extract_lane(v, 0));
  } else {
    for (; i < d; i++, src += ss, dst += ds) store<f32>(dst, load<f32>(src));
  }
}

/**
 * The walk both kernels share: the strided side (x + off reading, y + off writing) through the
 * normalised dims, the contiguous side (y reading, x writing) a row at a time.
 */
function walk(x: usize, y: usize, n: i32, off: i32, d0: i32, d1: i32, d2: i32, d3: i32, d4: i32, d5: i32,
  s0: i32, s1: i32, s2: i32, s3: i32, s4: i32, s5: i32, write: bool): void {
  if (n <= 0 || d0 <= 0 || d1 <= 0 || d2 <= 0 || d3 <= 0 || d4 <= 0 || d5 <= 0) return;
  let r = push(0, d5, s5);
  r = push(r, d4, s4); r = push(r, d3, s3); r = push(r, d2, s2); r = push(r, d1, s1); r = push(r, d0, s0);
  if (r == 0) { store<i32>(DIMS() + 20, 1); store<i32>(STEPS() + 20, 0); r = 1; } // one element: a run of one
  for (let k = 0; k < 6 - r; k++) { store<i32>(DIMS() + (<usize>k << 2), 1); store<i32>(STEPS() + (<usize>k << 2), 0); }
  const e0 = dim(0), e1 = dim(1), e2 = dim(2), e3 = dim(3), e4 = dim(4), e5 = dim(5);
  const t0 = <isize>step(0) << 2, t1 = <isize>step(1) << 2, t2 = <isize>step(2) << 2; // byte steps
  const t3 = <isize>step(3) << 2, t4 = <isize>step(4) << 2, t5 = <isize>step(5) << 2;
  const row = <usize>e5 << 2;
  let flat = write ? x : y, p0 = (write ? y : x) + (<usize>off << 2);
  for (let i0 = 0; i0 < e0; i0++, p0 += t0) {
    let p1 = p0;
    for (let i1 = 0; i1 < e1; i1++, p1 += t1) {
      let p2 = p1;
      for (let i2 = 0; i2 < e2; i2++, p2 += t2) {
        let p3 = p2;
        for (let i3 = 0; i3 < e3; i3++, p3 += t3) {
          let p4 = p3;
          for (let i4 = 0; i4 < e4; i4++, p4 += t4) {
            run(write ? flat : p4, write ? p4 : flat, e5, write ? 4 : t5, write ? t5 : 4);
            flat += row;
          }
        }
      }
    }
  }
}

/** KERNELS.strided (rank ≤ 6; unused leading dims are 1). */
export function strided(x: usize, y: usize, n: i32, off: i32, d0: i32, d1: i32, d2: i32, d3: i32, d4: i32, d5: i32,
  s0: i32, s1: i32, s2: i32, s3: i32, s4: i32, s5: i32): void {
  walk(x, y, n, off, d0, d1, d2, d3, d4, d5, s0, s1, s2, s3, s4, s5, false);
}

/** KERNELS.stridedWrite: the same walk with the roles swapped (x contiguous, y through the strides). */
export function stridedWrite(x: usize, y: usize, n: i32, off: i32, d0: i32, d1: i32, d2: i32, d3: i32, d4: i32, d5: i32,
  s0: i32, s1: i32, s2: i32, s3: i32, s4: i32, s5: i32): void {
  walk(x, y, n, off, d0, d1, d2, d3, d4, d5, s0, s1, s2, s3, s4, s5, true);
}
