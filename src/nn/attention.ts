// Multi-head dot-product attention: NNlib's dot_product_attention and Flux's MultiHeadAttention
// (Vaswani et al. 2017, https://arxiv.org/abs/1706.03762), composed from ops (permutedims,
// batched_mul, softmax), so every device runs it and the gradients come from those ops.
// Layout as in Flux, features first: q [qk, q_len, batch…], scores [kv_len, q_len, nheads, batch…].
// Head h owns features h·d .. h·d + d − 1 of q, k and v (Julia's split_heads reshape, which in
// row-major storage is the view [nheads, d, len, batch…]). A mask hides a key with −Inf before the
// softmax, as NNlib's `ifelse.(mask, logits, -Inf)`: the −Inf is log(0), added to the scores.

import { Tensor, toTensor, sameShape, type TensorLike } from '../tensor.js';
import { permutedims } from '../ops/permute.js';
import { batched_mul } from '../ops/batched.js';
import { softmax } from '../ops/softmax.js';
import { add, mul, greater } from '../ops/binary.js';
import { log } from '../ops/unary.js';
import { Dense } from './dense.js';
import { Dropout } from './dropout.js';
import { mapBools } from './embedding.js';
import type { Init } from './init.js';
import { named } from './layer.js';
import { options, isPlain, int, bool, fail, func, show, badShape, MAX_SIZE } from '../check.js';

/**
 * A 0/1 mask (1, or true: the key may be attended to), broadcastable to the scores
 * `[kv_len, q_len, nheads, batch…]` (missing trailing dims count as 1, as in Julia).
 * @example make_causal_mask(x)          // [len, len]
 *          [[true, true], [false, true]]
 */
export type AttentionMask = TensorLike | readonly (readonly boolean[])[];

/**
 * The options of `dot_product_attention`: heads, a mask, and `fdrop` (a function applied to the
 * scores after the softmax, such as a Dropout layer).
 * @example dot_product_attention(q, k, v, { nheads: 4, mask: make_causal_mask(q) })
 */
export interface AttentionOptions { nheads?: number; mask?: AttentionMask | null; fdrop?: (x: Tensor) => Tensor }

/** `what` as a tensor padded with trailing dims of 1 to `rank` (a view), for Julia's broadcast against the scores. */
function padded(fn: string, what: string, x0: unknown, rank: number, scores: readonly number[]): Tensor {
  const x = toTensor(x0 as TensorLike, fn, what);
  if (x.rank > rank || x.shape.some((d, i) => d !== 1 && d !== scores[i]))
    badShape(fn, what, x.shape, `one that broadcasts to the scores [${scores}]`);
  return x.rank === rank ? x : x.view([...x.shape, ...Array(rank - x.rank).fill(1)]);
}

/** [d, len, nheads, batch…] per head from [nheads·d, len, batch…] (a view when there is one head). */
function heads(x: Tensor, H: number): Tensor {
  const [f, len, ...b] = x.shape;
  if (H === 1) return x.view([f, len, 1, ...b]);
  return permutedims(x.view([H, f / H, len, ...b]), [1, 2, 0, ...b.map((_, i) => i + 3)]);
}

/** @internal dot_product_attention with the caller's name in its errors. */
export function attention(fn: string, q0: TensorLike, k0: TensorLike, v0: TensorLike, bias0: TensorLike | null | undefined,
  nheads: unknown, mask: AttentionMask | null | undefined, fdrop: AttentionOptions['fdrop']): [Tensor, Tensor] {
  const q = toTensor(q0, fn, 'q'), k = toTensor(k0, fn, 'k'), v = toTensor(v0, fn, 'v');
  const H = int(fn, 'nheads', nheads ?? 1, 1);
  if (fdrop !== undefined) func(fn, 'fdrop', fdrop);
  const [qs, ks, vs] = [q.shape, k.shape, v.shape], batch = qs.slice(2);
  // one check, one message: the three shapes against the form they must have
  if (qs.length < 2 || qs[0] % H || vs[0] % H || !sameShape(ks, [qs[0], ks[1], ...batch]) || !sameShape(vs, [vs[0], ks[1], ...batch]))
    throw new RangeError(`${fn}: expected q [qk, q_len, b...], k [qk, kv_len, b...], v [v, kv_len, b...], nheads = ${H} dividing qk and v, got q [${qs}], k [${ks}], v [${vs}]`);
  const scores = [ks[1], qs[1], H, ...batch], R = scores.length;
  // NNlib: logits[j, i, h, b…] = Σ_d k[d, h, j, b…]·q[d, h, i, b…] / √d
  let logits = batched_mul(heads(k, H), mul(heads(q, H), 1 / Math.sqrt(qs[0] / H)), { transA: true });
  if (bias0 != null) logits = add(logits, padded(fn, 'bias', bias0, R, scores));
  // 0 where the key is visible, −Inf where it is hidden
  if (mask != null) logits = add(logits, log(greater(padded(fn, 'mask', mapBools(mask), R, scores), 0)));
  let α = softmax(logits, 0);
  if (fdrop) α = fdrop(α);
  // x[d, h, i, b…] = Σ_j v[d, h, j, b…]·α[j, i, h, b…], then the heads joined back into features
  const x = batched_mul(heads(v, H), α);
  return [(H === 1 ? x : permutedims(x, [2, 0, 1, ...batch.map((_, i) => i + 3)])).view([vs[0], qs[1], ...batch]), α];
}

/**
 * NNlib's `dot_product_attention(q, k, v, bias?; nheads, mask, fdrop)`: q `[qk, q_len, batch…]`,
 * k `[qk, kv_len, batch…]`, v `[v, kv_len, batch…]` (any number of batch dims, or none) give
 * `[y, α]`: y `[v, q_len, batch…]` and the scores α `[kv_len, q_len, nheads, batch…]`, the
 * softmax over keys of k·q/√(qk/nheads), per head, with `bias` added and masked keys at −Inf
 * first (a query with no visible key gets NaN, as in NNlib).
 * @example const [y, α] = dot_product_attention(q, k, v, { nheads: 2, mask: make_causal_mask(q) });
 *          dot_product_attention(rand(8, 5, 3), rand(8, 7, 3), rand(4, 7, 3))[1].shape   // [7, 5, 1, 3]
 */
export function dot_product_attention(q: TensorLike, k: TensorLike, v: TensorLike, bias?: TensorLike | null | AttentionOptions,
  opts?: AttentionOptions): [Tensor, Tensor] {
  const fn = 'dot_product_attention';
  if (isPlain(bias)) { if (opts !== undefined) fail(fn, 'give the options once', opts); opts = bias as AttentionOptions; bias = null; }
  const o = options<AttentionOptions>(fn, opts, ['nheads', 'mask', 'fdrop']);
  return attention(fn, q, k, v, bias as TensorLike | null | undefined, o.nheads, o.mask, o.fdrop);
}

/**
 * Flux's dims forms: `embed` (every size), or `[in, qkv, out]` for `in => qkv => out`, where
 * `in` may be `[q_in, k_in, v_in]` and `qkv` may be `[qk, v]`.
 * @example MultiHeadAttention(64)                       // 64 everywhere
 *          MultiHeadAttention([[3, 4, 5], [6, 8], 8])  // (3, 4, 5) => (6, 8) => 8
 */
export type MHADims = number | readonly [number | readonly [number, number, number], number | readonly [number, number], number];
/**
 * What `MultiHeadAttention(dims, opts)` accepts (Flux's keywords and defaults: 8 heads, no bias,
 * glorot_uniform, no dropout).
 * @example MultiHeadAttention(64, { nheads: 4, bias: true, dropout_prob: 0.1 })
 */
export interface MHAOptions { nheads?: number; bias?: boolean; init?: Init; dropout_prob?: number }
/**
 * The call's options: a mask broadcastable to the scores `[kv_len, q_len, nheads, batch]`.
 * @example mha(x, { mask: make_causal_mask(x) })
 */
export interface MHACallOptions { mask?: AttentionMask | null }
export type MultiHeadAttention = {
  (q: TensorLike, ...rest: (TensorLike | MHACallOptions | null | undefined)[]): [Tensor, Tensor];
  nheads: number; q_proj: Dense; k_proj: Dense; v_proj: Dense; attn_drop: Dropout; out_proj: Dense;
};

/**
 * Flux's `MultiHeadAttention(dims; nheads = 8, bias = false, init, dropout_prob = 0)`: projections
 * `q_proj`, `k_proj`, `v_proj`, `out_proj` (Dense) around `dot_product_attention`, with the
 * scores' dropout `attn_drop`. `mha(q)` is self-attention, `mha(q, kv)` and `mha(q, k, v)` the
 * others, then an optional bias tensor and `{ mask }`; it returns `[y, α]`.
 * @example const mha = MultiHeadAttention(64, { nheads: 8 });
 *          const [y, α] = mha(rand(64, 10, 32), { mask: make_causal_mask(rand(1, 10)) });   // y [64, 10, 32], α [10, 10, 8, 32]
 *          MultiHeadAttention([64, 1024, 1024], { nheads: 8 })(rand(64, 10, 32))[0].shape    // [1024, 10, 32]
 */
export function MultiHeadAttention(dims: MHADims, opts?: MHAOptions): MultiHeadAttention {
  const fn = 'MultiHeadAttention';
  const bad = () => fail(fn, 'dims must be a positive integer or [in, qkv, out]', dims, RangeError);
  // the six sizes q_in, k_in, v_in, qk, v, out: a number stands for all of its part's
  const all = (typeof dims === 'number' ? [dims, dims, dims] : Array.isArray(dims) && dims.length === 3 ? dims : bad())
    .flatMap((n, i) => (typeof n === 'number' ? Array(3 - i).fill(n) : Array.isArray(n) && n.length === 3 - i ? n : bad()));
  const [qi, ki, vi, qk, vd, out] = all;
  if (!all.every((n) => Number.isInteger(n) && n > 0)) bad();
  if (Math.max(qi * qk, ki * qk, vi * vd, vd * out) > MAX_SIZE) fail(fn, `out of memory: dims make a weight of more than ${MAX_SIZE} elements`, dims, RangeError);
  const o = options<MHAOptions>(fn, opts, ['nheads', 'bias', 'init', 'dropout_prob']);
  const H = int(fn, 'nheads', o.nheads ?? 8, 1), bias = bool(fn, 'bias', o.bias ?? false), init = o.init;   // Dense's default: glorot_uniform
  if (qk % H || vd % H) fail(fn, `nheads must divide qk_dim = ${qk} and v_dim = ${vd}`, H, RangeError);
  const tup = (a: number[]) => (new Set(a).size > 1 ? `(${a.join(', ')})` : a[0]);
  const name = `${fn}(${new Set(all).size > 1 ? `${tup([qi, ki, vi])} => ${tup([qk, vd])} => ${out}` : qi}; nheads=${H})`;
  const d = (i: number, n: number) => Dense(i, n, undefined, { bias, init });
  const props = { nheads: H, q_proj: d(qi, qk), k_proj: d(ki, qk), v_proj: d(vi, vd), attn_drop: Dropout(o.dropout_prob ?? 0), out_proj: d(vd, out) };
  const m: MultiHeadAttention = named(name, props, (...args: unknown[]) => call(m, name, args) as [Tensor, Tensor]);
  return m;
}

function call(m: MultiHeadAttention, name: string, args: unknown[]): [Tensor, Tensor] {
  const o = options<MHACallOptions>(name, isPlain(args[args.length - 1]) ? args.pop() : undefined, ['mask']);
  if (args.length < 1 || args.length > 4) throw new TypeError(`${name}: expected (q, k?, v?, bias?, { mask }?), got ${args.length} arguments`);
  const [q0, k0 = q0, v0 = k0, bias] = args as TensorLike[];
  const ps = [m.q_proj, m.k_proj, m.v_proj], [q, k, v] = [q0, k0, v0].map((x0, i) => {
    const x = toTensor(x0, name, 'qkv'[i]), want = ps[i].weight.shape[1];
    if (x.rank < 2 || x.shape[0] !== want)
      badShape(name, 'qkv'[i], x.shape, `[${want}, len, batch]` + (x.shape[1] === want ? ' (a sequence given as [len, in]? permutedims it)' : ''));
    return x;
  }).map((x, i) => ps[i](x));
  const [x, α] = attention(name, q, k, v, bias, m.nheads, o.mask, m.attn_drop);
  return [m.out_proj(x), α];
}
