// Convolutional layers as Flux spells them: Conv (the kernel flipped, as NNlib's conv), CrossCor
// (not flipped), ConvTranspose (the adjoint of Conv, for upsampling), and flatten. WHCN layout:
// x [spatial…, channels, batch], weight [k…, in/groups, out] ([k…, out/groups, in] for
// ConvTranspose, as Flux). The ops are src/ops/conv.ts; gradients come from them.

import { Tensor, toTensor, sizeOf, type TensorLike } from '../tensor.js';
import { convolve, convTranspose, windowArg, sizeArg, perDim, SamePad, type Window } from '../ops/conv.js';
import { Unary } from '../ops/codes.js';
import { reshape } from '../ops/shape.js';
import * as u from '../ops/unary.js';
import { makeLayer, biasArg, type Layer } from './layer.js';
import { glorot_uniform, initWeight, type Init } from './init.js';
import { fusedCode, checkAct, type Activation } from './dense.js';
import { options, fail, int } from '../check.js';

/**
 * What Conv, CrossCor and ConvTranspose accept (Flux's keywords): `stride` and `dilation` (a
 * number or one per spatial dim), `pad` (a number, one per dim, [lo, hi] per dim, or
 * SamePad()), `groups` (not CrossCor), `outpad` (ConvTranspose only), `bias` (false, or the
 * initial values; default zeros) and `init` (the weight initialiser, default glorot_uniform).
 * @example Conv([3, 3], [16, 32], relu, { stride: 2, pad: SamePad(), bias: false })
 */
export interface ConvLayerOptions {
  stride?: number | readonly number[]; pad?: number | readonly number[] | ReturnType<typeof SamePad>;
  dilation?: number | readonly number[]; groups?: number; outpad?: number | readonly number[];
  bias?: boolean | TensorLike; init?: Init;
}
type Props = { weight: Tensor; bias: Tensor | false; σ: Activation; stride: number[]; pad: number[]; dilation: number[]; groups: number };
/** A Conv or CrossCor layer: its weight [k…, in/groups, out], bias [out], activation and geometry. */
export type Conv = Layer<Props>;
export type CrossCor = Conv;
/** A ConvTranspose layer: weight [k…, out/groups, in], bias [out], and `outpad`. */
export type ConvTranspose = Layer<Props & { outpad: number[] }>;

type Kind = 'Conv' | 'CrossCor' | 'ConvTranspose';
const KEYS: Record<Kind, string[]> = {
  Conv: ['stride', 'pad', 'dilation', 'groups'], CrossCor: ['stride', 'pad', 'dilation'], ConvTranspose: ['stride', 'pad', 'outpad', 'dilation', 'groups'],
};

/** Julia's tuple: `(5, 5)`, `(5,)`. */
export const tuple = (a: readonly number[]) => (a.length === 1 ? `(${a[0]},)` : `(${a.join(', ')})`);
/** The activation's name, as Flux shows it (`relu`, `σ`). */
const actName = (σ: Activation) => Object.keys(u).find((k) => (u as Record<string, unknown>)[k] === σ && k !== 'sigmoid') ?? (σ.name || 'anonymous');
/** Padding [lo, hi] per dim as Flux shows it: one number if all are equal, one per dim if each is symmetric. */
export function showPad(p: readonly number[]): string {
  const half = p.filter((_, i) => i % 2 === 0);
  return show(half.every((q, i) => q === p[2 * i + 1]) ? half : p);
}
/** Flux's _maybetuple_string: one number when all are equal. */
export const show = (v: readonly number[]) => (v.every((q) => q === v[0]) ? String(v[0]) : tuple(v));

function build(kind: Kind, a: unknown, b: unknown, c: unknown, d: unknown): Layer<Props & { outpad?: number[] }> {
  const T = kind === 'ConvTranspose';
  let w: Tensor, bias: unknown, σ: unknown, o: ConvLayerOptions, name: string;
  if (a instanceof Tensor) {
    if (a.disposed) fail(kind, 'weight must be a live tensor', a);
    if (a.rank < 3 || a.rank > 5) throw new RangeError(`${kind}: weight must be [k…, in, out] with 1 to 3 spatial dims, got shape [${a.shape.join(', ')}]`);
    w = a; bias = b === undefined ? true : b; σ = c === undefined ? u.identity : c;
    name = `${kind}(${tuple(a.shape.slice(0, -2))}, ${a.shape[a.rank - (T ? 1 : 2)]} => ${a.shape[a.rank - (T ? 2 : 1)]})`;
    o = options<ConvLayerOptions>(name, d, KEYS[kind]);
  } else {
    const k = sizeArg(kind, 'kernel size', a);
    if (!Array.isArray(b) || b.length !== 2 || !b.every((n) => Number.isInteger(n) && n > 0))
      fail(kind, 'channels must be [in, out], two positive integers', b, Array.isArray(b) ? RangeError : TypeError);
    const [cin, cout] = b as number[];
    name = `${kind}(${tuple(k)}, ${cin} => ${cout})`;
    o = options<ConvLayerOptions>(name, d, [...KEYS[kind], 'bias', 'init']);
    σ = c === undefined ? u.identity : c;
    const G = o.groups === undefined ? 1 : int(name, 'groups', o.groups, 1);
    if (cin % G || cout % G) throw new RangeError(`${name}: groups ${G} must divide both ${cin} and ${cout}`);
    const shape = [...k, (T ? cout : cin) / G, T ? cin : cout];
    w = initWeight(name, o.init ?? glorot_uniform, shape);
    bias = o.bias ?? true;
  }
  checkAct(σ, name);
  const nd = w.rank - 2, k = w.shape.slice(0, nd);
  const groups = o.groups === undefined ? 1 : int(name, 'groups', o.groups, 1);
  const win = windowArg(name, k, o, k.map(() => 1), T);
  const outpad = T ? perDim(name, 'outpad', o.outpad ?? 0, nd, 0) : undefined;
  if (outpad?.some((q, i) => q >= win.stride[i])) throw new RangeError(`${name}: outpad must be smaller than the stride ${tuple(win.stride)}, got ${tuple(outpad)}`);
  const nout = T ? w.shape[nd] * groups : w.shape[nd + 1];
  if (w.shape[nd + 1] % groups) throw new RangeError(`${name}: groups ${groups} must divide ${w.shape[nd + 1]}, the weight's last dim`);
  const bt = biasArg(name, bias, nout);
  w.keep(); if (bt) bt.keep();
  // Flux's show: the options that differ from their defaults
  const f = σ as Activation, opt = (n: string, v: readonly number[], one: number) => (v.every((q) => q === one) ? '' : `, ${n}=${n === 'pad' ? showPad(v) : show(v)}`);
  name = name.slice(0, -1) + (f === u.identity ? '' : `, ${actName(f)}`) + opt('pad', win.pad, 0) + opt('stride', win.stride, 1) +
    opt('dilation', win.dilation, 1) + (groups > 1 ? `, groups=${groups}` : '') + (bt ? '' : ', bias=false') + (outpad ? opt('outpad', outpad, 0) : '') + ')';
  const props: Props & { outpad?: number[] } = { weight: w, bias: bt, σ: f, stride: [...win.stride], pad: [...win.pad], dilation: [...win.dilation], groups, ...(outpad ? { outpad } : {}) };
  return makeLayer(name, props, (self, x) => {
    const spec: Window & { groups: number; outpad: number[] } = { k: self.weight.shape.slice(0, nd), stride: self.stride, pad: self.pad, dilation: self.dilation, groups: self.groups, outpad: self.outpad ?? [] };
    if (T) { const y = convTranspose(name, x, self.weight, self.bias || null, spec, 1); return self.σ === u.identity ? y : self.σ(y); }
    const code = fusedCode(self.σ);
    const y = convolve(name, x, self.weight, self.bias || null, code ?? Unary.identity, spec, kind === 'Conv' ? 1 : 0);
    return code === undefined ? self.σ(y) : y;
  });
}

/**
 * Flux's `Conv(k, in => out, σ)`: a convolution (the kernel flipped, as NNlib's conv) over 1 to 3
 * spatial dims, y = σ.(conv(x, weight) .+ bias), with weight [k…, in/groups, out] (glorot_uniform)
 * and bias [out] (zeros). x is [spatial…, in, batch]: WHCN for images. Also `Conv(weight, bias, σ, opts)`.
 * @example const c = Conv([5, 5], [1, 6], relu);          // LeNet-5's first layer
 *          c(rand([28, 28, 1, 64])).shape                // [24, 24, 6, 64]
 *          Conv([3], [4, 8], identity, { stride: 2, pad: SamePad() })
 */
export function Conv(k: readonly number[], ch: readonly [number, number], σ?: Activation, opts?: ConvLayerOptions): Conv;
export function Conv(weight: Tensor, bias?: boolean | TensorLike, σ?: Activation, opts?: ConvLayerOptions): Conv;
export function Conv(a: unknown, b?: unknown, c?: unknown, d?: unknown): Conv { return build('Conv', a, b, c, d); }

/**
 * Flux's `CrossCor(k, in => out, σ)`: Conv without the kernel flip (a cross-correlation, what
 * most other libraries call convolution); no groups. Also `CrossCor(weight, bias, σ, opts)`.
 * @example CrossCor([3, 3], [3, 16], relu, { pad: 1 })(rand([32, 32, 3, 8])).shape   // [32, 32, 16, 8]
 */
export function CrossCor(k: readonly number[], ch: readonly [number, number], σ?: Activation, opts?: ConvLayerOptions): CrossCor;
export function CrossCor(weight: Tensor, bias?: boolean | TensorLike, σ?: Activation, opts?: ConvLayerOptions): CrossCor;
export function CrossCor(a: unknown, b?: unknown, c?: unknown, d?: unknown): CrossCor { return build('CrossCor', a, b, c, d); }

/**
 * Flux's `ConvTranspose(k, in => out, σ)`: the transposed convolution (the gradient of Conv with
 * respect to its input), which upsamples: each spatial size becomes (size − 1)·stride + 1 +
 * (k − 1)·dilation − pad + outpad. Weight [k…, out/groups, in], as Flux.
 * @example ConvTranspose([5, 5], [3, 7], relu, { stride: 2 })(rand([10, 10, 3, 2])).shape   // [23, 23, 7, 2]
 */
export function ConvTranspose(k: readonly number[], ch: readonly [number, number], σ?: Activation, opts?: ConvLayerOptions): ConvTranspose;
export function ConvTranspose(weight: Tensor, bias?: boolean | TensorLike, σ?: Activation, opts?: ConvLayerOptions): ConvTranspose;
export function ConvTranspose(a: unknown, b?: unknown, c?: unknown, d?: unknown): ConvTranspose {
  return build('ConvTranspose', a, b, c, d) as ConvTranspose;
}

/**
 * Flux's `flatten`: x reshaped to [:, batch], the last dim kept (free: a view).
 * @example Chain(Conv([5, 5], [1, 6], relu), MaxPool([2, 2]), flatten, Dense(864, 10))
 *          flatten(rand([4, 4, 16, 32])).shape   // [256, 32]
 */
export function flatten(x0: TensorLike): Tensor {
  const x = toTensor(x0, 'flatten', 'x');
  if (x.rank === 0) throw new RangeError('flatten: expected an array with a batch dim, got a scalar (shape [])');
  return reshape(x, [sizeOf(x.shape.slice(0, -1)), x.shape[x.rank - 1]]);
}
