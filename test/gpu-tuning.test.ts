// The WebGPU kernel choices (src/backends/gpu-tuning.ts) as pure functions: which matmul entry a
// shape gets under each adapter's tuning, the vec4 overrides, and grids folded under the
// dispatch limit. The kernels themselves are tested against the reference in
// test/backends/webgpu.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TUNING, planMatmul, fold, type Tuning } from '../src/backends/gpu-tuning.ts';
import type { WebGPUInfo } from '../src/backends/webgpu.ts';

const info = (vendor: string, description: string, fallback = false) => ({ vendor, architecture: '', device: '', description, fallback }) as unknown as WebGPUInfo;
const tuningOf = (i: WebGPUInfo): Tuning => TUNING.find(([match]) => match(i))![1];
const SWIFT = tuningOf(info('google', 'SwiftShader driver 5.0.0', true)), NVIDIA = tuningOf(info('nvidia', 'NVIDIA H100'));
const plan = (m: number, k: number, n: number, t: Tuning, ta = 0, tb = 0, acc = 0, maxDim = 65535) =>
  planMatmul(m, k, n, ta, tb, acc, t, maxDim, 2 ** 30);

test('the table matches software adapters and NVIDIA first, and has a catch-all', () => {
  assert.is(SWIFT, TUNING[0][1]);
  assert.is(NVIDIA, TUNING[1][1]);
  assert.is(tuningOf(info('apple', 'M2')), TUNING[TUNING.length - 1][1]);
});

test('dW = dY·Xᵀ of the MLP at batch 4096 splits K on a GPU; square products take 128-tiles', () => {
  const dW = plan(256, 4096, 784, NVIDIA, 0, 1);
  assert.is(dW.entry, 'splitk');
  assert.equal(dW.groups, [7, 2, dW.splits]);
  assert.ok(dW.splits >= 2 && dW.splits <= NVIDIA.maxSplits);
  assert.is(plan(4096, 4096, 4096, NVIDIA).entry, 'big');
  assert.equal(plan(4096, 4096, 4096, NVIDIA).groups, [1024, 1, 1]);
  assert.is(plan(64, 784, 64, NVIDIA).entry, 'main');
});

test('split-K never runs on mostly-padding tiles, nor past its scratch budget', () => {
  assert.is(plan(64, 2048, 64, NVIDIA, 0, 1).entry, 'main');         // 3/4 of a 128-tile would be padding
  assert.is(plan(128, 4096, 96, NVIDIA, 0, 1).entry, 'splitk');
  assert.is(plan(128, 4096, 96, NVIDIA, 0, 1).splits, 16);            // k / splitDepth
  assert.is(planMatmul(128, 4096, 96, 0, 1, 0, { ...NVIDIA, maxScratchBytes: 1000 }, 65535, 2 ** 30).entry, 'main');
  assert.is(plan(128, 4096, 96, SWIFT, 0, 1).entry, 'main', 'no split-K on a software adapter');
});

test('vec4 overrides follow the stored row length of each operand', () => {
  assert.equal(plan(129, 8, 12, NVIDIA).vec, { VA: 1, VB: 1, VC: 1 });
  assert.equal(plan(129, 8, 12, NVIDIA, 1, 1).vec, { VA: 0, VB: 1, VC: 1 });   // Aᵀ rows are m long, Bᵀ rows k
  assert.equal(plan(128, 7, 13, NVIDIA, 0, 1).vec, { VA: 0, VB: 0, VC: 0 });
});

test('grids fold past the per-dimension limit instead of refusing the shape', () => {
  assert.equal(fold(10, 4), [4, 3, 1]);
  assert.equal(fold(17, 4), [4, 4, 2]);
  for (const [n, d] of [[1, 2], [5, 2], [65536, 65535], [70000 * 70000, 65535]]) {
    const [x, y, z] = fold(n, d);
    assert.ok(x <= d && y <= d && z <= d && x * y * z >= n, `fold(${n}, ${d}) = ${[x, y, z]}`);
  }
  const huge = plan(64 * 65535 + 64, 4, 1, NVIDIA);                  // past today's 64·maxDim rows
  assert.is(huge.entry, 'main');
  assert.ok(huge.groups.every((g) => g <= 65535) && huge.groups.reduce((a, b) => a * b) >= 65536);
});

test.run();
