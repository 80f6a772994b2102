// Loading files from elsewhere (src/io.ts): a safetensors file is untrusted input. Each test
// builds a hostile or broken file by editing a real saved one, and checks that loadModel refuses it
// with a RangeError naming the problem, and that a refused load leaves the weights, the
// optimiser's state tensors and its hyper-parameters exactly as they were.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  init, encodeSafetensors, decodeSafetensors,
} from '../src/index.ts';

await init({ gpu: false });

// ---- building files by hand ----

function split(bytes: Uint8Array): { header: Record<string, any>; data: Uint8Array } {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { header: JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))), data: bytes.subarray(8 + n) };
}
/** A file with the given header text (no padding) in front of `data`. */
function join(header: string | object, data: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}
/** The file with its header edited in place by `f`. */
function editHeader(bytes: Uint8Array, f: (h: Record<string, any>) => void): Uint8Array {
  const { header, data } = split(bytes);
  f(header);
  return join(header, data);
}
/** The file with its optimiser metadata text replaced by `f(text)`. */
function editOptText(bytes: Uint8Array, f: (raw: string) => string): Uint8Array {
  return editHeader(bytes, (h) => { h.__metadata__['fluxion.optimiser'] = f(h.__metadata__['fluxion.optimiser']); });
}
/** The file with its optimiser metadata (parsed) edited by `f`. */
function editOpt(bytes: Uint8Array, f: (o: any) => void): Uint8Array {
  return editOptText(bytes, (raw) => { const o = JSON.parse(raw); f(o); return JSON.stringify(o); });
}

// ---- the container ----

test('decodeSafetensors: overlapping tensors, non-string metadata and prototype dtypes are refused by name', () => {
  const bytes = encodeSafetensors([['a', { shape: [2], data: new Float32Array([1, 2]) }], ['b', { shape: [2], data: new Float32Array([3, 4]) }]], { k: 'v' });
  const err = (b: Uint8Array) => { try { decodeSafetensors(b); } catch (e) { return e as Error; } return null; };
  const overlap = editHeader(bytes, (h) => { h.b.data_offsets = [4, 12]; });
  assert.instance(err(overlap), RangeError);
  assert.match(err(overlap)!.message, /decodeSafetensors: .*a and b overlap.*\[0, 8\].*\[4, 12\]/);
  const same = editHeader(bytes, (h) => { h.b.data_offsets = [0, 8]; });
  assert.match(err(same)?.message ?? '', /a and b overlap/);
  for (const dtype of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
    const e = err(editHeader(bytes, (h) => { h.a.dtype = dtype; }));
    assert.instance(e, RangeError, dtype);
    assert.match(e!.message, `a has dtype ${dtype}`);
  }
  for (const [what, md] of [['a number', { k: 5 }], ['an object', { k: {} }], ['null', { k: null }]] as const) {
    const e = err(editHeader(bytes, (h) => { h.__metadata__ = md; }));
    assert.instance(e, RangeError, what);
    assert.match(e!.message, /decodeSafetensors: .*metadata k must be a string/, what);
  }
  for (const md of ['text', [1, 2], 3]) {
    const e = err(editHeader(bytes, (h) => { h.__metadata__ = md; }));
    assert.instance(e, RangeError, JSON.stringify(md));
    assert.match(e!.message, /__metadata__ must be an object/);
  }
  const e = err(editHeader(bytes, (h) => { h.a = 'x'; }));
  assert.instance(e, RangeError);
  assert.match(e!.message, /decodeSafetensors: .*a: /);
  // A __proto__ key in the metadata is a plain entry, not a prototype.
  const parts = split(bytes);
  const md = decodeSafetensors(join(JSON.stringify(parts.header).replace('{"k":"v"}', '{"k":"v","__proto__":"x"}'), parts.data)).metadata;
  assert.is(Object.getPrototypeOf(md), Object.prototype);
  assert.is(md.k, 'v');
  // Zero-length tensors occupy no bytes and overlap nothing.
  const empty = encodeSafetensors([['z', { shape: [0], data: new Float32Array(0) }], ['a', { shape: [1], data: new Float32Array([1]) }]]);
  assert.equal([...decodeSafetensors(empty).tensors.keys()], ['z', 'a']);
});

test.run();
