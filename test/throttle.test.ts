// throttle against FLUX_SEMANTICS 2.2, on a fake clock with fake timers (written here): the
// default drop window, leading=false (the FIRST call's args at the window's close), trailing=true
// (the LAST dropped call, each trailing run extending the cooldown), the returned value, and the
// synchronous-loop case where no timer can fire and the window must re-open from timestamps.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { throttle, everyN } from '../src/index.ts';
import { within, event } from './_helpers/wait.ts';

/** A fake clock (ms) and timers that fire only when `advance` moves the clock past them. */
function fakeTime() {
  let now = 0, ids = 0;
  const queue: { at: number; f: () => void; id: number }[] = [];
  return {
    clock: () => now,
    timers: {
      setTimeout(f: () => void, ms: number) { const id = ++ids; queue.push({ at: now + ms, f, id }); return id; },
      clearTimeout(id: unknown) { const i = queue.findIndex((q) => q.id === id); if (i >= 0) queue.splice(i, 1); },
    },
    /** Moves the clock to `t` seconds, firing due timers in order (as an idle event loop would). */
    to(t: number) {
      const target = t * 1000;
      for (;;) {
        queue.sort((a, b) => a.at - b.at || a.id - b.id);
        if (!queue.length || queue[0].at > target) break;
        const q = queue.shift()!;
        now = Math.max(now, q.at);
        q.f();
      }
      now = target;
    },
    /** Moves the clock without firing timers (a synchronous loop that never yields). */
    jump(t: number) { now = t * 1000; },
    pending: () => queue.length,
  };
}

function recorder() {
  const calls: [number, string][] = [];
  return { calls, f: (clock: () => number) => (x: string) => { calls.push([clock() / 1000, x]); return `r:${x}`; } };
}

test('default: the first call runs at once, calls within the window are dropped, it re-opens after timeout', () => {
  const t = fakeTime(), r = recorder();
  const g = throttle(r.f(t.clock), 5, { clock: t.clock, timers: t.timers });
  assert.is(g('a'), 'r:a');
  t.to(1); assert.is(g('b'), 'r:a', 'dropped: the last result is returned');
  t.to(4.999); g('c');
  assert.is(t.pending(), 0, 'no timer without a trailing call');
  t.to(5); assert.is(g('d'), 'r:d');
  t.to(7); g('e');
  t.to(10.5); g('f');
  assert.equal(r.calls, [[0, 'a'], [5, 'd'], [10.5, 'f']]);
});

test('default inside a synchronous loop: timestamps re-open the window without any timer', () => {
  const t = fakeTime(), r = recorder();
  const g = throttle(r.f(t.clock), 0.01, { clock: t.clock, timers: t.timers });
  for (let k = 0; k <= 100; k++) { t.jump(k * 0.001); g(`s${k}`); }
  assert.equal(r.calls.map((c) => c[1]), ['s0', 's10', 's20', 's30', 's40', 's50', 's60', 's70', 's80', 's90', 's100']);
});

test('leading=false: the FIRST call\'s arguments run when the window closes, even with trailing=false', () => {
  const t = fakeTime(), r = recorder();
  const g = throttle(r.f(t.clock), 5, { leading: false, clock: t.clock, timers: t.timers });
  assert.is(g('a'), undefined, 'nothing ran yet');
  t.to(1); g('b');
  t.to(2); assert.is(g('c'), undefined);
  t.to(5);
  assert.equal(r.calls, [[5, 'a']]);
  t.to(6); assert.is(g('d'), 'r:a', 'the cooldown runs to 10 after the delayed run; dropped');
  t.to(10); g('e');                                  // opens a new window: 'e' runs at 15
  t.to(14); g('f');
  t.to(16);
  assert.equal(r.calls, [[5, 'a'], [15, 'e']]);
});

test('leading=false in a synchronous loop: the due call runs at the next call', () => {
  const t = fakeTime(), r = recorder();
  const g = throttle(r.f(t.clock), 5, { leading: false, clock: t.clock, timers: t.timers });
  g('a');
  t.jump(5.5); assert.is(g('x'), 'r:a', 'the pending call ran first');
  assert.equal(r.calls, [[5.5, 'a']]);
  t.jump(10); g('y');                                 // the window (5 + 5) is over: 'y' pends
  t.jump(15); g('z');
  assert.equal(r.calls.map((c) => c[1]), ['a', 'y']);
});

test('trailing=true: the LAST dropped call runs at the close, and each trailing run extends the cooldown', () => {
  const t = fakeTime(), r = recorder();
  const g = throttle(r.f(t.clock), 5, { trailing: true, clock: t.clock, timers: t.timers });
  g('a');
  t.to(1); g('b');
  t.to(2); assert.is(g('c'), 'r:a');
  t.to(5);                                           // 'c' (not 'b') runs; the cooldown now ends at 10
  assert.equal(r.calls, [[0, 'a'], [5, 'c']]);
  t.to(7); assert.is(g('d'), 'r:c', 'still cooling down after the trailing run');
  t.to(10);
  t.to(15);                                          // nothing pending at 15: the window re-opens
  t.to(16); assert.is(g('e'), 'r:e', 'leading again');
  assert.equal(r.calls, [[0, 'a'], [5, 'c'], [10, 'd'], [16, 'e']]);
});

test('trailing=true with leading=false: the last call wins over the first', () => {
  const t = fakeTime(), r = recorder();
  const g = throttle(r.f(t.clock), 2, { leading: false, trailing: true, clock: t.clock, timers: t.timers });
  g('a'); t.to(1); g('b'); t.to(1.5); g('c'); t.to(3);
  assert.equal(r.calls, [[2, 'c']]);
});

test('return value: undefined before any run, then the most recent result; flush and cancel', () => {
  const t = fakeTime();
  let n = 0;
  const g = throttle(() => ++n, 1, { leading: false, trailing: true, clock: t.clock, timers: t.timers });
  assert.is(g(), undefined);
  g.flush();
  assert.is(n, 1);
  assert.is(g(), 1);
  g.cancel();
  assert.is(t.pending(), 0);
  t.to(5);
  assert.is(n, 1, 'cancelled: nothing ran');
  assert.throws(() => throttle(() => 0, -1), /timeout must be a non-negative number of seconds/);
  assert.throws(() => throttle(3 as never, 1), /f must be a function/);
});

test('real timers: a trailing call is delivered by the global setTimeout', async () => {
  // The clock is held still (injected), so the window cannot close between the calls however
  // slow the machine is; the timers are the real ones, and the test awaits the delivery itself.
  const seen: number[] = [];
  const delivered = event<void>();
  const g = throttle((x: number) => { seen.push(x); if (x === 3) delivered.resolve(); }, 0.02, { trailing: true, clock: () => 0 });
  g(1); g(2); g(3);
  assert.equal(seen, [1], 'the trailing call waits for the window to close');
  await within(delivered.promise, 'the trailing call');
  assert.equal(seen, [1, 3]);
});

test('real clock: calls inside the window are dropped', () => {
  // A one-hour window on performance.now: nothing here can outlast it.
  const seen: number[] = [];
  const g = throttle((x: number) => seen.push(x), 3600);
  g(1); g(2); g(3);
  assert.equal(seen, [1]);
});

test('everyN: the n-th, 2n-th, ... calls', () => {
  const seen: number[] = [];
  let k = 0;
  const f = everyN(() => seen.push(++k), 3);
  for (let i = 0; i < 10; i++) f();
  assert.is(seen.length, 3);
  assert.throws(() => everyN(() => 0, 0), /n must be a positive integer/);
});

test.run();
