// binary: c[i0,i1,i2] = a[i0·as0 + i1·as1 + i2·as2] op b[i0·bs0 + i1·bs1 + i2·bs2], c contiguous
// [d0,d1,d2], strides in elements (0 = broadcast). The innermost dim runs SIMD when the inner
// strides are (1,1), (1,0) or (0,1); other strides gather four lanes. One vector definition per
// op (`vbinary`), instantiated per op code so the switch folds; tails run it on a padded vector. O(n).
import * as C from "../../build/gen/codes";
import { vlog, vpow, sel, tailSlot, tailStore } from "../simd";

@inline function vbinary(op: i32, a: v128, b: v128): v128 {
  switch (op) {
    case C.B_ADD: return f32x4.add(a, b);
    case C.B_SUB: return f32x4.sub(a, b);
    case C.B_MUL: return f32x4.mul(a, b);
    case C.B_DIV: return f32x4.div(a, b);
    case C.B_POW: return vpow(a, b);
    case C.B_MAXIMUM: return f32x4.max(a, b);
    case C.B_MINIMUM: return f32x4.min(a, b);
    case C.B_GREATER: return v128.and(f32x4.gt(a, b), f32x4.splat(1));
    case C.B_XLOGY: return sel(f32x4.eq(a, f32x4.splat(0)), f32x4.splat(0), f32x4.mul(a, vlog(b)));
    case C.B_EQUAL: return v128.and(f32x4.eq(a, b), f32x4.splat(1));
  }
  unreachable(); // binary's switch passes only the codes above
  return a;
}

/** The last n - i (< 4) elements, gathered with element strides into padded vectors. */
@inline function tail(op: i32, a: usize, b: usize, c: usize, i: i32, n: i32, as: i32, bs: i32): void {
  const r = n - i;
  if (r <= 0) return;
  const ta = tailSlot(1), tb = tailSlot(2);
  v128.store(ta, f32x4.splat(0)); v128.store(tb, f32x4.splat(0));
  for (let k = 0; k < r; k++) {
    store<f32>(ta + (<usize>k << 2), load<f32>(a + (<usize>((i + k) * as) << 2)));
    store<f32>(tb + (<usize>k << 2), load<f32>(b + (<usize>((i + k) * bs) << 2)));
  }
  tailStore(vbinary(op, v128.load(ta), v128.load(tb)), c + (<usize>i << 2), r);
}

/** One innermost row of n elements. */
@inline function row(op: i32, a: usize, b: usize, c: usize, n: i32, as: i32, bs: i32): void {
  let i = 0;
  if (as == 1 && bs == 1) {
    for (; i + 4 <= n; i += 4) { const o = <usize>i << 2; v128.store(c + o, vbinary(op, v128.load(a + o), v128.load(b + o))); }
  } else if (as == 1 && bs == 0) {
    const vb = v128.load32_splat(b);
    for (; i + 4 <= n; i += 4) { const o = <usize>i << 2; v128.store(c + o, vbinary(op, v128.load(a + o), vb)); }
  } else if (as == 0 && bs == 1) {
    const va = v128.load32_splat(a);
    for (; i + 4 <= n; i += 4) { const o = <usize>i << 2; v128.store(c + o, vbinary(op, va, v128.load(b + o))); }
  } else {
    const sa = <usize>as << 2, sb = <usize>bs << 2;
    let pa = a, pb = b;
    for (; i + 4 <= n; i += 4) {
      let va = f32x4.splat(load<f32>(pa)), vb = f32x4.splat(load<f32>(pb));
      va = f32x4.replace_lane(va, 1, load<f32>(pa + sa)); vb = f32x4.replace_lane(vb, 1, load<f32>(pb + sb));
      va = f32x4.replace_lane(va, 2, load<f32>(pa + 2 * sa)); vb = f32x4.replace_lane(vb, 2, load<f32>(pb + 2 * sb));
      va = f32x4.replace_lane(va, 3, load<f32>(pa + 3 * sa)); vb = f32x4.replace_lane(vb, 3, load<f32>(pb + 3 * sb));
      v128.store(c + (<usize>i << 2), vbinary(op, va, vb));
      pa += 4 * sa; pb += 4 * sb;
    }
  }
  tail(op, a, b, c, i, n, as, bs);
}

@inline function run(op: i32, a: usize, b: usize, c: usize, d0: i32, d1: i32, d2: i32,
  as0: i32, as1: i32, as2: i32, bs0: i32, bs1: i32, bs2: i32): void {
  // fold a fully contiguous, non-broadcast pair into one long row
  if (as2 == 1 && bs2 == 1 && as1 == d2 && bs1 == d2 && as0 == d1 * d2 && bs0 == d1 * d2) {
    row(op, a, b, c, d0 * d1 * d2, 1, 1);
    return;
  }
  for (let i0 = 0; i0 < d0; i0++) {
    for (let i1 = 0; i1 < d1; i1++) {
      const pa = a + (<usize>(i0 * as0 + i1 * as1) << 2), pb = b + (<usize>(i0 * bs0 + i1 * bs1) << 2);
      row(op, pa, pb, c + (<usize>((i0 * d1 + i1) * d2) << 2), d2, as2, bs2);
    }
  }
}

/** KERNELS.binary; an unknown op code traps. */
export function binary(op: i32, a: usize, b: usize, c: usize, d0: i32, d1: i32, d2: i32,
  as0: i32, as1: i32, as2: i32, bs0: i32, bs1: i32, bs2: i32): void {
  if (d0 <= 0 || d1 <= 0 || d2 <= 0) return;
  // normalise: drop unit inner dims, merge dims that are contiguous in both operands
  for (let t = 0; t < 2; t++) {
    if (d2 == 1) { d2 = d1; as2 = as1; bs2 = bs1; d1 = d0; as1 = as0; bs1 = bs0; d0 = 1; as0 = 0; bs0 = 0; }
    else if (d1 > 1 && as1 == d2 * as2 && bs1 == d2 * bs2) { d2 *= d1; d1 = d0; as1 = as0; bs1 = bs0; d0 = 1; as0 = 0; bs0 = 0; }
  }
  switch (op) {
    case C.B_ADD: run(C.B_ADD, a, b, c, d0, d1, d2, as0, as1, as2, bs0, bs1, bs2); break;
    case C.B_SUB: run(C.B_SUB, a, b, c, d0, d1, d2, as0, as1, as2, bs0, bs1, bs2); break;
    case C.B_MUL: run(C.B_MUL, a, b, c, d0, d1, d2, as0, as1, as2, bs0, bs1, bs2); break;
    case C.B_DIV: run(C.B_DIV, a, b, c, d0, d1, d2, as0, as1, as2, bs0, bs1, bs2); break;
    case C.B_POW: run(C.B_POW, a, b, c, d0, d1, d2, as0, as1, as2, bs0, bs1, bs2); break;
    case C.B_MAXIMUM: run(C.B_MAXIMUM, a, b, c, d0, d1, d2, as0, as1, as2, bs0, bs1, bs2); break;
    case C.B_MINIMUM: run(C.B_MINIMUM, a, b, c, d0, d1, d2, as0, as1, as2, bs0, bs1, bs2); break;
    case C.B_GREATER: run(C.B_GREATER, a, b, c, d0, d1, d2, as0, as1, as2, bs0, bs1, bs2); break;
    case C.B_XLOGY: run(C.B_XLOGY, a, b, c, d0, d1, d2, as0, as1, as2, bs0, bs1, bs2); break;
    case C.B_EQUAL: run(C.B_EQUAL, a, b, c, d0, d1, d2, as0, as1, as2, bs0, bs1, bs2); break;
    default: unreachable();
  }
}
