// Saving and loading: a model's tensors (and optionally its optimiser's state) as safetensors,
// the compact format the Hugging Face ecosystem reads: 8-byte little-endian header length, a JSON
// header (name -> dtype, shape, byte range; plus "__metadata__", a string -> string map), then
// little-endian f32 data. Names are property paths as a depth-first walk of the model meets the
// tensors (the order of params(m)): `layers.0.weight`, `layers.0.bias`, ...; non-trainable
// tensors held as hidden properties (BatchNorm's running `mu`, `sigma2`) are saved too.
// Optimiser state (bound `SGD(params(m), …)` or `setup(rule, m)`) goes in as tensors named
// `optimiser.<param>.<k>` plus its structure (numbers kept exactly as JSON) in the metadata, so
// a loaded model continues training bit for bit; the rule's numeric hyper-parameters are saved
// and put back too (a schedule's current η). Cost: one pass over the bytes each way.

import { Tensor, empty, describe, sameShape, sizeOf } from './tensor.js';
import { Params } from './autograd.js';
import { isBound, OptimiserState, type Rule, type BoundOptimiser } from './optim/rule.js';

/**
 * A tensor in a safetensors file, as host data.
 * @example const { tensors } = decodeSafetensors(bytes);
 *          const w: TensorRecord = tensors.get('layers.0.weight')!;   // { shape: [32, 784], data: Float32Array }
 */
export interface TensorRecord { shape: number[]; data: Float32Array }
/**
 * A decoded safetensors file: tensors in file order, and the `__metadata__` strings.
 * @example const f: Safetensors = decodeSafetensors(await (await fetch('model.safetensors')).arrayBuffer().then((b) => new Uint8Array(b)));
 *          f.metadata.format; [...f.tensors.keys()]
 */
export interface Safetensors { tensors: Map<string, TensorRecord>; metadata: Record<string, string> }
/**
 * An optimiser whose per-parameter state can be saved: a bound optimiser or a `setup` state.
 * @example const opt: StatefulOptimiser = setup(Adam(), m);
 *          const bytes = await saveModel(m, opt);   // Adam's moments are saved too
 */
export type StatefulOptimiser = BoundOptimiser | OptimiserState;

const OPT_PREFIX = 'optimiser.';
const META_OPT = 'fluxion.optimiser';
const META_FORMAT = 'fluxion.format';
const FORMAT = 'fluxion-safetensors-1';
const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

// ---- the container ----

/**
 * Encodes f32 tensors as safetensors bytes (header padded with spaces to 8 bytes, data packed in
 * the given order).
 * @example const bytes = encodeSafetensors({ w: { shape: [2, 2], data: new Float32Array(4) } });
 */
export function encodeSafetensors(
  tensors: Iterable<[string, TensorRecord]> | Record<string, TensorRecord>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const entries = Symbol.iterator in tensors ? [...(tensors as Iterable<[string, TensorRecord]>)] : Object.entries(tensors);
  const header: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') throw new TypeError(`encodeSafetensors: metadata ${k} must be a string, got ${describe(v)}`);
  }
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, { shape, data }] of entries) {
    if (name === '__metadata__' || name in header) throw new RangeError(`encodeSafetensors: duplicate or reserved tensor name ${name}`);
    if (!(data instanceof Float32Array)) throw new TypeError(`encodeSafetensors: ${name}: data must be a Float32Array, got ${describe(data)}`);
    if (sizeOf(shape) !== data.length)
      throw new RangeError(`encodeSafetensors: ${name}: shape [${shape}] needs ${sizeOf(shape)} values, got ${data.length}`);
    header[name] = { dtype: 'F32', shape: [...shape], data_offsets: [offset, offset + data.byteLength] };
    offset += data.byteLength;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const pad = (8 - (json.length % 8)) % 8;
  if (pad) { const p = new Uint8Array(json.length + pad).fill(0x20); p.set(json); json = p; }
  const out = new Uint8Array(8 + json.length + offset);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const [, { data }] of entries) {
    if (littleEndian) out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
    else for (let i = 0; i < data.length; i++) dv.setFloat32(at + 4 * i, data[i], true);
    at += data.byteLength;
  }
  return out;
}

const DTYPES: Record<string, number> = { F32: 4, F64: 8, F16: 2, BF16: 2 };

/**
 * Decodes safetensors bytes; F32 is read as is, F64, F16 and BF16 are converted to f32.
 * Throws a RangeError naming what is wrong for a truncated or malformed file.
 * @example const { tensors, metadata } = decodeSafetensors(bytes); tensors.get('layers.0.weight')
 */
export function decodeSafetensors(bytes: Uint8Array | ArrayBuffer): Safetensors {
  const b = bytes instanceof Uint8Array ? bytes : bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : null;
  if (!b) throw new TypeError(`decodeSafetensors: expected a Uint8Array or ArrayBuffer, got ${describe(bytes)}`);
  const bad = (why: string) => new RangeError(`decodeSafetensors: not a safetensors file (${why})`);
  if (b.length < 8) throw bad(`${b.length} bytes, the header length alone takes 8`);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const n = Number(dv.getBigUint64(0, true));
  if (n < 2 || 8 + n > b.length) throw bad(`header length ${n} does not fit in ${b.length} bytes`);
  let header: Record<string, any>;
  try { header = JSON.parse(new TextDecoder().decode(b.subarray(8, 8 + n))); } catch (e) { throw bad(`header is not JSON: ${(e as Error).message}`); }
  if (!header || typeof header !== 'object' || Array.isArray(header)) throw bad('header is not a JSON object');
  const base = 8 + n, size = b.length - base;
  const metadata: Record<string, string> = { ...(header.__metadata__ ?? {}) };
  const tensors = new Map<string, TensorRecord>();
  for (const [name, e] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const width = DTYPES[e?.dtype];
    if (!width) throw new RangeError(`decodeSafetensors: ${name} has dtype ${e?.dtype}; fluxion reads F32 (and converts F64, F16, BF16)`);
    const shape = e.shape, [s, t] = e.data_offsets ?? [];
    if (!Array.isArray(shape) || !shape.every((d: unknown) => Number.isInteger(d) && (d as number) >= 0)) throw bad(`${name}: shape ${JSON.stringify(shape)}`);
    const count = sizeOf(shape);
    if (!Number.isInteger(s) || !Number.isInteger(t) || s < 0 || t > size || t - s !== count * width)
      throw bad(`${name}: byte range [${s}, ${t}] for ${count} ${e.dtype} values in a ${size}-byte data section`);
    const data = new Float32Array(count), at = base + s;
    if (e.dtype === 'F32' && littleEndian && (b.byteOffset + at) % 4 === 0) data.set(new Float32Array(b.buffer, b.byteOffset + at, count));
    else if (e.dtype === 'F32') for (let i = 0; i < count; i++) data[i] = dv.getFloat32(at + 4 * i, true);
    else if (e.dtype === 'F64') for (let i = 0; i < count; i++) data[i] = dv.getFloat64(at + 8 * i, true);
    else if (e.dtype === 'BF16') for (let i = 0; i < count; i++) data[i] = bf16(dv.getUint16(at + 2 * i, true));
    else for (let i = 0; i < count; i++) data[i] = f16(dv.getUint16(at + 2 * i, true));
    tensors.set(name, { shape: [...shape], data });
  }
  return { tensors, metadata };
}

const f32 = new Float32Array(1), u32 = new Uint32Array(f32.buffer);
function bf16(h: number): number { u32[0] = h << 16; return f32[0]; }
function f16(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

// ---- models ----

/**
 * The model's tensors with their names: property paths in the order params(m) meets them
 * (`layers.0.weight`), then non-trainable tensors held as hidden properties (`layers.1.mu`).
 * @example namedTensors(Chain(Dense(2, 3), Dense(3, 1))).map(([k]) => k)
 *          // ['layers.0.weight', 'layers.0.bias', 'layers.1.weight', 'layers.1.bias']
 */
export function namedTensors(model: unknown): [string, Tensor][] {
  if (model instanceof Params) return [...model].map((t, i) => [String(i), t]);
  if (model === null || (typeof model !== 'object' && typeof model !== 'function'))
    throw new TypeError(`namedTensors: expected a model, a layer or an array of tensors, got ${describe(model)}`);
  const out: [string, Tensor][] = [], hiddenOut: [string, Tensor][] = [];
  const seen = new Set<unknown>();
  const go = (x: unknown, path: string, trainable: boolean) => {
    if (x === null || (typeof x !== 'object' && typeof x !== 'function') || seen.has(x)) return;
    seen.add(x);
    if (x instanceof Tensor) { (trainable ? out : hiddenOut).push([path || 'tensor', x]); return; }
    if (ArrayBuffer.isView(x) || x instanceof Promise) return;
    const at = (k: string) => (path ? `${path}.${k}` : k);
    if (Array.isArray(x)) x.forEach((v, i) => go(v, at(String(i)), trainable));
    else if (x instanceof Map) for (const [k, v] of x) go(v, at(String(k)), trainable);
    else {
      for (const k of Object.keys(x)) go((x as Record<string, unknown>)[k], at(k), trainable);
      // Non-enumerable data properties holding tensors: state that is saved but not trained.
      for (const k of Object.getOwnPropertyNames(x)) {
        const d = Object.getOwnPropertyDescriptor(x, k)!;
        if (!d.enumerable && 'value' in d && d.value instanceof Tensor) go(d.value, at(k), false);
      }
    }
  };
  go(model, '', true);
  return [...out, ...hiddenOut];
}

/**
 * The model's tensors (and, given a bound optimiser or a `setup` state, the optimiser's state) as
 * safetensors bytes. Reads back from any device.
 * @example const bytes = await saveModel(m, opt);          // Uint8Array
 *          writeFileSync('model.safetensors', bytes);
 */
export async function saveModel(model: unknown, opt?: StatefulOptimiser | null, metadata: Record<string, string> = {}): Promise<Uint8Array> {
  const named = namedTensors(model);
  const records: [string, TensorRecord][] = [];
  for (const [name, t] of named) records.push([name, { shape: [...t.shape], data: await t.data() }]);
  const meta: Record<string, string> = { ...metadata, [META_FORMAT]: FORMAT };
  if (opt != null) {
    const states = optimiserStates(opt, 'saveModel');
    const names = new Map(named.map(([k, t]) => [t, k]));
    const state: Record<string, unknown> = {};
    for (const [p, s] of states) {
      const pname = names.get(p);
      if (pname === undefined) throw new RangeError(`saveModel: the optimiser holds state for a tensor of shape [${p.shape}] that is not in the model`);
      let k = 0;
      const tensors: Tensor[] = [];
      state[pname] = encodeState(s, (t) => { tensors.push(t); return `${OPT_PREFIX}${pname}.${k++}`; });
      for (let i = 0; i < tensors.length; i++) records.push([`${OPT_PREFIX}${pname}.${i}`, { shape: [...tensors[i].shape], data: await tensors[i].data() }]);
    }
    meta[META_OPT] = JSON.stringify({ rule: ruleInfo(opt.rule), state });
  }
  return encodeSafetensors(records, meta);
}

/**
 * What `loadModel` found besides the tensors.
 * @example const r = loadModel(m, bytes, opt);
 *          if (!r.optimiser) console.log('no optimiser state in the file: starting fresh');
 */
export interface LoadResult { metadata: Record<string, string>; optimiser: boolean }

/**
 * Overwrites the model's tensors in place (same objects, same devices) from safetensors bytes,
 * and, given `opt`, replaces its state with the saved one. Checks everything before changing
 * anything: a file whose names or shapes differ from the model's throws a RangeError listing each
 * difference.
 * @example const m2 = seedModel(), opt2 = setup(Adam(0.01), m2);
 *          loadModel(m2, bytes, opt2);   // continues exactly where the saved run stopped
 */
export function loadModel(model: unknown, bytes: Uint8Array | ArrayBuffer, opt?: StatefulOptimiser | null): LoadResult {
  const file = decodeSafetensors(bytes);
  const named = namedTensors(model);
  const problems: string[] = [];
  const inModel = new Set<string>();
  for (const [name, t] of named) {
    inModel.add(name);
    const r = file.tensors.get(name);
    if (!r) problems.push(`missing ${name} [${t.shape}]`);
    else if (!sameShape(r.shape, t.shape)) problems.push(`${name} has shape [${t.shape}] in the model but [${r.shape}] in the file`);
  }
  for (const [name, r] of file.tensors) {
    if (!inModel.has(name) && !name.startsWith(OPT_PREFIX)) problems.push(`unexpected ${name} [${r.shape}] (not in the model)`);
  }
  if (problems.length) {
    throw new RangeError(`loadModel: the file does not match the model (${problems.length} difference${problems.length > 1 ? 's' : ''}): ` +
      `${problems.slice(0, 12).join('; ')}${problems.length > 12 ? `; … ${problems.length - 12} more` : ''}`);
  }
  // Optimiser state: decode and check completely before touching the model.
  let restore: (() => void) | null = null;
  if (opt != null) {
    const states = optimiserStates(opt, 'loadModel');
    const raw = file.metadata[META_OPT];
    if (!raw) throw new RangeError('loadModel: an optimiser was given but the file holds no optimiser state (save it with saveModel(model, opt))');
    const saved = JSON.parse(raw) as { rule: RuleInfo; state: Record<string, unknown> };
    const mismatch = sameRule(saved.rule, ruleInfo(opt.rule));
    if (mismatch) throw new RangeError(`loadModel: the file holds state of ${mismatch}`);
    const byName = new Map(named);
    const fresh: [Tensor, unknown][] = [];
    const made: Tensor[] = [];
    try {
      for (const [pname, enc] of Object.entries(saved.state)) {
        const p = byName.get(pname);
        if (!p) throw new RangeError(`loadModel: the file holds optimiser state for ${pname}, which is not in the model`);
        fresh.push([p, decodeState(enc, (tname) => {
          const r = file.tensors.get(tname);
          if (!r) throw new RangeError(`loadModel: optimiser state ${tname} is missing from the file`);
          const t = empty(r.shape, p.backend).keep();
          made.push(t);
          if (t.size) t.backend.write(t.buf, r.data);
          return t;
        })]);
      }
    } catch (e) { for (const t of made) t.dispose(); throw e; }
    restore = () => {
      const keep = new Set(made);
      for (const s of states.values()) forTensors(s, (t) => { if (!keep.has(t)) t.dispose(); });
      states.clear();
      for (const [p, s] of fresh) states.set(p, s);
      restoreRule(opt.rule, saved.rule);
    };
  }
  for (const [name, t] of named) t.assign(file.tensors.get(name)!.data);
  restore?.();
  return { metadata: file.metadata, optimiser: restore !== null };
}

function optimiserStates(opt: unknown, fn: string): Map<Tensor, unknown> {
  if (isBound(opt) || opt instanceof OptimiserState) return opt.state;
  throw new TypeError(`${fn}: opt must be a bound optimiser (SGD(params(m), 0.1)) or a setup(rule, model) state, got ${describe(opt)}; ` +
    'a bare rule keeps its state privately: use setup(rule, model) to save and resume it');
}

interface RuleInfo { name: string; [k: string]: unknown }
function ruleInfo(r: Rule): RuleInfo {
  const name = r.constructor?.name && r.constructor.name !== 'Object' ? r.constructor.name : 'rule';
  const o: RuleInfo = { name };
  for (const [k, v] of Object.entries(r)) {
    if (typeof v === 'number' || typeof v === 'boolean' || (Array.isArray(v) && v.every((x) => typeof x === 'number'))) o[k] = v;
    else if (Array.isArray(v) && v.every((x) => x && typeof x === 'object' && 'init' in x)) o[k] = v.map(ruleInfo);
  }
  return o;
}

/** Null when `a` (saved) and `b` (given) are the same kind of rule, else what differs. */
function sameRule(a: RuleInfo, b: RuleInfo): string | null {
  if (a.name !== b.name) return `${/^[AEIOU]/.test(a.name) ? 'an' : 'a'} ${a.name} optimiser, but the optimiser given is ${b.name}`;
  const ra = a.rules as RuleInfo[] | undefined, rb = b.rules as RuleInfo[] | undefined;
  if (!ra || !rb) return null;
  if (ra.length !== rb.length) return `a chain of ${ra.length} rules, but the chain given has ${rb.length}`;
  for (let i = 0; i < ra.length; i++) { const d = sameRule(ra[i], rb[i]); if (d) return d; }
  return null;
}
/** Puts the saved hyper-parameters back (a schedule's decayed η is part of where training was). */
function restoreRule(r: Rule, info: RuleInfo): void {
  const o = r as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(info)) {
    if (k === 'name' || !(k in o)) continue;
    if (k === 'rules' && Array.isArray(o.rules)) (o.rules as Rule[]).forEach((x, i) => restoreRule(x, (v as RuleInfo[])[i]));
    else if (typeof v === typeof o[k] || Array.isArray(v)) {
      try { o[k] = Array.isArray(v) ? [...v] : v; } catch { /* a frozen property keeps the given value */ }
    }
  }
}

// State trees are nulls, numbers, booleans, tensors and arrays of them (see src/optim/).
function encodeState(s: unknown, name: (t: Tensor) => string): unknown {
  if (s === null || s === undefined || typeof s === 'boolean') return s ?? null;
  if (typeof s === 'number') return Number.isFinite(s) ? s : { n: String(s) };
  if (s instanceof Tensor) return { t: name(s) };
  if (Array.isArray(s)) return s.map((x) => encodeState(x, name));
  throw new TypeError(`saveModel: cannot save optimiser state of type ${describe(s)}`);
}
function decodeState(s: unknown, tensor: (name: string) => Tensor): unknown {
  if (s === null || typeof s === 'number' || typeof s === 'boolean') return s;
  if (Array.isArray(s)) return s.map((x) => decodeState(x, tensor));
  const o = s as { t?: string; n?: string };
  if (typeof o.t === 'string') return tensor(o.t);
  if (typeof o.n === 'string') return Number(o.n);
  throw new RangeError(`loadModel: malformed optimiser state ${JSON.stringify(s)}`);
}
function forTensors(s: unknown, f: (t: Tensor) => void): void {
  if (s instanceof Tensor) f(s);
  else if (Array.isArray(s)) for (const x of s) forTensors(x, f);
}
