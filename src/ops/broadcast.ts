// Broadcasting: numpy's trailing-axis rule, except that a vector meeting a matrix whose FIRST
// dim it matches is a column, as in Julia (a [n] bias added to [n, B] is added to each column,
// also when n == B, where numpy would add it to each row). Flux code reads the same here.
// A binary op is then collapsed to at most three dims with element strides, the shape the
// `binary` kernel takes; a pattern that needs more (x [W,H,C,N] .* m [W,1,C,1]) first makes the
// broadcast operand explicit with the 6-dim `strided` kernel (binary.ts, `expand`).

import type { Shape } from '../tensor.js';

export interface Plan { shape: number[]; d: [number, number, number]; as: [number, number, number]; bs: [number, number, number] }
/** The broadcast shape and each operand's element strides over it (0 along broadcast axes). */
export interface Layout { shape: number[]; sa: number[]; sb: number[] }

function align(a: Shape, b: Shape, leading: boolean): number[] | null {
  const r = Math.max(a.length, b.length), out: number[] = [];
  for (let i = 0; i < r; i++) {
    const x = leading ? (a[i] ?? 1) : (a[a.length - r + i] ?? 1);
    const y = leading ? (b[i] ?? 1) : (b[b.length - r + i] ?? 1);
    if (x !== y && x !== 1 && y !== 1) return null;
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** The broadcast layout of a op b, or a RangeError naming `fn` and both shapes. */
export function layout(a: Shape, b: Shape, fn: string): Layout {
  let leading = vectorAsColumn(a, b);
  let shape = align(a, b, leading);
  if (!shape && !leading && a.length !== b.length) { shape = align(a, b, true); leading = true; }
  if (!shape) throw new RangeError(`${fn}: shapes [${a}] and [${b}] cannot be broadcast together`);
  const r = shape.length;
  const pad = (s: Shape) => leading ? [...s, ...Array(r - s.length).fill(1)] : [...Array(r - s.length).fill(1), ...s];
  return { shape, sa: strides(pad(a), shape), sb: strides(pad(b), shape) };
}

/** Neighbouring dims merged where both operands stay contiguous (or both broadcast). */
function merge({ shape, sa, sb }: Layout): [number[], number[], number[]] {
  const d: number[] = [], as: number[] = [], bs: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    if (shape[i] === 1) continue;
    const k = d.length - 1;
    if (k >= 0 && as[k] === sa[i] * shape[i] && bs[k] === sb[i] * shape[i]) {
      d[k] *= shape[i]; as[k] = sa[i]; bs[k] = sb[i];
    } else { d.push(shape[i]); as.push(sa[i]); bs.push(sb[i]); }
  }
  return [d, as, bs];
}

/**
 * The layout of a op b when it needs more than the binary kernel's 3 strided dims, else null
 * (also for shapes that do not broadcast: the op's shape check reports those and frees its inputs).
 */
export function wideOrNull(a: Shape, b: Shape, fn: string): Layout | null {
  try {
    const l = layout(a, b, fn);
    return merge(l)[0].length > 3 ? l : null;
  } catch { return null; }
}

/** The broadcast plan for a op b, or a RangeError naming `fn` and both shapes. */
export function plan(a: Shape, b: Shape, fn: string): Plan {
  const l = layout(a, b, fn), [d, as, bs] = merge(l);
  if (d.length > 3) throw new RangeError(`${fn}: broadcasting [${a}] with [${b}] needs more than 3 strided dims; reshape first`);
  while (d.length < 3) { d.unshift(1); as.unshift(0); bs.unshift(0); }
  return { shape: l.shape, d: d as Plan['d'], as: as as Plan['as'], bs: bs as Plan['bs'] };
}

/** True when one operand is a vector matching the other's first dim (Julia's column rule). */
export function vectorAsColumn(a: Shape, b: Shape): boolean {
  return (a.length === 1 && b.length >= 2 && a[0] === b[0]) || (b.length === 1 && a.length >= 2 && b[0] === a[0]);
}

function strides(s: number[], out: number[]): number[] {
  const st = new Array(s.length).fill(0);
  let acc = 1;
  for (let i = s.length - 1; i >= 0; i--) {
    st[i] = s[i] === 1 && out[i] !== 1 ? 0 : acc;
    acc *= s[i];
  }
  return st;
}
