// map: the elementwise loops of the unary, unaryGrad, biasAct and binary kernels, written once and
// instantiated per op by the code that scripts/asbuild.mjs generates from src/ops/codes.ts.
// `Op` is a generated tag class per op code whose @inline methods f/df forward to act.ts's
// f_NAME/df_NAME (binary ops: binop.ts's b_NAME): AssemblyScript has no value generics and cannot call a static member of a type
// parameter, so the op travels as a type and is reached through a null reference that is never
// dereferenced (the methods ignore `this`). Each instantiation is one non-inlined function with
// the op's SIMD body inlined in its loop: the body is compiled once per op and the loop stays as
// fast as a hand-written one, without the switch-inside-every-loop that made Binaryen fold 30
// bodies per op. Tails run the same vector code on a zero-padded vector (tls.ts), so every
// element gets bit-identical results wherever it sits.
import { tailLoad, tailStore, tailSlot } from "./tls";

/** y[i] = Op.f(x[i]) (y may equal x). */
@inline export function unaryMap<Op>(x: usize, y: usize, n: i32, a: v128, b: v128): void {
  const op = changetype<Op>(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, op.f(v128.load(x + o), a, b));
  }
  const r = n - i, o = <usize>i << 2;
  if (r > 0) tailStore(op.f(tailLoad(x + o, r, 0), a, b), y + o, r);
}

/** dy·d where x is a number, NaN where x is NaN: a NaN input poisons its gradient (ref.ts). */
@inline function poisoned(x: v128, dy: v128, d: v128): v128 {
  return v128.bitselect(x, f32x4.mul(dy, d), f32x4.ne(x, x));
}

/** dx[i] = dy[i]·Op.df(x[i], y[i]) (NaN where x[i] is NaN). */
@inline export function unaryGradMap<Op>(x: usize, y: usize, dy: usize, dx: usize, n: i32, a: v128, b: v128): void {
  const op = changetype<Op>(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2, xv = v128.load(x + o);
    v128.store(dx + o, poisoned(xv, v128.load(dy + o), op.df(xv, v128.load(y + o), a, b)));
  }
  const r = n - i, o = <usize>i << 2;
  if (r > 0) {
    const xv = tailLoad(x + o, r, 0);
    tailStore(poisoned(xv, tailLoad(dy + o, r, 2), op.df(xv, tailLoad(y + o, r, 1), a, b)), dx + o, r);
  }
}

/**
 * y[r,c] = Op.f(x[r,c] + b[r]) for x [rows, cols] (Flux's σ.(W·x .+ b), features first: the
 * bias is per row). beta (clamp's upper bound) is not in this ABI and is +Inf. cols == 1
 * (batch 1) runs SIMD down the column with the bias alongside.
 */
@inline export function biasActMap<Op>(x: usize, b: usize, y: usize, rows: i32, cols: i32, a: v128): void {
  const op = changetype<Op>(0);
  const be = f32x4.splat(Infinity);
  if (cols == 1) {
    let i = 0;
    for (; i + 4 <= rows; i += 4) { const o = <usize>i << 2; v128.store(y + o, op.f(f32x4.add(v128.load(x + o), v128.load(b + o)), a, be)); }
    const r = rows - i, o = <usize>i << 2;
    if (r > 0) tailStore(op.f(f32x4.add(tailLoad(x + o, r, 0), tailLoad(b + o, r, 1)), a, be), y + o, r);
    return;
  }
  for (let r = 0; r < rows; r++) {
    const vb = f32x4.splat(load<f32>(b + (<usize>r << 2)));
    const xr = x + <usize>r * (<usize>cols << 2), yr = y + <usize>r * (<usize>cols << 2);
    let c = 0;
    for (; c + 4 <= cols; c += 4) { const o = <usize>c << 2; v128.store(yr + o, op.f(f32x4.add(v128.load(xr + o), vb), a, be)); }
    const t = cols - c, o = <usize>c << 2;
    if (t > 0) tailStore(op.f(f32x4.add(tailLoad(xr + o, t, 0), vb), a, be), yr + o, t);
  }
}

/** The last n - i (< 4) elements, gathered with element strides into padded vectors. */
@inline function binaryTail<Op>(op: Op, a: usize, b: usize, c: usize, i: i32, n: i32, as: i32, bs: i32): void {
  const r = n - i;
  if (r <= 0) return;
  const ta = tailSlot(1), tb = tailSlot(2);
  v128.store(ta, f32x4.splat(0)); v128.store(tb, f32x4.splat(0));
  for (let k = 0; k < r; k++) {
    store<f32>(ta + (<usize>k << 2), load<f32>(a + (<usize>((i + k) * as) << 2)));
    store<f32>(tb + (<usize>k << 2), load<f32>(b + (<usize>((i + k) * bs) << 2)));
  }
  tailStore(op.f(v128.load(ta), v128.load(tb)), c + (<usize>i << 2), r);
}

/**
 * One innermost row of n elements. Not inlined: binaryMap calls it from two places, and one copy
 * per op keeps the module (shipped in the bundle) small; the call is per row, not per element.
 */
function binaryRow<Op>(op: Op, a: usize, b: usize, c: usize, n: i32, as: i32, bs: i32): void {
  let i = 0;
  if (as == 1 && bs == 1) {
    for (; i + 4 <= n; i += 4) { const o = <usize>i << 2; v128.store(c + o, op.f(v128.load(a + o), v128.load(b + o))); }
  } else if (as == 1 && bs == 0) {
    const vb = v128.load32_splat(b);
    for (; i + 4 <= n; i += 4) { const o = <usize>i << 2; v128.store(c + o, op.f(v128.load(a + o), vb)); }
  } else if (as == 0 && bs == 1) {
    const va = v128.load32_splat(a);
    for (; i + 4 <= n; i += 4) { const o = <usize>i << 2; v128.store(c + o, op.f(va, v128.load(b + o))); }
  } else {
    const sa = <usize>as << 2, sb = <usize>bs << 2;
    let pa = a, pb = b;
    for (; i + 4 <= n; i += 4) {
      let va = f32x4.splat(load<f32>(pa)), vb = f32x4.splat(load<f32>(pb));
      va = f32x4.replace_lane(va, 1, load<f32>(pa + sa)); vb = f32x4.replace_lane(vb, 1, load<f32>(pb + sb));
      va = f32x4.replace_lane(va, 2, load<f32>(pa + 2 * sa)); vb = f32x4.replace_lane(vb, 2, load<f32>(pb + 2 * sb));
      va = f32x4.replace_lane(va, 3, load<f32>(pa + 3 * sa)); vb = f32x4.replace_lane(vb, 3, load<f32>(pb + 3 * sb));
      v128.store(c + (<usize>i << 2), op.f(va, vb));
      pa += 4 * sa; pb += 4 * sb;
    }
  }
  binaryTail<Op>(op, a, b, c, i, n, as, bs);
}

/**
 * c[i0,i1,i2] = Op.f(a[i0·as0 + i1·as1 + i2·as2], b[…bs…]), c contiguous [d0,d1,d2], strides in
 * elements (0 = broadcast). The innermost dim runs SIMD when the inner strides are (1,1), (1,0)
 * or (0,1); other strides gather four lanes; tails run the op on a padded vector.
 */
@inline export function binaryMap<Op>(a: usize, b: usize, c: usize, d0: i32, d1: i32, d2: i32,
  as0: i32, as1: i32, as2: i32, bs0: i32, bs1: i32, bs2: i32): void {
  const op = changetype<Op>(0);
  if (d0 <= 0 || d1 <= 0 || d2 <= 0) return;
  // normalise: drop unit inner dims, merge dims that are contiguous in both operands
  for (let t = 0; t < 2; t++) {
    if (d2 == 1) { d2 = d1; as2 = as1; bs2 = bs1; d1 = d0; as1 = as0; bs1 = bs0; d0 = 1; as0 = 0; bs0 = 0; }
    else if (d1 > 1 && as1 == d2 * as2 && bs1 == d2 * bs2) { d2 *= d1; d1 = d0; as1 = as0; bs1 = bs0; d0 = 1; as0 = 0; bs0 = 0; }
  }
  // fold a fully contiguous, non-broadcast pair into one long row
  if (as2 == 1 && bs2 == 1 && as1 == d2 && bs1 == d2 && as0 == d1 * d2 && bs0 == d1 * d2) {
    binaryRow<Op>(op, a, b, c, d0 * d1 * d2, 1, 1);
    return;
  }
  for (let i0 = 0; i0 < d0; i0++) {
    for (let i1 = 0; i1 < d1; i1++) {
      const pa = a + (<usize>(i0 * as0 + i1 * as1) << 2), pb = b + (<usize>(i0 * bs0 + i1 * bs1) << 2);
      binaryRow<Op>(op, pa, pb, c + (<usize>((i0 * d1 + i1) * d2) << 2), d2, as2, bs2);
    }
  }
}

