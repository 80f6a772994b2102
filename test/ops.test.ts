// Every op of the registry on every fast device against the float64 reference, generated: the
// table CASES maps op name → case generator, and an op without a row is a failing test. Each
// case runs at every size of the sweep (SIMD tails and workgroup edges), with the same
// f32-exact random inputs on the device and on `ref`; the reference result is rounded to f32
// and compared with rtol 1e-5 (looser, with the reason, where f32 arithmetic justifies it;
// reductions, matmul and softmax scale an absolute tolerance with their length, see sumTol).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { forEachBackend, refDevice, type Device } from './_helpers/backends.js';
import { assertClose, sumTol, EPS32, type Tol } from './_helpers/allclose.js';
import { uniform, reseed } from './_helpers/gradcheck.js';
import {
  registry, apply, tensor, scope, unary, matmul, softmax, logsoftmax, reshape, transpose,
  sum, mean, max, min, argmax, argmin, sumsq, Tensor, batched_mul, gather, scatter, slice, cat,
} from '../src/index.js';
import { sliceGradDef } from '../src/ops/slicing.js';
import { unaryGradDef } from '../src/ops/unary.js';
import { binaryDef } from '../src/ops/binary.js';
import { softmaxGradDef } from '../src/ops/softmax.js';
import { dense } from '../src/ops/dense.js';
import { permutedims } from '../src/ops/permute.js';
import { FUSED as FUSABLE } from '../src/ops/codes.js';
import { descentStep, momentumStep, adamStep } from '../src/ops/optim.js';
import { Unary, Binary, Reduce } from '../src/ops/codes.js';
import { unaryRef } from '../src/backends/ref.js';
import { layout } from '../src/ops/broadcast.js';
import { expandDef } from '../src/ops/permute.js';
import { geometry, im2colDef, col2imDef, segmentDef, concatDef, type ColP } from '../src/ops/conv.js';
import { poolDef, poolGradDef, type PoolP } from '../src/ops/pool.js';
import { GEOMETRIES } from './_helpers/conv.js';
import { seqSweep } from './_helpers/rnn-cases.js';

const SIZES = [1, 3, 4, 5, 7, 16, 17, 63, 64, 65, 257];
/** A second and third size for the same sweep point, so shapes are not square. */
const other = (n: number, k = 1) => SIZES[(SIZES.indexOf(n) + 3 * k) % SIZES.length];

interface Arg { shape: number[]; data: Float64Array }
interface Case {
  label: string;
  args: Arg[];
  /** Runs the op on tensors (all on one device); returns the tensors to compare. */
  run(xs: Tensor[]): Tensor | Tensor[];
  tol?: Tol;
}
const arg = (shape: number[], data: Float64Array): Arg => ({ shape, data });
const sz = (s: number[]) => s.reduce((a, b) => a * b, 1);
const U = (shape: number[], lo = -1, hi = 1) => arg(shape, uniform(sz(shape), lo, hi));
const maxAbs = (d: ArrayLike<number>) => { let m = 0; for (let i = 0; i < d.length; i++) m = Math.max(m, Math.abs(d[i])); return m; };

// ---- unary: domains per code, parameters per code -------------------------------------------
const UNARY_NAMES = Object.keys(Unary) as (keyof typeof Unary)[];
/** Input range per code (default [-4, 4]); log/sqrt etc. get valid inputs. */
const DOMAIN: Partial<Record<number, [number, number]>> = {
  [Unary.log]: [0.01, 10], [Unary.sqrt]: [0.01, 10], [Unary.log1p]: [-0.9, 10], [Unary.powscalar]: [0.1, 4],
  [Unary.reciprocal]: [0.1, 10], [Unary.exp]: [-10, 10],
};
const PARAMS: Partial<Record<number, [number, number]>> = {
  [Unary.leakyrelu]: [0.2, 0], [Unary.elu]: [1.3, 0], [Unary.celu]: [0.5, 0], [Unary.clamp]: [-0.5, 0.7],
  [Unary.powscalar]: [1.7, 0], [Unary.addscalar]: [0.37, 0], [Unary.mulscalar]: [-1.9, 0],
};
/** Ops whose f32 result is a few roundings of exact arithmetic: rtol 1e-5, atol 0. The rest go
 *  through exp/log/tanh (f32 libm, ~1-4 ulp), and some subtract nearly equal numbers near 0
 *  (elu's eˣ−1, gelu's 1+tanh, log near 1), so they get an absolute 1e-6 as well. */
const EXACTISH = new Set<number>([Unary.identity, Unary.neg, Unary.abs, Unary.square, Unary.relu, Unary.relu6,
  Unary.leakyrelu, Unary.sign, Unary.clamp, Unary.addscalar, Unary.mulscalar, Unary.hardsigmoid, Unary.hardswish,
  Unary.reciprocal, Unary.sqrt, Unary.softsign]);
/** Overflow-safe ops, also checked at large |x| (±20…±90, where eˣ overflows f32). */
const BIG_OK = new Set<number>([Unary.sigmoid, Unary.tanh, Unary.softplus, Unary.logsigmoid, Unary.softsign,
  Unary.swish, Unary.mish, Unary.gelu, Unary.selu, Unary.elu, Unary.celu, Unary.relu, Unary.exp, Unary.hardswish]);

function unaryInputs(code: number, n: number): { label: string; x: Float64Array }[] {
  const [lo, hi] = DOMAIN[code] ?? [-4, 4];
  const x = uniform(n, lo, hi);
  if (lo < 0 && hi > 0 && n > 1) x[1] = 0;                 // the kink of relu/abs/sign/leakyrelu...
  const out = [{ label: `[${lo}, ${hi}]`, x }];
  if (BIG_OK.has(code) && n >= 2) {
    const b = uniform(n, 20, 90);
    for (let i = 0; i < n; i += 2) b[i] = -b[i];
    out.push({ label: '±[20, 90]', x: b });
  }
  return out;
}
const unaryTol = (code: number): Tol => EXACTISH.has(code) ? { rtol: 1e-5 } : { rtol: 1e-5, atol: 1e-6 };

const unaryCases = (n: number): Case[] => UNARY_NAMES.flatMap((name) => {
  const code = Unary[name], [a, b] = PARAMS[code] ?? [0, 0];
  return unaryInputs(code, n).map(({ label, x }) => ({
    label: `${name} ${label}`, args: [arg([n], x)], tol: unaryTol(code),
    run: ([t]: Tensor[]) => unary(code, t, a, b),
  }));
});

const unaryGradCases = (n: number): Case[] => UNARY_NAMES.flatMap((name) => {
  const code = Unary[name], [a, b] = PARAMS[code] ?? [0, 0];
  return unaryInputs(code, n).map(({ label, x }) => {
    const y = x.map((v) => Math.fround(unaryRef(code, v, a, b)));
    return {
      label: `d ${name} ${label}`, args: [arg([n], x), arg([n], y), U([n])],
      // f'(x) is one more transcendental expression than f: same tolerances, atol for all
      tol: { rtol: 1e-5, atol: 1e-6 },
      run: (ts: Tensor[]) => apply(unaryGradDef, ts, { code, alpha: a, beta: b }),
    };
  });
});

// ---- binary: every code × broadcast pattern ----------------------------------------------------
function binaryData(code: number, shape: number[], side: 0 | 1): Float64Array {
  const n = sz(shape);
  switch (code) {
    case Binary.div: { const d = uniform(n, 0.5, 2); if (side) for (let i = 0; i < n; i += 2) d[i] = -d[i]; return side ? d : uniform(n, -2, 2); }
    case Binary.pow: return side ? uniform(n, -2, 2) : uniform(n, 0.1, 3);
    case Binary.greater: case Binary.equal: case Binary.maximum: case Binary.minimum:
      return uniform(n, -2, 2).map((v) => Math.round(v * 2) / 2);   // ties happen
    case Binary.xlogy: return side ? uniform(n, 0.1, 3) : uniform(n, -2, 2).map((v, i) => (i % 3 ? v : 0));
    default: return uniform(n, -2, 2);
  }
}
const binaryCases = (n: number): Case[] => {
  const B = other(n);
  const patterns: [string, number[], number[]][] = [
    ['same shape', [n, B], [n, B]], ['[n,B] .+ [n,1]', [n, B], [n, 1]], ['[n,B] .+ [n] (Flux)', [n, B], [n]],
    ['[n,B] .+ [B]', [n, B], [B]], ['[n,B] .+ scalar', [n, B], []], ['scalar .+ [n,B]', [], [n, B]],
    ['[n,1] .+ [1,B]', [n, 1], [1, B]], ['[n] .+ [n,B]', [n], [n, B]], ['[3,n,2] .+ [3,1,2]', [3, n, 2], [3, 1, 2]],
  ];
  return (Object.keys(Binary) as (keyof typeof Binary)[]).flatMap((name) => patterns.map(([pl, sa, sb]) => ({
    label: `${name} ${pl}`, args: [arg(sa, binaryData(Binary[name], sa, 0)), arg(sb, binaryData(Binary[name], sb, 1))],
    // pow and xlogy go through f32 exp/log: atol for results near 0
    tol: Binary[name] === Binary.pow || Binary[name] === Binary.xlogy ? { rtol: 1e-5, atol: 1e-6 } : { rtol: 1e-5 },
    run: (ts: Tensor[]) => apply(binaryDef, ts, { code: Binary[name], name }),
  })));
};

// ---- reductions: each axis of 1/2/3-d shapes, several axes, all -------------------------------
const REDUCERS = { sum, mean, max, min, argmax, argmin, sumsq } as const;
const reduceCases = (n: number): Case[] => {
  const m = other(n);
  const shapes: [number[], (number[] | undefined)[]][] = [
    [[n], [[0], undefined]],
    [[n, m], [[0], [1], [0, 1], undefined]],
    [[n, 3, 2], [[0], [1], [2], [0, 1], [1, 2], [0, 2], undefined]],
    [[2, n, 3], [[0], [1], [2], [0, 1], [1, 2], [0, 2], undefined]],
  ];
  const out: Case[] = [];
  for (const [shape, dimsList] of shapes) for (const dims of dimsList) {
    const len = dims ? dims.reduce((a, d) => a * shape[d], 1) : sz(shape);
    for (const name of Object.keys(REDUCERS) as (keyof typeof REDUCERS)[]) {
      if ((name === 'argmax' || name === 'argmin') && dims && dims.length === 2 && dims[1] - dims[0] > 1) continue;
      const code = Reduce[name];
      const tol: Tol = code === Reduce.sum ? { rtol: 1e-5, atol: sumTol(len) }
        : code === Reduce.mean ? { rtol: 1e-5, atol: sumTol(len) / len }
        : code === Reduce.sumsq ? { rtol: 1e-5, atol: sumTol(len) }
        : { rtol: 0, atol: 0 };                             // max/min/arg*: exact
      out.push({ label: `${name} [${shape}] dims ${dims ? `[${dims}]` : 'all'}`, args: [U(shape)], tol,
        run: ([x]) => REDUCERS[name](x, dims) });
    }
  }
  return out;
};

// ---- softmax / logsoftmax along each axis, large values and +Inf ------------------------------
function softmaxShapes(n: number): [number[], number][] {
  const m = other(n);
  return [[[n], 0], [[n, m], 0], [[n, m], 1], [[2, n, 3], 0], [[2, n, 3], 1], [[2, n, 3], 2]];
}
const softmaxCases = (n: number): Case[] => softmaxShapes(n).flatMap(([shape, axis]) => {
  const len = shape[axis], N = sz(shape);
  const inputs: [string, Float64Array][] = [['[-3, 3]', uniform(N, -3, 3)], ['[-200, 200]', uniform(N, -200, 200)]];
  const inf = uniform(N, -3, 3);
  for (let i = 0; i < N; i += 3) inf[i] = Infinity;
  inputs.push(['with +Inf', inf]);
  return inputs.flatMap(([il, x]) => [0, 1].map((log) => ({
    label: `${log ? 'logsoftmax' : 'softmax'} [${shape}] dims ${axis} ${il}`, args: [arg(shape, x)],
    // the normalising sum has `len` terms; logsoftmax's x − max − log s loses ε·|x| absolutely
    tol: log ? { rtol: 1e-5, atol: 4 * EPS32 * Math.max(1, maxAbs(x.filter(isFinite))) + sumTol(len) }
      : { rtol: 1e-5 + sumTol(len), atol: 1e-7 },
    run: ([t]: Tensor[]) => (log ? logsoftmax : softmax)(t, axis),
  })));
});
const softmaxGradCases = (n: number): Case[] => softmaxShapes(n).flatMap(([shape, axis]) => {
  const len = shape[axis], N = sz(shape);
  const outer = sz(shape.slice(0, axis)), inner = sz(shape.slice(axis + 1));
  return [0, 1].map((log) => {
    const y = scope(() => { const t = refDevice().run(() => (log ? logsoftmax : softmax)(tensor(uniform(N, -3, 3), shape), axis)); return (t.buf as Float64Array).map(Math.fround); });
    return {
      label: `${log ? 'logsoftmax' : 'softmax'}Grad [${shape}] dims ${axis}`, args: [arg(shape, y), U(shape)],
      tol: { rtol: 1e-5, atol: 2 * sumTol(len) },                // Σ dy·y over len terms
      run: (ts: Tensor[]) => apply(softmaxGradDef, ts, { log, outer, len, inner }),
    };
  });
});

// ---- matmul: all variants at non-square (m, k, n) from the sweep, and matrix·vector ------------
const matmulCases = (s: number): Case[] => {
  const combos: [number, number, number][] = [[s, other(s), other(s, 2)], [other(s, 3), s, other(s, 1)], [other(s, 2), other(s, 3), s]];
  const out: Case[] = [];
  for (const [m, k, n] of combos) {
    const tol = { rtol: 1e-5, atol: sumTol(k) };             // K products of |a|,|b| ≤ 1
    for (const ta of [0, 1]) for (const tb of [0, 1]) {
      out.push({ label: `matmul ${ta ? 'Aᵀ' : 'A'}·${tb ? 'Bᵀ' : 'B'} m=${m} k=${k} n=${n}`, tol,
        args: [U(ta ? [k, m] : [m, k]), U(tb ? [n, k] : [k, n])],
        run: ([a, b]) => matmul(a, b, { transA: !!ta, transB: !!tb }) });
    }
    out.push({ label: `matmul A·v m=${m} k=${k}`, tol, args: [U([m, k]), U([k])], run: ([a, b]) => matmul(a, b) });
    out.push({ label: `matmul Aᵀ·v m=${m} k=${k}`, tol, args: [U([k, m]), U([k])], run: ([a, b]) => matmul(a, b, { transA: true }) });
  }
  return out;
};

// ---- dense: each fusable activation, with and without bias, vector and batch input ------------
const ACT_NAME = Object.fromEntries(Object.entries(Unary).map(([k, v]) => [v, k]));
const denseCases = (n: number): Case[] => {
  const inp = other(n), B = other(n, 2);
  const out: Case[] = [];
  for (const act of FUSABLE) for (const bias of [true, false]) for (const [batch, ta] of [[false, 0], [true, 0], [true, 1]]) {
    // the pre-activation is a K = inp dot product; exp turns its absolute error into a relative one
    const tol = { rtol: 1e-5 + (act === Unary.exp ? sumTol(inp) : 0), atol: sumTol(inp) };
    out.push({ label: `dense ${ACT_NAME[act]} ${bias ? 'bias' : 'no bias'} ${ta ? 'Wᵀ ' : ''}x ${batch ? `[${inp},${B}]` : `[${inp}]`} out ${n}`, tol,
      args: [U(ta ? [inp, n] : [n, inp]), U(batch ? [inp, B] : [inp]), ...(bias ? [U([n])] : [])],
      run: ([W, x, b]) => dense(W, x, b ?? null, act, 0, 'Dense', +ta) });
  }
  return out;
};

// ---- shape ops ---------------------------------------------------------------------------------
const reshapeCases = (n: number): Case[] => [
  { label: `reshape [${n},${other(n)}] → [${other(n)},${n}]`, args: [U([n, other(n)])], run: ([x]) => reshape(x, [other(n), n]) },
];
const transposeCases = (n: number): Case[] => [
  { label: `transpose [${n},${other(n)}]`, args: [U([n, other(n)])], run: ([x]) => transpose(x), tol: { rtol: 0 } },
  { label: `transpose [${n}]`, args: [U([n])], run: ([x]) => transpose(x), tol: { rtol: 0 } },
];

// permutedims: ranks 1-7 (size-1 and adjacent axes merge), reversed and shuffled axes; exact
const permuteCases = (n: number): Case[] => {
  const m = other(n), k = other(n, 2);
  const shapes: [number[], number[]][] = [
    [[n], [0]], [[n, m], [1, 0]], [[n, m, k], [2, 0, 1]], [[2, n, 3, m], [3, 1, 0, 2]],
    [[2, 1, n, 3, 2, 1, 2], [6, 4, 2, 0, 3, 1, 5]], [[n, 3, 2, m], [0, 1, 3, 2]],
  ];
  return shapes.map(([shape, perm]) => ({ label: `permutedims [${shape}] by [${perm}]`, args: [U(shape)],
    run: ([x]: Tensor[]) => permutedims(x, perm), tol: { rtol: 0 } }));
};

// expand: an operand broadcast explicitly (binary ops needing more than 3 strided dims); exact
const expandCases = (n: number): Case[] => ([[[3, 1, n, 1], [3, 2, n, 4]], [[n, 1, 2, 1, 3], [n, 4, 2, 2, 3]], [[n], [n, 3, 1, 2]]] as number[][][])
  .map(([from, to]) => ({ label: `expand [${from}] → [${to}]`, args: [U(from)], tol: { rtol: 0 },
    run: ([x]: Tensor[]) => apply(expandDef, [x], { shape: to, strides: layout(from, to, 'expand').sa }) }));

// ---- convolution and pooling: every awkward geometry of test/_helpers/conv.ts, batch min(n, 5),
// the spatial sizes grown by n mod 4 so the sweep meets odd and even sizes ----------------------
const grown = (gi: number, s: number) => GEOMETRIES[gi].size.map((v) => v + (s % 4));
const colP = (gi: number, n: number, c: number, c0: number, cg: number, flip: number, s = n): ColP => {
  const { k, o } = GEOMETRIES[gi], size = grown(gi, s), { g } = geometry('test', size, { k, ...o });
  return { g, n, c, c0, cg, flip, shape: [...size, c, n] };
};
const vol = (g: number[], at: number) => g[at] * g[at + 1] * g[at + 2];
/** [channels, first, count, flip]: all channels flipped, and one group of two of four channels. */
const GROUPS = [[3, 0, 3, 1], [4, 2, 2, 0]];
const im2colCases = (s: number): Case[] => GEOMETRIES.flatMap((geo, gi) => GROUPS.map(([c, c0, cg, flip]) => {
  const p = colP(gi, Math.min(s, 5), c, c0, cg, flip, s);
  return { label: `im2col ${geo.label} x [${p.shape}] c ${c0}+${cg} flip ${flip}`, args: [U(p.shape as number[])], tol: { rtol: 0 },
    run: ([x]: Tensor[]) => apply(im2colDef, [x], p) };
}));
const col2imCases = (s: number): Case[] => GEOMETRIES.flatMap((geo, gi) => [...GROUPS, [4, 0, 2, 1]].map(([c, c0, cg, flip]) => {
  const p = colP(gi, Math.min(s, 5), c, c0, cg, flip, s), groups = c0 === 0 && cg < c ? c / cg : 1;
  const col = [vol(p.g, 3) * cg, vol(p.g, 6) * p.n];
  return { label: `col2im ${geo.label} x [${p.shape}] ${groups} × c ${c0}+${cg} flip ${flip}`, tol: { rtol: 1e-5, atol: sumTol(vol(p.g, 3)) },
    args: Array.from({ length: groups }, () => U(col)), run: (cols: Tensor[]) => apply(col2imDef, cols, p) };
}));
const poolP = (gi: number, c: number, n: number, mean: number, s: number): PoolP => {
  const { k, o } = GEOMETRIES[gi], { out, g } = geometry('test', grown(gi, s), { k, ...o });
  return { g, cn: c * n, mean, shape: [...out, c, n] };
};
/** Values on a grid of halves, so windows hold ties (max routes dy to the first). */
const halves = (shape: number[]) => arg(shape, uniform(sz(shape), -2, 2).map((v) => Math.round(2 * v) / 2));
const poolCases = (s: number): Case[] => GEOMETRIES.flatMap((geo, gi) => [0, 1].map((mean) => {
  const p = poolP(gi, 3, Math.min(s, 5), mean, s), K = vol(p.g, 3), xs = [...grown(gi, s), 3, Math.min(s, 5)];
  return { label: `${mean ? 'mean' : 'max'}pool ${geo.label} x [${xs}]`, args: [mean ? U(xs) : halves(xs)],
    tol: mean ? { rtol: 1e-5, atol: sumTol(K) } : { rtol: 0 }, run: ([x]: Tensor[]) => apply(poolDef, [x], p) };
}));
const poolGradCases = (s: number): Case[] => GEOMETRIES.flatMap((geo, gi) => [0, 1].map((mean) => {
  const n = Math.min(s, 5), p = poolP(gi, 3, n, mean, s), K = vol(p.g, 3), xs = [...grown(gi, s), 3, n], x = halves(xs);
  const y = scope(() => (refDevice().run(() => apply(poolDef, [tensor(x.data, xs)], p)).buf as Float64Array).slice());
  return { label: `∇${mean ? 'mean' : 'max'}pool ${geo.label} x [${xs}]`, args: [x, arg(p.shape as number[], y), U(p.shape as number[])],
    tol: { rtol: 1e-5, atol: sumTol(K) }, run: ([a, b, dy]: Tensor[]) => apply(poolGradDef, [a, b, dy], { ...p, shape: xs }) };
}));
// segment and concat: the contiguous slices and concatenations of grouped convolutions; exact
const segmentCases = (n: number): Case[] => [
  { label: `segment [${n},3] slice 1…`, args: [U([n, 3])], tol: { rtol: 0 }, run: ([x]) => apply(segmentDef, [x], { from: 1, to: 0, n: 3 * n - 2, shape: [3 * n - 2] }) },
  { label: `segment [${n},3] placed at 3 in zeros`, args: [U([n, 3])], tol: { rtol: 0 }, run: ([x]) => apply(segmentDef, [x], { from: 0, to: 3, n: 3 * n, shape: [3 * n + 5] }) },
];
const concatCases = (n: number): Case[] => [{ label: `concat [${n},2], [3], [1,${n}]`, args: [U([n, 2]), U([3]), U([1, n])], tol: { rtol: 0 },
  run: (xs: Tensor[]) => apply(concatDef, xs, { shape: [3 * n + 3] }) }];

// ---- fused optimiser updates: three steps, in place --------------------------------------------
const optimCases = (kind: 'descent' | 'momentum' | 'adam') => (n: number): Case[] => {
  const shape = [n, other(n)];
  // x − ηg in f32 loses ε·|x| absolutely where the result is near 0: three steps, |x| ≤ 1
  const tol = { rtol: 1e-5, atol: 3 * 2 * EPS32 };
  if (kind === 'descent') return [{ label: `descent [${shape}]`, args: [U(shape), U(shape)], tol,
    run: ([x, g]) => { for (let t = 0; t < 3; t++) descentStep(x, g, 0.1); return [x]; } }];
  if (kind === 'momentum') return [{ label: `momentum [${shape}]`, args: [U(shape), U(shape), U(shape, -0.1, 0.1)], tol,
    run: ([x, g, v]) => { for (let t = 0; t < 3; t++) momentumStep(x, g, v, 0.01, 0.9); return [x, v]; } }];
  return [0, 0.1].map((lambda) => ({
    label: `${lambda ? 'adamw' : 'adam'} [${shape}]`, args: [U(shape), U(shape), U(shape, -0.1, 0.1), U(shape, 0, 0.01)],
    // √v and the division: a few ulp on a step of size eta
    tol: { rtol: 1e-5, atol: 1e-6 },
    run: ([x, g, m, v]: Tensor[]) => {
      for (let t = 1; t <= 3; t++) adamStep(x, g, m, v, { eta: 0.01, b1: 0.9, b2: 0.999, eps: 1e-8, b1t: 0.9 ** t, b2t: 0.999 ** t, lambda });
      return [x, m, v];
    },
  }));
};

// ---- sequence ops: strided batches of matmuls, gather/scatter, slices and cat ------------------
const batchedCases = (s: number): Case[] => {
  const out: Case[] = [];
  for (const [m, k, n, B] of [[s, other(s), other(s, 2), 3], [other(s, 3), s, 5, 17], [4, 7, s, 6]]) {
    const tol = { rtol: 1e-5, atol: sumTol(k) };
    for (const ta of [0, 1]) for (const tb of [0, 1]) {
      out.push({ label: `batched_mul ${ta ? 'Aᵀ' : 'A'}·${tb ? 'Bᵀ' : 'B'} m=${m} k=${k} n=${n} batch ${B}`, tol,
        args: [U(ta ? [k, m, B] : [m, k, B]), U(tb ? [n, k, B] : [k, n, B])], run: ([a, b]) => batched_mul(a, b, { transA: !!ta, transB: !!tb }) });
    }
    out.push({ label: `batched_mul A broadcast m=${m} k=${k} n=${n} batch ${B}`, tol, args: [U([m, k, 1]), U([k, n, B])], run: ([a, b]) => batched_mul(a, b) });
    out.push({ label: `batched_mul Aᵀ broadcast·Bᵀ m=${m} k=${k} n=${n} batch ${B}`, tol, args: [U([k, m]), U([n, k, B])],
      run: ([a, b]) => batched_mul(a, b, { transA: true, transB: true }) });
    out.push({ label: `batched_mul B broadcast m=${m} k=${k} n=${n} batch ${B}`, tol, args: [U([m, k, B]), U([k, n, 1])], run: ([a, b]) => batched_mul(a, b) });
  }
  return out;
};
/** K indices into V positions, repeating, in no order (and not a run). */
const indicesFor = (K: number, V: number) => Array.from({ length: K }, (_, i) => (i * 7 + 3) % V);
const gatherCases = (s: number): Case[] => {
  const V = other(s), K = other(s, 2), ix = indicesFor(K, V);
  return [
    { label: `gather columns of [${s},${V}] by ${K} indices`, args: [U([s, V])], run: ([x]) => gather(x, ix), tol: { rtol: 0 } },
    { label: `gather [3,${V},2] by [${K}] and [${K}] (cartesian)`, args: [U([3, V, 2])], tol: { rtol: 0 },
      run: ([x]) => gather(x, ix, ix.map((v) => v % 2)) },
  ];
};
const scatterCases = (s: number): Case[] => {
  const V = other(s), K = other(s, 2), ix = indicesFor(K, V), per = Math.ceil(K / V) + 1;
  return [{
    label: `scatter + [${s},${K}] into ${V}`, args: [U([s, K])], tol: { rtol: 1e-5, atol: sumTol(per) },
    run: ([x]: Tensor[]) => scatter('+', x, ix, { dstsize: [s, V] }),
  }];
};
const sliceCases = (s: number): Case[] => {
  const m = other(s);
  return [
    { label: `slice [${s},${m},3] dims 0`, args: [U([s, m, 3])], run: ([x]) => slice(x, 0, s >> 1, s - (s >> 1)), tol: { rtol: 0 } },
    { label: `slice [2,${s},${m}] dims 1`, args: [U([2, s, m])], run: ([x]) => slice(x, 1, 1 % s, s - (1 % s)), tol: { rtol: 0 } },
    { label: `slice [${m},${s}] dims 1, one column`, args: [U([m, s])], run: ([x]) => slice(x, 1, s - 1, 1), tol: { rtol: 0 } },
  ];
};
const sliceGradCases = (s: number): Case[] => {
  const m = other(s);
  return [0, 1, 2].map((axis) => {
    const shape = [2, s, m], len = Math.max(1, shape[axis] >> 1), start = shape[axis] - len;
    return { label: `sliceGrad of [${shape}] dims ${axis}`, args: [U(shape.map((d, a) => (a === axis ? len : d)))], tol: { rtol: 0 },
      run: ([dy]: Tensor[]) => apply(sliceGradDef, [dy], { axis, start, len, shape }) };
  });
};
const catCases = (s: number): Case[] => {
  const m = other(s);
  return [0, 1, 2].map((axis) => {
    const shapes = [1, 3, s].map((d) => [2, m, 3].map((e, a) => (a === axis ? d : e)));
    return { label: `cat of [${shapes.map((x) => `[${x}]`)}] dims ${axis}`, args: shapes.map((x) => U(x)), tol: { rtol: 0 },
      run: (xs: Tensor[]) => cat(xs, axis) };
  });
};

/** op name → case generator at one size of the sweep. A registry op missing here fails. */
const CASES: Record<string, (n: number) => Case[]> = {
  unary: unaryCases, unaryGrad: unaryGradCases, binary: binaryCases, reduce: reduceCases,
  softmax: softmaxCases, softmaxGrad: softmaxGradCases, matmul: matmulCases, dense: denseCases,
  reshape: reshapeCases, transpose: transposeCases, permutedims: permuteCases, expand: expandCases,
  im2col: im2colCases, col2im: col2imCases, pool: poolCases, poolGrad: poolGradCases, segment: segmentCases, concat: concatCases,
  descent: optimCases('descent'), momentum: optimCases('momentum'), adam: optimCases('adam'),
  batched_mul: batchedCases, gather: gatherCases, scatter: scatterCases, slice: sliceCases, sliceGrad: sliceGradCases, cat: catCases,
  rnnSeq: (n) => seqSweep(n, false), rnnState: (n) => seqSweep(n, true),
};

test('every registered op has a test case generator', () => {
  const missing = [...registry.keys()].filter((k) => !CASES[k]);
  assert.equal(missing, [], `ops without a case in test/ops.test.ts CASES: ${missing.join(', ')}`);
  const stale = Object.keys(CASES).filter((k) => !registry.has(k));
  assert.equal(stale, [], `CASES rows for ops that are not registered: ${stale.join(', ')}`);
});
test.run();

/** Runs a case on `dev` with fresh tensors from the same data; the outputs as float64 arrays. */
async function runOn(dev: Device, c: Case): Promise<{ out: Float64Array[]; devices: string[] }> {
  return scope(async () => {
    const xs = dev.run(() => c.args.map((a) => tensor(a.data, a.shape)));
    const r = dev.run(() => c.run(xs));
    const outs = Array.isArray(r) ? r : [r];
    return { out: await Promise.all(outs.map((t) => t.data64())), devices: outs.map((t) => t.device) };
  });
}

forEachBackend('ops', (it, dev) => {
  for (const name of Object.keys(CASES)) {
    it(`${name}: sweep ${SIZES.join(',')} vs ref`, async () => {
      reseed(SIZES.length * name.length + 7);
      // failures grouped by case label: one line per failing case, with the sizes it fails at
      const failures = new Map<string, { sizes: number[]; first: string }>();
      const fail = (label: string, n: number, msg: string) => {
        const f = failures.get(label);
        if (f) { if (!f.sizes.includes(n)) f.sizes.push(n); } else failures.set(label, { sizes: [n], first: msg });
      };
      let count = 0;
      for (const n of SIZES) {
        for (const c of CASES[name](n)) {
          count++;
          const nn = new RegExp(`\\b${n}\\b`, 'g');
          const key = c.label.replace(/\[[\d,]+\]|[mkn]=\d+|out \d+/g, (m) => m.replace(nn, 'n'));
          const want = await runOn(refDevice(), c);
          let got: Awaited<ReturnType<typeof runOn>>;
          try { got = await runOn(dev, c); } catch (e) { fail(key, n, `threw ${(e as Error).message}`); continue; }
          // Under this device's policy every output must come from it: an op that fell back
          // (e.g. to Wasm under 'gpu') was not tested on this device, so it fails here.
          if (got.devices.some((d) => d !== dev.name)) fail(key, n, `ran on ${got.devices} instead of ${dev.name}`);
          for (let k = 0; k < want.out.length; k++) {
            try { assertClose(got.out[k], want.out[k], c.tol ?? { rtol: 1e-5 }, `${c.label}${want.out.length > 1 ? ` output ${k}` : ''}`, 1); }
            catch (e) { fail(key, n, (e as Error).message); }
          }
        }
      }
      assert.ok(count > 0);
      if (failures.size) {
        const lines = [...failures].slice(0, 12).map(([label, f]) => `- ${label}: fails at n = ${f.sizes.join(', ')}; first: ${f.first}`);
        assert.unreachable(`${name} on ${dev.name}: ${failures.size} cases fail (of ${count} case×size runs):\n${lines.join('\n')}`);
      }
    });
  }

  it('unary and unaryGrad at NaN, ±Inf, ±0 match the reference', async () => {
    const x = Float64Array.from([NaN, Infinity, -Infinity, 0, -0, 1]);
    const failures: string[] = [];
    for (const name of UNARY_NAMES) {
      const code = Unary[name], [a, b] = PARAMS[code] ?? [0, 0];
      const y = x.map((v) => Math.fround(unaryRef(code, v, a, b)));
      for (const c of [
        { label: `${name}(NaN, Inf, -Inf, 0, -0, 1)`, args: [arg([6], x)], run: ([t]: Tensor[]) => unary(code, t, a, b) },
        { label: `d ${name}(NaN, Inf, -Inf, 0, -0, 1)`, args: [arg([6], x), arg([6], y), arg([6], Float64Array.from([1, 1, 1, 1, 1, 1]))],
          run: (ts: Tensor[]) => apply(unaryGradDef, ts, { code, alpha: a, beta: b }) },
      ]) {
        const want = await runOn(refDevice(), c), got = await runOn(dev, c);
        try { assertClose(got.out[0], want.out[0], { rtol: 1e-5, atol: 1e-6 }, c.label, 6); } catch (e) { failures.push((e as Error).message); }
      }
    }
    if (failures.length) assert.unreachable(`${failures.length} unary ops differ at non-finite inputs:\n${failures.join('\n')}`);
  });
}, { ref: false });
