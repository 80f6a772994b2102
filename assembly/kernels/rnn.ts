// Recurrent steps (src/backends/kernels.ts, rnnStep and rnnStepGrad): the fused gate arithmetic
// of one time step, for every layer kind (`kind`: 0 RNN, 1 LSTM, 2 GRU, 3 and 4 the two halves of
// a GRUv3 step, around its Wh_h̃ matmul). Each state row r holds b batch columns, contiguous in
// the [rows, b] state buffers and in the [rows, ld] sequence buffers (at column off), so every
// kernel runs SIMD along the batch, four columns at a time. Gate block q of a sequence buffer
// starts q·hid·ld floats in, of a state buffer q·hid·b.
// The arithmetic is written once per kind, on whole vectors: the last b % 4 columns of a row are
// first copied (zero-padded) into a scratch slot per buffer and block, computed there, and copied
// back, so a column's result does not depend on where it sits and no load or store has a tail
// case of its own (the module is measured gzipped). The layout table says, per kind, which
// buffers a kernel touches, how many gate blocks and whether each is a sequence buffer.
// Both kernels run one loop (steps, called): the row's pointers are computed once per row, a
// vector's are loads from that table. O(hid·b) per call; the RNN's activation and its gradient's
// dy + dh run through the generated unary/unaryGrad/binary kernels.
import { vsigmoid, vtanh } from "../simd";
import { tls, RNN_BASE, RNN_ROW, RNN_SLOT, RNN_TAILS } from "../tls";
import { unary } from "../../build/gen/unary";
import { unaryGrad } from "../../build/gen/unaryGrad";
import { binary } from "../../build/gen/binary";
import { B_ADD } from "../../build/gen/codes";

// σ and tanh called, not inlined: one copy of each polynomial instead of one per gate.
function sigm(x: v128): v128 { return vsigmoid(x); }
function tanhv(x: v128): v128 { return vtanh(x); }
@inline function one(): v128 { return f32x4.splat(1); }
@inline function add3(a: v128, b: v128, c: v128): v128 { return f32x4.add(f32x4.add(a, b), c); }
@inline function mul3(a: v128, b: v128, c: v128): v128 { return f32x4.mul(f32x4.mul(a, b), c); }
/** x·(1 − x): σ′ from σ. */
@inline function dsig(s: v128): v128 { return f32x4.mul(s, f32x4.sub(one(), s)); }
/** 1 − x²: tanh′ from tanh. */
@inline function dtanh(t: v128): v128 { return f32x4.sub(one(), f32x4.mul(t, t)); }
/** (1 − u)·n + u·h: the GRUs' new state. */
@inline function mix(u: v128, n: v128, h: v128): v128 { return f32x4.add(f32x4.mul(f32x4.sub(one(), u), n), f32x4.mul(u, h)); }
/** Byte offset of row r, column off, of a buffer with rows of `cols` floats. */
@inline function at(r: i32, cols: i32, off: i32): usize { return (<usize>r * <usize>cols + <usize>off) << 2; }
@inline function bias(p: usize, r: i32): v128 { return f32x4.splat(load<f32>(p + (<usize>r << 2))); }
@inline function ld4(p: usize): v128 { return v128.load(p); }
@inline function st4(p: usize, v: v128): void { v128.store(p, v); }

// The 8 buffer arguments' base pointers (BASE), the current row's (ROW) and the tail slots' (SLOT),
// and the slots of a tail: 4 blocks of 16 bytes per buffer, in this thread's scratch (tls.ts): the
// module allocates nothing.

/**
 * The layout table: per kernel and kind, 4 bits per buffer argument (argument i at bits 4i): the
 * gate blocks it touches (0: none) and 8 when it is a sequence buffer. rnnStep (g z bias h c y hp
 * cp), kinds 0-4: RNN g z h y hp; LSTM g4 z4 h c y hp cp; GRU g3 z3 h y hp cp(zn); GRUv3's first
 * half g2 z2 h c(rh) cp(rhs), second half g3 z(zn) h y hp. rnnStepGrad (g s e dy dh dz), kinds 1-4
 * (0 runs apart): LSTM g4 s(cp) e(dc) dy dh dz4; GRU g3 s(hp) e(zn) dy dh dz3; GRUv3's first half
 * g2 s(hp) e(drh) dh dz2, second half g3 s(hp) dy dh dz(dn).
 */
const LAYOUT = memory.data<u32>([0x09901019, 0x9991104C, 0x9990103B, 0x9001102A, 0x0990101B,
  0, 0x41919C, 0x31999B, 0x21019A, 0x11909B]);
@inline function layout(grad: bool, kind: i32): u32 { return load<u32>(LAYOUT + (<usize>(grad ? kind + 5 : kind) << 2)); }

/** Row r's pointers: each buffer's base plus a0 (a sequence buffer) or k0 (a state buffer). */
function rowp(lay: u32, a0: usize, k0: usize): void {
  for (let i: u32 = 0; i < 32; i += 4) {
    store<usize>(tls(RNN_ROW) + i, load<usize>(tls(RNN_BASE) + i) + ((lay >> i) & 8 ? a0 : k0));
  }
}

/** Copies n columns at byte o of the row, of every block a kind touches, into its tail slots (back: the other way). */
function stage(lay: u32, o: usize, gq: usize, zq: usize, n: i32, back: bool): void {
  for (let i: u32 = 0; i < 32; i += 4) {
    const d = (lay >> i) & 15, t0 = tls(RNN_TAILS) + (<usize>i << 4), base = load<usize>(tls(RNN_ROW) + i) + o;
    store<usize>(tls(RNN_SLOT) + i, t0);
    for (let q: u32 = 0; q < (d & 7); q++) {
      const p = base + <usize>q * (d & 8 ? gq : zq), t = t0 + (<usize>q << 4), src = back ? t : p, dst = back ? p : t;
      if (!back) v128.store(t, f32x4.splat(0));
      for (let c: usize = 0; c < (<usize>n << 2); c += 4) store<f32>(dst + c, load<f32>(src + c));
    }
  }
}

/** The loop both kernels share: every row, four columns at a time, a kind's arithmetic on whole vectors. */
function steps(grad: bool, kind: i32, hid: i32, b: i32, ld: i32, off: i32): void {
  const lay = layout(grad, kind), gq0 = at(hid, ld, 0), zq0 = at(hid, b, 0);
  for (let r = 0; r < hid; r++) {
    rowp(lay, at(r, ld, off), at(r, b, 0));
    for (let j = 0; j < b; j += 4) {
      const n = min(4, b - j), o = <usize>j << 2, tail = n < 4;
      if (tail) stage(lay, o, gq0, zq0, n, false);
      // buffer i's pointer: its row's plus o, or its tail slot
      const T = tail ? tls(RNN_SLOT) : tls(RNN_ROW), x: usize = tail ? 0 : o, gq: usize = tail ? 16 : gq0, zq: usize = tail ? 16 : zq0;
      const p0 = load<usize>(T) + x, p1 = load<usize>(T, 4) + x, p2 = load<usize>(T, 8) + x, p3 = load<usize>(T, 12) + x;
      const p4 = load<usize>(T, 16) + x, p5 = load<usize>(T, 20) + x, p6 = load<usize>(T, 24) + x, p7 = load<usize>(T, 28) + x;
      if (grad) backward(kind, p0, p1, p2, p3, p4, p5, gq, zq);
      else forward(kind, r, hid, p0, p1, load<usize>(tls(RNN_BASE) + 8), p3, p4, p5, p6, p7, gq, zq);
      if (tail) stage(lay, o, gq0, zq0, n, true);
    }
  }
}

// bs is the bias itself (per row, a splat: never staged).
@inline function forward(kind: i32, r: i32, hid: i32, g: usize, z: usize, bs: usize, h: usize, c: usize, y: usize, hp: usize, cp: usize,
  gq: usize, zq: usize): void {
  const h0 = ld4(h);
  if (kind != 3) st4(hp, h0);
  if (kind == 0) { const u = add3(ld4(g), ld4(z), bias(bs, r)); st4(g, u); st4(h, u); return; }
  // the GRUs' n = tanh(g₂ + zr + bias₂): zr = r·zn (GRU) or zn (GRUv3's second half, in z)
  let zr = ld4(z), h1 = h0;
  if (kind != 4) {
    // the first two gates: LSTM's i, f; the GRUs' r, u
    const x0 = sigm(add3(ld4(g), zr, bias(bs, r))), x1 = sigm(add3(ld4(g + gq), ld4(z + zq), bias(bs, hid + r)));
    st4(g, x0); st4(g + gq, x1);
    if (kind == 3) { const v = f32x4.mul(x0, h0); st4(c, v); st4(cp, v); return; }
    if (kind == 1) {
      const cc = tanhv(add3(ld4(g + 2 * gq), ld4(z + 2 * zq), bias(bs, 2 * hid + r))), o = sigm(add3(ld4(g + 3 * gq), ld4(z + 3 * zq), bias(bs, 3 * hid + r)));
      const c0 = ld4(c), c1 = f32x4.add(f32x4.mul(x1, c0), f32x4.mul(x0, cc));
      st4(cp, c0); st4(c, c1); st4(g + 2 * gq, cc); st4(g + 3 * gq, o);
      h1 = f32x4.mul(o, tanhv(c1));
    } else {
      const zc = ld4(z + 2 * zq);
      st4(cp, zc); zr = f32x4.mul(x0, zc);
    }
  }
  if (kind != 1) {
    const u = ld4(g + gq), nn = tanhv(add3(ld4(g + 2 * gq), zr, bias(bs, 2 * hid + r)));
    st4(g + 2 * gq, nn); h1 = mix(u, nn, h0);
  }
  st4(h, h1); st4(y, h1);
}

@inline function backward(kind: i32, g: usize, s: usize, e: usize, dy: usize, dh: usize, dz: usize, gq: usize, zq: usize): void {
  const dht = f32x4.add(ld4(dy), ld4(dh));
  if (kind == 1) {
    const i = ld4(g), f = ld4(g + gq), cc = ld4(g + 2 * gq), o = ld4(g + 3 * gq);
    const c0 = ld4(s), tc = tanhv(f32x4.add(f32x4.mul(f, c0), f32x4.mul(i, cc)));
    const dct = f32x4.add(ld4(e), mul3(dht, o, dtanh(tc)));
    const di = mul3(dct, cc, dsig(i)), df = mul3(dct, c0, dsig(f)), dcc = mul3(dct, i, dtanh(cc)), dout = mul3(dht, tc, dsig(o));
    st4(g, di); st4(g + gq, df); st4(g + 2 * gq, dcc); st4(g + 3 * gq, dout);
    st4(e, f32x4.mul(dct, f));
  } else if (kind == 3) {
    const rr = ld4(g), d = ld4(e), dr = mul3(d, ld4(s), dsig(rr));
    st4(g, dr); st4(dh, f32x4.add(ld4(dh), f32x4.mul(d, rr)));
  } else {
    const u = ld4(g + gq), nn = ld4(g + 2 * gq);
    const dn = mul3(dht, f32x4.sub(one(), u), dtanh(nn)), du = mul3(dht, f32x4.sub(ld4(s), nn), dsig(u));
    st4(g + gq, du); st4(g + 2 * gq, dn); st4(dh, f32x4.mul(dht, u));
    if (kind == 4) { st4(dz, dn); return; }
    const rr = ld4(g), dr = mul3(dn, ld4(e), dsig(rr)), dnr = f32x4.mul(dn, rr);
    st4(g, dr); st4(e, dnr); st4(dz + 2 * zq, dnr);
  }
  // dz's first blocks are g's new ones: the LSTM's four, the GRUs' first two
  st4(dz, ld4(g)); st4(dz + zq, ld4(g + gq));
  if (kind == 1) { st4(dz + 2 * zq, ld4(g + 2 * gq)); st4(dz + 3 * zq, ld4(g + 3 * gq)); }
}

/** KERNELS.rnnStep. */
export function rnnStep(g: usize, z: usize, bs: usize, h: usize, c: usize, y: usize, hp: usize, cp: usize,
  hid: i32, b: i32, ld: i32, off: i32, kind: i32, act: i32, alpha: f32): void {
  const B = tls(RNN_BASE);
  store<usize>(B, g); store<usize>(B, z, 4); store<usize>(B, bs, 8); store<usize>(B, h, 12);
  store<usize>(B, c, 16); store<usize>(B, y, 20); store<usize>(B, hp, 24); store<usize>(B, cp, 28);
  steps(false, kind, hid, b, ld, off);
  if (kind != 0) return;
  // RNN: g and h hold u; h = y = f_act(u)
  unary(act, h, h, hid * b, alpha, Infinity);
  for (let r = 0; r < hid; r++) memory.copy(y + at(r, ld, off), h + at(r, b, 0), <usize>b << 2);
}

/** KERNELS.rnnStepGrad. */
export function rnnStepGrad(g: usize, s: usize, e: usize, dy: usize, dh: usize, dz: usize,
  hid: i32, b: i32, ld: i32, off: i32, kind: i32, act: i32, alpha: f32): void {
  if (kind != 0) {
    const B = tls(RNN_BASE);
    store<usize>(B, g); store<usize>(B, s, 4); store<usize>(B, e, 8); store<usize>(B, dy, 12);
    store<usize>(B, dh, 16); store<usize>(B, dz, 20);
    steps(true, kind, hid, b, ld, off);
    return;
  }
  // RNN: dz = dy + dh through the generated binary kernel ([hid, b], dy's rows ld apart), then
  // dz = g = dz·f′(g, y), y in s, a row at a time through the generated unaryGrad
  binary(B_ADD, dy + at(0, ld, off), dh, dz, 1, hid, b, 0, ld, 1, 0, b, 1);
  for (let r = 0; r < hid; r++) {
    const a0 = at(r, ld, off), k0 = at(r, b, 0);
    unaryGrad(act, g + a0, s + a0, dz + k0, dz + k0, b, alpha, Infinity);
    memory.copy(g + a0, dz + k0, <usize>b << 2);
  }
}
