// Waiting for events in tests, never for time. `within` awaits a promise (an event: a message,
// a page's promise, a callback) and fails if it has not settled after a generous deadline. The
// deadline only turns a hang into a readable failure; nothing passes or fails because something
// was fast or slow, and the timer is cleared as soon as the event arrives.

/** `p`, or a failure naming `what` (a function: read when it fails) if it has not settled within `ms` (default 5 minutes). */
export async function within<T>(p: PromiseLike<T>, what: string | (() => string), ms = 300_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${typeof what === 'function' ? what() : what}: nothing after ${ms / 1000} s (hung?)`)), ms);
  });
  try { return await Promise.race([p, hang]); } finally { clearTimeout(timer); }
}

/** A promise with its resolve function: `const e = event<number>(); emitter.on('x', e.resolve); await e.promise`. */
export function event<T = void>(): { promise: Promise<T>; resolve(v: T): void; reject(e: unknown): void } {
  let resolve!: (v: T) => void, reject!: (e: unknown) => void;
  const promise = new Promise<T>((a, b) => { resolve = a; reject = b; });
  return { promise, resolve, reject };
}
