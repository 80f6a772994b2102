// Recurrent steps (src/backends/kernels.ts, rnnStep … gruv3GatesGrad): the fused gate arithmetic of
// one time step. Each state row r holds b batch columns, contiguous in the [rows, b] state
// buffers and in the [rows, ld] sequence buffers (at column off), so every kernel runs SIMD along
// the batch, four columns at a time; the last b % 4 go through the same vector code via a
// zero-padded tail slot (simd.ts), so a column's result does not depend on where it sits.
// Gate block q of a sequence buffer starts q·hid·ld floats in, of a state buffer q·hid·b.
// O(hid·b) per call; RNN's activation runs through the generated unary/unaryGrad kernels.
import { vsigmoid, vtanh } from "../simd";
import { tailLoad, tailStore } from "../tls";
import { unary } from "../../build/gen/unary";
import { unaryGrad } from "../../build/gen/unaryGrad";

/** Four floats at p, or the first n (< 4) zero-padded. */
@inline function vl(p: usize, n: i32): v128 { return n == 4 ? v128.load(p) : tailLoad(p, n, 0); }
/** Stores four lanes at p, or the first n. */
@inline function vs(v: v128, p: usize, n: i32): void { if (n == 4) v128.store(p, v); else tailStore(v, p, n); }
// σ and tanh called, not inlined: one copy of each polynomial instead of one per gate (the
// module is measured gzipped, and a call is cheap next to the exp inside).
function sigm(x: v128): v128 { return vsigmoid(x); }
function tanhv(x: v128): v128 { return vtanh(x); }
@inline function one(): v128 { return f32x4.splat(1); }
@inline function add3(a: v128, b: v128, c: v128): v128 { return f32x4.add(f32x4.add(a, b), c); }
/** x·(1 − x): σ′ from σ. */
@inline function dsig(s: v128): v128 { return f32x4.mul(s, f32x4.sub(one(), s)); }
/** 1 − x²: tanh′ from tanh. */
@inline function dtanh(t: v128): v128 { return f32x4.sub(one(), f32x4.mul(t, t)); }
/** Byte offset of row r, column off, of a buffer with rows of `cols` floats. */
@inline function at(r: i32, cols: i32, off: i32): usize { return (<usize>r * <usize>cols + <usize>off) << 2; }
@inline function bias(p: usize, r: i32): v128 { return f32x4.splat(load<f32>(p + (<usize>r << 2))); }

/** KERNELS.rnnStep. */
export function rnnStep(g: usize, z: usize, bs: usize, h: usize, y: usize, hp: usize,
  hid: i32, b: i32, ld: i32, off: i32, act: i32, alpha: f32): void {
  for (let r = 0; r < hid; r++) {
    const a0 = at(r, ld, off), k0 = at(r, b, 0), bi = bias(bs, r);
    for (let j = 0; j < b; j += 4) {
      const n = min(4, b - j), a = a0 + (<usize>j << 2), k = k0 + (<usize>j << 2);
      vs(vl(h + k, n), hp + a, n);
      const u = add3(vl(g + a, n), vl(z + k, n), bi);
      vs(u, g + a, n); vs(u, h + k, n);
    }
  }
  unary(act, h, h, hid * b, alpha, Infinity);
  for (let r = 0; r < hid; r++) memory.copy(y + at(r, ld, off), h + at(r, b, 0), <usize>b << 2);
}

/** KERNELS.rnnStepGrad. */
export function rnnStepGrad(g: usize, y: usize, dy: usize, dh: usize, dz: usize,
  hid: i32, b: i32, ld: i32, off: i32, act: i32, alpha: f32): void {
  for (let r = 0; r < hid; r++) {
    const a0 = at(r, ld, off), k0 = at(r, b, 0);
    for (let j = 0; j < b; j += 4) {
      const n = min(4, b - j), o = <usize>j << 2;
      vs(f32x4.add(vl(dy + a0 + o, n), vl(dh + k0 + o, n)), dz + k0 + o, n);
    }
    unaryGrad(act, g + a0, y + a0, dz + k0, dz + k0, b, alpha, Infinity);
    memory.copy(g + a0, dz + k0, <usize>b << 2);
  }
}

/** KERNELS.lstmStep. */
export function lstmStep(g: usize, z: usize, bs: usize, h: usize, c: usize, y: usize, hp: usize, cp: usize,
  hid: i32, b: i32, ld: i32, off: i32): void {
  const gq = at(hid, ld, 0), zq = at(hid, b, 0);
  for (let r = 0; r < hid; r++) {
    const a0 = at(r, ld, off), k0 = at(r, b, 0);
    const bi = bias(bs, r), bf = bias(bs, hid + r), bc = bias(bs, 2 * hid + r), bo = bias(bs, 3 * hid + r);
    for (let j = 0; j < b; j += 4) {
      const n = min(4, b - j), a = a0 + (<usize>j << 2), k = k0 + (<usize>j << 2);
      const i = sigm(add3(vl(g + a, n), vl(z + k, n), bi));
      const f = sigm(add3(vl(g + a + gq, n), vl(z + k + zq, n), bf));
      const cc = tanhv(add3(vl(g + a + 2 * gq, n), vl(z + k + 2 * zq, n), bc));
      const o = sigm(add3(vl(g + a + 3 * gq, n), vl(z + k + 3 * zq, n), bo));
      const c0 = vl(c + k, n);
      vs(vl(h + k, n), hp + a, n); vs(c0, cp + a, n);
      const c1 = f32x4.add(f32x4.mul(f, c0), f32x4.mul(i, cc));
      const h1 = f32x4.mul(o, tanhv(c1));
      vs(c1, c + k, n); vs(h1, h + k, n); vs(h1, y + a, n);
      vs(i, g + a, n); vs(f, g + a + gq, n); vs(cc, g + a + 2 * gq, n); vs(o, g + a + 3 * gq, n);
    }
  }
}

/** KERNELS.lstmStepGrad. */
export function lstmStepGrad(g: usize, cp: usize, dy: usize, dh: usize, dc: usize, dz: usize,
  hid: i32, b: i32, ld: i32, off: i32): void {
  const gq = at(hid, ld, 0), zq = at(hid, b, 0);
  for (let r = 0; r < hid; r++) {
    const a0 = at(r, ld, off), k0 = at(r, b, 0);
    for (let j = 0; j < b; j += 4) {
      const n = min(4, b - j), a = a0 + (<usize>j << 2), k = k0 + (<usize>j << 2);
      const i = vl(g + a, n), f = vl(g + a + gq, n), cc = vl(g + a + 2 * gq, n), o = vl(g + a + 3 * gq, n);
      const c0 = vl(cp + a, n), tc = tanhv(f32x4.add(f32x4.mul(f, c0), f32x4.mul(i, cc)));
      const dht = f32x4.add(vl(dy + a, n), vl(dh + k, n));
      const dct = f32x4.add(vl(dc + k, n), f32x4.mul(f32x4.mul(dht, o), dtanh(tc)));
      const di = f32x4.mul(f32x4.mul(dct, cc), dsig(i)), df = f32x4.mul(f32x4.mul(dct, c0), dsig(f));
      const dcc = f32x4.mul(f32x4.mul(dct, i), dtanh(cc)), dout = f32x4.mul(f32x4.mul(dht, tc), dsig(o));
      vs(di, g + a, n); vs(df, g + a + gq, n); vs(dcc, g + a + 2 * gq, n); vs(dout, g + a + 3 * gq, n);
      vs(di, dz + k, n); vs(df, dz + k + zq, n); vs(dcc, dz + k + 2 * zq, n); vs(dout, dz + k + 3 * zq, n);
      vs(f32x4.mul(dct, f), dc + k, n);
    }
  }
}

/** KERNELS.gruStep. */
export function gruStep(g: usize, z: usize, bs: usize, h: usize, y: usize, hp: usize, zn: usize,
  hid: i32, b: i32, ld: i32, off: i32): void {
  const gq = at(hid, ld, 0), zq = at(hid, b, 0);
  for (let r = 0; r < hid; r++) {
    const a0 = at(r, ld, off), k0 = at(r, b, 0), br = bias(bs, r), bu = bias(bs, hid + r), bn = bias(bs, 2 * hid + r);
    for (let j = 0; j < b; j += 4) {
      const n = min(4, b - j), a = a0 + (<usize>j << 2), k = k0 + (<usize>j << 2);
      const rr = sigm(add3(vl(g + a, n), vl(z + k, n), br));
      const u = sigm(add3(vl(g + a + gq, n), vl(z + k + zq, n), bu));
      const zc = vl(z + k + 2 * zq, n);
      const nn = tanhv(add3(vl(g + a + 2 * gq, n), f32x4.mul(rr, zc), bn));
      const h0 = vl(h + k, n);
      vs(h0, hp + a, n); vs(zc, zn + a, n);
      const h1 = f32x4.add(f32x4.mul(f32x4.sub(one(), u), nn), f32x4.mul(u, h0));
      vs(h1, h + k, n); vs(h1, y + a, n);
      vs(rr, g + a, n); vs(u, g + a + gq, n); vs(nn, g + a + 2 * gq, n);
    }
  }
}

/** KERNELS.gruStepGrad. */
export function gruStepGrad(g: usize, zn: usize, hp: usize, dy: usize, dh: usize, dz: usize,
  hid: i32, b: i32, ld: i32, off: i32): void {
  const gq = at(hid, ld, 0), zq = at(hid, b, 0);
  for (let r = 0; r < hid; r++) {
    const a0 = at(r, ld, off), k0 = at(r, b, 0);
    for (let j = 0; j < b; j += 4) {
      const n = min(4, b - j), a = a0 + (<usize>j << 2), k = k0 + (<usize>j << 2);
      const rr = vl(g + a, n), u = vl(g + a + gq, n), nn = vl(g + a + 2 * gq, n);
      const dht = f32x4.add(vl(dy + a, n), vl(dh + k, n));
      const dn = f32x4.mul(f32x4.mul(dht, f32x4.sub(one(), u)), dtanh(nn));
      const du = f32x4.mul(f32x4.mul(dht, f32x4.sub(vl(hp + a, n), nn)), dsig(u));
      const dr = f32x4.mul(f32x4.mul(dn, vl(zn + a, n)), dsig(rr));
      const dnr = f32x4.mul(dn, rr);
      vs(dr, g + a, n); vs(du, g + a + gq, n); vs(dn, g + a + 2 * gq, n); vs(dnr, zn + a, n);
      vs(dr, dz + k, n); vs(du, dz + k + zq, n); vs(dnr, dz + k + 2 * zq, n);
      vs(f32x4.mul(dht, u), dh + k, n);
    }
  }
}

/** KERNELS.gruv3Gates. */
export function gruv3Gates(g: usize, z: usize, bs: usize, h: usize, rh: usize, rhs: usize,
  hid: i32, b: i32, ld: i32, off: i32): void {
  const gq = at(hid, ld, 0), zq = at(hid, b, 0);
  for (let r = 0; r < hid; r++) {
    const a0 = at(r, ld, off), k0 = at(r, b, 0), br = bias(bs, r), bu = bias(bs, hid + r);
    for (let j = 0; j < b; j += 4) {
      const n = min(4, b - j), a = a0 + (<usize>j << 2), k = k0 + (<usize>j << 2);
      const rr = sigm(add3(vl(g + a, n), vl(z + k, n), br));
      const u = sigm(add3(vl(g + a + gq, n), vl(z + k + zq, n), bu));
      const v = f32x4.mul(rr, vl(h + k, n));
      vs(rr, g + a, n); vs(u, g + a + gq, n); vs(v, rh + k, n); vs(v, rhs + a, n);
    }
  }
}

/** KERNELS.gruv3Step. */
export function gruv3Step(g: usize, zn: usize, bs: usize, h: usize, y: usize, hp: usize,
  hid: i32, b: i32, ld: i32, off: i32): void {
  const gq = at(hid, ld, 0);
  for (let r = 0; r < hid; r++) {
    const a0 = at(r, ld, off), k0 = at(r, b, 0), bn = bias(bs, 2 * hid + r);
    for (let j = 0; j < b; j += 4) {
      const n = min(4, b - j), a = a0 + (<usize>j << 2), k = k0 + (<usize>j << 2);
      const u = vl(g + a + gq, n), nn = tanhv(add3(vl(g + a + 2 * gq, n), vl(zn + k, n), bn)), h0 = vl(h + k, n);
      const h1 = f32x4.add(f32x4.mul(f32x4.sub(one(), u), nn), f32x4.mul(u, h0));
      vs(nn, g + a + 2 * gq, n); vs(h0, hp + a, n); vs(h1, h + k, n); vs(h1, y + a, n);
    }
  }
}

/** KERNELS.gruv3StepGrad. */
export function gruv3StepGrad(g: usize, hp: usize, dy: usize, dh: usize, dn: usize,
  hid: i32, b: i32, ld: i32, off: i32): void {
  const gq = at(hid, ld, 0);
  for (let r = 0; r < hid; r++) {
    const a0 = at(r, ld, off), k0 = at(r, b, 0);
    for (let j = 0; j < b; j += 4) {
      const n = min(4, b - j), a = a0 + (<usize>j << 2), k = k0 + (<usize>j << 2);
      const u = vl(g + a + gq, n), nn = vl(g + a + 2 * gq, n), dht = f32x4.add(vl(dy + a, n), vl(dh + k, n));
      const d = f32x4.mul(f32x4.mul(dht, f32x4.sub(one(), u)), dtanh(nn));
      vs(d, g + a + 2 * gq, n); vs(d, dn + k, n);
      vs(f32x4.mul(f32x4.mul(dht, f32x4.sub(vl(hp + a, n), nn)), dsig(u)), g + a + gq, n);
      vs(f32x4.mul(dht, u), dh + k, n);
    }
  }
}

/** KERNELS.gruv3GatesGrad. */
export function gruv3GatesGrad(g: usize, hp: usize, drh: usize, dh: usize, dz: usize,
  hid: i32, b: i32, ld: i32, off: i32): void {
  const gq = at(hid, ld, 0), zq = at(hid, b, 0);
  for (let r = 0; r < hid; r++) {
    const a0 = at(r, ld, off), k0 = at(r, b, 0);
    for (let j = 0; j < b; j += 4) {
      const n = min(4, b - j), a = a0 + (<usize>j << 2), k = k0 + (<usize>j << 2);
      const rr = vl(g + a, n), d = vl(drh + k, n);
      const dr = f32x4.mul(f32x4.mul(d, vl(hp + a, n)), dsig(rr));
      vs(dr, g + a, n); vs(dr, dz + k, n);
      vs(f32x4.add(vl(dh + k, n), f32x4.mul(d, rr)), dh + k, n);
      vs(vl(g + a + gq, n), dz + k + zq, n);
    }
  }
}
