// Recurrent layers as in Flux 0.15+: stateless cells that map (x, state) to (y, state), and
// whole-sequence layers RNN, LSTM, GRU and GRUv3 over [in, len, batch] (or [in, len]) returning
// [out, len, batch], with an optional initial state and `return_state`. Parameters carry Flux
// 0.16's names (cell.Wi, cell.Wh, cell.bias; the GRUs' bias is cell.b, GRUv3's extra matrix
// cell.Wh_h̃), gates are stacked in Flux's order (LSTM: input, forget, cell, output; GRU: reset,
// update, candidate), and GRUv3 computes h̃ = tanh(Wi_h̃·x + Wh_h̃·(r .* h) + b_h̃) as Flux's code
// does (its docstring's r .* (W_hh·h) is not what runs; Wh's candidate block is unused there).
// Every layer, cells included, runs src/ops/rnn.ts's fused sequence op (a cell is a sequence of
// length 1), so a step is one matmul and one kernel and the gradient is one node.

import { Tensor, toTensor, zeros, describe, sameShape, type TensorLike } from '../tensor.js';
import { UNARY_OPS } from '../ops/codes.js';
import * as u from '../ops/unary.js';
import { reshape } from '../ops/shape.js';
import { add } from '../ops/binary.js';
import { matmul } from '../ops/matmul.js';
import { RNN_KIND, seqParams, runSequence, type SeqP } from '../ops/rnn.js';
import { hidden, alias, named } from './layer.js';
import { glorot_uniform, type Init } from './init.js';
import type { Activation } from './dense.js';
import { options, bool, fail, show, isPlain, badShape, MAX_SIZE } from '../check.js';

/**
 * What the recurrent cells accept: the weight initialisers (Flux's keyword names) and the bias
 * (true: zeros, false: none, or its values).
 * @example LSTMCell(3, 5, { init_kernel: kaiming_uniform, bias: false })
 */
export interface RecurrentOptions { init_kernel?: Init; init_recurrent_kernel?: Init; bias?: boolean | TensorLike }
/**
 * What the sequence layers accept: the cell's options, and `return_state` (the layer then
 * returns `[y, final state]`).
 * @example const lstm = LSTM(3, 5, { return_state: true });
 *          const [y, [h, c]] = lstm(rand(3, 10, 4));
 */
export interface SequenceOptions<S extends boolean = boolean> extends RecurrentOptions { return_state?: S }

/** An LSTM's state: [h, c]. @example const s: LSTMState = [zeros(5), zeros(5)]; */
export type LSTMState = [Tensor, Tensor];

/**
 * `RNNCell(in, out, σ)`: h′ = σ.(Wi·x .+ Wh·h .+ bias); `cell(x, h)` returns `[h′, h′]`.
 * @example const c = RNNCell(3, 5); const [y, h] = c(rand(3, 4)); y.shape   // [5, 4]
 */
export type RNNCell = ((x: TensorLike, h?: TensorLike) => [Tensor, Tensor]) & { σ: Activation; Wi: Tensor; Wh: Tensor; bias: Tensor | false };
/**
 * `LSTMCell(in, out)`: `cell(x, [h, c])` returns `[h′, [h′, c′]]`.
 * @example const c = LSTMCell(3, 5); const [y, [h, s]] = c(rand(3, 4)); s.shape   // [5, 4]
 */
export type LSTMCell = ((x: TensorLike, state?: readonly [TensorLike, TensorLike]) => [Tensor, LSTMState]) & { Wi: Tensor; Wh: Tensor; bias: Tensor | false };
/**
 * `GRUCell(in, out)` (v1 of the paper, as Flux): `cell(x, h)` returns `[h′, h′]`.
 * @example const c = GRUCell(3, 5); const [y] = c(rand(3)); y.shape   // [5]
 */
export type GRUCell = ((x: TensorLike, h?: TensorLike) => [Tensor, Tensor]) & { Wi: Tensor; Wh: Tensor; b: Tensor | false; bias: Tensor | false };
/**
 * `GRUv3Cell(in, out)` (v3 of the paper): `cell(x, h)` returns `[h′, h′]`; its extra weight is `Wh_h̃`.
 * @example const c = GRUv3Cell(3, 5); c['Wh_h̃'].shape   // [5, 5]
 */
export type GRUv3Cell = ((x: TensorLike, h?: TensorLike) => [Tensor, Tensor]) & { Wi: Tensor; Wh: Tensor; b: Tensor | false; bias: Tensor | false; 'Wh_h̃': Tensor };

/**
 * The sequence layer `RNN`: `m(x, h0?)` maps [in, len, batch] to [out, len, batch]
 * (`[y, hT]` with `return_state`).
 * @example const m: RNN = RNN(3, 5); m(rand(3, 7, 2)).shape   // [5, 7, 2]
 */
export type RNN<S extends boolean = false> = ((x: TensorLike, h?: TensorLike) => S extends true ? [Tensor, Tensor] : Tensor) & { cell: RNNCell };
/**
 * The sequence layer `LSTM`: `m(x, [h0, c0]?)` (`[y, [hT, cT]]` with `return_state`).
 * @example const m: LSTM = LSTM(3, 5); m(rand(3, 7)).shape   // [5, 7]
 */
export type LSTM<S extends boolean = false> = ((x: TensorLike, state?: readonly [TensorLike, TensorLike]) => S extends true ? [Tensor, LSTMState] : Tensor) & { cell: LSTMCell };
/**
 * The sequence layer `GRU`: `m(x, h0?)` (`[y, hT]` with `return_state`).
 * @example const m: GRU = GRU(3, 5); m(rand(3, 7, 2)).shape   // [5, 7, 2]
 */
export type GRU<S extends boolean = false> = ((x: TensorLike, h?: TensorLike) => S extends true ? [Tensor, Tensor] : Tensor) & { cell: GRUCell };
/**
 * The sequence layer `GRUv3`: `m(x, h0?)` (`[y, hT]` with `return_state`).
 * @example const m: GRUv3 = GRUv3(3, 5); m(rand(3, 7, 2)).shape   // [5, 7, 2]
 */
export type GRUv3<S extends boolean = false> = ((x: TensorLike, h?: TensorLike) => S extends true ? [Tensor, Tensor] : Tensor) & { cell: GRUv3Cell };

type AnyCell = ((x: TensorLike, s?: unknown) => unknown) & { Wi: Tensor; Wh: Tensor; bias?: Tensor | false; b?: Tensor | false; σ?: Activation; 'Wh_h̃'?: Tensor };

/** Per kind: the layer's and the cell's names, the gate count and the bias's property name. */
const KINDS = [
  { kind: RNN_KIND.rnn, layer: 'RNN', cell: 'RNNCell', gates: 1, bias: 'bias' },
  { kind: RNN_KIND.lstm, layer: 'LSTM', cell: 'LSTMCell', gates: 4, bias: 'bias' },
  { kind: RNN_KIND.gru, layer: 'GRU', cell: 'GRUCell', gates: 3, bias: 'b' },
  { kind: RNN_KIND.gruv3, layer: 'GRUv3', cell: 'GRUv3Cell', gates: 3, bias: 'b' },
] as const;
type Kind = (typeof KINDS)[number];

/** The kind of every cell made here (RNN(cell) takes only its own kind). */
const cellKind = new WeakMap<object, Kind>();

/** The activations the fused step runs, by function identity: [unary code, alpha]. */
let acts: Map<unknown, [number, number]> | null = null;
const ALPHA: Record<string, number> = { leakyrelu: 0.01, elu: 1, celu: 1 };   // the functions' defaults
function actCode(σ: unknown): [number, number] | undefined {
  acts ??= new Map(UNARY_OPS.flatMap((r, i) => ('act' in r && r.act
    ? [[(u as Record<string, unknown>)[r.name], [i, ALPHA[r.name] ?? 0] as [number, number]] as const] : [])));
  return acts.get(σ);
}

/** in, out and the rest of the arguments, from `(in, out, ...rest)` or `([in, out], ...rest)`. */
function sizes(fn: string, a: unknown, b: unknown, rest: unknown[]): { inp: number; out: number; name: string; rest: unknown[] } {
  const pair = Array.isArray(a);
  if (pair && a.length !== 2) throw new RangeError(`${fn}: expected [in, out], got an array of length ${a.length}`);
  const [inp, out] = pair ? a as unknown[] : [a, b];
  const name = `${fn}(${show(inp)} => ${show(out)})`;
  for (const n of [inp, out]) {
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw new RangeError(`${name}: in and out must be positive integers, got ${describe(n)}`);
  }
  return { inp: inp as number, out: out as number, name, rest: pair ? [b, ...rest] : rest };
}

/** Builds a cell of kind `k` from its constructor's arguments. */
function makeCell(k: Kind, fn: string, a: unknown, b: unknown, rest: unknown[], keys: string[] = []): { cell: AnyCell; opts: Record<string, unknown> } {
  const s = sizes(fn, a, b, rest);
  let σ: unknown = u.tanh, o: unknown;
  if (k.kind === RNN_KIND.rnn) {
    [σ, o] = s.rest;
    if (isPlain(σ) && o === undefined) { o = σ; σ = undefined; }   // RNN(3, 5, { return_state: true })
    if (σ === undefined) σ = u.tanh;
    if (typeof σ !== 'function') throw new TypeError(`${s.name}: σ must be a function (an activation), got ${describe(σ)}`);
  } else {
    [o] = s.rest;
    if (s.rest.length > 1 && s.rest[1] !== undefined)
      throw new TypeError(`${s.name}: expected (in, out, options), got an extra argument ${describe(s.rest[1])}; ${k.layer} has no activation argument`);
  }
  const opts = options<SequenceOptions & Record<string, unknown>>(s.name, o, ['init_kernel', 'init_recurrent_kernel', 'bias', ...keys]);
  const H = s.out, G = k.gates * H;
  if (G * Math.max(s.inp, H) > MAX_SIZE) throw new RangeError(`${s.name}: out of memory: a weight of ${G * Math.max(s.inp, H)} elements; a tensor holds at most ${MAX_SIZE}`);
  const init = (key: 'init_kernel' | 'init_recurrent_kernel', dims: [number, number]) => {
    const f = opts[key] ?? glorot_uniform;
    if (typeof f !== 'function') throw new TypeError(`${s.name}: ${key} must be a function (...dims) => Tensor, got ${describe(f)}`);
    const W = (f as Init)(...dims);
    if (!(W instanceof Tensor) || !sameShape(W.shape, dims)) throw new RangeError(`${s.name}: ${key} returned ${describe(W)}, expected shape [${dims.join(', ')}]`);
    return W.keep();
  };
  const Wi = init('init_kernel', [G, s.inp]), Wh = init('init_recurrent_kernel', [G, H]);
  const Whh = k.kind === RNN_KIND.gruv3 ? init('init_recurrent_kernel', [H, H]) : null;
  const bias = opts.bias ?? true;
  let bt: Tensor | false = false;
  if (bias === true) bt = zeros(G).keep();
  else if (bias !== false) {
    bt = toTensor(bias, s.name, 'bias');
    if (bt.size !== G || bt.rank > 1) badShape(s.name, 'bias', bt.shape, [G]);
    bt.keep();
  }
  const props: Record<string, unknown> = k.kind === RNN_KIND.rnn ? { σ, Wi, Wh, bias: bt } : { Wi, Wh, [k.bias]: bt };
  if (Whh) props['Wh_h̃'] = Whh;
  const name = `${k.cell}(${s.inp} => ${H})`;
  const cell = named(name, props, ((x: TensorLike, state?: unknown) => cellForward(k, cell, name, x, state)) as AnyCell);
  if (k.bias === 'b') alias(cell, 'bias', 'b');
  cellKind.set(cell, k);
  return { cell, opts };
}

/** The weights of a cell, checked, with a zero bias where it has none. */
function weights(k: Kind, c: AnyCell, name: string): { Wi: Tensor; Wh: Tensor; bias: Tensor; extra: Tensor | null; H: number; inp: number } {
  const Wi = toTensor(c.Wi, name, 'Wi'), Wh = toTensor(c.Wh, name, 'Wh'), b = c[k.bias];
  const H = Wh.shape[Wh.rank - 1];
  const bias = b === false || b === undefined ? zeros(k.gates * H) : toTensor(b, name, k.bias);
  const extra = k.kind === RNN_KIND.gruv3 ? toTensor(c['Wh_h̃']!, name, 'Wh_h̃') : null;
  return { Wi, Wh, bias, extra, H, inp: Wi.shape[Wi.rank - 1] };
}

/** The initial state(s): h for RNN/GRU, [h, c] for the LSTM; zeros when omitted. */
function states(k: Kind, name: string, H: number, state: unknown): [Tensor, Tensor | null] {
  if (k.kind !== RNN_KIND.lstm) return [state === undefined ? zeros(H) : toTensor(state as TensorLike, name, 'h'), null];
  if (state === undefined) return [zeros(H), zeros(H)];
  if (!Array.isArray(state) || state.length !== 2) fail(name, 'the state must be [h, c] (two tensors)', state);
  return [toTensor(state[0] as TensorLike, name, 'h'), toTensor(state[1] as TensorLike, name, 'c')];
}

/** Sequence-op parameters for cell `c` (the activation resolved for RNN). */
function params(k: Kind, c: AnyCell, name: string, state: boolean): SeqP {
  if (k.kind !== RNN_KIND.rnn) return seqParams(k.kind, name, 0, 0, state);
  const a = actCode(c.σ);
  if (!a) {
    fail(name, "σ must be one of fluxion's activations (tanh, relu, ...: the step kernel runs it; RNNCell runs any function)", c.σ);
  }
  return seqParams(k.kind, name, a[0], a[1], state);
}

function cellForward(k: Kind, c: AnyCell, name: string, x0: TensorLike, state: unknown): unknown {
  const x = toTensor(x0, name, 'x'), { Wi, Wh, bias, extra, H, inp } = weights(k, c, name);
  if (x.rank < 1 || x.rank > 2 || x.shape[0] !== inp) {
    badShape(name, 'input', x.shape, `[${inp}] or [${inp}, batch] (one step; a sequence is ${k.layer}'s)`);
  }
  const [h0, c0] = states(k, name, H, state);
  if (k.kind === RNN_KIND.rnn && !actCode(c.σ)) {
    // any other activation: one step from the ops, h′ = σ.(Wi·x .+ Wh·h .+ b), broadcasting as Flux does
    const h = (c.σ as Activation)(add(add(matmul(Wi, x), matmul(Wh, h0)), x.rank === 2 || h0.rank === 2 ? reshape(bias, [H, 1]) : bias));
    return [h, h];
  }
  // one step is a sequence of length 1: [in] → [in, 1], [in, B] → [in, 1, B]
  const B = x.rank === 2 ? x.shape[1] : 0;
  const p = params(k, c, name, k.kind === RNN_KIND.lstm);
  const { y, c: c1 } = runSequence(p, [reshape(x, B ? [inp, 1, B] : [inp, 1]), Wi, Wh, bias, h0, ...(extra ?? c0 ? [(extra ?? c0)!] : [])], false);
  const h = reshape(y, B ? [H, B] : [H]);
  return k.kind === RNN_KIND.lstm ? [h, [h, c1!]] : [h, h];
}

function seqForward(k: Kind, m: { cell: AnyCell }, returnState: boolean, x0: TensorLike, state: unknown): unknown {
  const c = m.cell;
  if (typeof c !== 'function' || !(c.Wi instanceof Tensor)) fail(`${k.layer}`, 'm.cell must be a cell', c);
  const name = `${k.layer}(${c.Wi.shape[1]} => ${c.Wh.shape[1]})`;
  const x = toTensor(x0, name, 'x'), { Wi, Wh, bias, extra, H } = weights(k, c, name);
  const [h0, c0] = states(k, name, H, state);
  const p = params(k, c, name, returnState);
  const r = runSequence(p, [x, Wi, Wh, bias, h0, ...(extra ?? c0 ? [(extra ?? c0)!] : [])], true);
  if (!returnState) return r.y;
  return [r.y, k.kind === RNN_KIND.lstm ? [r.h!, r.c!] : r.h!];
}

/** Builds the sequence layer of kind `k` from its constructor's arguments (sizes, or a cell). */
function makeSeq(k: Kind, a: unknown, b: unknown, rest: unknown[]): unknown {
  let cell: AnyCell, o: Record<string, unknown>;
  if (typeof a === 'function' && cellKind.get(a) === k) {
    if (rest.some((v) => v !== undefined)) throw new TypeError(`${k.layer}: expected (cell, options), got extra arguments`);
    cell = a as AnyCell;
    o = options<{ return_state: boolean }>(k.layer, b, ['return_state']);
  } else if (typeof a === 'function') {
    fail(k.layer, `expected (in, out, ...), ([in, out], ...) or a ${k.cell}`, a);
  } else ({ cell, opts: o } = makeCell(k, k.layer, a, b, rest, ['return_state']));
  const rs = o.return_state ?? false;
  const name = `${k.layer}(${cell!.Wi.shape[1]} => ${cell!.Wh.shape[1]})`;
  bool(name, 'return_state', rs);
  const m = named(name, { cell: cell! }, (x: TensorLike, state?: unknown) => seqForward(k, m, rs as boolean, x, state));
  hidden(m, 'return_state', rs, false);
  if (k.kind === RNN_KIND.rnn) params(k, cell!, name, false);   // refuses an activation the step kernel lacks, now
  return m;
}

/**
 * Flux's `RNNCell(in => out, σ = tanh)`: one step h′ = σ.(Wi·x .+ Wh·h .+ bias) with Wi [out, in],
 * Wh [out, out] (glorot_uniform) and bias [out] (zeros). `cell(x, h = zeros)` takes x [in] or
 * [in, batch] and returns `[h′, h′]`. Also `RNNCell([in, out], σ, options)`.
 * @example const cell = RNNCell(3, 5);
 *          let h = zeros(5), y; for (const xt of xs) [y, h] = cell(xt, h);
 */
export function RNNCell(inp: number, out: number, σ?: Activation, opts?: RecurrentOptions): RNNCell;
export function RNNCell(io: readonly [number, number], σ?: Activation, opts?: RecurrentOptions): RNNCell;
export function RNNCell(a: number | readonly number[], b?: unknown, c?: unknown, d?: unknown): RNNCell {
  return makeCell(KINDS[0], 'RNNCell', a, b, [c, d]).cell as unknown as RNNCell;
}

/**
 * Flux's `LSTMCell(in => out)`: Wi [4out, in], Wh [4out, out], bias [4out], gates stacked as
 * input, forget, cell, output: c′ = σ(f)·c + σ(i)·tanh(c̃), h′ = σ(o)·tanh(c′). `cell(x, [h, c])`
 * returns `[h′, [h′, c′]]`.
 * @example const cell = LSTMCell(3, 5);
 *          const [y, [h, c]] = cell(rand(3, 8));   // y === h, [5, 8]
 */
export function LSTMCell(inp: number, out: number, opts?: RecurrentOptions): LSTMCell;
export function LSTMCell(io: readonly [number, number], opts?: RecurrentOptions): LSTMCell;
export function LSTMCell(a: number | readonly number[], b?: unknown, c?: unknown): LSTMCell {
  return makeCell(KINDS[1], 'LSTMCell', a, b, [c]).cell as unknown as LSTMCell;
}

/**
 * Flux's `GRUCell(in => out)` (v1): r = σ(Wi_r·x + Wh_r·h + b_r), z likewise,
 * h̃ = tanh(Wi_h·x + r .* (Wh_h·h) + b_h), h′ = (1 − z) .* h̃ + z .* h; Wi [3out, in], Wh [3out, out],
 * b [3out] (Flux's field name; `cell.bias` is an alias). `cell(x, h)` returns `[h′, h′]`.
 * @example const cell = GRUCell(3, 5);
 *          const [y, h] = cell(rand(3, 2), zeros(5, 2));
 */
export function GRUCell(inp: number, out: number, opts?: RecurrentOptions): GRUCell;
export function GRUCell(io: readonly [number, number], opts?: RecurrentOptions): GRUCell;
export function GRUCell(a: number | readonly number[], b?: unknown, c?: unknown): GRUCell {
  return makeCell(KINDS[2], 'GRUCell', a, b, [c]).cell as unknown as GRUCell;
}

/**
 * Flux's `GRUv3Cell(in => out)` (v3): as GRUCell but h̃ = tanh(Wi_h·x + Wh_h̃·(r .* h) + b_h), with
 * the extra weight `cell['Wh_h̃']` [out, out] (as Flux's code; Wh's third block is unused).
 * @example const cell = GRUv3Cell(3, 5);
 *          const [y] = cell(rand(3, 2));   // [5, 2]
 */
export function GRUv3Cell(inp: number, out: number, opts?: RecurrentOptions): GRUv3Cell;
export function GRUv3Cell(io: readonly [number, number], opts?: RecurrentOptions): GRUv3Cell;
export function GRUv3Cell(a: number | readonly number[], b?: unknown, c?: unknown): GRUv3Cell {
  return makeCell(KINDS[3], 'GRUv3Cell', a, b, [c]).cell as unknown as GRUv3Cell;
}

/**
 * Flux's `RNN(in => out, σ = tanh; return_state = false)`: RNNCell over a whole sequence.
 * `m(x, h0 = zeros)` maps x [in, len, batch] (or [in, len]) to [out, len, batch] (or [out, len]),
 * h0 [out] or [out, batch]; with `return_state: true` it returns `[y, hT]`. σ must be one of
 * fluxion's activations (the step kernel runs it). Also `RNN(cell, { return_state })`.
 * @example const m = Chain(RNN(3, 16), Dense(16, 2));
 *          m(rand(3, 20, 8)).shape    // [2, 20, 8]: Dense maps each step
 */
export function RNN<S extends boolean = false>(inp: number, out: number, σ?: Activation | SequenceOptions<S>, opts?: SequenceOptions<S>): RNN<S>;
export function RNN<S extends boolean = false>(io: readonly [number, number], σ?: Activation | SequenceOptions<S>, opts?: SequenceOptions<S>): RNN<S>;
export function RNN<S extends boolean = false>(cell: RNNCell, opts?: { return_state?: S }): RNN<S>;
export function RNN(a: unknown, b?: unknown, c?: unknown, d?: unknown): RNN<boolean> {
  return makeSeq(KINDS[0], a, b, [c, d]) as RNN<boolean>;
}

/**
 * Flux's `LSTM(in => out; return_state = false)`: LSTMCell over a whole sequence. `m(x, [h0, c0])`
 * maps [in, len, batch] to [out, len, batch]; with `return_state: true` it returns `[y, [hT, cT]]`.
 * Each step is one matmul and one fused kernel; the gradient is one node.
 * @example const lstm = LSTM(128, 256);
 *          lstm(rand(128, 64, 32)).shape   // [256, 64, 32]
 */
export function LSTM<S extends boolean = false>(inp: number, out: number, opts?: SequenceOptions<S>): LSTM<S>;
export function LSTM<S extends boolean = false>(io: readonly [number, number], opts?: SequenceOptions<S>): LSTM<S>;
export function LSTM<S extends boolean = false>(cell: LSTMCell, opts?: { return_state?: S }): LSTM<S>;
export function LSTM(a: unknown, b?: unknown, c?: unknown): LSTM<boolean> {
  return makeSeq(KINDS[1], a, b, [c]) as LSTM<boolean>;
}

/**
 * Flux's `GRU(in => out; return_state = false)`: GRUCell over a whole sequence; `m(x, h0)`.
 * @example const gru = GRU(27, 64, { return_state: true });
 *          const [y, h] = gru(rand(27, 10, 4));   // [64, 10, 4], [64, 4]
 */
export function GRU<S extends boolean = false>(inp: number, out: number, opts?: SequenceOptions<S>): GRU<S>;
export function GRU<S extends boolean = false>(io: readonly [number, number], opts?: SequenceOptions<S>): GRU<S>;
export function GRU<S extends boolean = false>(cell: GRUCell, opts?: { return_state?: S }): GRU<S>;
export function GRU(a: unknown, b?: unknown, c?: unknown): GRU<boolean> {
  return makeSeq(KINDS[2], a, b, [c]) as GRU<boolean>;
}

/**
 * Flux's `GRUv3(in => out; return_state = false)`: GRUv3Cell over a whole sequence; `m(x, h0)`.
 * @example const m = GRUv3(3, 5);
 *          m(rand(3, 7)).shape   // [5, 7]
 */
export function GRUv3<S extends boolean = false>(inp: number, out: number, opts?: SequenceOptions<S>): GRUv3<S>;
export function GRUv3<S extends boolean = false>(io: readonly [number, number], opts?: SequenceOptions<S>): GRUv3<S>;
export function GRUv3<S extends boolean = false>(cell: GRUv3Cell, opts?: { return_state?: S }): GRUv3<S>;
export function GRUv3(a: unknown, b?: unknown, c?: unknown): GRUv3<boolean> {
  return makeSeq(KINDS[3], a, b, [c]) as GRUv3<boolean>;
}

/**
 * Flux's `initialstates`: the zero state of a recurrent cell or layer (h, or [h, c] for the LSTM).
 * @example initialstates(LSTM(3, 5))   // [zeros(5), zeros(5)]
 */
export function initialstates(m: RNNCell | LSTMCell | GRUCell | GRUv3Cell | { cell: unknown }): Tensor | LSTMState {
  const c = (m && typeof m === 'object' || typeof m === 'function') && 'cell' in m ? (m as { cell: unknown }).cell : m;
  const Wh = (c as AnyCell | null)?.Wh;
  if (typeof c !== 'function' || !(Wh instanceof Tensor) || Wh.rank !== 2)
    fail('initialstates', 'expected a recurrent cell or layer (RNN, LSTM, GRU, GRUv3 or their cells)', m);
  const H = Wh.shape[1];
  return Wh.shape[0] === 4 * H && (c as AnyCell).name.startsWith('LSTM') ? [zeros(H), zeros(H)] : zeros(H);
}
