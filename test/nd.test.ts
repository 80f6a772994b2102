// N-d tensors as convnets use them (issue 11, item 1), on every device against definitions
// written out here with multi-indices: a WHCN batch from [784, N] is a free reshape;
// broadcasting any pattern, also those that need more strided dims than the binary kernel has
// (x [W,H,C,N] .* m [W,1,C,1]); reductions over any set of axes (BatchNorm's [0, 1, 3]),
// argmax over separate axes; DataLoader batches of N-d data along the last axis.
import * as assert from 'uvu/assert';
import { test } from 'uvu';
import {
  tensor, reshape, add, sub, mul, maximum, sum, mean, max, min, argmax, sumsq, broadcastTo, DataLoader, Tensor, withPolicy,
} from '../src/index.js';
import { forEachBackend } from './_helpers/backends.js';
import { assertClose, sumTol } from './_helpers/allclose.js';
import { uniform, reseed } from './_helpers/gradcheck.js';
import { prod, unflat, flat } from './_helpers/index.js';


/** c[i…] = f(a[i…], b[i…]) with size-1 axes repeated (operands of equal rank). */
function broadcastDef(a: Float64Array, as: number[], b: Float64Array, bs: number[], f: (x: number, y: number) => number) {
  const shape = as.map((d, i) => Math.max(d, bs[i])), out = new Float64Array(prod(shape));
  for (let i = 0; i < out.length; i++) {
    const ix = unflat(i, shape);
    out[i] = f(a[flat(ix.map((v, d) => (as[d] === 1 ? 0 : v)), as)], b[flat(ix.map((v, d) => (bs[d] === 1 ? 0 : v)), bs)]);
  }
  return { out, shape };
}
/** reduce over `axes` (kept with size 1); arg: the row-major index over the reduced axes of the first max. */
function reduceDef(x: Float64Array, shape: number[], axes: number[], kind: 'sum' | 'mean' | 'max' | 'min' | 'argmax' | 'sumsq') {
  const os = shape.map((d, i) => (axes.includes(i) ? 1 : d)), rs = axes.map((a) => shape[a]), out = new Float64Array(prod(os));
  for (let o = 0; o < out.length; o++) {
    const oi = unflat(o, os);
    let acc = kind === 'max' || kind === 'argmax' ? -Infinity : kind === 'min' ? Infinity : 0, arg = 0;
    for (let r = 0; r < prod(rs); r++) {
      const ri = unflat(r, rs), ix = [...oi];
      axes.forEach((a, k) => { ix[a] = ri[k]; });
      const v = x[flat(ix, shape)];
      if (kind === 'argmax') { if (v > acc) { acc = v; arg = r; } } else if (kind === 'max') acc = Math.max(acc, v);
      else if (kind === 'min') acc = Math.min(acc, v); else acc += kind === 'sumsq' ? v * v : v;
    }
    out[o] = kind === 'argmax' ? arg : kind === 'mean' ? acc / prod(rs) : acc;
  }
  return out;
}

const BROADCASTS: [number[], number[]][] = [
  [[3, 4, 5, 2], [3, 1, 5, 1]], [[3, 1, 5, 1], [3, 4, 5, 2]], [[2, 3, 2, 3, 2], [2, 1, 2, 1, 2]], [[2, 3, 2, 3, 2], [1, 3, 1, 3, 1]],
  [[7, 1, 3, 1, 2, 1], [1, 4, 1, 5, 1, 3]], [[4, 4, 3, 5], [1, 1, 3, 1]], [[5, 1, 2, 3], [5, 4, 2, 3]],
];
const REDUCTIONS: [number[], number[]][] = [
  [[5, 4, 3, 2], [0, 1, 3]], [[5, 4, 3, 2], [0, 2]], [[5, 4, 3, 2], [1, 3]], [[5, 4, 3, 2], [0, 3]], [[3, 2, 4, 3, 2], [0, 1, 2, 4]],
  [[3, 2, 4, 3, 2], [1, 3]], [[3, 2, 4, 3, 2], [0, 2, 4]], [[6, 5, 4, 3], [0, 1, 2, 3]],
];

forEachBackend('N-d tensors', (it, dev) => {
  it('a WHCN batch from [784, N] is a free reshape (same storage) and back', () => dev.run(() => {
    const x = tensor(uniform(784 * 3), [784, 3]), y = reshape(x, [28, 28, 1, 3]);
    assert.is(y.storage, x.storage, 'the reshape is a view');
    assert.equal([...y.shape], [28, 28, 1, 3]);
    assert.is(reshape(y, [784, 3]).storage, x.storage);
  }));

  it('broadcasting of any pattern (more than 3 strided blocks too) matches the definition', async () => {
    reseed(11);
    const ops: [string, (a: Tensor, b: Tensor) => Tensor, (x: number, y: number) => number][] = [
      ['add', add, (x, y) => x + y], ['sub', sub, (x, y) => x - y], ['mul', mul, (x, y) => x * y], ['maximum', maximum, Math.max]];
    for (const [as, bs] of BROADCASTS) for (const [name, f, def] of ops) {
      const a = uniform(prod(as)), b = uniform(prod(bs)), want = broadcastDef(a, as, b, bs, def);
      const y = dev.run(() => f(tensor(a, as), tensor(b, bs)));
      assert.equal([...y.shape], want.shape, `${name} [${as}] [${bs}] shape`);
      assert.is(y.device, dev.name);
      assertClose(await y.data64(), want.out, { rtol: 1e-6 }, `${name} [${as}] with [${bs}]`);
    }
  });

  it('broadcastTo of a many-block pattern matches the definition', async () => {
    const a = uniform(3 * 5), y = dev.run(() => broadcastTo(tensor(a, [3, 1, 5, 1]), [3, 4, 5, 2]));
    assertClose(await y.data64(), broadcastDef(a, [3, 1, 5, 1], new Float64Array(40), [3, 4, 5, 2], (x) => x).out, { rtol: 0 }, 'broadcastTo');
  });

  it('reductions over any set of axes match the definition (argmax over separate axes too)', async () => {
    reseed(12);
    const fns = { sum, mean, max, min, argmax, sumsq } as const;
    for (const [shape, axes] of REDUCTIONS) for (const kind of Object.keys(fns) as (keyof typeof fns)[]) {
      const x = uniform(prod(shape)), want = reduceDef(x, shape, axes, kind);
      const y = dev.run(() => fns[kind](tensor(x, shape), axes));
      assert.equal([...y.shape], shape.map((d, i) => (axes.includes(i) ? 1 : d)), `${kind} [${shape}] dims [${axes}] shape`);
      const len = prod(axes.map((a) => shape[a]));
      assertClose(await y.data64(), want, { rtol: 1e-5, atol: kind === 'mean' ? sumTol(len) / len : sumTol(len) }, `${kind} [${shape}] dims [${axes}]`);
    }
  });
});

test('DataLoader batches N-d data along the last axis, in order and shuffled', () => withPolicy('cpu', () => {
  const shape = [4, 3, 2, 10], X = Float32Array.from({ length: prod(shape) }, (_, i) => i);
  const Y = Float32Array.from({ length: 10 }, (_, i) => i);
  const at = (ix: number[]) => X[flat(ix, shape)];
  /** The values of observations `obs` of X, as a [4, 3, 2, obs.length] batch. */
  const expect = (obs: number[]) => Array.from({ length: 24 * obs.length }, (_, i) => { const [a, b, c, j] = unflat(i, [4, 3, 2, obs.length]); return at([a, b, c, obs[j]]); });
  for (const shuffle of [false, true]) {
    const got: number[][] = [];
    for (const [x, y] of DataLoader([tensor(X, shape), tensor(Y, [10])], { batchsize: 4, shuffle }) as Iterable<Tensor[]>) {
      const obs = Array.from(y.dataSync());
      assert.equal([...x.shape], [4, 3, 2, obs.length]);
      assert.equal(Array.from(x.dataSync()), expect(obs), `batch of observations [${obs}]`);
      got.push(obs);
    }
    assert.equal(got.map((b) => b.length), [4, 4, 2]);
    assert.equal(got.flat().sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    if (!shuffle) assert.equal(got.flat(), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  }
}));

test.run();
