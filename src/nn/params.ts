// params(m): the trainable tensors of a model, once each, in the order a depth-first walk of
// its properties meets them (Flux's `params`, an ordered identity set). autograd's toParams calls
// it, so `gradient(f, m)` and `gradient(f, params(m))` mean the same.

import { Params } from '../autograd.js';
import { describe } from '../tensor.js';
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
