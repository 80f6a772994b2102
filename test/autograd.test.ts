// Every gradient rule against central finite differences in float64 on the reference device
// (test/_helpers/gradcheck.ts), generated per op of the registry like ops.test.ts: an op with a
// gradient rule and no row in GRADS fails. Then composite losses, accumulation, broadcasting
// gradients, unreached parameters, the same gradient on the fast devices (f32 tolerance), the
// tape's memory, and the errors of misuse.
import { test, suite } from 'uvu';
import * as assert from 'uvu/assert';
import { forEachBackend, refDevice } from './_helpers/backends.js';
import { gradcheck, gradOn, weights, input, uniform, reseed, type Input, type Fn } from './_helpers/gradcheck.js';
import { assertClose } from './_helpers/allclose.js';
import {
  registry, apply, tensor, unary, matmul, softmax, logsoftmax, reshape, transpose, sum, mean, max, min,
  sumsq, argmax, add, sub, mul, div, pow, maximum, minimum, greater, xlogy, sigmoid, relu, square,
  broadcastTo, gradient, withgradient, memory, withPolicy, scope, Tensor,
  batched_mul, gather, scatter, slice, selectdim, chunk, cat, vcat, hcat, stack,
} from '../src/index.js';
import { sliceGradDef } from '../src/ops/slicing.js';
import { binaryDef } from '../src/ops/binary.js';
import { dense } from '../src/ops/dense.js';
import { permutedims } from '../src/ops/permute.js';
import { FUSED as FUSABLE } from '../src/ops/codes.js';
import { Unary, Binary } from '../src/ops/codes.js';
import { layout } from '../src/ops/broadcast.js';
import { expandDef } from '../src/ops/permute.js';
import { geometry, im2colDef, col2imDef, segmentDef, concatDef, type ColP } from '../src/ops/conv.js';
import { poolDef } from '../src/ops/pool.js';
import { GEOMETRIES } from './_helpers/conv.js';
import { seqGradCases } from './_helpers/rnn-cases.js';

// ---- per op: the gradient rule against finite differences --------------------------------------
interface GCase { label: string; f: Fn; inputs: Input[] }

/** Moves values within 1e-3 of a kink away from it (finite differences straddling a kink lie). */
const avoid = (inp: Input, kinks: number[]): Input => ({
  shape: inp.shape,
  data: Float64Array.from(inp.data, (v) => { for (const k of kinks) if (Math.abs(v - k) < 1e-2) return Math.fround(k + 0.05); return v; }),
});
const KINKS: Partial<Record<number, number[]>> = {
  [Unary.abs]: [0], [Unary.relu]: [0], [Unary.relu6]: [0, 6], [Unary.leakyrelu]: [0], [Unary.elu]: [0], [Unary.celu]: [0],
  [Unary.selu]: [0], [Unary.hardsigmoid]: [-3, 3], [Unary.hardswish]: [-3, 3], [Unary.sign]: [0], [Unary.clamp]: [-0.5, 0.7],
};
const DOMAIN: Partial<Record<number, [number, number]>> = {
  [Unary.log]: [0.1, 5], [Unary.sqrt]: [0.1, 5], [Unary.log1p]: [-0.5, 5], [Unary.powscalar]: [0.2, 3],
  [Unary.reciprocal]: [0.2, 5], [Unary.relu6]: [-2, 8], [Unary.hardsigmoid]: [-5, 5], [Unary.hardswish]: [-5, 5],
};
const PARAMS: Partial<Record<number, [number, number]>> = {
  [Unary.leakyrelu]: [0.2, 0], [Unary.elu]: [1.3, 0], [Unary.celu]: [0.5, 0], [Unary.clamp]: [-0.5, 0.7],
  [Unary.powscalar]: [1.7, 0], [Unary.addscalar]: [0.37, 0], [Unary.mulscalar]: [-1.9, 0],
};
const unaryG = (): GCase[] => (Object.keys(Unary) as (keyof typeof Unary)[]).flatMap((name) => {
  const code = Unary[name], [lo, hi] = DOMAIN[code] ?? [-3, 3], [a, b] = PARAMS[code] ?? [0, 0];
  return [[3, 4], [9, 9]].map((shape) => ({
    label: `${name} [${shape}]`, f: (x: Tensor) => unary(code, x, a, b), inputs: [avoid(input(shape, lo, hi), KINKS[code] ?? [])],
  }));
});

const binaryG = (): GCase[] => {
  const dom = (code: number, side: number): [number, number] =>
    code === Binary.pow ? (side ? [-2, 2] : [0.2, 3]) : code === Binary.div && side ? [0.5, 2]
      : code === Binary.xlogy && side ? [0.2, 3] : [-2, 2];
  const pats: [string, number[], number[]][] = [['same', [4, 3], [4, 3]], ['[n,B] .+ [n,1]', [4, 3], [4, 1]],
    ['[n,B] .+ [n]', [4, 3], [4]], ['[n,B] .+ [B]', [4, 3], [3]], ['[n,B] .+ scalar', [4, 3], []], ['[n] .+ [n,B]', [4], [4, 3]],
    ['[n,1] .+ [1,B]', [4, 1], [1, 3]], ['[2,n,3] .+ [2,1,3]', [2, 4, 3], [2, 1, 3]]];
  return (Object.keys(Binary) as (keyof typeof Binary)[]).flatMap((name) => pats.map(([pl, sa, sb]) => ({
    label: `${name} ${pl}`, f: (x: Tensor, y: Tensor) => apply(binaryDef, [x, y], { code: Binary[name], name }),
    inputs: [input(sa, ...dom(Binary[name], 0)), input(sb, ...dom(Binary[name], 1))],
  })));
};

const reduceG = (): GCase[] => {
  const fns = { sum, mean, max, min, sumsq, argmax } as const;
  const out: GCase[] = [];
  for (const [shape, dimsList] of [[[5], [[0], undefined]], [[3, 4, 2], [[0], [1], [2], [0, 1], [1, 2], [0, 2], undefined]], [[9, 10], [[1]]]] as [number[], (number[] | undefined)[]][])
    for (const dims of dimsList) for (const name of Object.keys(fns) as (keyof typeof fns)[]) {
      if (name === 'argmax' && dims?.length === 2 && dims[1] - dims[0] > 1) continue;
      out.push({ label: `${name} [${shape}] dims ${dims ? `[${dims}]` : 'all'}`, f: (x) => fns[name](x, dims), inputs: [input(shape)] });
    }
  return out;
};

const matmulG = (): GCase[] => {
  const out: GCase[] = [];
  for (const [m, k, n] of [[3, 4, 5], [7, 9, 10]]) for (const ta of [0, 1]) for (const tb of [0, 1])
    out.push({ label: `matmul ${ta ? 'Aᵀ' : 'A'}·${tb ? 'Bᵀ' : 'B'} ${m}×${k}×${n}`, f: (a, b) => matmul(a, b, { transA: !!ta, transB: !!tb }),
      inputs: [input(ta ? [k, m] : [m, k]), input(tb ? [n, k] : [k, n])] });
  out.push({ label: 'matmul A·v', f: (a, b) => matmul(a, b), inputs: [input([3, 4]), input([4])] });
  out.push({ label: 'matmul Aᵀ·v', f: (a, b) => matmul(a, b, { transA: true }), inputs: [input([4, 3]), input([4])] });
  return out;
};

const softmaxG = (): GCase[] => ([[[5], 0], [[4, 3], 0], [[4, 3], 1], [[2, 3, 4], 0], [[2, 3, 4], 1], [[2, 3, 4], 2], [[2, 3, 4], [0, 1]], [[2, 3, 4], [1, 2]]] as [number[], number | number[]][])
  .flatMap(([shape, axis]) => [softmax, logsoftmax].map((fn) => ({ label: `${fn === softmax ? 'softmax' : 'logsoftmax'} [${shape}] dims ${axis}`,
    f: (x: Tensor) => fn(x, axis), inputs: [input(shape, -3, 3)] })));

const ACT = Object.fromEntries(Object.entries(Unary).map(([k, v]) => [v, k]));
const denseG = (): GCase[] => [...FUSABLE].flatMap((act) => [true, false].flatMap((bias) => [[false, 0], [true, 0], [true, 1]].map(([batch, ta]) => ({
  label: `dense ${ACT[act]} ${bias ? 'bias' : 'no bias'} ${ta ? 'Wᵀ ' : ''}${batch ? 'batch' : 'vector'}`,
  f: (W: Tensor, x: Tensor, b?: Tensor) => dense(W, x, b ?? null, act, 0, 'Dense', +ta),
  // relu/relu6 kinks: the pre-activation stays away from 0 with probability ~1 at these sizes
  inputs: [input(ta ? [3, 4] : [4, 3]), input(batch ? [3, 5] : [3]), ...(bias ? [input([4])] : [])],
}))));

// convolution's ops at every awkward geometry: one channel group of three of four, batch 2
const colP = (gi: number, c0: number, cg: number, flip: number): ColP => {
  const { size, k, o } = GEOMETRIES[gi];
  return { g: geometry('test', size, { k, ...o }).g, n: 2, c: 4, c0, cg, flip, shape: [...size, 4, 2] };
};
const colShape = (p: ColP) => [p.g[3] * p.g[4] * p.g[5] * p.cg, p.g[6] * p.g[7] * p.g[8] * p.n];
const convG = (): GCase[] => GEOMETRIES.flatMap((geo, gi) => {
  const p = colP(gi, 1, 3, gi % 2), two = { ...colP(gi, 0, 2, 1 - (gi % 2)) };
  const pool = (mean: number) => ({ g: p.g, cn: 8, mean, shape: [...geometry('test', geo.size, { k: geo.k, ...geo.o }).out, 4, 2] });
  return [
    { label: `im2col ${geo.label}`, f: (x: Tensor) => apply(im2colDef, [x], p), inputs: [input(p.shape as number[])] },
    { label: `col2im ${geo.label}`, f: (c: Tensor) => apply(col2imDef, [c], p), inputs: [input(colShape(p))] },
    { label: `col2im ${geo.label}, two groups`, f: (a: Tensor, b: Tensor) => apply(col2imDef, [a, b], two), inputs: [input(colShape(two)), input(colShape(two))] },
    { label: `maxpool ${geo.label}`, f: (x: Tensor) => apply(poolDef, [x], pool(0)), inputs: [input(p.shape as number[])] },
    { label: `meanpool ${geo.label}`, f: (x: Tensor) => apply(poolDef, [x], pool(1)), inputs: [input(p.shape as number[])] },
  ];
});
// sequence ops: every transposed variant and broadcast of batched_mul, gather/scatter with
// repeated and missing indices, slices, cat and the composites built on them
const batchedG = (): GCase[] => {
  const out: GCase[] = [];
  const [m, k, n, B] = [3, 4, 5, 3];
  for (const ta of [0, 1]) for (const tb of [0, 1]) for (const [ba, bb] of [[B, B], [1, B], [B, 1]]) {
    out.push({ label: `batched_mul ${ta ? 'Aᵀ' : 'A'}·${tb ? 'Bᵀ' : 'B'} batches ${ba}, ${bb}`, f: (a, b) => batched_mul(a, b, { transA: !!ta, transB: !!tb }),
      inputs: [input(ta ? [k, m, ba] : [m, k, ba]), input(tb ? [n, k, bb] : [k, n, bb])] });
  }
  out.push({ label: 'batched_mul matrix·[k,n,B]', f: (a, b) => batched_mul(a, b), inputs: [input([m, k]), input([k, n, B])] });
  out.push({ label: 'batched_mul 4-d batches', f: (a, b) => batched_mul(a, b, { transA: true }), inputs: [input([k, m, 2, 2]), input([k, n, 2, 2])] });
  return out;
};
const gatherG = (): GCase[] => [
  { label: 'gather columns, repeated and missing', f: (x) => gather(x, [3, 0, 3, 1, 3]), inputs: [input([4, 5])] },
  { label: 'gather by an index matrix', f: (x) => gather(x, [[2, 0], [2, 2]]), inputs: [input([3, 4])] },
  { label: 'gather cartesian', f: (x) => gather(x, [1, 0, 1], [2, 2, 0]), inputs: [input([2, 2, 3])] },
];
const scatterG = (): GCase[] => [
  { label: 'scatter +', f: (x: Tensor) => scatter('+', x, [1, 0, 1, 4, 1]), inputs: [input([3, 5])] },
  { label: 'scatter + dstsize', f: (x: Tensor) => scatter('+', x, [[2, 0], [2, 1]], { dstsize: [2, 4] }), inputs: [input([2, 2, 2])] },
];
const sliceG = (): GCase[] => [
  { label: 'slice dims 1', f: (x) => slice(x, 1, 1, 2), inputs: [input([3, 4, 2])] },
  { label: 'selectdim one time step', f: (x) => selectdim(x, 1, 2), inputs: [input([3, 4, 2])] },
  { label: 'chunk into 3 along dims 0, recombined', f: (x) => { const [a, b, c] = chunk(x, 3, 0); return add(mul(a, b), c.sum()); }, inputs: [input([6, 4])] },
  { label: 'chunk by size, every piece used twice', f: (x) => { const [a, b] = chunk(x, { size: 3 }); return add(mul(a, a), b.sum()); }, inputs: [input([2, 4])] },
];
const catG = (): GCase[] => [
  { label: 'cat dims 1', f: (a, b, c) => cat([a, b, c], 1), inputs: [input([2, 1, 3]), input([2, 3, 3]), input([2, 2, 3])] },
  { label: 'vcat of vectors, one twice', f: (a, b) => vcat(a, b, a), inputs: [input([3]), input([2])] },
  { label: 'hcat', f: (a, b) => hcat(a, b), inputs: [input([3, 2]), input([3])] },
  { label: 'stack dims 1', f: (a, b) => stack([a, b], 1), inputs: [input([3, 2]), input([3, 2])] },
];

/** op name → gradient cases; an op with a gradient rule and no row here fails. */
const GRADS: Record<string, () => GCase[]> = {
  unary: unaryG, binary: binaryG, reduce: reduceG, matmul: matmulG, softmax: softmaxG, dense: denseG,
  batched_mul: batchedG, gather: gatherG, scatter: scatterG, slice: sliceG, cat: catG,
  sliceGrad: () => [{ label: 'sliceGrad dims 1', f: (dy) => apply(sliceGradDef, [dy], { axis: 1, start: 1, len: 2, shape: [3, 4, 2] }), inputs: [input([3, 2, 2])] }],
  reshape: () => [{ label: 'reshape [3,4] → [2,6] → sum of squares', f: (x) => square(reshape(x, [2, 6])), inputs: [input([3, 4])] },
    { label: 'reshape [12] → [3,-1]', f: (x) => mul(reshape(x, [3, -1]), reshape(x, [3, -1])), inputs: [input([12])] }],
  transpose: () => [{ label: 'transpose [3,4]', f: (x) => transpose(x), inputs: [input([3, 4])] },
    { label: 'transpose [5]', f: (x) => transpose(x), inputs: [input([5])] }],
  expand: () => [{ label: 'expand [3,1,4,1] → [3,2,4,2]', f: (x) => apply(expandDef, [x], { shape: [3, 2, 4, 2], strides: layout([3, 1, 4, 1], [3, 2, 4, 2], 't').sa }), inputs: [input([3, 1, 4, 1])] },
    { label: 'mul [3,4,5,2] .* [3,1,5,1] (through expand)', f: (x, y) => mul(x, y), inputs: [input([3, 4, 5, 2]), input([3, 1, 5, 1])] }],
  im2col: () => convG().filter((c) => c.label.startsWith('im2col')),
  col2im: () => convG().filter((c) => c.label.startsWith('col2im')),
  pool: () => convG().filter((c) => c.label.includes('pool')),
  segment: () => [{ label: 'segment slice', f: (x) => apply(segmentDef, [x], { from: 2, to: 0, n: 7, shape: [7] }), inputs: [input([3, 4])] },
    { label: 'segment place', f: (x) => apply(segmentDef, [x], { from: 0, to: 3, n: 12, shape: [4, 5] }), inputs: [input([3, 4])] }],
  concat: () => [{ label: 'concat', f: (a, b) => apply(concatDef, [a, b, a], { shape: [2, 11] }), inputs: [input([2, 4]), input([3, 2])] }],
  permutedims: () => [{ label: 'permutedims [2,3,4] by [2,0,1]', f: (x) => permutedims(x, [2, 0, 1]), inputs: [input([2, 3, 4])] },
    { label: 'permutedims [3,1,2,5,2] by [4,2,0,3,1]', f: (x) => permutedims(x, [4, 2, 0, 3, 1]), inputs: [input([3, 1, 2, 5, 2])] }],
  rnnSeq: () => seqGradCases().filter((c) => !c.label.includes('+state')),
  rnnState: () => seqGradCases().filter((c) => c.label.includes('+state')),
};

const G = suite('autograd: rules vs finite differences (f64, ref)');
G('every op with a gradient rule has gradient cases', () => {
  const missing = [...registry.values()].filter((d) => d.grad && !GRADS[d.name]).map((d) => d.name);
  assert.equal(missing, [], `ops with a gradient rule but no case in test/autograd.test.ts GRADS: ${missing.join(', ')}`);
});
for (const [name, gen] of Object.entries(GRADS)) {
  G(`${name}`, async () => {
    reseed(name.length * 31 + 1);
    const failures: string[] = [];
    for (const c of gen()) {
      try { await gradcheck(c.f, c.inputs, { label: c.label }); } catch (e) { failures.push((e as Error).message); }
    }
    if (failures.length) assert.unreachable(`${failures.length} ${name} gradient cases fail:\n${failures.join('\n')}`);
  });
}
G('public composites: scalar forms, broadcastTo, greater has no gradient', async () => {
  reseed(99);
  const cases: GCase[] = [
    { label: 'add(x, 2)', f: (x) => add(x, 2), inputs: [input([3])] },
    { label: 'sub(2, x)', f: (x) => sub(2, x), inputs: [input([3])] },
    { label: 'div(2, x)', f: (x) => div(2, x), inputs: [input([3], 0.5, 2)] },
    { label: 'pow(x, 3)', f: (x) => pow(x, 3), inputs: [input([3])] },
    { label: 'maximum/minimum', f: (x, y) => add(maximum(x, y), minimum(x, y)), inputs: [input([4, 3]), input([4])] },
    { label: 'xlogy', f: (x, y) => xlogy(x, y), inputs: [input([4]), input([4], 0.2, 2)] },
    { label: 'broadcastTo [3,1] → [3,4]', f: (x) => broadcastTo(x, [3, 4]), inputs: [input([3, 1])] },
    { label: 'greater (piecewise constant)', f: (x, y) => add(greater(x, y), x), inputs: [input([4]), input([4])] },
  ];
  for (const c of cases) await gradcheck(c.f, c.inputs, { label: c.label });
});
G.run();

// ---- composite losses and the semantics of gradient ---------------------------------------------
const A = suite('autograd: semantics');
const onRef = <T>(fn: () => T) => withPolicy('ref', fn);
const mlpInputs = (): Input[] => [input([8, 5]), input([8]), input([3, 8]), input([3, 1]), input([5, 4]), input([3, 4], 0, 1)];
/** A 5→8→3 MLP with sigmoid and an mse written from ops; the target is a constant input. */
const mlp: Fn = (W1, b1, W2, b2, x, y) => mean(square(sub(add(matmul(W2, sigmoid(add(matmul(W1, x), b1))), b2), y)));

A('a small MLP loss (5→8→3, sigmoid, mse from ops)', async () => {
  reseed(5);
  await gradcheck(mlp, mlpInputs(), { label: 'mlp' });
});
A('the same MLP with the fused dense op and a logsoftmax cross-entropy', async () => {
  reseed(6);
  const f: Fn = (W1, b1, W2, b2, x, y) => {
    const h = dense(W1, x, b1, Unary.tanh, 0, 'Dense'), z = dense(W2, h, b2.view([3]), Unary.identity, 0, 'Dense');
    return mul(sum(mul(logsoftmax(z, 0), y)), -1 / 4);
  };
  await gradcheck(f, mlpInputs(), { label: 'dense + crossentropy' });
});
A('a tensor used twice accumulates its gradients', async () => {
  reseed(7);
  await gradcheck((x) => add(mul(x, x), mul(sigmoid(x), x)), [input([5])], { label: 'x·x + σ(x)·x' });
  const g = onRef(() => { const x = tensor([1, 2, 3]); const gs = gradient(() => sum(add(x, x)), [x]); return gs.get(x)!; });
  assert.equal(Array.from(await g.data()), [2, 2, 2]);
});
A('broadcast gradients sum back: bias [n] and [n,1] against [n,B]', async () => {
  reseed(8);
  for (const bshape of [[4], [4, 1]]) {
    await gradcheck((h, b) => add(h, b), [input([4, 6]), input(bshape)], { label: `[4,6] .+ [${bshape}]` });
    const g = onRef(() => {
      const h = tensor(uniform(24), [4, 6]), b = tensor([1, 2, 3, 4], bshape);
      return gradient(() => sum(add(h, b)), [b]).get(b)!;
    });
    assert.equal(g.shape, bshape, 'the gradient has the parameter\'s shape');
    assert.equal(Array.from(await g.data()), [6, 6, 6, 6]);
  }
});
A('a parameter the loss does not reach gets no gradient (undefined, not an error)', () => onRef(() => {
  const x = tensor([1, 2]), unused = tensor([3, 4]);
  const gs = gradient(() => sum(square(x)), [x, unused]);
  assert.ok(gs.get(x));
  assert.is(gs.get(unused), undefined);
  assert.is(gs.has(unused), false);
  // argmax is piecewise constant: no gradient flows through it either
  const gs2 = gradient(() => sum(argmax(x)), [x]);
  assert.is(gs2.get(x), undefined);
}));
A('reshape and view inside the loss keep the tape', async () => {
  reseed(9);
  await gradcheck((x) => matmul(reshape(x, [2, 3]), reshape(x, [3, 2])), [input([6])], { label: 'reshape' });
  await gradcheck((x) => matmul(x.reshape([2, 3]), x.view([3, 2])), [input([6])], { label: 'method reshape + view' });
  await gradcheck((x) => sum(tensor(x, [3, 2]), 0), [input([6])], { label: 'tensor(x, shape)' });
});
A('nested gradient is a clear error', () => onRef(() => {
  const x = tensor([1, 2]);
  assert.throws(() => gradient(() => sum(gradient(() => sum(x), [x]).get(x)!), [x]), /nested gradient/);
  gradient(() => sum(x), [x]);                   // the failed call left no tape behind
}));
A('the loss must be a scalar tensor', () => onRef(() => {
  const x = tensor([1, 2]);
  assert.throws(() => gradient(() => square(x), [x]), (e: Error) => e instanceof RangeError && /scalar/.test(e.message) && /\[2\]/.test(e.message));
  assert.throws(() => gradient(() => 3 as unknown as Tensor, [x]), (e: Error) => e instanceof TypeError && /must return a tensor/.test(e.message));
  const before = memory().tensors;
  assert.throws(() => gradient(() => square(x), [x]));
  assert.is(memory().tensors, before, 'a failed gradient call frees its tape');
}));
A.run();

// ---- the same gradients on the fast devices, within f32 tolerance ---------------------------------
forEachBackend('autograd: gradients match ref', (D, dev) => {
  const cases: [string, Fn, () => Input[]][] = [
    ['mlp', mlp, mlpInputs],
    ['softmax + matmul Aᵀ·B', (a, b) => softmax(matmul(a, b, { transA: true }), 1), () => [input([6, 4]), input([6, 5])]],
    ['reductions', (x) => add(max(x, 0), add(mean(x, 1), sumsq(x))), () => [input([5, 7])]],
    ['dense relu batch', (W, x, b) => dense(W, x, b, Unary.relu, 0, 'Dense'), () => [input([16, 17]), input([17, 5]), input([16])]],
    ['broadcast [n,B] .* [n]', (h, b) => mul(relu(h), b), () => [input([7, 9]), input([7])]],
  ];
  for (const [label, f, mk] of cases) {
    D(label, async () => {
      reseed(label.length);
      const inputs = mk(), w = weights(f, inputs);
      const want = await gradOn(refDevice(), f, inputs, w), got = await gradOn(dev, f, inputs, w);
      want.forEach((g, k) => assertClose(got[k], g, { rtol: 1e-3, atol: 1e-4 }, `${label}: gradient of input ${k}`));
    });
  }
  D('nothing of the tape survives the call (memory before/after, apart from the grads)', async () => {
    const ps = dev.run(() => mlpInputs().map((i) => tensor(i.data, i.shape)));
    const before = memory();
    const gs = dev.run(() => gradient(() => mlp(...ps), ps.slice(0, 4)));
    const mid = memory();
    assert.is(mid.tensors, before.tensors + gs.tensors().length);
    gs.dispose();
    const after = memory();
    assert.is(after.tensors, before.tensors);
    assert.is(after.cpu.bytes, before.cpu.bytes);
    assert.is(after.gpu.bytes, before.gpu.bytes);
    const { val, grad } = dev.run(() => withgradient(() => mlp(...ps), ps.slice(0, 4)));
    assert.is(memory().tensors, before.tensors + grad.tensors().length + 1);
    val.dispose(); grad.dispose();
    assert.is(memory().tensors, before.tensors);
    for (const p of ps) p.dispose();
  });
}, { ref: false });

test('gradient inside scope: only what the scope returns survives', () => onRef(() => {
  const x = tensor([1, 2, 3]);
  const before = memory().tensors;
  const g = scope(() => gradient(() => sum(square(x)), [x]).get(x)!);
  assert.is(memory().tensors, before + 1);
  g.dispose();
  x.dispose();
}));
test.run();
