// Recurrent layers as in Flux 0.15+: stateless cells that map (x, state) to (y, state), and
// whole-sequence layers RNN, LSTM, GRU and GRUv3 over [in, len, batch] (or [in, len]) returning
// [out, len, batch], with an optional initial state and `return_state`. Parameters carry Flux
// 0.16's names (cell.Wi, cell.Wh, cell.bias; the GRUs' bias is cell.b, GRUv3's extra matrix
// cell.Wh_h̃), gates are stacked in Flux's order (LSTM: input, forget, cell, output; GRU: reset,
// update, candidate), and GRUv3 computes h̃ = tanh(Wi_h̃·x + Wh_h̃·(r .* h) + b_h̃) as Flux's code
// does (its docstring's r .* (W_hh·h) is not what runs; Wh's candidate block is unused there).
// Every layer, cells included, runs src/ops/rnn.ts's fused sequence op (a cell is a sequence of
// length 1), so a step is one matmul and one kernel and the gradient is one node.

import { Tensor, toTensor, zeros, type TensorLike } from '../tensor.js';
import { UNARY_OPS, Unary } from '../ops/codes.js';
import * as u from '../ops/unary.js';
import { GATES, rnnSeqDef, rnnStateDef, type SeqP } from '../ops/rnn.js';
import { apply } from '../ops/registry.js';
import { recording } from '../autograd.js';
import { hidden, alias, named, biasArg, ioArgs } from './layer.js';
import { glorot_uniform, initWeight, type Init } from './init.js';
import type { Activation } from './dense.js';
import { options, bool, fail, func, isPlain } from '../check.js';

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

/** The sequence layers' names, by kind (0 RNN, 1 LSTM, 2 GRU, 3 GRUv3); a cell's is the layer's + 'Cell'. */
const NAMES = ['RNN', 'LSTM', 'GRU', 'GRUv3'];

/** The kind of every cell made here (RNN(cell) takes only its own kind; initialstates). */
const cellKind = new WeakMap<object, number>();

/** The activations the fused step runs, by function identity: [unary code, alpha (the functions' defaults)]; code -1: one it lacks (the sequence layers refuse it, RNNCell applies it after the op). */
const actCode = (σ: unknown): number[] =>
  [UNARY_OPS.findIndex((r) => (r as { act?: boolean }).act && (u as Record<string, unknown>)[r.name] === σ), σ === u.leakyrelu ? 0.01 : +(σ === u.elu || σ === u.celu)];

/**
 * Builds a cell (`seq` false) or a sequence layer of kind `k` from its constructor's arguments:
 * `(in, out, ...rest)`, `([in, out], ...rest)` or, for a layer, `(cell, options)`.
 */
function make(k: number, [a, ...rest]: unknown[], seq?: boolean): unknown {
  const L = NAMES[k];
  let cell: AnyCell, opts: Record<string, unknown>;
  if (seq && typeof a === 'function') {
    if (cellKind.get(a) !== k || rest.slice(1).some((v) => v !== undefined)) fail(L, `expected (in, out, ...), ([in, out], ...) or a ${L}Cell`, a);
    cell = a as AnyCell;
    opts = options(L, rest[0], ['return_state']);
  } else {
    let [inp, H, name, [σ, o]] = ioArgs(seq ? L : L + 'Cell', [a, ...rest]);
    // the options in σ's place: always but for RNN, and RNN's when σ is omitted
    if (k || (isPlain(σ) && o === undefined)) {
      if (o !== undefined) fail(name, `${L} has no activation argument`, o);
      o = σ; σ = undefined;
    }
    if (!k) func(name, 'σ', σ = σ === undefined ? u.tanh : σ);
    opts = options<SequenceOptions & Record<string, unknown>>(name, o, ['init_kernel', 'init_recurrent_kernel', 'bias', ...(seq ? ['return_state'] : [])]);
    const G = GATES[k] * H;
    const init = (key: 'init_kernel' | 'init_recurrent_kernel', dims: number[]) => initWeight(name, opts[key] ?? glorot_uniform, dims, key).keep();
    const Wi = init('init_kernel', [G, inp]), Wh = init('init_recurrent_kernel', [G, H]);
    const extra = k > 2 && { 'Wh_h̃': init('init_recurrent_kernel', [H, H]) };
    const bias = biasArg(name, opts.bias ?? true, G);
    if (bias) bias.keep();
    cell = named(`${L}Cell(${inp} => ${H})`, { ...(!k && { σ }), Wi, Wh, [k > 1 ? 'b' : 'bias']: bias, ...extra },
      ((x: TensorLike, s?: unknown) => forward(k, cell, x, s, true)) as AnyCell);
    if (k > 1) alias(cell, 'bias', 'b');
    cellKind.set(cell, k);
  }
  if (!seq) return cell;
  const rs = opts.return_state ?? false, name = `${L}(${cell.Wi.shape[1]} => ${cell.Wh.shape[1]})`;
  bool(name, 'return_state', rs);
  if (!k && actCode(cell.σ)[0] < 0) fail(name, "σ must be one of fluxion's activations", cell.σ);   // now rather than at the first call
  const m = named(name, { cell }, (x: TensorLike, s?: unknown) => forward(k, m.cell, x, s, false, rs as boolean));
  hidden(m, 'return_state', rs, false);
  return m;
}

/**
 * Runs cell `c` of kind `k`: one step (`step`: returns [h′, state′]) or over a whole sequence
 * (returns y, or [y, final state] with `rs`). The initial state is zeros when omitted. Errors name
 * the cell or layer by its weights' current sizes (the weights and `m.cell` can be replaced).
 */
function forward(k: number, c: AnyCell, x: TensorLike, s: unknown, step: boolean, rs = false): unknown {
  const L = NAMES[k] + (step ? 'Cell' : ''), t = (v: unknown, what: string) => toTensor(v as TensorLike, name, what);
  let name = L;
  const Wi = t(c?.Wi, 'Wi'), Wh = t(c.Wh, 'Wh'), H = Wh.shape.at(-1)!, bk = k > 1 ? 'b' : 'bias', bv = c[bk], σ = c.σ;
  name = `${L}(${Wi.shape[1]} => ${Wh.shape[1]})`;
  const ins = [t(x, 'x'), Wi, Wh, bv === false || bv === undefined ? zeros(GATES[k] * H) : t(bv, bk)];
  const st = (k !== 1 ? [s] : s === undefined || (Array.isArray(s) && s.length === 2) ? s : fail(name, 'the state must be [h, c]', s)) as unknown[];
  (k === 1 ? ['h', 'c'] : ['h']).forEach((n, i) => ins.push(s === undefined ? zeros(H) : t(st[i], n)));
  if (k > 2) ins.push(t(c['Wh_h̃'], 'Wh_h̃'));
  // RNNCell's σ when the step kernel lacks it: the op runs the identity, σ runs after it, as Flux's σ.(Wi·x .+ Wh·h .+ b)
  const [act, alpha] = k ? [0, 0] : actCode(σ), own = act < 0;
  if (own && !step) fail(name, "σ must be one of fluxion's activations", σ);
  const p = { kind: k, act: own ? Unary.identity : act, alpha, name, state: step ? k === 1 : rs, step } as SeqP;
  let y = apply(rnnSeqDef, ins, p);
  if (own) y = (σ as Activation)(y);
  const h = step || !rs ? y : apply(rnnStateDef, [y], { seq: p, c: false });
  let cT: Tensor | null = null;
  if (p.cT) {
    cT = apply(rnnStateDef, [y, p.cT], { seq: p, c: true });
    if (!recording()) { p.cT.dispose(); p.cT = null; }
  }
  return step || rs ? [y, k === 1 ? [h, cT] : h] : y;
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
export function RNNCell(...a: unknown[]): RNNCell {
  return make(0, a) as RNNCell;
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
export function LSTMCell(...a: unknown[]): LSTMCell {
  return make(1, a) as LSTMCell;
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
export function GRUCell(...a: unknown[]): GRUCell {
  return make(2, a) as GRUCell;
}

/**
 * Flux's `GRUv3Cell(in => out)` (v3): as GRUCell but h̃ = tanh(Wi_h·x + Wh_h̃·(r .* h) + b_h), with
 * the extra weight `cell['Wh_h̃']` [out, out] (as Flux's code; Wh's third block is unused).
 * @example const cell = GRUv3Cell(3, 5);
 *          const [y] = cell(rand(3, 2));   // [5, 2]
 */
export function GRUv3Cell(inp: number, out: number, opts?: RecurrentOptions): GRUv3Cell;
export function GRUv3Cell(io: readonly [number, number], opts?: RecurrentOptions): GRUv3Cell;
export function GRUv3Cell(...a: unknown[]): GRUv3Cell {
  return make(3, a) as GRUv3Cell;
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
export function RNN(...a: unknown[]): RNN<boolean> {
  return make(0, a, true) as RNN<boolean>;
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
export function LSTM(...a: unknown[]): LSTM<boolean> {
  return make(1, a, true) as LSTM<boolean>;
}

/**
 * Flux's `GRU(in => out; return_state = false)`: GRUCell over a whole sequence; `m(x, h0)`.
 * @example const gru = GRU(27, 64, { return_state: true });
 *          const [y, h] = gru(rand(27, 10, 4));   // [64, 10, 4], [64, 4]
 */
export function GRU<S extends boolean = false>(inp: number, out: number, opts?: SequenceOptions<S>): GRU<S>;
export function GRU<S extends boolean = false>(io: readonly [number, number], opts?: SequenceOptions<S>): GRU<S>;
export function GRU<S extends boolean = false>(cell: GRUCell, opts?: { return_state?: S }): GRU<S>;
export function GRU(...a: unknown[]): GRU<boolean> {
  return make(2, a, true) as GRU<boolean>;
}

/**
 * Flux's `GRUv3(in => out; return_state = false)`: GRUv3Cell over a whole sequence; `m(x, h0)`.
 * @example const m = GRUv3(3, 5);
 *          m(rand(3, 7)).shape   // [5, 7]
 */
export function GRUv3<S extends boolean = false>(inp: number, out: number, opts?: SequenceOptions<S>): GRUv3<S>;
export function GRUv3<S extends boolean = false>(io: readonly [number, number], opts?: SequenceOptions<S>): GRUv3<S>;
export function GRUv3<S extends boolean = false>(cell: GRUv3Cell, opts?: { return_state?: S }): GRUv3<S>;
export function GRUv3(...a: unknown[]): GRUv3<boolean> {
  return make(3, a, true) as GRUv3<boolean>;
}

/**
 * Flux's `initialstates`: the zero state of a recurrent cell or layer (h, or [h, c] for the LSTM).
 * @example initialstates(LSTM(3, 5))   // [zeros(5), zeros(5)]
 */
export function initialstates(m: RNNCell | LSTMCell | GRUCell | GRUv3Cell | { cell: unknown }): Tensor | LSTMState {
  const c = (m as { cell?: AnyCell } | null)?.cell ?? m as AnyCell, k = cellKind.get(c), Wh = c?.Wh;
  if (k === undefined || !(Wh instanceof Tensor)) fail('initialstates', 'expected a recurrent cell or layer', m);
  const H = Wh.shape.at(-1)!;
  return k === 1 ? [zeros(H), zeros(H)] : zeros(H);
}
