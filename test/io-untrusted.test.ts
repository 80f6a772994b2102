// Loading files from elsewhere (src/io.ts): a safetensors file is untrusted input. Each test
// builds a hostile or broken file by editing a real saved one, and checks that loadModel refuses it
// with a RangeError naming the problem, and that a refused load leaves the weights, the
// optimiser's state tensors and its hyper-parameters exactly as they were.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  init, seed, rand, memory, params, Chain, Dense, sigmoid, mse,
  Adam, Descent, RMSProp, ClipNorm, ClipGrad, ExpDecay, OptimiserChain, setup, trainStep, Tensor,
  saveModel, loadModel, namedTensors, encodeSafetensors, decodeSafetensors,
  type Rule, type StatefulOptimiser,
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

// ---- a small trained model and its optimiser ----

seed(7);
const DATA = Array.from({ length: 4 }, () => [rand(5, 6).keep(), rand(3, 6).keep()] as [Tensor, Tensor]);

function model(s: number) {
  seed(s);
  const m = Chain(Dense(5, 4, sigmoid), Dense(4, 3));
  return { m, loss: (x: Tensor, y: Tensor) => mse(m(x), y) };
}
function train(f: ReturnType<typeof model>, opt: StatefulOptimiser, steps: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < steps; i++) {
    const l = trainStep(f.loss, params(f.m), DATA[i % DATA.length], opt);
    out.push(l.dataSync()[0]); l.dispose();
  }
  return out;
}
/** A saved file for `make`'s optimiser after 3 steps, and a second model + optimiser with state of its own. */
async function pair(make: (m: unknown) => StatefulOptimiser) {
  const a = model(1), oa = make(a.m);
  train(a, oa, 3);
  const bytes = await saveModel(a.m, oa);
  const b = model(2), ob = make(b.m);
  train(b, ob, 2);
  return { bytes, b, ob };
}

// ---- "exactly as before" ----

type Snap = { weights: [string, number[]][]; state: [Tensor, unknown][]; rule: unknown; tensors: number };
function stateSnap(s: unknown): unknown {
  if (s instanceof Tensor) return { tensor: s, data: Array.from(s.dataSync()) };
  if (Array.isArray(s)) return s.map(stateSnap);
  return s;
}
function ruleSnap(r: Rule): unknown {
  const o: Record<string, unknown> = { proto: Object.getPrototypeOf(r) };
  for (const k of Object.getOwnPropertyNames(r)) {
    const v = (r as unknown as Record<string, unknown>)[k];
    o[k] = Array.isArray(v) ? v.map((x) => (x && typeof x === 'object' && 'init' in x ? ruleSnap(x as Rule) : x)) : v;
  }
  return o;
}
function snap(m: unknown, opt: StatefulOptimiser): Snap {
  return {
    weights: namedTensors(m).map(([k, t]) => [k, Array.from(t.dataSync())]),
    state: [...opt.state].map(([p, s]) => [p, stateSnap(s)]),
    rule: ruleSnap(opt.rule),
    tensors: memory().tensors,
  };
}
function sameSnap(after: Snap, before: Snap, what: string) {
  assert.equal(after.weights, before.weights, `${what}: weights unchanged`);
  assert.is(after.state.length, before.state.length, `${what}: same state entries`);
  after.state.forEach(([p, s], i) => {
    assert.is(p, before.state[i][0], `${what}: state keyed by the same parameter`);
    const walk = (x: any, y: any) => {
      if (y && typeof y === 'object' && 'tensor' in y) { assert.is(x.tensor, y.tensor, `${what}: same state tensor object`); assert.equal(x.data, y.data); }
      else if (Array.isArray(y)) { assert.is(x.length, y.length); y.forEach((v, j) => walk(x[j], v)); }
      else assert.is(x, y, `${what}: same state number`);
    };
    walk(s, before.state[i][1]);
  });
  assert.equal(after.rule, before.rule, `${what}: hyper-parameters and prototype unchanged`);
  assert.is(after.tensors, before.tensors, `${what}: no tensor leaked`);
}
/** Loads `bad` into b/ob, expecting a RangeError matching `re` and no change at all. */
function refused(b: { m: unknown }, ob: StatefulOptimiser, bad: Uint8Array, re: RegExp, what: string) {
  const before = snap(b.m, ob);
  let err: unknown = null;
  try { loadModel(b.m, bad, ob); } catch (e) { err = e; }
  assert.instance(err, RangeError, `${what}: a RangeError, got ${err}`);
  assert.match((err as Error).message, /^loadModel: /, `${what}: names the function`);
  assert.match((err as Error).message, re, `${what}: says what is wrong`);
  sameSnap(snap(b.m, ob), before, what);
}

// ---- hyper-parameters ----

test('a __proto__ key in the saved rule does not replace the rule object\'s prototype', async () => {
  const { bytes, b, ob } = await pair((m) => setup(OptimiserChain(ClipGrad(1), Adam(0.01)), m));
  const proto = Object.getPrototypeOf(ob.rule), adamProto = Object.getPrototypeOf((ob.rule as any).rules[1]);
  const evil = editOptText(bytes, (raw) => raw
    .replace('{"name":"OptimiserChain"', '{"name":"OptimiserChain","__proto__":{"init":1,"apply":2}')
    .replace('{"name":"Adam"', '{"name":"Adam","__proto__":{"eta":5}'));
  assert.match(split(evil).header.__metadata__['fluxion.optimiser'], /"__proto__":\{"eta":5\}/, 'the file really carries the key');
  loadModel(b.m, evil, ob);
  assert.is(Object.getPrototypeOf(ob.rule), proto, 'chain prototype kept');
  assert.is(Object.getPrototypeOf((ob.rule as any).rules[1]), adamProto, 'child prototype kept');
  assert.is(Object.getOwnPropertyNames(ob.rule).includes('__proto__'), false);
  assert.is((ob.rule as any).rules[1].eta, 0.01, 'the saved eta, not the one in the injected prototype');
  // And it still trains (init and apply are the real methods).
  const losses = train(b, ob, 2);
  assert.ok(losses.every(Number.isFinite));
});

test('hyper-parameters the constructors reject are refused, through the constructors\' own checks', async () => {
  const { bytes, b, ob } = await pair((m) => setup(Adam(0.01), m));
  refused(b, ob, editOpt(bytes, (o) => { o.rule.beta = [2, -1]; }), /Adam: beta must be a pair of numbers in \[0, 1\), got \[2, -1\]/, 'beta [2, -1]');
  refused(b, ob, editOptText(bytes, (raw) => raw.replace(/"eta":[^,}]+/, '"eta":1e999')), /Adam: eta must be ≥ 0, got Infinity/, 'eta 1e999 (parses as Infinity)');
  refused(b, ob, editOpt(bytes, (o) => { o.rule.epsilon = -1; }), /Adam: epsilon must be ≥ 0, got -1/, 'epsilon -1');
  refused(b, ob, editOpt(bytes, (o) => { o.rule.beta = [0.9]; }), /Adam: beta must be a pair/, 'beta of one number');
  refused(b, ob, editOpt(bytes, (o) => { o.rule.eta = '0.01'; }), /Adam\.eta .*"0\.01"/, 'eta as a string');
  refused(b, ob, editOpt(bytes, (o) => { o.rule.eta = { n: 'NaN' }; }), /Adam: eta must be ≥ 0, got NaN/, 'eta NaN');
  // A large but finite eta is what Adam accepts, so the load accepts it too.
  loadModel(b.m, editOpt(bytes, (o) => { o.rule.eta = 1e30; }), ob);
  assert.is((ob.rule as any).eta, 1e30);
});

test('each rule inside a chain is checked by its own constructor', async () => {
  const { bytes, b, ob } = await pair((m) => setup(OptimiserChain(ClipNorm(1), ExpDecay(0.2, 0.5, 3), Adam()), m));
  refused(b, ob, editOpt(bytes, (o) => { o.rule.rules[1].decay_step = 0; }), /ExpDecay: decay_step must be an integer ≥ 1, got 0/, 'ExpDecay decay_step 0');
  refused(b, ob, editOpt(bytes, (o) => { o.rule.rules[0].p = -1; }), /ClipNorm: p must be > 0/, 'ClipNorm p -1');
  refused(b, ob, editOpt(bytes, (o) => { o.rule.rules[2].beta = [2, -1]; }), /Adam: beta must be a pair/, 'Adam in a chain');
  refused(b, ob, editOpt(bytes, (o) => { o.rule.rules[0].throw = 1; }), /ClipNorm\.throw/, 'a boolean as a number');
  refused(b, ob, editOpt(bytes, (o) => { o.rule.rules = o.rule.rules.slice(1); }), /a chain of 2 rules, but the chain given has 3/, 'a shorter chain');
  refused(b, ob, editOpt(bytes, (o) => { o.rule.rules = 'abc'; }), /OptimiserChain\.rules/, 'rules not a list');
});

test('an infinite hyper-parameter survives save → load (JSON has no Infinity)', async () => {
  const { bytes, b, ob } = await pair((m) => setup(OptimiserChain(ClipNorm(Infinity, Infinity), Descent(0.1)), m));
  (ob.rule as any).rules[0].omega = 3;            // would be replaced by the saved one
  loadModel(b.m, bytes, ob);
  assert.is((ob.rule as any).rules[0].omega, Infinity);
  assert.is((ob.rule as any).rules[0].p, Infinity);
});

test('a rule from outside fluxion: its constructor is never called with file data, the kinds are still checked', async () => {
  let made = 0;
  // A user rule with a positional constructor that would reject an options object.
  class Scaled implements Rule<null> {
    eta: number; clip: number[];
    constructor(eta: number) { if (typeof eta !== 'number') throw new TypeError('Scaled: eta'); made++; this.eta = eta; this.clip = [-1, 1]; }
    init() { return null; }
    apply(s: null, _x: Tensor, g: Tensor): [null, Tensor] { return [s, g.mul(this.eta)]; }
  }
  const { bytes, b, ob } = await pair((m) => setup(new Scaled(0.05), m));
  (ob.rule as any).eta = 0.5;
  const count = made;
  loadModel(b.m, editOptText(bytes, (raw) => raw.replace('{"name":"Scaled"', '{"name":"Scaled","__proto__":{"eta":9}')), ob);
  assert.is(made, count, 'no Scaled was constructed');
  assert.is((ob.rule as any).eta, 0.05);
  assert.instance(ob.rule, Scaled);
  refused(b, ob, editOpt(bytes, (o) => { o.rule.eta = [1]; }), /Scaled\.eta is \[1\], where the optimiser has a number/, 'a list for a number');
  refused(b, ob, editOpt(bytes, (o) => { o.rule.clip = [1, 2, 3]; }), /Scaled\.clip is \[1,2,3\], where the optimiser has a list of 2 numbers/, 'a longer list');
});

test('a model tensor that was disposed: refused before anything is written', async () => {
  const { bytes, b, ob } = await pair((m) => setup(Adam(0.01), m));
  const ps = [...params(b.m)];
  const first = Array.from(ps[0].dataSync());
  ps[1].dispose();
  assert.throws(() => loadModel(b.m, bytes, ob), /loadModel: the model's layers\.0\.bias \[4\] was disposed/);
  assert.equal(Array.from(ps[0].dataSync()), first, 'the weight before it was not overwritten');
});

// ---- state ----

test('state entries of the wrong kind, shape or count are refused', async () => {
  const { bytes, b, ob } = await pair((m) => setup(Adam(0.01), m));
  const W = 'layers.0.weight';
  refused(b, ob, editOpt(bytes, (o) => { o.state[W][0] = 0; }), /layers\.0\.weight.*\[0\].*tensor \[4,5\].*got 0/, 'a number where a tensor is');
  refused(b, ob, editOpt(bytes, (o) => { o.state[W][2] = o.state[W][0]; }), /layers\.0\.weight.*\[2\].*number/, 'a tensor where a number is');
  refused(b, ob, editOpt(bytes, (o) => { o.state[W].pop(); }), /layers\.0\.weight.*4 entries.*got a list of 3/, 'a missing entry');
  refused(b, ob, editOpt(bytes, (o) => { o.state[W].push(1); }), /layers\.0\.weight.*4 entries.*got a list of 5/, 'an extra entry');
  refused(b, ob, editOpt(bytes, (o) => { o.state[W] = 0; }), /layers\.0\.weight.*4 entries.*got 0/, 'a number for the whole state');
  refused(b, ob, editOpt(bytes, (o) => { o.state[W][2] = { n: 'abc' }; }), /layers\.0\.weight.*\[2\]/, 'a number that is not one');
  refused(b, ob, editOpt(bytes, (o) => { Object.defineProperty(o.state, '__proto__', { value: o.state[W], enumerable: true }); }), /__proto__.*not in the model/, 'state for __proto__');
  // Same byte count, other shape.
  const reshaped = editHeader(bytes, (h) => { h[`optimiser.${W}.0`].shape = [20]; });
  refused(b, ob, reshaped, /optimiser\.layers\.0\.weight\.0 has shape \[20\].*\[4,5\]/, 'a state tensor of another shape');
  // A state tensor the state does not refer to.
  const { tensors, metadata } = decodeSafetensors(bytes);
  const extra = encodeSafetensors([...tensors, [`optimiser.${W}.9`, { shape: [1], data: new Float32Array(1) }]], metadata);
  refused(b, ob, extra, /optimiser\.layers\.0\.weight\.9.*not part of the optimiser state/, 'an unreferenced state tensor');
});

test('the state is checked against what the restored rule itself would make (RMSProp centred)', async () => {
  // A centred RMSProp keeps a second tensor; loading its file into an uncentred one switches the
  // rule to centred and brings the tensor along: legitimate, and still exactly checked.
  const a = model(1), oa = setup(RMSProp({ centred: true }), a.m);
  train(a, oa, 2);
  const bytes = await saveModel(a.m, oa);
  const b = model(2), ob = setup(RMSProp(), b.m);
  train(b, ob, 1);
  refused(b, ob, editOpt(bytes, (o) => { o.state['layers.0.weight'][1] = null; }), /\[1\].*tensor/, 'centred without its tensor');
  loadModel(b.m, bytes, ob);
  assert.is((ob.rule as any).centred, true);
  const after = [...ob.state.values()][0] as Tensor[];
  assert.instance(after[1], Tensor);
});

// ---- malformed metadata ----

test('optimiser metadata that is not JSON, or not the expected shape, gives a RangeError', async () => {
  const { bytes, b, ob } = await pair((m) => setup(Adam(0.01), m));
  refused(b, ob, editOptText(bytes, () => '{"rule": '), /optimiser metadata.*not JSON/, 'truncated JSON');
  refused(b, ob, editOptText(bytes, () => 'null'), /optimiser metadata/, 'null');
  refused(b, ob, editOptText(bytes, () => '[1, 2]'), /optimiser metadata/, 'an array');
  refused(b, ob, editOpt(bytes, (o) => { o.rule = 5; }), /rule/, 'rule a number');
  refused(b, ob, editOpt(bytes, (o) => { o.rule.name = 7; }), /rule/, 'name a number');
  refused(b, ob, editOpt(bytes, (o) => { o.state = [1]; }), /state/, 'state an array');
  refused(b, ob, editOpt(bytes, (o) => { o.state['layers.0.weight'][0] = { t: 5 }; }), /layers\.0\.weight/, 'tensor name a number');
});

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

test('a refused load of an untrusted file leaves everything as it was; a good one still loads', async () => {
  const { bytes, b, ob } = await pair((m) => setup(Adam(0.01), m));
  // Both a bad hyper-parameter and a bad state; weights are fine: nothing at all may change.
  refused(b, ob, editOpt(bytes, (o) => { o.rule.beta = [0.9, 1]; }), /beta/, 'beta₂ = 1');
  loadModel(b.m, bytes, ob);
  assert.is((ob.rule as any).eta, 0.01);
  assert.ok(train(b, ob, 2).every(Number.isFinite));
});

test.run();
