// Callable layers: a layer is a function `x => y` carrying its parameters as properties, so
// `m(x)`, `m.weight` and `m.layers[0]` all work and any plain function is a layer too.
// Trainable tensors are the layer's own enumerable properties (walked by params.ts); state
// that is not trained (BatchNorm's running statistics) is stored non-enumerable.

import { Tensor, describe, toTensor, zeros, type TensorLike } from '../tensor.js';
import { fail, func, isPlain, badShape, show } from '../check.js';

/**
 * A callable layer `m(x)` with properties `P` (its parameters and settings). It takes anything
 * `tensor()` takes, as the ops do, so `m([[1], [2]])` works and a layer fits wherever an
 * activation such as `softmax` (which also takes a TensorLike) is expected.
 * @example const d: Layer<{ weight: Tensor }> = Dense(2, 1);
 *          d([[1], [2]]).shape   // [1, 1]
 */
export type Layer<P extends object = {}> = ((x: TensorLike) => Tensor) & P;

/** Marks layers whose behaviour differs between training and testing (Dropout, BatchNorm). */
export const MODAL: unique symbol = Symbol('fluxion.modal');
/** The mode of a modal layer: true = training, false = testing, null = automatic. */
export type Mode = boolean | null;

/**
 * Builds a callable layer: `call(self, x)` runs with the layer's current properties, so
 * replacing `m.weight` takes effect at the next call.
 * @example const scale = makeLayer('Scale', { s: 2 }, (self, x) => x.mul(self.s));
 *          scale(tensor([1, 2]))   // [2, 4]
 */
export function makeLayer<P extends object>(name: string, props: P, call: (self: Layer<P>, x: Tensor) => Tensor): Layer<P> {
  if (typeof name !== 'string') fail('makeLayer', 'name must be a string', name);
  if (!isPlain(props)) fail('makeLayer', 'props must be a plain object of parameters and settings', props);
  func('makeLayer', 'call', call);
  const self: Layer<P> = named(name, props, (x: TensorLike) => call(self, x instanceof Tensor ? x : toTensor(x, name, 'x')));
  return self;
}

/** @internal `f` named `name` (its name and toString, as a layer prints) carrying `props`. */
export function named<P extends object, F extends Function>(name: string, props: P, f: F): F & P {
  Object.defineProperty(f, 'name', { value: name });
  Object.defineProperty(f, 'toString', { value: () => name });
  return Object.assign(f, props);
}

/** Defines a non-enumerable property: visible as `m.key`, but not a trainable parameter. */
export function hidden<T extends object>(obj: T, key: PropertyKey, value: unknown, writable = true): void {
  Object.defineProperty(obj, key, { value, writable, enumerable: false, configurable: true });
}

/** Defines a non-enumerable alias `m.alias` for `m.key` (Flux's seed-era names: W, b). */
export function alias<T extends object>(obj: T, aliasName: string, key: string): void {
  Object.defineProperty(obj, aliasName, {
    get: () => (obj as Record<string, unknown>)[key],
    set: (v) => { (obj as Record<string, unknown>)[key] = v; },
    enumerable: false, configurable: true,
  });
}

/**
 * Visits every object reachable from `m` through own enumerable properties, arrays and Maps
 * (each once, cycles safe), calling `leaf` on tensors and `node` on the objects themselves.
 */
export function walk(m: unknown, leaf: (t: Tensor) => void, node?: (o: object) => void): void {
  const seen = new Set<unknown>();
  const go = (x: unknown) => {
    if (x === null || (typeof x !== 'object' && typeof x !== 'function') || seen.has(x)) return;
    seen.add(x);
    if (x instanceof Tensor) { leaf(x); return; }
    if (ArrayBuffer.isView(x) || x instanceof Promise) return;
    node?.(x);
    if (Array.isArray(x)) { for (const v of x) go(v); return; }
    if (x instanceof Map) { for (const v of x.values()) go(v); return; }
    for (const k of Object.keys(x)) go((x as Record<string, unknown>)[k]);
  };
  go(m);
}

/** Checks that `x` is a function usable as a layer; `where` names the caller. */
export function checkLayer(x: unknown, where: string): (x: Tensor) => Tensor {
  if (typeof x !== 'function') throw new TypeError(`${where} must be a function (a layer), got ${describe(x)}`);
  return x as (x: Tensor) => Tensor;
}

/**
 * A layer's bias of `n` from its `bias` argument: true gives zeros, false none, anything else
 * its values (shape [n]).
 * @example biasArg('Dense(2 => 3)', [0.1, 0, 0], 3)
 */
export function biasArg(name: string, bias: unknown, n: number): Tensor | false {
  if (bias === false) return false;
  const b = bias === true ? zeros(n) : toTensor(bias as TensorLike, name, 'bias');
  if (b.size !== n || b.rank > 1) badShape(name, 'bias', b.shape, [n]);
  return b;
}

/**
 * A layer's `(in, out, ...rest)` or `([in, out], ...rest)` arguments: the two sizes, checked to
 * be positive integers, the layer's name `fn(in => out)` and the rest.
 * @example const [inp, out, name, [σ, opts]] = ioArgs('Dense', [784, 32, relu]);
 */
export function ioArgs(fn: string, [a, ...rest]: unknown[]): [number, number, string, unknown[]] {
  if (Array.isArray(a)) {
    if (a.length !== 2) throw new RangeError(`${fn}: expected [in, out], got [${a.map(show).join(', ')}]`);
    rest.unshift(a[1]); a = a[0];
  }
  const out = rest.shift(), name = `${fn}(${show(a)} => ${show(out)})`;
  for (const n of [a, out]) if (!Number.isInteger(n) || (n as number) < 1) throw new RangeError(`${name}: in and out must be positive integers, got ${describe(n)}`);
  return [a as number, out as number, name, rest];
}
