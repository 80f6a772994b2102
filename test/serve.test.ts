// serveTraining's loop is train's: stop() and skip() in the loss mean what they mean in train, a
// non-finite loss stops the run with train's error, maxSteps and cancel end a run with its
// weights. The protocol: runs asked for together go one at a time (cancel takes a queued one out,
// terminate rejects all); a duplicate, forged or stray id never settles someone else's run; a
// malformed message either way gets a clear error, never an exception. In this thread, over a
// MessageChannel or a fake port (worker.test.ts runs the real worker).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MessageChannel } from 'node:worker_threads';
import type { WorkerOptions } from '../src/worker/client.ts';
import {
  init, seed, rand, Chain, Dense, sigmoid, mse, Descent, setup, serveTraining, TrainingWorker, stop, skip, Tensor,
  type TrainingJob, type TrainingProgress, type TrainingResult,
} from '../src/index.ts';

await init({ gpu: false });

interface Cfg { n: number; maxSteps?: number; epochs?: number; bad?: number; skipOdd?: boolean; stopAt?: number; slow?: boolean; state?: boolean; throws?: unknown }

/** The job every test serves: a small model on `n` random items. */
function job(c: Cfg): TrainingJob {
  if (c && 'throws' in c) throw c.throws;
  seed(1);
  const m = Chain(Dense(3, 4, sigmoid), Dense(4, 1));
  const data = Array.from({ length: c.n }, () => [rand(3, 2).keep(), rand(1, 2).keep()]);
  let k = 0;
  const loss = (x: Tensor, y: Tensor) => {
    const i = k++;
    if (c.skipOdd && i % 2) skip();
    if (c.stopAt === i) stop();
    if (c.slow) { const t = performance.now(); while (performance.now() - t < 2); }
    const l = mse(m(x), y);
    return c.bad === i ? l.mul(NaN) : l;
  };
  return { model: m, loss, data, opt: c.state ? setup(Descent(0.1), m) : Descent(0.1), maxSteps: c.maxSteps,
    epochs: c.epochs, progressEvery: 0, yieldEvery: 0, traceEvery: 3 };
}

/** A worker in this thread: serveTraining on one end of a channel, TrainingWorker on the other. */
function serve(opts: WorkerOptions = {}) {
  const ch = new MessageChannel();
  const unserve = serveTraining<Cfg>(job, { port: ch.port1 as never });
  const tw = new TrainingWorker<Cfg>(ch.port2 as never, opts);
  return { tw, ch, close: () => { unserve(); ch.port1.close(); ch.port2.close(); } };
}

test('every item trains once per epoch; progress counts steps and samples; traced steps report placement', async () => {
  const { tw, close } = serve();
  const progress: TrainingProgress[] = [];
  const r = await tw.train({ n: 5, epochs: 2 }, { onProgress: (p) => progress.push(p) });
  close();
  assert.equal({ steps: r.steps, samples: r.samples, epochs: r.epochs, cancelled: r.cancelled }, { steps: 10, samples: 20, epochs: 2, cancelled: false });
  assert.ok(Number.isFinite(r.loss));
  assert.ok(progress.filter((p) => p.placement).length >= 3, 'steps 0, 3, 6, 9 are traced');
  assert.ok(progress.find((p) => p.placement)!.placement!.ops.some((o) => o.op === 'matmul' || o.op === 'dense'));
});

test('a non-finite loss stops the run with train\'s error', async () => {
  const { tw, close } = serve();
  const e = await tw.train({ n: 6, bad: 4 }).then(() => null, (err: Error) => err);
  close();
  assert.ok(e, 'the run failed');
  assert.match(e!.message, /train: Loss is NaN on data item 4 \(counting from 0\), stopping training/);
});

test('skip() in the loss skips that item (no update, not counted), as in train', async () => {
  const { tw, close } = serve();
  const r = await tw.train({ n: 6, skipOdd: true, state: true });
  close();
  assert.equal({ steps: r.steps, samples: r.samples, cancelled: r.cancelled }, { steps: 3, samples: 6, cancelled: false });
});

test('stop() in the loss ends the run cleanly with the weights reached', async () => {
  const { tw, close } = serve();
  const r = await tw.train({ n: 6, epochs: 3, stopAt: 2 });
  close();
  assert.equal({ steps: r.steps, epochs: r.epochs, cancelled: r.cancelled }, { steps: 2, epochs: 1, cancelled: false });
  assert.ok(r.weights.byteLength > 0);
});

test('maxSteps and cancel end a run early', async () => {
  const { tw, close } = serve();
  const r = await tw.train({ n: 5, epochs: 4, maxSteps: 7 });
  assert.equal({ steps: r.steps, epochs: r.epochs, cancelled: r.cancelled }, { steps: 7, epochs: 2, cancelled: false });
  const run = tw.train({ n: 50, epochs: 100, slow: true }, { onProgress: (p) => { if (p.step >= 3) run.cancel(); } });
  const c = await run;
  close();
  assert.is(c.cancelled, true);
  assert.ok(c.steps >= 3 && c.steps < 5000, `${c.steps} steps before the cancel took effect`);
});

const settled = <T>(p: PromiseLike<T>) => Promise.resolve(p).then((value) => ({ value, error: null as Error | null }), (error: Error) => ({ value: null as T | null, error }));

test('two runs asked for at once go one at a time: the second starts when the first has finished, both resolve', async () => {
  const { tw, close } = serve();
  const events: string[] = [];
  const a = tw.train({ n: 5, epochs: 2 }, { onProgress: (p) => events.push(`a${p.step}`) });
  const b = tw.train({ n: 3 }, { onProgress: (p) => events.push(`b${p.step}`) });
  a.result.then(() => events.push('a done'), () => events.push('a failed'));
  // Settled together so that a failure reads as one here rather than an unhandled rejection.
  const [ra, rb] = await Promise.all([settled(a), settled(b)]);
  close();
  assert.is(rb.error?.message, undefined, 'the second run was not refused');
  assert.equal([ra.value!.steps, rb.value!.steps], [10, 3]);
  const firstB = events.findIndex((e) => e.startsWith('b'));
  assert.ok(firstB > events.indexOf('a done') && events.indexOf('a done') > events.lastIndexOf('a10'), events.join(' '));
  assert.equal([a.id, b.id], [1, 2]);
});

test('cancel takes a queued run out of the queue (AbortError) without touching the running one; terminate rejects all', async () => {
  const { tw, close } = serve();
  await tw.ready;
  const early = tw.train({ n: 3 });
  const aborted = tw.train({ n: 3 }, { signal: AbortSignal.abort() });
  early.cancel();                               // before its 'train' message has even gone
  const a = tw.train({ n: 50, epochs: 100, slow: true }, { onProgress: (p) => { if (p.step >= 3) a.cancel(); } });
  const b = tw.train({ n: 3 }), c = tw.train({ n: 4 });
  await tw.ready;                               // after this, every 'train' above has been posted
  b.cancel();                                   // queued in the worker behind a
  const [re, rab, ra, rb, rc] = await Promise.all([early, aborted, a, b, c].map(settled));
  for (const r of [re, rab, rb]) {
    assert.is(r.error?.name, 'AbortError', `rejected as cancelled: ${r.error?.message ?? 'resolved'}`);
    assert.match(r.error!.message, /cancelled before it started/);
  }
  assert.is(ra.value?.cancelled, true, 'the running run ends with its weights');
  assert.ok(ra.value!.steps >= 3);
  assert.equal([rc.value?.steps, rc.value?.cancelled], [4, false], 'the run after the cancelled one still runs');

  // The patterns the docs invite must not leave an unhandled rejection (Node would end this
  // process): a queued run cancelled while an earlier one is awaited...
  const p = tw.train({ n: 5 }), q = tw.train({ n: 3 });
  await tw.ready;
  q.cancel();
  assert.is((await p).steps, 5);
  assert.is((await settled(q)).error?.name, 'AbortError');
  // ...and terminate rejecting the running and the queued run while the first is awaited.
  const d = tw.train({ n: 3 }), e = tw.train({ n: 3 });
  tw.terminate();
  let caught = '';
  try { await d; await e; } catch (x) { caught = (x as Error).message; }
  assert.is(caught, 'TrainingWorker: terminated');
  const again = serve();                        // the page carries on; e is still not awaited
  assert.is((await again.tw.train({ n: 2 })).steps, 2);
  again.close();
  assert.is((await settled(e)).error?.message, 'TrainingWorker: terminated', 'the queued run is rejected too');
  assert.match((await settled(tw.train({ n: 1 }))).error?.message ?? 'resolved', /terminated/);
  close();
});

test('two clients of one worker: their run ids never collide, each gets its own result, runs queue', async () => {
  const { tw, ch, close } = serve();
  const other = new TrainingWorker<Cfg>(ch.port2 as never);
  const mine: number[] = [], theirs: number[] = [];
  const a = tw.train({ n: 5 }, { onProgress: (p) => mine.push(p.step) });
  const b = other.train({ n: 3 }, { onProgress: (p) => theirs.push(p.step) });
  assert.is(a.id, b.id, 'both clients number their runs from 1');
  const [ra, rb] = await Promise.all([settled(a), settled(b)]);
  close();
  assert.is(ra.error?.message, undefined);
  assert.is(rb.error?.message, undefined);
  assert.equal([ra.value!.steps, rb.value!.steps], [5, 3]);
  assert.ok(Math.max(...mine) === 5 && Math.max(...theirs) === 3, `progress went to its own client: ${mine} / ${theirs}`);
});

test('a forged or duplicate id: a second "train" with a running id is refused on the error channel; stray replies are ignored', async () => {
  const errors: string[] = [];
  let refused!: () => void;
  const wasRefused = new Promise<void>((r) => { refused = r; });
  const { tw, ch, close } = serve({ onError: (e) => { errors.push(e.message); refused(); } });
  const wireId = new Promise<unknown>((r) => ch.port1.on('message', (m: { fluxion: string; id: unknown }) => { if (m.fluxion === 'train') r(m.id); }));
  const run = tw.train({ n: 50, epochs: 100, slow: true });
  // What another script on the page or in the worker might post, numbered like the public id.
  ch.port1.postMessage({ fluxion: 'error', id: run.id, error: { name: 'Error', message: 'forged' } });
  ch.port1.postMessage({ fluxion: 'done', id: run.id, result: { weights: new Uint8Array(1), steps: 99, epochs: 1, samples: 0, cancelled: false } });
  // What a second copy of the client would send: the id the page used, while that run is going.
  ch.port2.postMessage({ fluxion: 'train', id: await wireId, config: { n: 1 } });
  await Promise.race([wasRefused, run.result.then(() => {}, () => {})]);
  run.cancel();
  const r = await settled(run);
  close();
  assert.is(r.error?.message, undefined, 'the real run was not settled by the duplicate or the forgeries');
  assert.is(r.value!.cancelled, true);
  assert.ok(r.value!.steps > 0 && r.value!.steps !== 99 && r.value!.weights.byteLength > 100, 'its own result');
  assert.equal(errors.length, 1);
  assert.match(errors[0], /training worker: serveTraining: run "[^"]+" is already queued or running; the second 'train' is ignored/);
});

/** A port the test plays the other end of: messages come in through `emit`, replies are kept in `sent`. */
class FakePort {
  readonly sent: any[] = [];
  readonly #on = new Map<string, Set<(d: unknown) => void>>();
  #waiting: { test: (m: any) => boolean; resolve: (m: any) => void }[] = [];
  on(type: string, f: (d: unknown) => void) { if (!this.#on.has(type)) this.#on.set(type, new Set()); this.#on.get(type)!.add(f); }
  off(type: string, f: (d: unknown) => void) { this.#on.get(type)?.delete(f); }
  postMessage(m: any) {
    this.sent.push(m);
    for (const w of this.#waiting.filter((x) => x.test(m))) { this.#waiting.splice(this.#waiting.indexOf(w), 1); w.resolve(m); }
  }
  /** Delivers a message, synchronously, as the other side would: an exception here reaches the test. */
  emit(d: unknown) { for (const f of this.#on.get('message') ?? []) f(d); }
  /** The first message sent (now or later) that passes `test`. */
  next(test: (m: any) => boolean): Promise<any> {
    const m = this.sent.find(test);
    return m ? Promise.resolve(m) : new Promise((resolve) => this.#waiting.push({ test, resolve }));
  }
}

const RESULT = (): TrainingResult => ({ weights: new Uint8Array(8), steps: 1, epochs: 1, samples: 2, cancelled: false, loss: 0.5, ms: 1, devices: {}, policy: 'cpu' });
const PROGRESS = (): TrainingProgress => ({ step: 1, epoch: 1, samples: 2, loss: 0.5, meanLoss: 0.5, samplesPerSec: 1, elapsedMs: 1, tensors: 3 });

/** A TrainingWorker over a fake worker that answers 'hello'; resolves once its run's 'train' is out. */
async function fakeRun(opts: Parameters<TrainingWorker['train']>[1] = {}) {
  const w = new FakePort();
  const tw = new TrainingWorker(w as never);
  w.emit({ fluxion: 'ready' });
  const run = tw.train({}, opts);
  const { id } = await w.next((m) => m.fluxion === 'train');
  return { w, tw, run, id };
}

test('malformed messages from the worker reject the run with a clear error, never throw in the page', async () => {
  const cases: [string, (id: unknown) => unknown, RegExp, boolean][] = [
    ['an error without an error', (id) => ({ fluxion: 'error', id }), /run 1: the worker reported a failure without a message \(got undefined\)/, false],
    ['an error without a message', (id) => ({ fluxion: 'error', id, error: { name: 'Error' } }), /reported a failure without a message \(got an object \{name\}\)/, false],
    ['an error that is null', (id) => ({ fluxion: 'error', id, error: null }), /without a message \(got null\)/, false],
    ['a done without a result', (id) => ({ fluxion: 'done', id }), /run 1: the worker finished, but its result is missing \(got undefined\)/, false],
    ['a done without weights', (id) => ({ fluxion: 'done', id, result: { steps: 1 } }), /its result has no weights \(a Uint8Array; got undefined\)/, false],
    ['a done with a string step count', (id) => ({ fluxion: 'done', id, result: { ...RESULT(), steps: '1' } }), /its result has no number 'steps' \(got "1"\)/, false],
    ['a progress without a report', (id) => ({ fluxion: 'progress', id }), /run 1: a progress report is not an object \(got undefined\)/, true],
    ['a progress that is a string', (id) => ({ fluxion: 'progress', id, progress: 'garbage' }), /a progress report is not an object \(got "garbage"\)/, true],
    ['a progress with a string step', (id) => ({ fluxion: 'progress', id, progress: { ...PROGRESS(), step: 'x' } }), /a progress report has no number 'step' \(got "x"\)/, true],
    ['a progress with a numeric eval', (id) => ({ fluxion: 'progress', id, progress: { ...PROGRESS(), eval: 3 } }), /has a 'eval' that is not an object \(got 3\)/, true],
    ['an unknown kind', (id) => ({ fluxion: 'bogus', id }), /run 1: unknown message kind "bogus" from the worker/, true],
  ];
  for (const [what, msg, expected, cancels] of cases) {
    const seen: TrainingProgress[] = [];
    const { w, run, id } = await fakeRun({ onProgress: (p) => seen.push(p) });
    try { w.emit(msg(id)); } catch (e) { assert.unreachable(`${what}: threw in the page: ${(e as Error).message}`); }
    w.emit({ fluxion: 'done', id, result: RESULT() });     // too late: the run is settled already
    const r = await settled(run);
    assert.ok(r.error, `${what}: the run was rejected`);
    assert.match(r.error!.message, expected, what);
    assert.is(seen.length, 0, `${what}: onProgress never saw it`);
    assert.is(w.sent.some((m) => m.fluxion === 'cancel' && m.id === id), cancels, `${what}: the worker is ${cancels ? '' : 'not '}told to cancel`);
  }
});

test('messages that are not fluxion\'s, or for no run of this client, are ignored; the run still ends normally', async () => {
  const { w, run, id } = await fakeRun();
  for (const m of [null, undefined, 42, 'x', [], { fluxion: 5 }, { id }, { fluxion: 'done', id: 1, result: RESULT() },
    { fluxion: 'error', id: `${id}x`, error: { message: 'not yours' } }, { fluxion: 'progress', id: { toString: () => id } }]) {
    try { w.emit(m); } catch (e) { assert.unreachable(`${JSON.stringify(m)} threw in the page: ${(e as Error).message}`); }
  }
  w.emit({ fluxion: 'done', id, result: { ...RESULT(), steps: 7 } });
  const r = await run;
  assert.is(r.steps, 7, 'settled by its own done only');
});

test('an onProgress that throws rejects its run with that error and cancels it in the worker, instead of throwing in the page', async () => {
  const { w, run, id } = await fakeRun({ onProgress: () => { throw new Error('the chart broke'); } });
  try { w.emit({ fluxion: 'progress', id, progress: PROGRESS() }); } catch (e) { assert.unreachable(`threw in the page: ${(e as Error).message}`); }
  w.emit({ fluxion: 'done', id, result: RESULT() });
  assert.match((await settled(run)).error?.message ?? 'resolved', /^the chart broke$/);
  assert.ok(w.sent.some((m) => m.fluxion === 'cancel' && m.id === id));
});

test('malformed requests to the worker get a protocol-error reply; the worker keeps serving', async () => {
  const port = new FakePort();
  serveTraining<Cfg>(job, { port: port as never });
  const requests: [unknown, RegExp | null][] = [
    [null, null], [42, null], ['train', null], [{ fluxion: 7 }, null],
    [{ fluxion: 'train' }, /serveTraining: a 'train' message needs an id \(a non-empty string or a safe integer\), got undefined; ignored/],
    [{ fluxion: 'train', id: {}, config: { n: 1 } }, /'train' message needs an id .*got an object \{\}/],
    [{ fluxion: 'train', id: '', config: { n: 1 } }, /'train' message needs an id .*got ""/],
    [{ fluxion: 'train', id: 1.5, config: { n: 1 } }, /got 1\.5/],
    [{ fluxion: 'cancel' }, /a 'cancel' message needs an id/],
    [{ fluxion: 'bogus', id: 1 }, /serveTraining: unknown message kind "bogus"; ignored/],
    // Replies are never answered: two serving ends must not trade errors forever.
    [{ fluxion: 'protocol-error', error: { message: 'x' } }, null], [{ fluxion: 'error', id: 1 }, null], [{ fluxion: 'ready' }, null],
  ];
  for (const [m, expected] of requests) {
    const before = port.sent.length;
    try { port.emit(m); } catch (e) { assert.unreachable(`${JSON.stringify(m)} threw in the worker: ${(e as Error).message}`); }
    const replies = port.sent.slice(before);
    if (!expected) { assert.equal(replies, [], `${JSON.stringify(m)} is not a request: no reply`); continue; }
    assert.is(replies.length, 1, JSON.stringify(m));
    assert.is(replies[0].fluxion, 'protocol-error');
    assert.not.ok('id' in replies[0], 'a protocol error names no run');
    assert.match(replies[0].error.message, expected);
  }
  port.emit({ fluxion: 'cancel', id: 'never-started' });             // a cancel that crossed a done: no reply
  port.emit({ fluxion: 'train', id: 'ok', config: { n: 2 } });
  const done = await port.next((m) => m.id === 'ok' && (m.fluxion === 'done' || m.fluxion === 'error'));
  assert.is(done.fluxion, 'done', done.error?.message);
  assert.is(done.result.steps, 2);
  assert.not.ok(port.sent.some((m) => m.id === 'never-started'));
});

test('bad arguments to train name themselves; a config that cannot be cloned rejects its run, not the page', async () => {
  const { tw, close } = serve();
  assert.throws(() => tw.train({ n: 1 }, { signal: 'stop' as never }), /TrainingWorker.train: options.signal must be an AbortSignal, got string stop/);
  assert.throws(() => tw.train({ n: 1 }, { onProgress: 1 as never }), /options.onProgress must be a function/);
  const r = await settled(tw.train({ n: 1, f: () => 1 } as never));
  const ok = await tw.train({ n: 2 });
  close();
  assert.match(r.error?.message ?? 'resolved', /^TrainingWorker.train: the run could not be sent to the worker \(is the config plain data\?\): .*could not be cloned/);
  assert.is(r.error!.name, 'DataCloneError');
  assert.is(ok.steps, 2, 'the next run goes ahead');
});

test('whatever setup throws, the run gets an error reply with a message (never an unhandled rejection in the worker)', async () => {
  const port = new FakePort();
  serveTraining<Cfg>(job, { port: port as never });
  const thrown: [unknown, RegExp][] = [
    [Object.create(null), /^the job threw an object \{\}, not an Error$/],
    [new Error(''), /^Error \(thrown without a message\)$/],
    ['plain string', /^plain string$/],
    [undefined, /^the job threw undefined, not an Error$/],
    [new RangeError('too big'), /^too big$/],
  ];
  for (const [i, [value, expected]] of thrown.entries()) {
    port.emit({ fluxion: 'train', id: i, config: { n: 1, throws: value } });
    const reply = await port.next((m) => m.id === i && m.fluxion !== 'progress');
    assert.is(reply.fluxion, 'error');
    assert.match(reply.error.message, expected);
    assert.type(reply.error.name, 'string');
  }
});

test.run();
