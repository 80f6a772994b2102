// Callback helpers for `train`: `throttle` (Flux's, timeout in seconds) and `everyN`.
// throttle decides its window from timestamps, not from timers: a synchronous training loop
// never yields to the event loop, so a setTimeout-only port (FLUX_SEMANTICS 2.2) would never
// re-open the window. Timers only deliver a pending trailing call; a call that finds one due
// delivers it first. O(1) per call. NOTE: a trailing call a timer delivers runs outside train's
// step scope; tensors it makes live until disposed (or collected).

/**
 * How `throttle` treats calls inside a window (`leading`, `trailing`), and injectable clock and timers.
 * @example throttle(() => console.log(loss(xt, yt)), 5, { trailing: true })
 */
export interface ThrottleOptions {
  /** Run the first call of a window at once (default true); false: run it when the window closes. */
  leading?: boolean;
  /** Run the last call dropped inside a window when the window closes (default false). */
  trailing?: boolean;
  /** Milliseconds clock (default `performance.now`); tests inject a fake one. */
  clock?: () => number;
  /** Timer functions (default the global ones); tests inject fakes. */
  timers?: { setTimeout(f: () => void, ms: number): unknown; clearTimeout(h: unknown): void };
}

/**
 * A throttled function: call it like `f`; it returns the most recent result of `f`.
 * @example const cb = throttle(evalcb, 5);
 *          await train(loss, ps, data, opt, { cb }); cb.flush();
 */
export interface Throttled<A extends unknown[], R> {
  (...args: A): R | undefined;
  /** Runs a pending trailing call now, if there is one. */
  flush(): void;
  /** Drops a pending trailing call and re-opens the window. */
  cancel(): void;
}

/**
 * `f` at most once per `timeout` seconds (Flux's `throttle`): calls inside the window are
 * dropped (or, with `trailing`, the last one runs when the window closes).
 * @example const evalcb = throttle(() => console.log('loss', testloss()), 5);
 *          await train(loss, ps, data, Descent(0.1), { cb: evalcb });
 */
export function throttle<A extends unknown[], R>(f: (...args: A) => R, timeout: number, opts: ThrottleOptions = {}): Throttled<A, R> {
  if (typeof f !== 'function') throw new TypeError(`throttle: f must be a function, got ${typeof f}`);
  if (!(timeout >= 0)) throw new RangeError(`throttle: timeout must be a non-negative number of seconds, got ${timeout}`);
  const { leading = true, trailing = false, clock = () => performance.now(), timers = globalThis } = opts;
  const ms = timeout * 1000;
  let open = true;          // Julia's `cooldown`: the next call starts a window
  let end = 0;              // when the current window closes (clock ms)
  let later: A | null = null, result: R | undefined, timer: unknown = null;

  const run = (args: A) => { result = f(...args); };
  /** Closes every window that is over by `now`, running the pending call at each close. */
  const settle = (now: number) => {
    while (!open && now >= end) {
      if (later) { const a = later; later = null; end += ms; run(a); }   // each run extends the cooldown
      else open = true;
    }
  };
  const arm = () => {
    if (timer !== null || !later) return;
    const wait = Math.max(0, end - clock());
    timer = timers.setTimeout(() => { timer = null; settle(Math.max(clock(), end)); arm(); }, wait);
    (timer as { unref?: () => void })?.unref?.();
  };

  const throttled = ((...args: A) => {
    settle(clock());
    if (open) {
      open = false;
      end = clock() + ms;
      if (leading) run(args);
      else later = args;                       // the FIRST call's arguments, at the window's close
    } else if (trailing) {
      later = args;                            // the LAST dropped call's arguments
    }
    arm();
    return result;
  }) as Throttled<A, R>;
  throttled.flush = () => { if (later) { const a = later; later = null; run(a); } };
  throttled.cancel = () => {
    later = null; open = true;
    if (timer !== null) { timers.clearTimeout(timer); timer = null; }
  };
  return throttled;
}

/**
 * `f` on every `n`-th call (the n-th, 2n-th, ...); other calls return undefined.
 * @example await train(loss, ps, data, opt, { cb: everyN(() => console.log('100 steps'), 100) });
 *          const cb = everyN(log, 10);
 */
export function everyN<A extends unknown[], R>(f: (...args: A) => R, n: number): (...args: A) => R | undefined {
  if (typeof f !== 'function') throw new TypeError(`everyN: f must be a function, got ${typeof f}`);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`everyN: n must be a positive integer, got ${n}`);
  let count = 0;
  return (...args: A) => (++count % n === 0 ? f(...args) : undefined);
}
