// Reductions with Flux's `dims`: reduced axes are kept with size 1 (sum(x [3, 4], 0) is [1, 4]);
// no dims reduces everything to a scalar of shape []. Axes count from 0. A set of axes is
// reduced one contiguous run at a time, each run as the middle axis of [outer, len, inner]
// (argmax/argmin over separate runs permute those axes together first).

import { defineOp, apply } from './registry.js';
import { Reduce, Binary } from './codes.js';
import { binaryDef } from './binary.js';
import { unaryDef } from './unary.js';
import { Unary } from './codes.js';
import { Tensor, toTensor, sizeOf, sameShape, type TensorLike, type Shape } from '../tensor.js';
import { reshape } from './shape.js';
import { permutedims, expand } from './permute.js';
import { vectorAsColumn, wideOrNull } from './broadcast.js';
import type { Backend } from '../backends/backend.js';
import { show, shapeArg } from '../check.js';

export interface ReduceP { code: number; axis: number; len: number; outer: number; inner: number; name: string }

export const reduceDef = defineOp<ReduceP>({
  name: 'reduce',
  kernels: ['reduce'],
  shape([x], p) {
    const s = [...x.shape];
    s[p.axis] = 1;
    return s;
  },
  run(b, out, [x], p) { b.reduce(p.code, x.buf, out.buf, p.outer, p.len, p.inner); },
  grad(dy, [x], y, p) {
    const g = broadcastTo(dy, x.shape);
    switch (p.code) {
      case Reduce.sum: return [g];
      case Reduce.mean: return [mulScalar(g, 1 / p.len)];
      case Reduce.sumsq: return [mulScalar(apply(binaryDef, [g, x], { code: Binary.mul, name: 'sumsq' }), 2)];
      case Reduce.max: case Reduce.min: {   // d max = dy where x attains the max
        const mask = apply(binaryDef, [x, broadcastTo(y, x.shape)], { code: Binary.equal, name: 'max' });
        return [apply(binaryDef, [g, mask], { code: Binary.mul, name: 'max' })];
      }
      default: return [null];
    }
  },
  cost: ([x]) => ({ flops: x.size, bytes: 4 * x.size }),
});

const mulScalar = (x: Tensor, a: number) => apply(unaryDef, [x], { code: Unary.mulscalar, alpha: a, beta: 0 });

function normDims(fn: string, shape: Shape, dims: number | readonly number[] | undefined): number[] {
  if (dims === undefined) return shape.map((_, i) => i);
  if (typeof dims !== 'number' && !Array.isArray(dims))
    throw new RangeError(`${fn}: dims must be an axis number or an array of them, got ${show(dims)} (for a tensor of shape [${shape}])`);
  const ds = typeof dims === 'number' ? [dims] : [...dims];
  for (const d of ds) {
    if (!Number.isInteger(d) || d < 0 || d >= Math.max(1, shape.length))
      throw new RangeError(`${fn}: dims ${JSON.stringify(dims)} out of range for a tensor of shape [${shape}] (axes count from 0)`);
  }
  return [...new Set(ds)].sort((a, b) => a - b);
}

function reduceAxis(code: number, name: string, x: Tensor, axis: number): Tensor {
  const s = x.shape;
  return apply(reduceDef, [x], {
    code, axis, name, len: s[axis], outer: sizeOf(s.slice(0, axis)), inner: sizeOf(s.slice(axis + 1)),
  });
}

function reduceDims(code: number, name: string, x0: TensorLike, dims?: number | readonly number[]): Tensor {
  const x = toTensor(x0, name, 'x');
  if (x.size === 0) throw new RangeError(`${name}: cannot reduce an empty tensor of shape [${x.shape}]`);
  const all = dims === undefined;
  const axes = normDims(name, x.shape, dims);
  if (x.rank === 0) return all ? reshape(x, []) : reshape(x, x.shape);
  // Merge consecutive axes into one run so most reductions are a single kernel call.
  let cur = x, s = [...x.shape];
  const runs: [number, number][] = [];
  for (const a of axes) {
    const last = runs[runs.length - 1];
    if (last && last[1] === a - 1) last[1] = a; else runs.push([a, a]);
  }
  if (runs.length > 1 && (code === Reduce.argmax || code === Reduce.argmin)) {
    // The reduced axes moved together, in order, behind the others: the index is row-major over them.
    const rest = s.flatMap((_, i) => (axes.includes(i) ? [] : [i]));
    const p = permutedims(x, [...rest, ...axes]);
    const r = reduceAxis(code, name, reshape(p, [...rest.map((i) => s[i]), sizeOf(axes.map((i) => s[i]))]), rest.length);
    return reshape(r, s.map((d, i) => (axes.includes(i) ? 1 : d)));
  }
  for (let r = runs.length - 1; r >= 0; r--) {
    const [lo, hi] = runs[r];
    const merged = [...s.slice(0, lo), sizeOf(s.slice(lo, hi + 1)), ...s.slice(hi + 1)];
    const v = reshape(cur, merged);
    // sumsq only on the first pass; later passes sum the partial sums
    const c = code === Reduce.sumsq && cur !== x ? Reduce.sum : code;
    const mean = code === Reduce.mean && runs.length > 1;
    cur = reduceAxis(mean ? Reduce.sum : c, name, v, lo);
    if (mean) cur = mulScalar(cur, 1 / merged[lo]);
    s = [...s.slice(0, lo), ...Array(hi - lo + 1).fill(1), ...s.slice(hi + 1)];
    cur = reshape(cur, s);
  }
  return all ? reshape(cur, []) : cur;
}

type Dims = number | readonly number[];
/**
 * Sum of all elements, or along `dims` (kept with size 1): `sum(x)`, `sum(x, 0)`.
 * @example sum(tensor([[1, 2], [3, 4]]))      // 10, a scalar tensor
 *          sum(tensor([[1, 2], [3, 4]]), 0)   // [[4, 6]]: down the columns (Flux's dims=1)
 */
export const sum = (x: TensorLike, dims?: Dims) => reduceDims(Reduce.sum, 'sum', x, dims);
/**
 * Mean of all elements, or along `dims`: `mean(x, 1)`.
 * @example mean(tensor([[1, 2], [3, 4]]), 1)   // [[1.5], [3.5]]: per row
 */
export const mean = (x: TensorLike, dims?: Dims) => reduceDims(Reduce.mean, 'mean', x, dims);
/**
 * Maximum, overall or along `dims`.
 * @example max(tensor([[1, 5], [3, 2]]), 0)   // [[3, 5]]
 */
export const max = (x: TensorLike, dims?: Dims) => reduceDims(Reduce.max, 'max', x, dims);
/**
 * Minimum, overall or along `dims`.
 * @example min(tensor([3, -1, 2]))   // -1
 */
export const min = (x: TensorLike, dims?: Dims) => reduceDims(Reduce.min, 'min', x, dims);
/**
 * Index of the first maximum along `dims` (0-based, as f32).
 * @example argmax(tensor([[0.1, 0.7], [0.9, 0.3]]), 0)   // [[1, 0]]: the class of each column
 */
export const argmax = (x: TensorLike, dims?: Dims) => reduceDims(Reduce.argmax, 'argmax', x, dims);
/**
 * Index of the first minimum along `dims`.
 * @example argmin(tensor([3, -1, 2]))   // 1
 */
export const argmin = (x: TensorLike, dims?: Dims) => reduceDims(Reduce.argmin, 'argmin', x, dims);
/**
 * Σx², overall or along `dims` (for norms).
 * @example sqrt(sumsq(W))   // the Frobenius norm of W
 */
export const sumsq = (x: TensorLike, dims?: Dims) => reduceDims(Reduce.sumsq, 'sumsq', x, dims);

// A cached zero scalar per device turns `binary(add)` into a broadcast copy.
const zerosBy = new Map<Backend, Tensor>();
function zeroOn(b: Backend): Tensor {
  let z = zerosBy.get(b);
  if (!z || z.disposed) {
    z = new Tensor([], { backend: b, buf: b.alloc(1), n: 1, refs: 1 }).keep();
    b.fill(z.buf, 1, 0);
    zerosBy.set(b, z);
  }
  return z;
}

/**
 * `x` repeated along its size-1 (or missing) axes to `shape`.
 * @example broadcastTo(tensor([1, 2]).reshape([2, 1]), [2, 3])   // [[1, 1, 1], [2, 2, 2]]
 */
export function broadcastTo(x: TensorLike, shape: Shape): Tensor {
  const t = toTensor(x, 'broadcastTo', 'x');
  shapeArg('broadcastTo', shape);
  if (t.size === sizeOf(shape) && t.rank === shape.length) return t;
  const w = wideOrNull(t.shape, shape, 'broadcastTo');
  if (w && sameShape(w.shape, shape)) return expand(t, shape, w.sa);
  return apply(binaryDef, [t, zeroOn(t.backend)], { code: Binary.add, name: 'broadcastTo', target: shape });
}

/**
 * Sums `g` over the axes it was broadcast along, back to `shape` (the adjoint of broadcasting).
 * @example sumTo(ones(2, 3), [2, 1])   // [[3], [3]]: the gradient of a broadcast [2, 1] bias
 */
export function sumTo(grad: TensorLike, shape: Shape): Tensor {
  const g = toTensor(grad, 'sumTo', 'g');
  shapeArg('sumTo', shape);
  if (g.size === sizeOf(shape)) return g.view(shape);
  const gs = g.shape, r = gs.length;
  const cannot = () => new RangeError(`sumTo: a gradient of shape [${gs}] cannot be summed to shape [${shape}]`);
  if (shape.length > r) throw cannot();
  // Trailing alignment first (numpy), else leading (Flux's [n] against [n, B]).
  const trail = [...Array(r - shape.length).fill(1), ...shape];
  const lead = [...shape, ...Array(r - shape.length).fill(1)];
  const ok = (s: number[]) => s.every((d, i) => d === gs[i] || d === 1);
  const target = vectorAsColumn(shape, gs) && ok(lead) ? lead : ok(trail) ? trail : lead;
  if (!ok(target)) throw cannot();
  const axes = target.flatMap((d, i) => (d === 1 && gs[i] !== 1 ? [i] : []));
  return reduceDims(Reduce.sum, 'sumTo', g, axes).view(shape);
}
