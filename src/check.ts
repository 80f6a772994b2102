// Argument checks for the public functions. Each throws an error that names the function, the
// argument and the value it got (`full: value must be a number, got "abc"`), and returns the
// value. This module imports nothing, so any module (tensor.ts included) can use it without a cycle.

/** The most elements a tensor may have: 4 GiB of float32, the Wasm memory limit. */
export const MAX_SIZE = 2 ** 30;

/** A short, readable rendering of any value for an error message. */
export function show(v: unknown): string {
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'function') return 'a function';
  if (v === null || typeof v !== 'object') return String(v);
  if (Array.isArray(v)) {
    return v.length <= 8 && v.every((x) => typeof x === 'number') ? `[${v.join(', ')}]` : `an array of length ${v.length}`;
  }
  const shape = (v as { shape?: unknown }).shape;
  if (Array.isArray(shape) && typeof (v as { dispose?: unknown }).dispose === 'function') {
    return `${(v as { disposed?: boolean }).disposed ? 'a disposed' : 'a'} tensor of shape [${shape.join(', ')}]`;
  }
  const name = Object.getPrototypeOf(v)?.constructor?.name;
  return typeof name === 'string' && name !== 'Object' ? `a ${name}` : 'an object';
}

/** Throws `fn: what, got <value>` (a TypeError unless `Err` says otherwise). */
export function fail(fn: string, what: string, v: unknown, Err: ErrorConstructor = TypeError): never {
  throw new Err(`${fn}: ${what}, got ${show(v)}`);
}

/** Any number (NaN and ±Infinity included: they are values a tensor can hold). */
export function number(fn: string, name: string, v: unknown): number {
  if (typeof v !== 'number') fail(fn, `${name} must be a number`, v);
  return v;
}
/** A finite number. */
export function finite(fn: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(fn, `${name} must be a finite number`, v, typeof v === 'number' ? RangeError : TypeError);
  return v;
}
/** An integer in [min, max]. */
export function int(fn: string, name: string, v: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `in [${min}, ${max}]`;
    fail(fn, `${name} must be an integer ${range}`, v, typeof v === 'number' ? RangeError : TypeError);
  }
  return v;
}
export function bool(fn: string, name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') fail(fn, `${name} must be true or false`, v);
  return v;
}
export function func<F extends Function = (...a: any[]) => unknown>(fn: string, name: string, v: unknown): F {
  if (typeof v !== 'function') fail(fn, `${name} must be a function`, v);
  return v as F;
}

/** Throws `fn: what has shape [got], expected want` (a RangeError): every shape error's one form. */
export function badShape(fn: string, what: string, got: readonly number[], want: string | readonly number[]): never {
  throw new RangeError(`${fn}: ${what} has shape [${got.join(', ')}], expected ${typeof want === 'string' ? want : `[${want.join(', ')}]`}`);
}

/** A plain object (a literal or `Object.create(null)`). */
export function isPlain(x: unknown): x is Record<string, unknown> {
  return !!x && typeof x === 'object' && (Object.getPrototypeOf(x) === Object.prototype || Object.getPrototypeOf(x) === null);
}

/**
 * An options object: omitted (undefined gives {}), or a plain object whose keys are all in
 * `keys`. Anything else (null, a number, an array, a tensor) is refused, as is an unknown key.
 */
export function options<O extends object>(fn: string, o: unknown, keys: readonly string[], name = 'options'): Partial<O> {
  if (o === undefined) return {};
  if (!isPlain(o)) fail(fn, `${name} must be an object such as { ${keys[0] ?? ''} }`, o);
  for (const k of Object.keys(o)) {
    if (!keys.includes(k)) throw new TypeError(`${fn}: unknown option ${k} (options: ${keys.join(', ') || 'none'})`);
  }
  return o as Partial<O>;
}

/** A shape: an array of non-negative integers with at most MAX_SIZE elements in all. */
export function shapeArg(fn: string, v: unknown, name = 'shape'): number[] {
  if (!Array.isArray(v)) fail(fn, `${name} must be an array of non-negative integers`, v);
  let n = 1;
  for (const d of v) {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0)
      throw new RangeError(`${fn}: ${name} [${v.map(show).join(', ')}] must hold non-negative integers`);
    n *= d;
  }
  if (n > 2 ** 30)
    throw new RangeError(`${fn}: out of memory: ${name} [${v.join(', ')}] has ${n} elements; a tensor holds at most ${2 ** 30} (4 GiB of float32)`);
  return [...v];
}
