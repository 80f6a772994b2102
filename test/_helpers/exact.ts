// High-precision reals for expected values that owe nothing to the code under test: BigInt
// fixed point with 100 decimal digits after the point (a value v is the bigint v·10¹⁰⁰), with
// exp, log, tanh, sqrt and π from their series, written here from the textbook definitions.
// Every operation truncates at 10⁻¹⁰⁰, so results are good to far beyond float64 (for values
// above ~10⁻⁸⁰); converting back through a decimal string rounds correctly to a double.
// Nothing here shares code with src/ (in particular not src/backends/ref.ts).

export type Fx = bigint;
const P = 100n;
export const ONE: Fx = 10n ** P;
const TWO = 2n * ONE;

export const mul = (a: Fx, b: Fx): Fx => (a * b) / ONE;
export const div = (a: Fx, b: Fx): Fx => (a * ONE) / b;
export const neg = (a: Fx): Fx => -a;
const abs = (a: Fx): Fx => (a < 0n ? -a : a);

/** A double, exactly (every finite double is m·2^e). */
export function fx(x: number): Fx {
  if (!Number.isFinite(x)) throw new RangeError(`exact: ${x} is not finite`);
  let k = 0;
  while (!Number.isInteger(x * 2 ** k)) k++;                 // exact: scaling by 2 is exact
  return (BigInt(x * 2 ** k) * ONE) / 2n ** BigInt(k);
}
/** A decimal literal, exactly to 100 places ("1.0507009873554804934193349852946"). */
export function dec(s: string): Fx {
  const m = /^(-?)(\d+)(?:\.(\d*))?$/.exec(s);
  if (!m) throw new SyntaxError(`exact: ${s}`);
  const frac = (m[3] ?? '').padEnd(Number(P), '0').slice(0, Number(P));
  const v = BigInt(m[2]) * ONE + BigInt(frac || '0');
  return m[1] ? -v : v;
}
/** The nearest double (through the decimal string, which JS rounds correctly). */
export function toNumber(a: Fx): number {
  const s = a < 0n ? '-' : '', v = abs(a);
  return Number(`${s}${v / ONE}.${(v % ONE).toString().padStart(Number(P), '0')}`);
}

/** eʳ for 0 ≤ r ≤ 1 by Taylor's series, Σ rᵏ/k!, until the terms vanish. */
function expSeries(r: Fx): Fx {
  let sum = ONE, term = ONE;
  for (let k = 1n; term !== 0n; k++) { term = mul(term, r) / k; sum += term; }
  return sum;
}
const E = expSeries(ONE);
/** eˣ: e^⌊x⌋ by squaring, times e^(x − ⌊x⌋); e⁻ˣ = 1/eˣ. */
export function exp(x: Fx): Fx {
  if (x < 0n) return div(ONE, exp(-x));
  let n = x / ONE, base = E, acc = ONE;
  const r = x - n * ONE;
  while (n > 0n) { if (n & 1n) acc = mul(acc, base); base = mul(base, base); n >>= 1n; }
  return mul(acc, expSeries(r));
}

/** atanh(t) = Σ t²ᵏ⁺¹/(2k+1), for |t| ≤ 1/3. */
function atanh(t: Fx): Fx {
  let sum = 0n, pow = t;
  const t2 = mul(t, t);
  for (let k = 1n; pow !== 0n; k += 2n) { sum += pow / k; pow = mul(pow, t2); }
  return sum;
}
const LN2 = 2n * atanh(div(ONE, 3n * ONE));
/** ln y (y > 0): y = z·2ᵏ with z in [1, 2), ln z = 2·atanh((z − 1)/(z + 1)). */
export function log(y: Fx): Fx {
  if (y <= 0n) throw new RangeError('exact: log of a non-positive number');
  let k = 0n, z = y;
  while (z >= TWO) { z /= 2n; k++; }
  while (z < ONE) { z *= 2n; k--; }
  return k * LN2 + 2n * atanh(div(z - ONE, z + ONE));
}

/** tanh x = (1 − e⁻²ˣ)/(1 + e⁻²ˣ) for x ≥ 0, odd. */
export function tanh(x: Fx): Fx {
  if (x < 0n) return -tanh(-x);
  const t = exp(-2n * x);
  return div(ONE - t, ONE + t);
}

/** √a by Newton's method on integers: ⌊√(a·10¹⁰⁰)⌋. */
export function sqrt(a: Fx): Fx {
  const n = a * ONE;
  if (n === 0n) return 0n;
  let x = 1n << BigInt(Math.ceil(n.toString(2).length / 2)), y = (x + n / x) / 2n;   // x ≥ √n: Newton descends
  while (y < x) { x = y; y = (x + n / x) / 2n; }
  return x;
}

/** arctan(1/m) = Σ (−1)ᵏ/((2k+1)·m²ᵏ⁺¹); π = 16·arctan(1/5) − 4·arctan(1/239) (Machin). */
function arccotInt(m: bigint): Fx {
  let sum = 0n, pow = ONE / m, sign = 1n;
  for (let k = 1n; pow !== 0n; k += 2n) { sum += sign * (pow / k); pow /= m * m; sign = -sign; }
  return sum;
}
export const PI = 16n * arccotInt(5n) - 4n * arccotInt(239n);

export const max = (a: Fx, b: Fx): Fx => (a > b ? a : b);
export const min = (a: Fx, b: Fx): Fx => (a < b ? a : b);
export { abs };
