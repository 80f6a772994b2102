// Scopes and concurrency (issue 10, item 1): a scope owns only what its own synchronous code
// created, and train never holds one open across an await. So tensors that other code creates
// while a scope or a training is pending (a UI prediction, another model's step, a second train)
// are never freed by it, and two models trained at the same time end with exactly the weights
// each gets when trained alone. Also trainStep's returned loss: valid until the next trainStep
// on the same parameters, unless kept (a manual loop that ignores it leaks nothing).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  init, tensor, rand, seed, scope, train, trainStep, Chain, Dense, sigmoid, mse, params, Descent, Adam,
  DataLoader, repeated, memory, withPolicy, Tensor, relu, gradient, sum,
} from '../src/index.ts';
import { runtime } from '../src/runtime.ts';
import v8 from 'node:v8';
import vm from 'node:vm';

await init({ gpu: false });
v8.setFlagsFromString('--expose-gc');
const gc: () => void = vm.runInNewContext('gc');
/**
 * Collects what earlier tests dropped, so the FinalizationRegistry does not free it during a
 * test that counts live tensors across awaits.
 */
async function settle() { for (let i = 0; i < 3; i++) { gc(); await new Promise((r) => setTimeout(r, 0)); } }

/** Lets every other pending task run (timers included), so concurrent code interleaves. */
const tick = () => new Promise<void>((r) => setTimeout(r, 0));

test('an async scope frees what it created before its first await, and nothing another task created meanwhile', async () => {
  await settle();
  const before = memory().tensors;
  let mine: Tensor | null = null, late: Tensor | null = null;
  const p = scope(async () => {
    mine = tensor([1, 2]);
    await tick();
    late = tensor([3]);                          // after an await: belongs to no scope
    return 7;
  });
  const other = tensor([4, 5, 6]);               // other code, while the scope is pending
  const later = new Promise<Tensor>((r) => setTimeout(() => r(tensor([7])), 0));
  assert.is(await p, 7);
  const fromTimer = await later;
  assert.ok(mine!.disposed, 'what the scope made synchronously is freed');
  assert.not.ok(other.disposed, 'a tensor made by other code while the scope was pending survives');
  assert.not.ok(fromTimer.disposed, 'a tensor made in a timer while the scope was pending survives');
  assert.not.ok(late!.disposed, 'a tensor made after the await is not the scope\'s');
  assert.equal(Array.from(other.dataSync()), [4, 5, 6]);
  for (const t of [other, fromTimer, late!]) t.dispose();
  assert.is(memory().tensors, before);
});

test('overlapping async scopes never free each other\'s tensors', async () => {
  await settle();
  const before = memory().tensors;
  const task = (k: number) => scope(async () => {
    let acc = 0;
    for (let i = 0; i < 10 * (4 - k); i++) {     // the last started (innermost) ends first
      const t = tensor([k, i]);                  // made after an await from i = 1 on
      await tick();
      acc += t.dataSync()[0] + t.dataSync()[1]; // still valid after the other tasks ran
      t.dispose();
    }
    return acc;
  });
  const got = await Promise.all([task(1), task(2), task(3)]);
  assert.equal(got, [30 + 435, 40 + 190, 30 + 45]);
  assert.is(memory().tensors, before);
});

test('an async scope started inside a scope hands its result to it if that scope is still running', async () => {
  await settle();
  const before = memory().tensors;
  let inner: Promise<Tensor> | null = null, made: Tensor | null = null;
  const outer = scope(async () => {
    inner = scope(async () => { made = tensor([1]); const r = tensor([2]); await tick(); return r; });
    const r = await inner;
    assert.not.ok(r.disposed, 'the inner result survives the inner scope');
    return 0;
  });
  await outer;
  assert.ok(made!.disposed);
  assert.ok((await inner!).disposed, 'the outer scope freed the inner result it did not return');
  assert.is(memory().tensors, before);
  // Settling after every enclosing scope ended: the result belongs to no scope
  let slow: Promise<Tensor> | null = null;
  scope(() => { slow = scope(async () => { const r = tensor([3]); await tick(); return r; }); });
  const r = await slow!;
  assert.not.ok(r.disposed);
  r.dispose();
  assert.is(memory().tensors, before);
});

test('train with an async callback leaves tensors made by other code alone', async () => {
  seed(2);
  const m = Chain(Dense(4, 2));
  const x = rand(4, 8).keep(), y = rand(2, 8).keep();
  const made: Tensor[] = [];
  let stopTimer = false;
  const ui = () => { if (stopTimer) return; made.push(m(x)); setTimeout(ui, 0); };   // a UI predicting
  setTimeout(ui, 0);
  await train((a: Tensor, b: Tensor) => mse(m(a), b), params(m), repeated([x, y], 30), Descent(0.1), {
    cb: async () => { const p = m(x); await tick(); p.dataSync(); },
  });
  stopTimer = true;
  assert.ok(made.length > 5, `the UI ran during training (${made.length} predictions)`);
  assert.ok(made.every((t) => !t.disposed), 'no prediction made during training was freed by it');
  for (const t of made) t.dispose();
  x.dispose(); y.dispose();
});

test('train with async data leaves tensors made by other code alone', async () => {
  seed(3);
  const m = Chain(Dense(4, 2));
  const x = rand(4, 8).keep(), y = rand(2, 8).keep();
  const data = { async *[Symbol.asyncIterator]() { for (let i = 0; i < 20; i++) { await tick(); yield [x, y]; } } };
  const made: Tensor[] = [];
  let stopTimer = false;
  const ui = () => { if (stopTimer) return; made.push(rand(3)); setTimeout(ui, 0); };
  setTimeout(ui, 0);
  const sum = await train((a: Tensor, b: Tensor) => mse(m(a), b), params(m), data, Descent(0.1));
  stopTimer = true;
  assert.is(sum.steps, 20);
  assert.ok(made.length > 5, `the other task ran during training (${made.length} tensors)`);
  assert.ok(made.every((t) => !t.disposed), 'no tensor made by the other task was freed');
  for (const t of made) t.dispose();
  x.dispose(); y.dispose();
});

test('train frees the tensors an async iterator made for each item, and only those', async () => {
  seed(4);
  const m = Chain(Dense(4, 2));
  const shared = rand(2, 8).keep();
  const data = { async *[Symbol.asyncIterator]() {
    for (let i = 0; i < 20; i++) { await tick(); yield [rand(4, 8), shared]; }       // a fresh x per item
  } };
  const made: Tensor[] = [];
  let stopTimer = false;
  const ui = () => { if (stopTimer) return; made.push(rand(3)); setTimeout(ui, 0); };
  await settle();
  setTimeout(ui, 0);
  const before = memory().tensors;
  await train((a: Tensor, b: Tensor) => mse(m(a), b), params(m), data, Descent(0.1));
  stopTimer = true;
  assert.is(memory().tensors - made.length, before, 'every x was freed with its step');
  assert.ok(made.every((t) => !t.disposed) && !shared.disposed, 'tensors the items did not bring in survive');
  for (const t of made) t.dispose();
  shared.dispose();
});

/** Two models and their data, made the same way every call (seeded). */
function models() {
  seed(11);
  const A = Chain(Dense(4, 6, sigmoid), Dense(6, 2)), B = Chain(Dense(3, 5, sigmoid), Dense(5, 1));
  const XA = rand(4, 40).keep(), YA = rand(2, 40).keep(), XB = rand(3, 30).keep(), YB = rand(1, 30).keep();
  return { A, B, XA, YA, XB, YB, free: () => { for (const t of [XA, YA, XB, YB]) t.dispose(); } };
}
const weights = async (m: unknown) => Promise.all([...params(m)].map(async (p) => Array.from(await p.data())));

/**
 * Trains `m` for 3 epochs of a DataLoader with a callback that yields and makes tensors, holding
 * one across `hold` more yields (the two models differ, so one's callbacks outlast the other's).
 */
async function fit(m: (x: Tensor) => Tensor, X: Tensor, Y: Tensor, opt: unknown, asyncData: boolean, hold: number) {
  const probe = X;
  const cb = async () => {
    const p = m(probe);                          // before the await: the callback's scope owns it
    await tick();
    const q = m(probe);                          // after: belongs to no scope; used after more yields
    for (let i = 0; i < hold; i++) await tick();
    p.dataSync(); q.dataSync();
    q.dispose();
  };
  for (let e = 0; e < 3; e++) {
    const dl = DataLoader([X, Y], { batchsize: 8 });
    // An async-only iterable makes train await each item (the path real async data takes).
    const data = asyncData ? { [Symbol.asyncIterator]: () => dl[Symbol.asyncIterator]() } : dl;
    await train((x: Tensor, y: Tensor) => mse(m(x), y), params(m), data, opt as never, { cb });
  }
}

test('two models trained concurrently end with the same weights, bit for bit, as each trained alone', async () => {
  for (const asyncData of [false, true]) {
    const alone = models();
    const w0 = await weights(alone.A);
    await fit(alone.A, alone.XA, alone.YA, Adam(0.01), asyncData, 1);
    await fit(alone.B, alone.XB, alone.YB, Descent(0.2), !asyncData, 3);
    const wA = await weights(alone.A), wB = await weights(alone.B);
    alone.free();

    const both = models();
    await Promise.all([
      fit(both.A, both.XA, both.YA, Adam(0.01), asyncData, 1),
      fit(both.B, both.XB, both.YB, Descent(0.2), !asyncData, 3),
    ]);
    assert.equal(await weights(both.A), wA, `model A (async data: ${asyncData})`);
    assert.equal(await weights(both.B), wB, `model B (async data: ${!asyncData})`);
    assert.not.equal(wA, w0, 'training changed the weights');
    both.free();
  }
});

test('trainStep: the loss is valid until the next trainStep on the same parameters, unless kept', () => {
  seed(5);
  const a = Chain(Dense(4, 2)), b = Chain(Dense(4, 2));
  const x = rand(4, 3).keep(), y = rand(2, 3).keep();
  const la = (u: Tensor, v: Tensor) => mse(a(u), v), lb = (u: Tensor, v: Tensor) => mse(b(u), v);
  const opt = Descent(0.1);
  const l1 = trainStep(la, params(a), [x, y], opt);
  const m1 = trainStep(lb, params(b), [x, y], opt);
  assert.not.ok(l1.disposed, 'another model\'s step leaves this loss alone');
  const v1 = l1.dataSync()[0];
  const l2 = trainStep(la, a, [x, y], opt);      // same parameters, passed as the model
  assert.ok(l1.disposed, 'the next step on the same parameters frees the previous loss');
  assert.ok(l2.dataSync()[0] < v1);
  const kept = trainStep(la, params(a), [x, y], opt).keep();
  trainStep(la, params(a), [x, y], opt);
  assert.not.ok(kept.disposed, 'a kept loss survives');
  kept.dispose();
  const before = memory().tensors;
  for (let i = 0; i < 50; i++) trainStep(la, params(a), [x, y], opt);
  assert.is(memory().tensors, before, 'a loop that ignores the loss leaks nothing');
  assert.not.ok(m1.disposed);
  x.dispose(); y.dispose();
});

test('scope keeps every tensor of a deep result (the gradient tree of nested Chains), and a cyclic result terminates', () => {
  seed(3);
  const m = Chain(Chain(Chain(Dense(3, 2, relu))), Dense(2, 1));
  const x = rand(3, 4).keep();
  const g = scope(() => gradient((mm: typeof m) => sum(mm(x)), m)[0]) as any;
  const deep = g.layers[0].layers[0].layers[0].weight as Tensor;
  assert.ok(deep instanceof Tensor && !deep.disposed, 'the innermost layer\'s gradient survives the scope');
  const cyc: any = { t: null }; cyc.self = cyc;
  const kept = scope(() => { cyc.t = rand(2); return cyc; });
  assert.ok(!kept.t.disposed);
  kept.t.dispose(); deep.dispose(); x.dispose();
});

// Last: it starts WebGPU where an adapter exists, and the tests above read values synchronously.
test('on WebGPU: tensors made while a step awaits its loss readback are not the step\'s', async () => {
  await init();
  if (!runtime.gpu) { console.log('  no WebGPU adapter: skipped'); return; }
  await withPolicy('gpu', async () => {
    seed(2);
    const m = Chain(Dense(4, 2));
    const x = rand(4, 8).keep(), y = rand(2, 8).keep();
    const loss = (a: Tensor, b: Tensor) => mse(m(a), b);
    await train(loss, params(m), repeated([x, y], 1), Descent(0.1));    // warm-up: the first step caches a tensor
    const made: Tensor[] = [];
    let stopTimer = false;
    const ui = () => { if (stopTimer) return; made.push(rand(3)); setTimeout(ui, 0); };
    await settle();
    setTimeout(ui, 0);
    const before = memory().tensors;
    await train(loss, params(m), repeated([x, y], 20), Descent(0.1));
    stopTimer = true;
    assert.ok(made.length > 5, `the other task ran during training (${made.length} tensors)`);
    assert.ok(made.every((t) => !t.disposed), 'no tensor made during a readback was freed by the step');
    assert.is(memory().tensors - made.length, before, 'the steps freed their own tensors');
    for (const t of [...made, x, y]) t.dispose();
  });
});

test.run();
