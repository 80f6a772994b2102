// Convolution and pooling written out plainly with multi-indices, independent of im2col, the
// kernels and ref.ts: the definitions the conv and pool tests compare against. Layout as
// fluxion's (row-major, Flux's axis order): x [spatial…, c, n], w [k…, c/groups, cout].

import { prod, unflat, flat } from './index.js';

export interface Win { stride: number[]; pad: number[]; dilation: number[] }


/** NNlib's output size per spatial dim: ⌊(size + lo + hi − (k−1)·d − 1)/s⌋ + 1. */
export const outSize = (size: readonly number[], k: readonly number[], o: Win) =>
  size.map((v, i) => Math.floor((v + o.pad[2 * i] + o.pad[2 * i + 1] - (k[i] - 1) * o.dilation[i] - 1) / o.stride[i]) + 1);

/**
 * y[o…, co, m] = Σ over the group's ci and every kernel offset κ of x[o·s + κ·d − lo, g·cg + ci, m]
 * · w[flip ? k−1−κ : κ, ci, co], terms outside x left out.
 */
export function directConv(x: ArrayLike<number>, xs: readonly number[], w: ArrayLike<number>, ws: readonly number[],
  o: Win & { groups: number; flip: boolean }): { y: Float64Array; shape: number[] } {
  const nd = ws.length - 2, cg = ws[nd], cout = ws[nd + 1], cin = xs[nd], n = xs[nd + 1], ks = ws.slice(0, nd);
  const out = outSize(xs.slice(0, nd), ks, o), y = new Float64Array(prod(out) * cout * n), coutg = cout / o.groups;
  for (let p = 0; p < prod(out); p++) {
    const oi = unflat(p, out);
    for (let co = 0; co < cout; co++) for (let m = 0; m < n; m++) {
      const g = Math.floor(co / coutg);
      let s = 0;
      for (let kk = 0; kk < prod(ks); kk++) {
        const ki = unflat(kk, ks), xi = oi.map((q, i) => q * o.stride[i] + ki[i] * o.dilation[i] - o.pad[2 * i]);
        if (xi.some((v, i) => v < 0 || v >= xs[i])) continue;
        const wk = o.flip ? ki.map((v, i) => ks[i] - 1 - v) : ki;
        for (let ci = 0; ci < cg; ci++) s += x[flat([...xi, g * cg + ci, m], xs)] * w[flat([...wk, ci, co], ws)];
      }
      y[flat([...oi, co, m], [...out, cout, n])] = s;
    }
  }
  return { y, shape: [...out, cout, n] };
}

/** Max (NaN wins, padding ignored) or mean (sum over the positions inside x / prod(k)) of each window. */
export function directPool(x: ArrayLike<number>, xs: readonly number[], k: readonly number[], o: Win, mean: boolean): { y: Float64Array; shape: number[] } {
  const nd = k.length, cn = xs[nd] * xs[nd + 1], out = outSize(xs.slice(0, nd), k, o), y = new Float64Array(prod(out) * cn);
  for (let p = 0; p < prod(out); p++) {
    const oi = unflat(p, out);
    for (let q = 0; q < cn; q++) {
      let acc = mean ? 0 : -Infinity;
      for (let kk = 0; kk < prod(k); kk++) {
        const ki = unflat(kk, k), xi = oi.map((v, i) => v * o.stride[i] + ki[i] * o.dilation[i] - o.pad[2 * i]);
        if (xi.some((v, i) => v < 0 || v >= xs[i])) continue;
        const v = x[flat(xi, xs.slice(0, nd)) * cn + q];
        acc = mean ? acc + v : Number.isNaN(v) || Number.isNaN(acc) ? NaN : Math.max(acc, v);
      }
      y[p * cn + q] = mean ? acc / prod(k) : acc;
    }
  }
  return { y, shape: [...out, ...xs.slice(nd)] };
}

/** Awkward geometries: odd sizes, stride > kernel, dilation, padding larger than the kernel, 1-D to 3-D. */
export const GEOMETRIES: { label: string; size: number[]; k: number[]; o: Win }[] = [
  { label: '2-D 7×5 k 3×2', size: [7, 5], k: [3, 2], o: { stride: [1, 1], pad: [0, 0, 0, 0], dilation: [1, 1] } },
  { label: '2-D stride > kernel, dilation, asymmetric pad', size: [6, 9], k: [2, 3], o: { stride: [3, 4], pad: [1, 0, 2, 1], dilation: [2, 1] } },
  { label: '1-D pad > kernel, dilation 3', size: [11], k: [4], o: { stride: [2], pad: [5, 5], dilation: [3] } },
  { label: '3-D', size: [4, 3, 5], k: [2, 2, 3], o: { stride: [1, 2, 1], pad: [1, 0, 0, 1, 1, 1], dilation: [1, 1, 2] } },
  { label: '2-D kernel = input', size: [3, 4], k: [3, 4], o: { stride: [1, 1], pad: [0, 0, 0, 0], dilation: [1, 1] } },
];
