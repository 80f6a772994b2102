// map: the elementwise loops of the unary, unaryGrad and biasAct kernels, written once and
// instantiated per op by the code that scripts/asbuild.mjs generates from src/ops/codes.ts.
// `Op` is a generated tag class per op code whose @inline methods f/df forward to act.ts's
// f_NAME/df_NAME: AssemblyScript has no value generics and cannot call a static member of a type
// parameter, so the op travels as a type and is reached through a null reference that is never
// dereferenced (the methods ignore `this`). Each instantiation is one non-inlined function with
// the op's SIMD body inlined in its loop: the body is compiled once per op and the loop stays as
// fast as a hand-written one, without the switch-inside-every-loop that made Binaryen fold 30
// bodies per op. Tails run the same vector code on a zero-padded vector (simd.ts), so every
// element gets bit-identical results wherever it sits.
import { tailLoad, tailStore } from "./simd";

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

/** dx[i] = dy[i]·Op.df(x[i], y[i]). */
@inline export function unaryGradMap<Op>(x: usize, y: usize, dy: usize, dx: usize, n: i32, a: v128, b: v128): void {
  const op = changetype<Op>(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(dx + o, f32x4.mul(v128.load(dy + o), op.df(v128.load(x + o), v128.load(y + o), a, b)));
  }
  const r = n - i, o = <usize>i << 2;
  if (r > 0) {
    const d = op.df(tailLoad(x + o, r, 0), tailLoad(y + o, r, 1), a, b);
    tailStore(f32x4.mul(tailLoad(dy + o, r, 2), d), dx + o, r);
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
