// The Wasm ABI against the kernel table (src/backends/kernels.ts): the modules export exactly
// the table's kernels under their names with the table's argument counts, the binding in
// src/backends/wasm.ts reports only kernels that exist, and an unknown op code traps instead of
// leaving the output unwritten.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { KERNELS, KERNEL_NAMES, type KernelName } from '../../src/backends/kernels.ts';
import { UNARY_OPS, BINARY_OPS, REDUCE_OPS, Unary } from '../../src/ops/codes.ts';
import { bindKernels, createWasm } from '../../src/backends/wasm.ts';
import { loadRaw, relaxedSupported } from './loadRaw.ts';

const module = (file: string) =>
  new WebAssembly.Module(readFileSync(fileURLToPath(new URL(`../../build/${file}`, import.meta.url))));
/** Table argument count of a kernel as exported: matmul and bmm take their scratch pointer last. */
const arity = (k: KernelName) => KERNELS[k].args.length + (k === 'matmul' || k === 'bmm' ? 1 : 0);
const HELPERS = ['heap_base', 'matmul_ws_bytes', 'bmm_ws_bytes', 'thread_scratch', 'thread_scratch_bytes',
  'matmul_part', 'matmul_kblocks', 'matmul_ksum', 'im2col_part', 'col2im_part', 'pool_part', 'poolGrad_part'];

test('fluxion.wasm exports every table kernel but copy, under its name, and nothing else', () => {
  const names = WebAssembly.Module.exports(module('fluxion.wasm')).map((e) => e.name).sort();
  const want = [...KERNEL_NAMES.filter((k) => k !== 'copy'), ...HELPERS].sort();
  assert.equal(names, want);
});

test('fluxion-relaxed.wasm exports matmul, its split helpers and matmul_ws_bytes only', () => {
  const names = WebAssembly.Module.exports(module('fluxion-relaxed.wasm')).map((e) => e.name).sort();
  assert.equal(names, ['matmul', 'matmul_kblocks', 'matmul_ksum', 'matmul_part', 'matmul_ws_bytes']);
});

test('each export takes the table arguments in number (matmul and bmm + ws)', () => {
  const R = loadRaw('simd', 2);
  for (const k of KERNEL_NAMES) {
    if (k === 'copy') continue;
    assert.type(R.exports[k], 'function', k);
    assert.is(R.exports[k].length, arity(k), `${k}: ${R.exports[k].length} parameters, table says ${arity(k)}`);
  }
  assert.is(R.exports.matmul_ws_bytes.length, 3);
  assert.is(R.exports.bmm_ws_bytes.length, 3);
  if (relaxedSupported()) assert.is(loadRaw('relaxed', 2).exports.matmul.length, arity('matmul'));
});

test('bindKernels: exports used as they are, has() false and a naming throw for a missing kernel', () => {
  const unary = () => {};
  const { kernels, provided } = bindKernels({ unary, heap_base: () => 0 }, { copy: () => {}, matmul: undefined });
  assert.ok(kernels.unary === unary, 'the export itself, not a wrapper');
  assert.ok(provided.has('unary') && provided.has('copy'));
  for (const k of ['matmul', 'binary', 'strided'] as KernelName[]) {
    assert.not.ok(provided.has(k), k);
    assert.throws(() => (kernels[k] as () => void)(), new RegExp(`'${k}'`));
  }
});

test('bindKernels on the real module with one export removed', () => {
  const R = loadRaw('simd', 2);
  const { strided: _, ...rest } = R.exports;
  const { provided } = bindKernels(rest, { copy: () => {} });
  assert.not.ok(provided.has('strided'));
  for (const k of KERNEL_NAMES) if (k !== 'strided' && k !== 'matmul' && k !== 'bmm') assert.ok(provided.has(k), k);
});

test('createWasm: has() is true for every table kernel the module provides', async () => {
  const be = await createWasm();
  for (const k of KERNEL_NAMES) assert.ok(be.has(k), k);
});

test('an unknown op code traps (unary, unaryGrad, biasAct, binary, reduce)', () => {
  const R = loadRaw('simd', 2);
  const E = R.exports;
  const x = R.put([1, 2, 3, 4, 5]), y = R.alloc(32), dy = R.put([1, 1, 1, 1, 1]), dx = R.alloc(32), b = R.put([0.5]);
  const traps = (what: string, f: () => void) => assert.throws(f, (e: unknown) => e instanceof WebAssembly.RuntimeError, what);
  for (const bad of [999, UNARY_OPS.length, -1]) {
    traps(`unary ${bad}`, () => E.unary(bad, x, y, 5, 0, 0));
    traps(`unaryGrad ${bad}`, () => E.unaryGrad(bad, x, y, dy, dx, 5, 0, 0));
    traps(`biasAct ${bad}`, () => E.biasAct(x, b, y, 1, 5, bad, 0));
  }
  for (const bad of [999, BINARY_OPS.length, -1]) traps(`binary ${bad}`, () => E.binary(bad, x, dy, y, 1, 1, 5, 0, 0, 1, 0, 0, 1));
  for (const bad of [999, REDUCE_OPS.length, -1]) traps(`reduce ${bad}`, () => E.reduce(bad, x, y, 1, 5, 1));
  // the last valid code of each table still runs
  E.unary(UNARY_OPS.length - 1, x, y, 5, 1, 1);
  E.binary(BINARY_OPS.length - 1, x, dy, y, 1, 1, 5, 0, 0, 1, 0, 0, 1);
  E.reduce(REDUCE_OPS.length - 1, x, y, 1, 5, 1);
  E.unary(Unary.mulscalar, x, y, 5, 2, 0);
  assert.equal(Array.from(R.f32(y, 5)), [2, 4, 6, 8, 10]);
});

test.run();
