// permutedims against its definition written out here with multi-indices (independent of the
// strided kernel and of ref.ts), on every device; its argument errors.
import * as assert from 'uvu/assert';
import { tensor } from '../src/index.js';
import { permutedims } from '../src/ops/permute.js';
import { forEachBackend } from './_helpers/backends.js';

/** y[i] = x[j] with j[perm[k]] = i[k], by walking every multi-index of y (row-major). */
function expected(x: Float64Array, shape: number[], perm: number[]): Float64Array {
  const yshape = perm.map((a) => shape[a]), n = x.length, y = new Float64Array(n);
  const xstride = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
  const idx = new Array(yshape.length).fill(0);
  for (let i = 0; i < n; i++) {
    let at = 0;
    for (let k = 0; k < perm.length; k++) at += idx[k] * xstride[perm[k]];
    y[i] = x[at];
    for (let k = yshape.length - 1; k >= 0; k--) { if (++idx[k] < yshape[k]) break; idx[k] = 0; }
  }
  return y;
}

const CASES: [number[], number[]][] = [
  [[7], [0]], [[3, 5], [1, 0]], [[2, 3, 4], [2, 0, 1]], [[2, 3, 4], [1, 2, 0]], [[28, 28, 1, 3], [1, 0, 2, 3]],
  [[5, 1, 3, 1, 2], [4, 3, 2, 1, 0]], [[2, 2, 2, 2, 2, 2, 2], [5, 6, 4, 3, 2, 1, 0]], [[2, 3, 2, 3, 2, 3, 2], [1, 3, 5, 6, 0, 2, 4]],
  [[4, 1, 6], [0, 2, 1]], [[17, 33], [0, 1]],
];

forEachBackend('permutedims', (test, dev) => {
  test('matches the multi-index definition (ranks 1-7, size-1 axes, identity)', async () => {
    for (const [shape, perm] of CASES) {
      const n = shape.reduce((a, b) => a * b, 1);
      const x = Float64Array.from({ length: n }, (_, i) => Math.fround(Math.sin(i + 1) * 10));
      const y = dev.run(() => permutedims(tensor(x, shape), perm));
      assert.equal([...y.shape], perm.map((a) => shape[a]), `shape of [${shape}] by [${perm}]`);
      assert.equal([...(await y.data64())], [...expected(x, shape, perm)], `values of [${shape}] by [${perm}]`);
      y.dispose();
    }
  });
  test('no perm reverses the axes', async () => {
    const x = dev.run(() => tensor([1, 2, 3, 4, 5, 6], [2, 3]));
    const y = dev.run(() => permutedims(x));
    assert.equal([...y.shape], [3, 2]);
    assert.equal([...(await y.data64())], [1, 4, 2, 5, 3, 6]);
  });
  test('a perm that is not a permutation is refused with the shapes', () => {
    const x = dev.run(() => tensor([1, 2, 3, 4, 5, 6], [2, 3]));
    assert.throws(() => permutedims(x, [0, 0]), /permutedims: perm must be a permutation of 0..1 for input shape \[2,3\], got \[0,0\]/);
    assert.throws(() => permutedims(x, [0]), /permutedims: perm must be a permutation/);
    assert.throws(() => permutedims(x, [1, 2]), /permutedims: perm must be a permutation/);
  });
  test('more than 6 separate blocks of axes is a clear error', () => {
    const x = dev.run(() => tensor(new Float64Array(128), [2, 2, 2, 2, 2, 2, 2]));
    assert.throws(() => permutedims(x, [6, 5, 4, 3, 2, 1, 0]), /permutedims: a permutation of \[2,2,2,2,2,2,2\] by \[6,5,4,3,2,1,0\] moves 7 blocks of axes; at most 6/);
  });
});
