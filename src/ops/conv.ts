// Convolution as a composition of ops, so autograd, placement and costs come from the ops:
// im2col packs the patches of x into a matrix [k…·cin, positions·batch], one matmul with the
// weight viewed [k…·cin, cout] (free) gives [cout, positions·batch] (bias and activation fused,
// src/ops/dense.ts), and a permutedims puts the channels between the positions and the batch.
// im2col and col2im are adjoint, each one's gradient is the other, and a transposed
// convolution is col2im of a product. Layout as Flux's (x [w, h, c, n]: n fastest in fluxion's
// row-major memory); meaning as NNlib's: `flipped = false` flips the kernel, a true convolution
// (what Flux's Conv computes), `flipped = true` is a cross-correlation (CrossCor).

import { defineOp, apply, type OpDef } from './registry.js';
import { Unary } from './codes.js';
import { dense } from './dense.js';
import { matmul } from './matmul.js';
import { add } from './binary.js';
import { unaryDef } from './unary.js';
import { reshape } from './shape.js';
import { permutedims } from './permute.js';
import { Tensor, toTensor, sizeOf, converted, type TensorLike, type Shape } from '../tensor.js';
import { options, fail, int, bool } from '../check.js';

/** [w1,w2,w3, k1,k2,k3, o1,o2,o3, s1,s2,s3, d1,d2,d3, p1,p2,p3]: the spatial arguments of im2col, col2im, pool, poolGrad. */
export type Geo = [number, number, number, number, number, number, number, number, number,
  number, number, number, number, number, number, number, number, number];
/** A window over N spatial dims: kernel size, stride and dilation per dim, padding [lo, hi] per dim (2N). */
export interface Window { k: readonly number[]; stride: readonly number[]; dilation: readonly number[]; pad: readonly number[] }

const SAME = Object.freeze({ toString: () => 'SamePad()' });
/**
 * Padding that keeps the spatial size (size/stride, rounded up), as Flux's `SamePad()`: the
 * `pad` of Conv, CrossCor, ConvTranspose (size·stride), MaxPool, MeanPool and of conv/maxpool.
 * @example Conv([5, 5], [3, 7], relu, { pad: SamePad() })(rand([100, 100, 3, 2])).shape   // [100, 100, 7, 2]
 */
export const SamePad = (): typeof SAME => SAME;

/** `[w, h, 3, batch]`: a readable expected shape for errors. */
export const expected = (nd: number, c: number | string) => `[${['w', 'h', 'd'].slice(0, nd).join(', ')}, ${c}, batch]`;

/** One integer ≥ min for every spatial dim, or `n` of them. */
export function perDim(fn: string, name: string, v: unknown, n: number, min: number, what = `${n} of them`): number[] {
  const a = typeof v === 'number' ? Array<number>(n).fill(v) : v;
  if (!Array.isArray(a) || a.length !== n || !a.every((q) => Number.isInteger(q) && q >= min))
    fail(fn, `${name} must be an integer ≥ ${min} or ${what}`, v, typeof v === 'number' || Array.isArray(v) ? RangeError : TypeError);
  return a;
}

/** A kernel or window size: 1 to 3 positive integers. */
export function sizeArg(fn: string, name: string, k: unknown): number[] {
  if (!Array.isArray(k) || k.length < 1 || k.length > 3 || !k.every((q) => Number.isInteger(q) && q > 0))
    fail(fn, `${name} must be 1 to 3 positive integers (the spatial dims), such as [5, 5]`, k, Array.isArray(k) ? RangeError : TypeError);
  return [...k];
}

/**
 * The window of kernel `k` with options { stride, pad, dilation } as Flux takes them: `pad` a
 * number, one per dim, [lo, hi] per dim (2N numbers) or SamePad(); `stride0` the default stride.
 * `transposed`: SamePad of a transposed convolution (output = input·stride).
 */
export function windowArg(fn: string, k: readonly number[], o: { stride?: unknown; pad?: unknown; dilation?: unknown },
  stride0: readonly number[], transposed = false): Window {
  const n = k.length;
  const stride = o.stride === undefined ? stride0 : perDim(fn, 'stride', o.stride, n, 1);
  const dilation = o.dilation === undefined ? k.map(() => 1) : perDim(fn, 'dilation', o.dilation, n, 1);
  let pad: number[];
  if (o.pad === SAME) {
    // Flux's calc_padding: the effective kernel minus 1, the odd one on the low side.
    pad = k.flatMap((q, i) => {
      const a = ((transposed ? q - stride[i] + 1 : q) - 1) * dilation[i];
      return [Math.ceil(a / 2), Math.floor(a / 2)];
    });
    if (pad.some((q, i) => q < 0 && i % 2 === 0)) throw new RangeError(`${fn}: SamePad() needs a kernel at least as large as the stride, got kernel [${k}] and stride [${stride}]`);
  } else if (o.pad === undefined) pad = Array(2 * n).fill(0);
  else {
    const v = o.pad, what = `${n} of them or ${2 * n} ([lo, hi] per dim), or SamePad()`;
    pad = Array.isArray(v) && v.length === 2 * n ? perDim(fn, 'pad', v, 2 * n, 0, what) : perDim(fn, 'pad', v, n, 0, what).flatMap((q) => [q, q]);
  }
  return { k, stride, dilation, pad };
}

/** The output size of `win` over the spatial `size` (NNlib's), and the kernels' geometry; a RangeError naming `fn` where it does not fit. */
export function geometry(fn: string, size: readonly number[], win: Window): { out: number[]; g: Geo } {
  const { k, stride: s, dilation: d, pad: p } = win;
  const out = size.map((w, i) => {
    const span = w + p[2 * i] + p[2 * i + 1], ext = (k[i] - 1) * d[i] + 1;
    if (span < ext) {
      throw new RangeError(`${fn}: the window (size ${k[i]}, dilation ${d[i]}: ${ext}) is larger than the input plus padding ` +
        `(${w} + ${p[2 * i]} + ${p[2 * i + 1]}) along spatial dim ${i}`);
    }
    return Math.floor((span - ext) / s[i]) + 1;
  });
  const at = (a: readonly number[], one: number) => [0, 1, 2].map((i) => a[i] ?? one);
  return { out, g: [...at(size, 1), ...at(k, 1), ...at(out, 1), ...at(s, 1), ...at(d, 1), ...at(p.filter((_, i) => i % 2 === 0), 0)] as Geo };
}

/** im2col/col2im: geometry, batch n, the channels c of x, the group's first channel c0 and count cg, flip, and x's shape. */
export interface ColP { g: Geo; n: number; c: number; c0: number; cg: number; flip: number; shape: Shape }
const vol = (g: Geo, at: number) => g[at] * g[at + 1] * g[at + 2];

/** col [k…·cg, positions·n] = the patches of channels c0 … c0+cg−1 of x (kernels.ts has the exact definition). */
export const im2colDef: OpDef<ColP> = defineOp<ColP>({
  name: 'im2col',
  kernels: ['im2col'],
  shape: (_i, p) => [vol(p.g, 3) * p.cg, vol(p.g, 6) * p.n],
  run: (b, col, [x], p) => b.im2col(x.buf, col.buf, p.n, p.c, p.c0, p.cg, ...p.g, p.flip),
  grad: (dy, _x, _y, p) => [apply(col2imDef, [dy], p)],
  cost: ([x], _p, out) => ({ flops: 0, bytes: 4 * (x.size + sizeOf(out)) }),
});

/** x = the sum of every patch in cols[i] at its place, for channel groups c0 + i·cg (zeros elsewhere): im2col's adjoint. */
export const col2imDef: OpDef<ColP> = defineOp<ColP>({
  name: 'col2im',
  kernels: ['col2im', 'fill'],
  shape: (_i, p) => p.shape,
  run(b, x, cols, p) {
    if (p.c0 || cols.length * p.cg < p.c) b.fill(x.buf, x.size, 0);
    for (let i = 0; i < cols.length; i++) b.col2im(cols[i].buf, x.buf, p.n, p.c, p.c0 + i * p.cg, p.cg, ...p.g, p.flip);
  },
  grad: (dy, cols, _x, p, needs) => cols.map((_, i) => (needs[i] ? apply(im2colDef, [dy], { ...p, c0: p.c0 + i * p.cg }) : null)),
  cost: (cols, _p, out) => ({ flops: 0, bytes: 4 * (cols.length * cols[0].size + sizeOf(out)) }),
});

// Groups: each group's weight and input are contiguous runs of a tensor (after one permutedims),
// and the groups' products are concatenated along the rows; two small copy ops do that.
export interface SegmentP { from: number; to: number; n: number; shape: Shape }
/** y (of `shape`) = zeros but y[to … to+n) = x[from … from+n): a contiguous slice (to = 0) or its adjoint (from = 0). */
export const segmentDef: OpDef<SegmentP> = defineOp<SegmentP>({
  name: 'segment',
  kernels: ['copy', 'fill'],
  shape: (_i, p) => p.shape,
  run(b, y, [x], p) { if (p.n < y.size) b.fill(y.buf, y.size, 0); b.copy(x.buf, p.from, y.buf, p.to, p.n); },
  grad: (dy, [x], _y, p) => [apply(segmentDef, [dy], { from: p.to, to: p.from, n: p.n, shape: x.shape })],
  cost: (_i, p) => ({ flops: 0, bytes: 8 * p.n }),
});
/** The inputs' values one after the other, viewed as `shape`. */
export const concatDef: OpDef<{ shape: Shape }> = defineOp<{ shape: Shape }>({
  name: 'concat',
  kernels: ['copy'],
  shape: (_i, p) => p.shape,
  run(b, y, xs) { for (let i = 0, at = 0; i < xs.length; at += xs[i++].size) b.copy(xs[i].buf, 0, y.buf, at, xs[i].size); },
  grad(dy, xs, _y, _p, needs) {
    let at = 0;
    return xs.map((x, i) => { at += x.size; return needs[i] ? slice(dy, at - x.size, x.size, x.shape) : null; });
  },
  cost: (_i, p) => ({ flops: 0, bytes: 8 * sizeOf(p.shape) }),
});
const slice = (x: Tensor, from: number, n: number, shape: Shape) => apply(segmentDef, [x], { from, to: 0, n, shape });
/** Rows i·r … (i+1)·r − 1 of [G·r, c] for each group i. */
const groups = (x: Tensor, G: number, r: number, c: number) => Array.from({ length: G }, (_, i) => slice(x, i * r * c, r * c, [r, c]));

export interface ConvSpec extends Window { groups: number }

/** A RangeError for an input whose rank or channel count does not fit. */
function badInput(fn: string, x: Tensor, nd: number, c: number): never {
  throw new RangeError(`${fn}: expected input of shape ${expected(nd, c)} (rank ${nd + 2}), got shape [${x.shape.join(', ')}]`);
}

/**
 * act(conv(x, w) .+ b) for x [spatial…, cin, n] and w [k…, cin/groups, cout] → [out…, cout, n];
 * `act` a FUSED unary op code (src/ops/codes.ts), `flip` 1 for a true convolution. Errors name `fn`.
 */
export function convolve(fn: string, x: Tensor, w: Tensor, b: Tensor | null, act: number, spec: ConvSpec, flip: number): Tensor {
  const nd = w.rank - 2, G = spec.groups, cg = w.shape[nd], cout = w.shape[nd + 1], cin = cg * G;
  if (x.rank !== w.rank || x.shape[nd] !== cin) badInput(fn, x, nd, cin);
  const { out, g } = geometry(fn, x.shape.slice(0, nd), spec);
  const n = x.shape[nd + 1], P = sizeOf(out), kc = sizeOf(spec.k) * cg, p: ColP = { g, n, c: cin, c0: 0, cg, flip, shape: x.shape };
  let z: Tensor;
  if (G === 1) z = dense(reshape(w, [kc, cout]), apply(im2colDef, [x], p), b, act, 0, fn, 1);
  else {
    const ws = groups(permutedims(reshape(w, [kc, G, cout / G]), [1, 0, 2]), G, kc, cout / G);
    z = apply(concatDef, ws.map((wi, i) => matmul(wi, apply(im2colDef, [x], { ...p, c0: i * cg }), { transA: true })), { shape: [cout, P * n] });
    if (b) z = add(z, reshape(b, [cout, 1]));
    if (act !== Unary.identity) z = apply(unaryDef, [z], { code: act, alpha: 0, beta: 0 });
  }
  return reshape(P === 1 || cout === 1 ? z : permutedims(reshape(z, [cout, P, n]), [1, 0, 2]), [...out, cout, n]);
}

/**
 * The transposed convolution (NNlib's ∇conv_data, Flux's ConvTranspose) of x [spatial…, cin, n]
 * with w [k…, cout/groups, cin], plus b: the adjoint of `convolve` with that weight, whose
 * output size is (size − 1)·stride + 1 + (k − 1)·dilation − lo − hi + outpad per dim.
 */
export function convTranspose(fn: string, x: Tensor, w: Tensor, b: Tensor | null, spec: ConvSpec & { outpad: readonly number[] }, flip: number): Tensor {
  const nd = w.rank - 2, G = spec.groups, outg = w.shape[nd], cin = w.shape[nd + 1], cout = outg * G;
  if (x.rank !== w.rank || x.shape[nd] !== cin) badInput(fn, x, nd, cin);
  const xs = x.shape.slice(0, nd), n = x.shape[nd + 1], P = sizeOf(xs), kc = sizeOf(spec.k) * outg;
  const size = xs.map((v, i) => (v - 1) * spec.stride[i] + 1 + (spec.k[i] - 1) * spec.dilation[i] - spec.pad[2 * i] - spec.pad[2 * i + 1] + spec.outpad[i]);
  if (size.some((v) => v < 1)) throw new RangeError(`${fn}: the padding leaves no output for input shape [${x.shape.join(', ')}] (output size [${size}])`);
  const { g } = geometry(fn, size, spec);
  const xp = reshape(P === 1 || cin === 1 ? x : permutedims(reshape(x, [P, cin, n]), [1, 0, 2]), [cin, P * n]);
  const p: ColP = { g, n, c: cout, c0: 0, cg: outg, flip, shape: [...size, cout, n] };
  let cols: Tensor[];
  if (G === 1) cols = [matmul(reshape(w, [kc, cin]), xp)];
  else {
    const ws = groups(permutedims(reshape(w, [kc, G, cin / G]), [1, 0, 2]), G, kc, cin / G), xg = groups(xp, G, cin / G, P * n);
    cols = ws.map((wi, i) => matmul(wi, xg[i]));
  }
  const y = apply(col2imDef, cols, p);
  return b ? add(y, reshape(b, [...Array(nd).fill(1), cout, 1])) : y;
}

/**
 * What `conv` accepts (NNlib's keywords): `stride`, `dilation` (a number or one per spatial dim),
 * `pad` (a number, one per dim, [lo, hi] per dim, or SamePad()), `groups`, and `flipped`
 * (true: w is not flipped, a cross-correlation).
 * @example conv(x, w, { stride: 2, pad: 1, flipped: true })
 */
export interface ConvOptions { stride?: number | readonly number[]; pad?: number | readonly number[] | ReturnType<typeof SamePad>; dilation?: number | readonly number[]; groups?: number; flipped?: boolean }

/**
 * NNlib's `conv(x, w)`: x [spatial…, cin, batch] (1 to 3 spatial dims, WHCN for images), w
 * [k…, cin/groups, cout], output [out…, cout, batch] with out = ⌊(size + lo + hi − (k−1)·dilation − 1)/stride⌋ + 1.
 * The kernel is flipped (a true convolution) unless `flipped: true`.
 * @example conv(rand([28, 28, 1, 64]), rand([5, 5, 1, 6])).shape                // [24, 24, 6, 64]
 *          conv(x, w, { stride: 2, pad: 1, groups: 2 })
 */
export function conv(x0: TensorLike, w0: TensorLike, opts: ConvOptions = {}): Tensor {
  const x = toTensor(x0, 'conv', 'x'), w = toTensor(w0, 'conv', 'w');
  return freeing([x, w], () => {
    const o = options<ConvOptions>('conv', opts, ['stride', 'pad', 'dilation', 'groups', 'flipped']);
    const nd = w.rank - 2;
    if (nd < 1 || nd > 3) throw new RangeError(`conv: w must be [k…, cin/groups, cout] with 1 to 3 spatial dims, got shape [${w.shape.join(', ')}]`);
    const G = o.groups === undefined ? 1 : int('conv', 'groups', o.groups, 1);
    if (w.shape[nd + 1] % G) throw new RangeError(`conv: groups ${G} must divide the output channels ${w.shape[nd + 1]} (w of shape [${w.shape.join(', ')}])`);
    const flip = o.flipped === undefined ? 1 : bool('conv', 'flipped', o.flipped) ? 0 : 1;
    const k = w.shape.slice(0, nd);
    return convolve('conv', x, w, null, Unary.identity, { ...windowArg('conv', k, o, k.map(() => 1)), groups: G }, flip);
  });
}

/** f(), and on a throw the inputs made from arrays for this call are freed (as apply does). */
export function freeing<T>(ins: Tensor[], f: () => T): T {
  try { return f(); } catch (e) { for (const t of ins) if (converted.has(t)) t.dispose(); throw e; }
}
