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
// A file is untrusted input: loadModel puts back only hyper-parameters the rule already has, after
// the rule's own constructor accepts them, and state shaped exactly like what the rule makes.

import { Tensor, empty, describe, sameShape, sizeOf } from './tensor.js';
import { Params, noGrad } from './autograd.js';
import { isBound, OptimiserState, type Rule, type BoundOptimiser } from './optim/rule.js';
import * as optim from './optim/index.js';

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

// A Map, not an object: a dtype such as "constructor" must find nothing, not Object's prototype.
const DTYPES = new Map<string, number>([['F32', 4], ['F64', 8], ['F16', 2], ['BF16', 2]]);

/**
 * Decodes safetensors bytes; F32 is read as is, F64, F16 and BF16 are converted to f32.
 * Throws a RangeError naming the tensor and what is wrong for a truncated or malformed file
 * (including tensors whose bytes overlap and metadata values that are not strings).
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
  if (!isObject(header)) throw bad('header is not a JSON object');
  const base = 8 + n, size = b.length - base;
  const metadata: Record<string, string> = {};
  if (Object.hasOwn(header, '__metadata__')) {
    const md = header.__metadata__;
    if (!isObject(md)) throw bad(`__metadata__ must be an object of strings, got ${brief(md)}`);
    for (const [k, v] of Object.entries(md)) {
      if (typeof v !== 'string') throw bad(`metadata ${k} must be a string, got ${brief(v)}`);
      // defineProperty: a "__proto__" entry stays an entry instead of setting the prototype.
      Object.defineProperty(metadata, k, { value: v, enumerable: true, writable: true, configurable: true });
    }
  }
  const tensors = new Map<string, TensorRecord>();
  const ranges: [start: number, end: number, name: string][] = [];
  for (const [name, e] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    if (!isObject(e)) throw bad(`${name}: expected {dtype, shape, data_offsets}, got ${brief(e)}`);
    const width = typeof e.dtype === 'string' ? DTYPES.get(e.dtype) : undefined;
    if (!width) throw new RangeError(`decodeSafetensors: ${name} has dtype ${typeof e.dtype === 'string' ? e.dtype : brief(e.dtype)}; fluxion reads F32 (and converts F64, F16, BF16)`);
    const shape = e.shape, offsets = e.data_offsets;
    if (!Array.isArray(shape) || !shape.every((d: unknown) => Number.isInteger(d) && (d as number) >= 0)) throw bad(`${name}: shape ${brief(shape)}`);
    if (!Array.isArray(offsets) || offsets.length !== 2) throw bad(`${name}: data_offsets ${brief(offsets)} is not a pair [start, end]`);
    const count = sizeOf(shape), [s, t] = offsets;
    if (!Number.isInteger(s) || !Number.isInteger(t) || s < 0 || t > size || t - s !== count * width)
      throw bad(`${name}: byte range [${s}, ${t}] for ${count} ${e.dtype} values in a ${size}-byte data section`);
    if (t > s) ranges.push([s, t, name]);
    const data = new Float32Array(count), at = base + s;
    if (e.dtype === 'F32' && littleEndian && (b.byteOffset + at) % 4 === 0) data.set(new Float32Array(b.buffer, b.byteOffset + at, count));
    else if (e.dtype === 'F32') for (let i = 0; i < count; i++) data[i] = dv.getFloat32(at + 4 * i, true);
    else if (e.dtype === 'F64') for (let i = 0; i < count; i++) data[i] = dv.getFloat64(at + 8 * i, true);
    else if (e.dtype === 'BF16') for (let i = 0; i < count; i++) data[i] = bf16(dv.getUint16(at + 2 * i, true));
    else for (let i = 0; i < count; i++) data[i] = f16(dv.getUint16(at + 2 * i, true));
    tensors.set(name, { shape: [...shape], data });
  }
  // Two tensors sharing bytes would alias in the writer's intent but not here; the format forbids it.
  ranges.sort((x, y) => x[0] - y[0]);
  for (let i = 1; i < ranges.length; i++) {
    const [s0, t0, a] = ranges[i - 1], [s1, t1, c] = ranges[i];
    if (s1 < t0) throw bad(`tensors ${a} and ${c} overlap: byte ranges [${s0}, ${t0}] and [${s1}, ${t1}]`);
  }
  return { tensors, metadata };
}

const isObject = (x: unknown): x is Record<string, any> => !!x && typeof x === 'object' && !Array.isArray(x);
/** A value from a file, shown short in an error message. */
function brief(v: unknown): string {
  let s: string;
  try { s = v === undefined ? 'nothing' : typeof v === 'number' ? String(v) : JSON.stringify(v) ?? describe(v); } catch { s = describe(v); }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
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
 * and, given `opt`, replaces its state and hyper-parameters with the saved ones. Checks everything
 * before changing anything: a file whose names or shapes differ from the model's throws a
 * RangeError listing each difference; saved hyper-parameters the rule's constructor rejects, state
 * whose structure or shapes differ from what the rule makes for that parameter, and malformed
 * optimiser metadata throw a RangeError naming the entry, and leave model and optimiser untouched.
 * @example const m2 = seedModel(), opt2 = setup(Adam(0.01), m2);
 *          loadModel(m2, bytes, opt2);   // continues exactly where the saved run stopped
 */
export function loadModel(model: unknown, bytes: Uint8Array | ArrayBuffer, opt?: StatefulOptimiser | null): LoadResult {
  const file = decodeSafetensors(bytes);
  const named = namedTensors(model);
  const problems: string[] = [];
  const inModel = new Set<string>();
  for (const [name, t] of named) {
    if (t.disposed) throw new Error(`loadModel: the model's ${name} [${t.shape}] was disposed; nothing was loaded`);
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
  // Everything from the file is checked, and the optimiser's new state built, before the first
  // write: a refused file leaves the weights, the state tensors and the hyper-parameters as they were.
  let commit: (() => void) | null = null;
  if (opt != null) {
    const states = optimiserStates(opt, 'loadModel');
    const raw = file.metadata[META_OPT];
    if (!raw) throw new RangeError('loadModel: an optimiser was given but the file holds no optimiser state (save it with saveModel(model, opt))');
    const saved = parseOptimiser(raw);
    const writes: Write[] = [];
    planRule(opt.rule, saved.rule, writes);
    const byName = new Map(named);
    const targets: [string, Tensor][] = [];
    for (const pname of Object.keys(saved.state)) {
      const p = byName.get(pname);
      if (!p) throw new RangeError(`loadModel: the file holds optimiser state for ${pname}, which is not in the model`);
      targets.push([pname, p]);
    }
    // What the rule, with the file's hyper-parameters, makes for each parameter: the saved state
    // must have that structure (RMSProp's centred, for one, decides whether a tensor is there).
    const shapes = new Map<string, unknown>();
    withWrites(writes, () => {
      for (const [, p] of targets) { const key = `${p.shape}`; if (!shapes.has(key)) shapes.set(key, skeleton(opt.rule, p)); }
    });
    const used = new Set<string>();
    const plans = targets.map(([pname, p]) => [p, planState(shapes.get(`${p.shape}`), saved.state[pname], pname, file, used)] as const);
    for (const name of file.tensors.keys()) {
      if (name.startsWith(OPT_PREFIX) && !inModel.has(name) && !used.has(name))
        throw new RangeError(`loadModel: ${name} in the file is not part of the optimiser state (the file's optimiser metadata refers to no such tensor)`);
    }
    const made: Tensor[] = [];
    let fresh: [Tensor, unknown][];
    try {
      fresh = plans.map(([p, plan]) => [p, build(plan, p, made)]);
    } catch (e) { for (const t of made) t.dispose(); throw e; }
    commit = () => {
      const keep = new Set(made);
      for (const s of states.values()) forTensors(s, (t) => { if (!keep.has(t)) t.dispose(); });
      states.clear();
      for (const [p, s] of fresh) states.set(p, s);
      for (const [o, k, v] of writes) o[k] = v;
    };
  }
  for (const [name, t] of named) t.assign(file.tensors.get(name)!.data);
  commit?.();
  return { metadata: file.metadata, optimiser: commit !== null };
}

function optimiserStates(opt: unknown, fn: string): Map<Tensor, unknown> {
  if (isBound(opt) || opt instanceof OptimiserState) return opt.state;
  throw new TypeError(`${fn}: opt must be a bound optimiser (SGD(params(m), 0.1)) or a setup(rule, model) state, got ${describe(opt)}; ` +
    'a bare rule keeps its state privately: use setup(rule, model) to save and resume it');
}

interface RuleInfo { name: string; [k: string]: unknown }
const ruleName = (r: Rule) => (r.constructor?.name && r.constructor.name !== 'Object' ? r.constructor.name : 'rule');
function ruleInfo(r: Rule): RuleInfo {
  const o: RuleInfo = { name: ruleName(r) };
  for (const [k, v] of Object.entries(r)) {
    if (typeof v === 'boolean') o[k] = v;
    else if (typeof v === 'number' || (Array.isArray(v) && v.every((x) => typeof x === 'number'))) o[k] = encodeNumber(v);
    else if (isRuleList(v)) o[k] = v.map(ruleInfo);
  }
  return o;
}
// JSON has no Infinity or NaN (JSON.stringify writes null): those numbers go as { n: "Infinity" }.
function encodeNumber(v: number | number[]): unknown {
  if (Array.isArray(v)) return v.map(encodeNumber);
  return Number.isFinite(v) ? v : { n: String(v) };
}
function decodeNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (isObject(v) && (v.n === 'Infinity' || v.n === '-Infinity' || v.n === 'NaN')) return Number(v.n);
  return undefined;
}
const isRuleList = (v: unknown): v is Rule[] =>
  Array.isArray(v) && v.length > 0 && v.every((x) => !!x && typeof x === 'object' && typeof x.init === 'function');

function parseOptimiser(raw: string): { rule: unknown; state: Record<string, unknown> } {
  let saved: unknown;
  try { saved = JSON.parse(raw); } catch (e) {
    throw new RangeError(`loadModel: the file's optimiser metadata (${META_OPT}) is not JSON: ${(e as Error).message}`);
  }
  if (!isObject(saved) || !isObject(saved.rule) || !isObject(saved.state))
    throw new RangeError(`loadModel: the file's optimiser metadata (${META_OPT}) must be an object {rule: {...}, state: {...}}, got ${brief(saved)}`);
  return { rule: saved.rule, state: saved.state };
}

/** A hyper-parameter to set once everything is checked: `target[key] = value`. */
type Write = [target: Record<string, unknown>, key: string, value: unknown];
// Never restored whatever the file says: these reach the prototype or the class, not a value.
const NEVER = new Set(['__proto__', 'constructor', 'prototype']);
let ruleProtos: Set<unknown> | null = null;
/** True for fluxion's own rule classes, whose constructors take their hyper-parameters as one options object. */
function isFluxionRule(r: Rule): boolean {
  ruleProtos ??= new Set(Object.values(optim).flatMap((f) => (typeof f === 'function' && f.prototype ? [f.prototype] : [])));
  return ruleProtos.has(Object.getPrototypeOf(r));
}
const hyperKind = (v: unknown): string | null =>
  typeof v === 'number' ? 'a number' : typeof v === 'boolean' ? 'true or false'
    : Array.isArray(v) && v.length && v.every((x) => typeof x === 'number') ? `a list of ${v.length} numbers` : null;

/**
 * Checks the saved hyper-parameters against the live rule `r` and queues the writes: only keys
 * that are already own data properties of the rule holding numbers, booleans or number lists,
 * of the same kind, and (for fluxion's rules) accepted by a fresh rule of the same class built
 * with them, so the constructor's own checks decide. Rules holding rules check each child.
 */
function planRule(r: Rule, info: unknown, writes: Write[]): void {
  const name = ruleName(r);
  if (!isObject(info) || typeof info.name !== 'string')
    throw new RangeError(`loadModel: the file's optimiser rule must be an object {name, ...hyper-parameters}, got ${brief(info)} (the optimiser given is ${name})`);
  if (info.name !== name)
    throw new RangeError(`loadModel: the file holds state of ${/^[AEIOU]/.test(info.name) ? 'an' : 'a'} ${info.name.slice(0, 60)} optimiser, but the optimiser given is ${name}`);
  const o = r as unknown as Record<string, unknown>;
  const values: Record<string, unknown> = {};
  let holder = false;
  for (const k of Object.keys(o)) {
    const d = Object.getOwnPropertyDescriptor(o, k);
    if (NEVER.has(k) || !d || !('value' in d)) continue;
    const live = d.value, v = Object.hasOwn(info, k) ? info[k] : undefined;
    if (isRuleList(live)) {
      holder = true;
      if (!Array.isArray(v)) throw new RangeError(`loadModel: the file's ${name}.${k} is ${brief(v)}, where the optimiser has a list of ${live.length} rules`);
      if (v.length !== live.length) throw new RangeError(`loadModel: the file holds state of a chain of ${v.length} rules, but the chain given has ${live.length}`);
      live.forEach((c, i) => planRule(c, v[i], writes));
      continue;
    }
    const kind = hyperKind(live);
    // Absent, or null (files before { n: "Infinity" } wrote ±Infinity so): the given value stays.
    if (!kind || v === undefined || v === null || (Array.isArray(v) && v.includes(null))) continue;
    const value = typeof live === 'boolean' ? (typeof v === 'boolean' ? v : undefined)
      : typeof live === 'number' ? decodeNumber(v)
      : Array.isArray(v) && v.every((x) => decodeNumber(x) !== undefined) ? v.map(decodeNumber) : undefined;
    if (value === undefined) throw new RangeError(`loadModel: the file's ${name}.${k} is ${brief(v)}, where the optimiser has ${kind} (${brief(live)})`);
    if (d.writable) values[k] = value;                 // a frozen property keeps the given value
  }
  const keys = Object.keys(values);
  if (!keys.length) return;
  if (!holder && isFluxionRule(r)) {
    const opts: Record<string, unknown> = {};
    for (const k of Object.keys(o)) if (!NEVER.has(k) && hyperKind(o[k])) opts[k] = o[k];
    try { new (r.constructor as new (o: Record<string, unknown>) => Rule)({ ...opts, ...values }); } catch (e) {
      throw new RangeError(`loadModel: the file's ${name} hyper-parameters are refused: ${(e as Error).message}`);
    }
  } else {
    // A rule from outside fluxion: its constructor's form is unknown, so only the kind is checked
    // (and a list keeps its length).
    for (const k of keys) {
      const live = o[k], v = values[k];
      if (Array.isArray(live) && (v as number[]).length !== live.length)
        throw new RangeError(`loadModel: the file's ${name}.${k} is ${brief(v)}, where the optimiser has ${hyperKind(live)}`);
    }
  }
  for (const k of keys) writes.push([o, k, values[k]]);
}

/** Runs `f` with the writes applied, then puts the old values back (synchronous, so unobservable). */
function withWrites<T>(writes: Write[], f: () => T): T {
  const old = writes.map(([o, k]) => o[k]);
  try { for (const [o, k, v] of writes) o[k] = v; return f(); }
  finally { writes.forEach(([o, k], i) => { o[k] = old[i]; }); }
}

/** Where a state tree holds a tensor of this shape. */
class Slot { constructor(readonly shape: readonly number[]) {} }
/** A checked state tensor from the file, not yet on a device. */
class Pending { constructor(readonly record: TensorRecord) {} }

/** The structure of `rule.init(p)`, tensors as their shapes; the tensors it made are freed. */
function skeleton(rule: Rule, p: Tensor): unknown {
  const s = noGrad(() => rule.init(p));
  const walk = (x: unknown): unknown => (x instanceof Tensor ? new Slot([...x.shape]) : Array.isArray(x) ? x.map(walk) : x);
  try { return walk(s); } finally { forTensors(s, (t) => t.dispose()); }
}

/** The saved state `enc` checked against the skeleton `tpl`: the same tree, tensors of the same shapes. */
function planState(tpl: unknown, enc: unknown, at: string, file: Safetensors, used: Set<string>): unknown {
  const bad = (want: string) => new RangeError(`loadModel: optimiser state ${at} must be ${want}, got ${brief(enc)}`);
  if (tpl instanceof Slot) {
    if (!isObject(enc) || typeof enc.t !== 'string') throw bad(`a tensor [${tpl.shape}] ({"t": name})`);
    const tname = enc.t, r = file.tensors.get(tname);
    if (!r) throw new RangeError(`loadModel: optimiser state ${at} refers to ${tname}, which is not in the file`);
    if (!sameShape(r.shape, tpl.shape)) throw new RangeError(`loadModel: optimiser state ${tname} has shape [${r.shape}], but ${at} is [${tpl.shape}] for this parameter`);
    if (used.has(tname)) throw new RangeError(`loadModel: optimiser state ${tname} is used twice (again at ${at})`);
    used.add(tname);
    return new Pending(r);
  }
  if (Array.isArray(tpl)) {
    if (!Array.isArray(enc) || enc.length !== tpl.length)
      throw new RangeError(`loadModel: optimiser state ${at} must be a list of ${tpl.length} entries, got ${Array.isArray(enc) ? `a list of ${enc.length}` : brief(enc)}`);
    return tpl.map((x, i) => planState(x, enc[i], `${at}[${i}]`, file, used));
  }
  if (typeof tpl === 'number') { const v = decodeNumber(enc); if (v === undefined) throw bad('a number'); return v; }
  if (typeof tpl === 'boolean') { if (typeof enc !== 'boolean') throw bad('true or false'); return enc; }
  if (tpl == null) { if (enc !== null) throw bad('null'); return null; }
  throw new RangeError(`loadModel: the optimiser's state ${at} is ${describe(tpl)}, which a file cannot hold`);
}
/** The planned state with its tensors made on `p`'s device (each pushed to `made`). */
function build(plan: unknown, p: Tensor, made: Tensor[]): unknown {
  if (plan instanceof Pending) {
    const t = empty(plan.record.shape, p.backend).keep();
    made.push(t);
    if (t.size) t.backend.write(t.buf, plan.record.data);
    return t;
  }
  return Array.isArray(plan) ? plan.map((x) => build(x, p, made)) : plan;
}

// State trees are nulls, numbers, booleans, tensors and arrays of them (see src/optim/).
function encodeState(s: unknown, name: (t: Tensor) => string): unknown {
  if (s === null || s === undefined || typeof s === 'boolean') return s ?? null;
  if (typeof s === 'number') return Number.isFinite(s) ? s : { n: String(s) };
  if (s instanceof Tensor) return { t: name(s) };
  if (Array.isArray(s)) return s.map((x) => encodeState(x, name));
  throw new TypeError(`saveModel: cannot save optimiser state of type ${describe(s)}`);
}
function forTensors(s: unknown, f: (t: Tensor) => void): void {
  if (s instanceof Tensor) f(s);
  else if (Array.isArray(s)) for (const x of s) forTensors(x, f);
}
