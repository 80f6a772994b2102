// Weight initialisers with Flux's formulas (FLUX_SEMANTICS 2.9), drawn from fluxion's seeded
// stream (`seed(n)` makes them reproducible). Shapes are [out, in] as in Flux, so
// fan_in = dims[1] and fan_out = dims[0]; conv kernels [k..., cin, cout] use the product rule.

import { Tensor, tensor, random, randomNormal, checkShape, sizeOf, describe, sameShape } from '../tensor.js';
import { shapeArg, options, MAX_SIZE } from '../check.js';

export { zeros, ones } from '../tensor.js';

/**
 * An initialiser: `init(out, in)` → a tensor of that shape.
 * @example const small: Init = (...dims) => mul(randn(...dims), 0.01);
 *          Dense(784, 32, relu, { init: small })
 */
export type Init = (...dims: number[]) => Tensor;
type Args = (number | readonly number[] | { gain?: number })[];

/**
 * Flux's `nfan`: [fan_in, fan_out] for a weight of shape `dims`.
 * @example nfan([32, 784])          // [784, 32]
 *          nfan([3, 3, 16, 32])     // [144, 288]: conv [k, k, cin, cout]
 */
export function nfan(dims: readonly number[]): [number, number] {
  shapeArg('nfan', dims, 'dims');
  if (dims.length === 0) return [1, 1];
  if (dims.length === 1) return [1, dims[0]];                 // a vector n: (1, n)
  if (dims.length === 2) return [dims[1], dims[0]];           // [out, in]
  const k = sizeOf(dims.slice(0, -2));                        // conv [k..., cin, cout]
  return [k * dims[dims.length - 2], k * dims[dims.length - 1]];
}

function parse(fn: string, args: Args, gain0: number): { dims: number[]; gain: number } {
  let gain = gain0, a = args;
  const last = a[a.length - 1];
  if (last !== null && typeof last === 'object' && !Array.isArray(last)) {
    gain = options<{ gain: number }>(fn, last, ['gain']).gain ?? gain0;
    a = a.slice(0, -1);
    if (typeof gain !== 'number' || !Number.isFinite(gain))
      throw new TypeError(`${fn}: gain must be a finite number, got ${describe(gain)}`);
  }
  const dims = (a.length === 1 && Array.isArray(a[0]) ? a[0] : a) as number[];
  for (const d of dims) if (typeof d !== 'number') throw new TypeError(`${fn}: dims must be numbers, got ${describe(d)}`);
  checkShape(dims, fn);
  return { dims: shapeArg(fn, dims), gain };
}

function draw(dims: number[], f: () => number): Tensor {
  const v = new Float32Array(sizeOf(dims));
  for (let i = 0; i < v.length; i++) v[i] = f();
  return tensor(v, dims);
}

/**
 * U(−g·√(6/(fan_in+fan_out)), +…): Glorot & Bengio 2010, https://proceedings.mlr.press/v9/glorot10a.html
 * @example glorot_uniform(32, 784)              // Dense(784 => 32)'s default weight
 *          glorot_uniform(3, 4, { gain: 2 })
 */
export function glorot_uniform(...args: Args): Tensor {
  const { dims, gain } = parse('glorot_uniform', args, 1);
  const [fi, fo] = nfan(dims), s = gain * Math.sqrt(24 / (fi + fo));
  return draw(dims, () => (random() - 0.5) * s);
}

/**
 * N(0, (g·√(2/(fan_in+fan_out)))²): Glorot & Bengio 2010.
 * @example glorot_normal(32, 784)
 *          Dense(784, 32, relu, { init: glorot_normal })
 */
export function glorot_normal(...args: Args): Tensor {
  const { dims, gain } = parse('glorot_normal', args, 1);
  const [fi, fo] = nfan(dims), s = gain * Math.sqrt(2 / (fi + fo));
  return draw(dims, () => randomNormal() * s);
}

/**
 * U(−√3·g/√fan_in, +…) with g = √2: He et al. 2015, https://arxiv.org/abs/1502.01852
 * @example kaiming_uniform(32, 784)
 *          kaiming_uniform(32, 784, { gain: 1 })
 */
export function kaiming_uniform(...args: Args): Tensor {
  const { dims, gain } = parse('kaiming_uniform', args, Math.SQRT2);
  const bound = Math.sqrt(3) * gain / Math.sqrt(nfan(dims)[0]);
  return draw(dims, () => (2 * random() - 1) * bound);
}

/**
 * N(0, (g/√fan_in)²) with g = √2: He et al. 2015, https://arxiv.org/abs/1502.01852
 * @example kaiming_normal(32, 784)
 *          Dense(784, 32, relu, { init: kaiming_normal })
 */
export function kaiming_normal(...args: Args): Tensor {
  const { dims, gain } = parse('kaiming_normal', args, Math.SQRT2);
  const std = gain / Math.sqrt(nfan(dims)[0]);
  return draw(dims, () => randomNormal() * std);
}

/**
 * @internal A layer's weight `init(...shape)`, checked, with errors that name the layer: a size a
 * tensor can hold, init a function, and its result a tensor of that shape (Dense, Conv, Embedding,
 * the recurrent cells); `key` is the option's name in errors.
 */
export function initWeight(name: string, init: unknown, shape: readonly number[], key = 'init'): Tensor {
  if (sizeOf(shape) > MAX_SIZE) throw new RangeError(`${name}: out of memory: a weight of ${sizeOf(shape)} elements; a tensor holds at most ${MAX_SIZE}`);
  if (typeof init !== 'function') throw new TypeError(`${name}: ${key} must be a function (...dims) => Tensor, got ${describe(init)}`);
  const w = init(...shape);
  if (!(w instanceof Tensor) || !sameShape(w.shape, shape)) throw new RangeError(`${name}: ${key} returned ${describe(w)}, expected shape [${shape.join(', ')}]`);
  return w;
}
