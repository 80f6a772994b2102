// The kernel and op-code tables are the single source: every device implements what they say,
// with the arity they say, a device that lacks a kernel is no candidate for its ops, and an op
// code outside the table is refused everywhere instead of falling through.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync } from 'node:fs';
import { KERNELS, KERNEL_NAMES, type KernelName } from '../src/backends/kernels.js';
import { UNARY_OPS, BINARY_OPS, REDUCE_OPS, Unary, Binary, Reduce, FUSED } from '../src/ops/codes.js';
import { ref } from '../src/backends/ref.js';
import { header, layoutOf } from '../src/backends/wgsl.js';
import { runtime } from '../src/runtime.js';
import { withPolicy, tensor } from '../src/index.js';
import { permutedims } from '../src/ops/permute.js';
import { gpuMissing, requireGpu } from './_helpers/backends.js';

test('op-code tables: unique names, codes are row indices, fused rows are unary codes', () => {
  for (const [rows, codes] of [[UNARY_OPS, Unary], [BINARY_OPS, Binary], [REDUCE_OPS, Reduce]] as const) {
    const names = rows.map((r) => r.name);
    assert.is(new Set(names).size, names.length, `duplicate names in ${names}`);
    rows.forEach((r, i) => assert.is((codes as Record<string, number>)[r.name], i, r.name));
  }
  assert.equal([...FUSED].map((c) => UNARY_OPS[c].name), ['identity', 'exp', 'tanh', 'sigmoid', 'relu', 'relu6']);
});

test('the reference implements every kernel with the table arity', () => {
  for (const name of KERNEL_NAMES) {
    const f = (ref as unknown as Record<string, (...a: unknown[]) => void>)[name];
    assert.type(f, 'function', `ref lacks ${name}`);
    assert.is(f.length, KERNELS[name].args.length, `ref.${name} takes ${f.length} arguments, the table says ${KERNELS[name].args.length}`);
  }
});

test('every gpu/*.wgsl program is a kernel of the table (or a shared file), and every kernel but copy has one', () => {
  const files = readdirSync(new URL('../gpu/', import.meta.url)).filter((f) => f.endsWith('.wgsl')).map((f) => f.slice(0, -5));
  const shared = ['common', 'act'];
  const stale = files.filter((f) => !shared.includes(f) && !(f in KERNELS));
  assert.equal(stale, [], `WGSL programs without a kernel row: ${stale}`);
  const missing = KERNEL_NAMES.filter((k) => k !== 'copy' && !files.includes(k));
  assert.equal(missing, [], `kernels without a WGSL program: ${missing}`);
});

test('generated WGSL bindings follow the argument kinds', () => {
  const h = header('adam');
  assert.match(h, /@group\(0\) @binding\(0\) var<storage, read_write> x: array<f32>;/);
  assert.match(h, /@group\(0\) @binding\(1\) var<storage, read> g: array<f32>;/);
  assert.match(h, /struct Params \{ n: u32, eta: f32, b1: f32, b2: f32, eps: f32, b1t: f32, b2t: f32 \}/);
  const l = layoutOf('matmul');
  assert.equal(l.overrides, [[6, 'TA'], [7, 'TB']]);
  assert.equal(l.uniforms, [3, 4, 5, 8]);
  assert.is(layoutOf('unary').codeCount, UNARY_OPS.length);
});

test('unknown op codes are refused by the reference', () => {
  const x = ref.alloc(4), y = ref.alloc(4);
  assert.throws(() => ref.unary(UNARY_OPS.length, x, y, 4, 0, 0), /unary: unknown unary op code 30/);
  assert.throws(() => ref.unaryGrad(-1, x, x, x, y, 4, 0, 0), /unaryGrad: unknown unary op code -1/);
  assert.throws(() => ref.binary(BINARY_OPS.length, x, x, y, 1, 1, 4, 0, 0, 1, 0, 0, 1), /binary: unknown op code 10/);
  assert.throws(() => ref.reduce(REDUCE_OPS.length, x, y, 1, 4, 1), /reduce: unknown op code 7/);
});

const gpu = runtime.gpu as (typeof runtime.gpu & { has(k: string): boolean }) | null;
if (gpu) {
  test('webgpu: has() is true for exactly the kernels it has, and refuses unknown op codes before dispatch', () => {
    for (const k of KERNEL_NAMES) assert.ok(gpu.has(k), `webgpu lacks ${k}`);
    assert.is(gpu.has('conv' as KernelName), false);
    const x = gpu.alloc(4), y = gpu.alloc(4);
    try {
      assert.throws(() => gpu.unary(UNARY_OPS.length, x, y, 4, 0, 0), /webgpu unary: unknown op code 30/);
      assert.throws(() => gpu.biasAct(x, x, y, 2, 2, 99, 0), /webgpu biasAct: unknown op code 99/);
      assert.throws(() => gpu.reduce(7, x, y, 1, 4, 1), /webgpu reduce: unknown op code 7/);
    } finally { gpu.free(x, 4); gpu.free(y, 4); }
  });
  test('scheduler: a device without the op\'s kernel is no candidate, even under the gpu policy', async () => {
    const real = runtime.gpu!;
    // The same device, declaring that it lacks `strided`: permutedims must run on the CPU.
    runtime.gpu = new Proxy(real, { get: (t, k) => (k === 'has' ? (n: string) => n !== 'strided' && t.has(n as KernelName) : Reflect.get(t, k)) });
    try {
      const x = withPolicy('cpu', () => tensor([1, 2, 3, 4, 5, 6], [2, 3]));
      const y = withPolicy('gpu', () => permutedims(x, [1, 0]));
      assert.is(y.device, 'wasm');
      assert.equal([...(await y.data())], [1, 4, 2, 5, 3, 6]);
    } finally { runtime.gpu = real; }
  });
} else if (requireGpu) {
  test('webgpu: an adapter is required (FLUXION_REQUIRE_GPU=1)', () => { assert.unreachable(`no WebGPU adapter: ${gpuMissing}`); });
} else {
  console.log(`webgpu: skipped (${gpuMissing})`);
}

test.run();
