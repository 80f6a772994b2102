// train's loop as a user meets it: it yields to the event loop while it trains (whatever queued
// before it runs before it resolves; the results do not change), `epochs`, and `progress` (a bar
// on a terminal stream, a function for a page; nothing printed unless asked). No test here reads
// a clock: the yields are shown by what runs, not by how long anything took.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  init, seed, rand, Descent, Adam, train, trainStep, stop, skip, repeated,
  DataLoader, Tensor, type TrainProgress,
} from '../src/index.ts';
import { trainLoop, NONE } from '../src/train/train.ts';

import { fixture, snap } from './_helpers/train.ts';

await init({ gpu: false });

const msg = (p: Promise<unknown>) => p.then(() => '', (e: Error) => e.message);
/** The losses trainStep gives over `epochs` passes of the fixture's data: what train reports. */
function stepLosses(epochs: number, rule = () => Descent(0.5)) {
  const b = fixture(), opt = rule(), out: number[] = [];
  for (let e = 0; e < epochs; e++) for (const it of b.data) { const l = trainStep(b.loss, b.ps, it, opt); out.push(l.dataSync()[0]); }
  return out;
}
const fmt = (l: number) => String(Number(l.toPrecision(4)));
/** A stream that records what is written. */
const recorder = (isTTY: boolean, columns = 200) => { const out: string[] = []; return { out, s: { isTTY, columns, write: (t: string) => { out.push(t); } } }; };
/** What a terminal shows: each line's text after its last carriage return, escapes removed. */
const screen = (out: string[]) => out.join('').split('\n').map((l) => l.slice(l.lastIndexOf('\r') + 1).replace(/\x1b\[K/g, '')).filter((l) => l);

test('train yields while it trains: an immediate, a timer and a message queued before it run before it resolves', async () => {
  const { loss, ps } = fixture();
  const x = rand(4, 3).keep(), y = rand(2, 3).keep();
  const seen = { immediate: false, timer: false, message: false };
  setImmediate(() => { seen.immediate = true; });
  setTimeout(() => { seen.timer = true; }, 0);
  const ch = new MessageChannel();
  ch.port1.onmessage = () => { seen.message = true; ch.port1.close(); };
  ch.port2.postMessage(0);
  // Only a yield lets them in, and train ends only when all three have run: a loop that never
  // yields would run every one of the 200,000 items and fail.
  const s = await train(loss, ps, repeated([x, y], 200_000), Descent(0.01), { cb: () => { if (seen.immediate && seen.timer && seen.message) stop(); } });
  assert.ok(s.stopped, `stopped by the callback after ${s.steps} steps`);
  assert.ok(s.steps < 200_000);
});

test('the yield is chosen per call: setImmediate where it exists, else a MessageChannel, never scheduler.yield', async () => {
  const g = globalThis as { scheduler?: unknown; setImmediate?: unknown };
  const { loss, ps } = fixture();
  const x = rand(4, 3).keep(), y = rand(2, 3).keep();
  // A page's scheduler.yield would resume train ahead of the page's queued tasks; it is not used.
  let yields = 0, fired = 0;
  g.scheduler = { yield: () => { yields++; return Promise.resolve(); } };
  try {
    setImmediate(() => { fired++; });
    const s = await train(loss, ps, repeated([x, y], 200_000), Descent(0.01), { cb: () => { if (fired === 1) stop(); } });
    assert.ok(s.stopped, 'an immediate got in');
    // No setImmediate (a browser page or worker): a MessageChannel, closed when train returns (an
    // open port would keep this process alive after the tests).
    const si = g.setImmediate;
    setTimeout(() => { fired++; }, 0);
    g.setImmediate = undefined;
    try {
      const s2 = await train(loss, ps, repeated([x, y], 200_000), Descent(0.01), { cb: () => { if (fired === 2) stop(); } });
      assert.ok(s2.stopped, 'a timer got in');
    } finally { g.setImmediate = si; }
    assert.is(yields, 0, 'scheduler.yield was not called');
  } finally { delete g.scheduler; }
});

test('yielding changes nothing: the same parameters bit-for-bit yielding before every item or never', async () => {
  const run = async (sliceMs: number) => {
    const f = fixture(8, 2);
    const X = rand(4, 40).keep(), Y = rand(2, 40).keep();
    let ticks = 0, on = true;
    const tick = () => { ticks++; if (on) setImmediate(tick); };
    setImmediate(tick);
    const s = await trainLoop(f.loss, f.ps, DataLoader([X, Y], { batchsize: 7, shuffle: true }), Adam(0.05), NONE, [], null, { sliceMs, epochs: 3 });
    on = false;
    return { w: snap(f.m), ticks, steps: s.steps };
  };
  const every = await run(0), never = await run(Infinity);
  assert.is(every.steps, 18);
  assert.ok(every.ticks >= every.steps / 2, `the event loop turned ${every.ticks} times during ${every.steps} steps`);
  assert.equal(every.w, never.w);
});

test('epochs: passes over the data, the same as calling train that many times; an iterator is refused', async () => {
  const a = fixture(), b = fixture();
  const X = rand(4, 30).keep(), Y = rand(2, 30).keep();
  seed(5);
  const s = await train(a.loss, a.ps, DataLoader([X, Y], { batchsize: 4, shuffle: true }), Adam(0.02), { epochs: 3 });
  seed(5);
  const optB = Adam(0.02), dl = DataLoader([X, Y], { batchsize: 4, shuffle: true });
  for (let e = 0; e < 3; e++) await train(b.loss, b.ps, dl, optB);
  assert.is(s.steps, 3 * 8);
  assert.equal(snap(a.m), snap(b.m));
  assert.is(await msg(train(a.loss, a.ps, repeated(a.data[0], 3), Descent(0.1), { epochs: 2 })),
    'train: epochs is 2 but data is an iterator (a generator such as repeated(...)), which runs once; pass data that can be ' +
    'iterated again: an array, zip(...) of arrays, a DataLoader');
  assert.is(await msg(train(a.loss, a.ps, a.data, Descent(0.1), { epochs: 0 })), 'train: epochs must be an integer ≥ 1, got 0');
  assert.is(await msg(train(a.loss, a.ps, a.data, Descent(0.1), { epochs: 1.5 })), 'train: epochs must be an integer ≥ 1, got 1.5');
});

test('progress: a function gets epoch, epochs, step, total and each update\'s loss', async () => {
  const a = fixture();
  const got: TrainProgress[] = [];
  const s = await train(a.loss, a.ps, a.data, Descent(0.5), { epochs: 2, progress: (p) => { got.push(p); } });
  assert.equal(got.map((p) => [p.epoch, p.epochs, p.step, p.total]),
    [1, 2].flatMap((e) => [1, 2, 3, 4, 5, 6].map((i) => [e, 2, i, 6])));
  assert.equal(got.map((p) => p.loss), stepLosses(2));
  assert.is(s.loss, got[got.length - 1].loss);
  // a skipped item gets no call; step stays the item's place; a generator has no total
  const b = fixture(), steps: [number, number | null][] = [];
  let k = 0;
  await train((x: Tensor, y: Tensor) => { if (k++ === 1) skip(); return b.loss(x, y); }, b.ps, repeated(b.data[0], 4), Descent(0.5),
    { progress: (p) => { steps.push([p.step, p.total]); } });
  assert.equal(steps, [[1, null], [3, null], [4, null]]);
});

test('progress on a terminal: one bar per epoch redrawn in place, with the loss; ended when train ends', async () => {
  const want = stepLosses(2);
  const a = fixture(), { out, s } = recorder(true);
  await train(a.loss, a.ps, a.data, Descent(0.5), { epochs: 2, progress: s });
  assert.ok(out.some((t) => t.startsWith('\r')), 'drawn in place');
  assert.equal(screen(out), [
    `[########################] 6/6  epoch 1/2  loss ${fmt(want[5])}`,
    `[########################] 6/6  epoch 2/2  loss ${fmt(want[11])}`,
  ]);
  assert.ok(out.join('').endsWith('\n'));
  // stopped half way: the line shows where it stopped and is ended
  const b = fixture(), r = recorder(true);
  let n = 0;
  await train(b.loss, b.ps, b.data, Descent(0.5), { progress: r.s, cb: () => { if (++n === 3) stop(); } });
  assert.equal(screen(r.out), [`[############------------] 3/6  loss ${fmt(want[2])}`]);
  assert.ok(r.out.join('').endsWith('\n'));
  // unknown length: the count without a bar; a narrow terminal cuts the line
  const c = fixture(), t = recorder(true, 12), d = fixture();
  let l5 = NaN;
  for (let i = 0; i < 5; i++) l5 = trainStep(d.loss, d.ps, d.data[0], Descent(0.5)).dataSync()[0];
  await train(c.loss, c.ps, repeated(c.data[0], 5), Descent(0.5), { progress: t.s });
  assert.equal(screen(t.out), [`5  loss ${fmt(l5)}`.slice(0, 11)]);
});

test('progress on a log (not a terminal): plain lines, the last of each epoch at its end', async () => {
  const want = stepLosses(2);
  const a = fixture(), { out, s } = recorder(false);
  await train(a.loss, a.ps, a.data, Descent(0.5), { epochs: 2, progress: s });
  assert.ok(out.every((t) => t.endsWith('\n') && !t.includes('\r')));
  // a line every 2 s while it runs (none in a run this short, unless the machine stalls)
  assert.equal(out.filter((t) => t.includes(' 6/6 ')), [
    `[########################] 6/6  epoch 1/2  loss ${fmt(want[5])}\n`,
    `[########################] 6/6  epoch 2/2  loss ${fmt(want[11])}\n`,
  ]);
});

test('progress: true draws on stderr; nothing is printed unless asked; a bad value is refused', async () => {
  const a = fixture();
  const written = { stdout: '', stderr: '' };
  const ow = process.stdout.write, ew = process.stderr.write;
  const capture = async (f: () => Promise<unknown>) => {
    written.stdout = ''; written.stderr = '';
    process.stdout.write = ((t: string) => { written.stdout += t; return true; }) as typeof ow;
    process.stderr.write = ((t: string) => { written.stderr += t; return true; }) as typeof ew;
    try { await f(); } finally { process.stdout.write = ow; process.stderr.write = ew; }
  };
  await capture(() => train(a.loss, a.ps, a.data, Descent(0.5)));
  assert.equal(written, { stdout: '', stderr: '' }, 'silent by default');
  await capture(() => train(a.loss, a.ps, a.data, Descent(0.5), { progress: false, epochs: 2 }));
  assert.equal(written, { stdout: '', stderr: '' }, 'silent with progress: false');
  await capture(() => train(a.loss, a.ps, a.data, Descent(0.5), { progress: true }));
  assert.is(written.stdout, '');
  assert.match(written.stderr, /\[#+\] 6\/6  loss [0-9.e-]+/);
  assert.is(await msg(train(a.loss, a.ps, a.data, Descent(0.5), { progress: 3 as never })),
    'train: progress must be true, a function (p) => ... or a stream with write(), got 3');
  assert.is(await msg(train(a.loss, a.ps, a.data, Descent(0.5), { progress: {} as never })),
    'train: progress must be true, a function (p) => ... or a stream with write(), got an object');
});

test.run();
