// Bad input gives clear errors that name the function, the argument and the shapes; it never
// leaves the library unusable and never leaks: every test checks that memory() (live tensors,
// CPU bytes) is unchanged after its failing calls and that a later op still computes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { settle } from './_helpers/gc.ts';
import { available, gpuMissing } from './_helpers/backends.js';
import { testNeedingGpu } from './_helpers/skip.js';
import {
  tensor, zeros, ones, full, rand, randn, matmul, add, mul, sub, reshape, sum, mean, max, argmax,
  softmax, logsoftmax, transpose, relu, memory, scope, Tensor, Dense, Chain,
} from '../src/index.js';

/** Asserts fn throws an error of `type` whose message matches every pattern. */
function throwsClearly(fn: () => unknown, type: ErrorConstructor, ...patterns: RegExp[]) {
  let err: unknown = null;
  try { fn(); } catch (e) { err = e; }
  assert.ok(err, `expected ${type.name}, nothing was thrown`);
  assert.instance(err, type, `expected a ${type.name}, got ${(err as Error)?.constructor?.name}: ${(err as Error)?.message}`);
  for (const p of patterns) assert.match((err as Error).message, p, `message "${(err as Error).message}" should match ${p}`);
}
/** Runs `fn` and asserts that no tensor and no byte leaked, and that an op still works afterwards. */
async function noLeak(fn: () => void | Promise<void>) {
  await settle();     // others' undisposed tensors, collected now, cannot move the counters across fn's awaits
  const before = memory();
  await fn();
  const after = memory();
  assert.is(after.tensors, before.tensors, 'live tensors unchanged after the failing calls');
  assert.is(after.cpu.bytes, before.cpu.bytes, 'cpu bytes unchanged after the failing calls');
  assert.is(after.ref.bytes, before.ref.bytes, 'ref bytes unchanged after the failing calls');
  const y = add(a23, a23);
  assert.equal(Array.from(await y.data()).length, 6, 'a later op still works');
  y.dispose();
}

const a23 = rand(2, 3).keep(), a34 = rand(3, 4).keep(), a43 = rand(4, 3).keep(), v2 = tensor([1, 2]).keep();

test('matmul: inner dimensions differ (names matmul, A and B and their shapes)', () => noLeak(() => {
  throwsClearly(() => matmul(a23, a43), RangeError, /^matmul/, /inner dimensions/, /\[2,3\]/, /\[4,3\]/);
  throwsClearly(() => matmul(a23, a34, { transA: true }), RangeError, /^matmul/, /Aᵀ/, /\[2,3\]/);
  throwsClearly(() => matmul(a23, v2), RangeError, /^matmul/, /\[2\]/);
  throwsClearly(() => matmul(v2, a23), RangeError, /^matmul/, /\[2\]/, /\[2,3\]/);
}));

test('broadcast mismatch names the op and both shapes', () => noLeak(() => {
  throwsClearly(() => add(a23, a34), RangeError, /^add/, /\[2,3\]/, /\[3,4\]/, /broadcast/);
  throwsClearly(() => mul(a34, v2), RangeError, /^mul/, /\[3,4\]/, /\[2\]/);
  throwsClearly(() => sub(a23, a43), RangeError, /^sub/);
}));

test('reshape: size mismatch, bad -1, and views of the wrong size', () => noLeak(() => {
  throwsClearly(() => reshape(a23, [4, 2]), RangeError, /^reshape/, /\[2,3\]/, /\[4,2\]/);
  throwsClearly(() => reshape(a23, [4, -1]), RangeError, /^reshape/, /\[2,3\]/);
  throwsClearly(() => reshape(a23, [-2, -3]), RangeError, /^reshape/);
  throwsClearly(() => a23.view([5]), RangeError, /view/, /\[2,3\]/, /\[5\]/);
  throwsClearly(() => tensor(a23, [7]), RangeError, /\[2,3\]/, /\[7\]/);
}));

test('NaN, negative and non-integer shapes', () => noLeak(() => {
  for (const [fn, name] of [[zeros, 'zeros'], [ones, 'ones'], [rand, 'rand'], [randn, 'randn']] as const) {
    throwsClearly(() => fn(2, NaN), RangeError, new RegExp(`^${name}`), /NaN/);
    throwsClearly(() => fn([-1, 3]), RangeError, new RegExp(`^${name}`), /-1/);
    throwsClearly(() => fn(2.5), RangeError, new RegExp(`^${name}`), /2\.5/);
  }
  throwsClearly(() => full([Infinity], 1), RangeError, /^full/);
  throwsClearly(() => tensor([1, 2, 3], [1.5, 2]), RangeError, /^tensor/, /1\.5/);
  throwsClearly(() => tensor([1, 2, 3], [2, 2]), RangeError, /^tensor/, /3 values/, /\[2, 2\]/);
}));

test('ragged nested arrays', () => noLeak(() => {
  throwsClearly(() => tensor([[1, 2], [3]]), RangeError, /^tensor/, /ragged/, /depth 1/);
  throwsClearly(() => tensor([[1, 2], 3] as never), RangeError, /^tensor/, /ragged/);
  throwsClearly(() => tensor([[1, 'x']] as never), TypeError, /^tensor/, /numbers/, /string/);
}));

test('wrong argument types: string, object, undefined, null', () => noLeak(() => {
  throwsClearly(() => add('abc' as never, a23), TypeError, /^add/, /argument a/, /string/);
  throwsClearly(() => add(a23, {} as never), TypeError, /^add/, /argument b/, /Object/);
  throwsClearly(() => matmul(a23, undefined as never), TypeError, /^matmul/, /argument b/, /undefined/);
  throwsClearly(() => relu(null as never), TypeError, /^relu/, /null/);
  throwsClearly(() => sum('x' as never), TypeError, /^sum/, /string/);
  throwsClearly(() => tensor('abc' as never), TypeError, /^tensor/, /string/);
  throwsClearly(() => tensor(undefined as never), TypeError, /^tensor/, /undefined/);
  throwsClearly(() => sum(a23, 'x' as never), RangeError, /^sum/, /dims/, /\[2,3\]/);
  throwsClearly(() => sum(a23, 2), RangeError, /^sum/, /dims/, /\[2,3\]/);
  throwsClearly(() => softmax(a23, 5), RangeError, /^softmax/, /dims/, /\[2,3\]/);
}));

test('array arguments converted to tensors do not leak when the op fails', () => noLeak(() => {
  throwsClearly(() => add([1, 2, 3], [1, 2]), RangeError, /^add/, /\[3\]/, /\[2\]/);
  throwsClearly(() => matmul([[1, 2]], [[1, 2]]), RangeError, /^matmul/);
}));

test('empty tensors in reductions and softmax', () => noLeak(() => {
  const e = zeros(0, 3);
  try {
    for (const [fn, name] of [[sum, 'sum'], [mean, 'mean'], [max, 'max'], [argmax, 'argmax']] as const)
      throwsClearly(() => fn(e), RangeError, new RegExp(`^${name}`), /empty/, /\[0,3\]/);
    throwsClearly(() => softmax(e), RangeError, /^softmax/, /empty/, /\[0,3\]/);
    throwsClearly(() => logsoftmax(e), RangeError, /^logsoftmax/, /empty/);
  } finally { e.dispose(); }
}));

test('a disposed tensor used again says it was disposed', () => noLeak(async () => {
  const t = tensor([1, 2, 3]);
  t.dispose();
  t.dispose();                                  // a second dispose is a no-op
  throwsClearly(() => add(t, 1), Error, /disposed/, /\[3\]/);
  throwsClearly(() => relu(t), Error, /disposed/);
  throwsClearly(() => t.dataSync(), Error, /disposed/);
  throwsClearly(() => transpose(t), Error, /disposed/);
  let err: unknown = null;
  try { await t.data(); } catch (e) { err = e; }
  assert.match(String(err), /disposed/);
}));

test('item() on a non-scalar', () => noLeak(async () => {
  let err: unknown = null;
  try { await a23.item(); } catch (e) { err = e; }
  assert.instance(err, RangeError);
  assert.match((err as Error).message, /^item/);
  assert.match((err as Error).message, /\[2,3\]/);
}));

testNeedingGpu(test, 'dataSync on a non-host device (webgpu) says to await data()', gpuMissing && `no adapter: ${gpuMissing}`, async () => {
  const gpu = available().find((d) => d.name === 'webgpu')!;
  const t = gpu.run(() => tensor([1, 2, 3]));
  assert.is(t.device, 'webgpu');
  const y = gpu.run(() => relu(t));
  throwsClearly(() => y.dataSync(), Error, /^dataSync/, /webgpu/, /await/, /data\(\)/);
  assert.equal(Array.from(await y.data()), [1, 2, 3]);
  t.dispose(); y.dispose();
});

test('a failing op inside scope frees what the scope made', () => noLeak(() => {
  throwsClearly(() => scope(() => { const x = rand(3, 3); return matmul(relu(x), a23); }), RangeError, /^matmul/);
}));

test('Dense given observations as rows says they are the last dimension', () => {
  const m = Chain(Dense(4, 8, relu), Dense(8, 3));
  return noLeak(() => {
    throwsClearly(() => scope(() => m(rand(5, 4))), RangeError,
      /^Dense\(4 => 8\): input has 5 features, expected 4 \(input shape \[5, 4\]\); observations are the last dimension \(one column each, as in Flux\), so this looks like one row per observation: pass transpose\(x\), shape \[4, 5\]$/);
    // other mismatches get no such hint
    throwsClearly(() => scope(() => m(rand(5, 3))), RangeError, /^Dense\(4 => 8\): input has 5 features, expected 4 \(input shape \[5, 3\]\)$/);
  });
});

test.run();
void Tensor;
