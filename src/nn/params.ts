// params(m): the trainable tensors of a model, once each, in the order a depth-first walk of
// its properties meets them (Flux's `params`, an ordered identity set). autograd's toParams calls
// it, so `gradient(f, m)` and `gradient(f, params(m))` mean the same.

import { Params } from '../autograd.js';
import { Tensor, describe } from '../tensor.js';
import { show } from '../check.js';
import { walk, MODAL, type Mode } from './layer.js';

/**
 * The trainable tensors of models, layers, tensors or nested arrays/objects of them.
 * @example const ps = params(m);           // Params: iterable, ps.length
 *          const gs = gradient(() => mse(m(x), y), ps);
 */
export function params(...models: unknown[]): Params {
  if (models.length === 1 && models[0] instanceof Params) return models[0];
  const ps = new Params();
  for (let i = 0; i < models.length; i++) {
    const m = models[i];
    if (m === null || (typeof m !== 'object' && typeof m !== 'function'))
      throw new TypeError(`params: argument ${i} must be a model, a tensor or an array of them, got ${describe(m)}`);
    let found = 0;
    walk(m, (t) => { found++; ps.push(t, 'params'); });
    // A plain object or array without tensors is a slip (params({}) would train nothing); a
    // function is a layer, and a layer without parameters (relu) is fine.
    if (found === 0 && typeof m === 'object')
      throw new TypeError(`params: argument ${i} holds no tensors, got ${show(m)}`);
  }
  return ps;
}

function setMode(m: unknown, fn: string, mode: Mode): void {
  if (m === null || (typeof m !== 'object' && typeof m !== 'function'))
    throw new TypeError(`${fn}: expected a model or layer, got ${describe(m)}`);
  walk(m, () => {}, (o) => { if ((o as { [MODAL]?: boolean })[MODAL]) (o as { active: Mode }).active = mode; });
}
function parseMode(fn: string, mode: boolean | 'auto'): boolean | null {
  if (mode === 'auto') return null;
  if (typeof mode !== 'boolean') throw new TypeError(`${fn}: mode must be true, false or 'auto', got ${describe(mode)}`);
  return mode;
}

/**
 * Puts Dropout and BatchNorm layers in `m` in training mode (`mode = false`: test mode,
 * `'auto'`: training only inside `gradient`, the default). Returns `m`.
 * @example trainmode(m); m(x)          // dropout active, batch statistics
 */
export function trainmode<M>(m: M, mode: boolean | 'auto' = true): M {
  const v = parseMode('trainmode', mode);
  setMode(m, 'trainmode', v);
  return m;
}

/**
 * Puts Dropout and BatchNorm layers in `m` in test mode (`mode = false`: training mode,
 * `'auto'`: automatic). Returns `m`.
 * @example testmode(m); m(x)           // dropout off, running statistics
 */
export function testmode<M>(m: M, mode: boolean | 'auto' = true): M {
  const v = parseMode('testmode', mode);
  setMode(m, 'testmode', v === null ? null : !v);
  return m;
}

// ---- Model-shaped trees (the explicit style): the gradient of `gradient((m) => ..., model)` and
// the state of `setup(rule, model)` mirror the model through the fields params() walks.

/** @internal What mapModel returns for a part of a model that holds no trainable tensor. */
export const EMPTY: unique symbol = Symbol('fluxion.empty');

/** @internal `path` extended by an array index or a field name: `layers[1].weight`. */
export function joinPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  if (/^[\p{L}_$][\p{L}\p{N}_$]*$/u.test(key)) return path ? `${path}.${key}` : key;
  return `${path}[${JSON.stringify(key)}]`;
}

/**
 * @internal Maps a model to a tree of the same shape: `leaf(t, path)` for each trainable tensor
 * (the ones params() finds), arrays stay arrays, Maps stay Maps, and a layer or object becomes a
 * plain object with one entry per own enumerable field, then one per hidden tensor field (state
 * such as BatchNorm's running statistics), which is not trainable. A part holding no trainable
 * tensor maps to null (EMPTY at the root); so does a cycle back to an enclosing object.
 * @example mapModel(Dense(2, 1), (t) => t.shape)   // { weight: [1, 2], bias: [1], σ: null }
 */
export function mapModel(x: unknown, leaf: (t: Tensor, path: string) => unknown, path = '', open = new Set<object>()): unknown {
  if (x instanceof Tensor) return leaf(x, path);
  if (x === null || (typeof x !== 'object' && typeof x !== 'function') || open.has(x) || ArrayBuffer.isView(x) || x instanceof Promise)
    return EMPTY;
  open.add(x);
  try {
    let any = false;
    const sub = (v: unknown, p: string) => {
      const r = mapModel(v, leaf, p, open);
      if (r === EMPTY) return null;
      any = true;
      return r;
    };
    if (Array.isArray(x)) {
      const out = x.map((v, i) => sub(v, joinPath(path, i)));
      return any ? out : EMPTY;
    }
    if (x instanceof Map) {
      const out = new Map<unknown, unknown>();
      for (const [k, v] of x) out.set(k, sub(v, `${path}.get(${typeof k === 'string' ? JSON.stringify(k) : String(k)})`));
      return any ? out : EMPTY;
    }
    const out: Record<string, unknown> = {};
    const keys = Object.keys(x);
    for (const k of keys) out[k] = sub((x as Record<string, unknown>)[k], joinPath(path, k));
    if (!any) return EMPTY;
    for (const k of Object.getOwnPropertyNames(x)) {
      if (k in out) continue;
      const d = Object.getOwnPropertyDescriptor(x, k);
      if (d && 'value' in d && d.value instanceof Tensor) out[k] = null;
    }
    return out;
  } finally { open.delete(x); }
}
