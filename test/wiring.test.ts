// How the modules fit together: nothing the library keeps outlives a train/trainStep call (the
// model, loss, parameters, optimiser and data can be collected once it returns), and a trace()
// leaves no tracer behind.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import v8 from 'node:v8';
import vm from 'node:vm';
import {
  init, seed, rand, params, Chain, Dense, sigmoid, relu, mse, Adam, setup, train, trainStep, trace, matmul, Tensor,
  type Params, type Rule,
} from '../src/index.ts';
import { runtime } from '../src/runtime.ts';
import { registry } from '../src/ops/index.ts';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

v8.setFlagsFromString('--expose-gc');
const gc: () => void = vm.runInNewContext('gc');

await init({ gpu: false });

type Refs = Record<string, WeakRef<object>>;

/**
 * The names whose targets survive collection. deref() is called only at the end: under Node a
 * target that deref() returned stays alive for good after it (the kept-objects set is not
 * cleared between macrotasks), so looking earlier would keep what we test for.
 */
async function alive(refs: Refs): Promise<string[]> {
  // Several rounds with a macrotask between: finalizers and WeakRef clearing run between tasks,
  // and a loaded machine may need more than one round to drop everything.
  for (let i = 0; i < 10; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 0));
  }
  return Object.keys(refs).filter((k) => refs[k].deref() !== undefined);
}

/** A model, its loss, parameters, optimiser and one data item, trained by `run`; only WeakRefs come back. */
async function trained(run: (f: { m: (x: Tensor) => Tensor; loss: (...a: any[]) => Tensor; ps: Params; opt: Rule; item: Tensor[] }) => Promise<void>): Promise<Refs> {
  seed(3);
  const m = Chain(Dense(4, 5, sigmoid), Dense(5, 2));
  const loss = (x: Tensor, y: Tensor) => mse(m(x), y);
  const item = [rand(4, 3), rand(2, 3)];
  const ps = params(m), opt = Adam(0.01);
  await run({ m, loss, ps, opt, item });
  return { model: new WeakRef(m), loss: new WeakRef(loss), params: new WeakRef(ps), opt: new WeakRef(opt), item: new WeakRef(item) };
}

test('after trainStep returns, the library holds no model, loss, params, optimiser or data item', async () => {
  const refs = await trained(async ({ loss, ps, opt, item }) => { trainStep(loss, ps, item, opt as never).dispose(); });
  assert.equal(await alive(refs), []);
});

test('after train returns (every call form), the library holds none of its arguments', async () => {
  const a = await trained(async ({ loss, ps, opt, item }) => { await train(loss, ps, [item, item], opt); });
  assert.equal(await alive(a), [], 'train(loss, params, data, rule)');
  const b = await trained(async ({ m, ps, item }) => {
    const l = (model: (x: Tensor) => Tensor, x: Tensor, y: Tensor) => mse(model(x), y);
    await train(l, m, [item], setup(Adam(0.01), m as never));
    void ps;
  });
  assert.equal(await alive(b), [], 'train(loss, model, data, setup(rule, model))');
  const c = await trained(async ({ loss, ps, opt, item }) => {
    // a step that throws (the non-finite check) must not leave its inputs behind either
    const bad = (x: Tensor, y: Tensor) => loss(x, y).mul(NaN);
    await train(bad, ps, [item], opt).then(() => assert.unreachable('NaN loss trains'), (e) => assert.match(e.message, /Loss is NaN/));
  });
  assert.equal(await alive(c), [], 'a failed train');
});

test('trace() sets the tracer for its call only, and an enclosing trace sees nested ops', () => {
  const x = rand(3, 3);
  const outer = trace(() => {
    const inner = trace(() => relu(matmul(x, x)));
    assert.equal(inner.records.map((r) => r.op), ['matmul', 'unary']);
    return inner.result.sum();
  });
  assert.equal(outer.records.map((r) => r.op), ['matmul', 'unary', 'reduce']);
  assert.is(runtime.tracer, null);
  assert.throws(() => trace(() => { throw new Error('boom'); }), /boom/);
  assert.is(runtime.tracer, null, 'a throwing trace clears it too');
});

test('Tensor methods and t.view() inside gradient need no import-time setup', async () => {
  const { gradient } = await import('../src/autograd.ts');
  const w = rand(2, 2).keep();
  // view() of a tensor on the tape is recorded (the reshape's gradient reaches w)
  const g = gradient(() => w.view([4]).square().sum(), [w]);
  const gw = g.get(w)!.dataSync(), wv = w.dataSync();
  assert.equal(Array.from(gw).map((v) => +v.toFixed(5)), Array.from(wv).map((v) => +(2 * v).toFixed(5)));
});

test('the registry holds every op any module defines (defineOp registers nothing at import)', async () => {
  const src = fileURLToPath(new URL('../src/', import.meta.url));
  const files = (readdirSync(src, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts') && !f.endsWith('registry.ts'));
  let defined = 0;
  for (const f of files) {
    const n = (readFileSync(join(src, f), 'utf8').match(/\bdefineOp\s*[<(]/g) ?? []).length;
    if (!n) continue;
    const defs = Object.values(await import(pathToFileURL(join(src, f)).href)).filter((v) => [...registry.values()].includes(v as never));
    assert.is(defs.length, n, `${f}: ${n} defineOp calls, ${defs.length} exported defs in the registry (list the module in ops/index.ts)`);
    defined += n;
  }
  assert.is(registry.size, defined, 'no op is listed twice or under another name');
});

test.run();
