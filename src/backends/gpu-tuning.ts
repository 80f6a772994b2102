// Which kernel variant runs where: the tuning table (per adapter) and the matmul plan (per
// shape). Pure functions of the shape, the tuning and the device limits, so the choice can be
// read and tested apart from the backend that records it (src/backends/webgpu.ts).
import type { WebGPUInfo } from './webgpu.js';

/**
 * Kernel choices for an adapter. matmul: the 128x128 `big` tile once min(m, n) reaches
 * `bigFrom` (the 64-tile `main` below it); split-K into up to `maxSplits` slices of at least
 * `splitDepth` k each when the output has fewer than `splitTarget` 128-tiles (about two per
 * compute unit), with at most `maxScratchBytes` of partial sums.
 */
export interface Tuning {
  bigFrom: number; splitTarget: number; splitDepth: number; maxSplits: number; maxScratchBytes: number;
  /** softmax and softmaxGrad take a workgroup per slice from this slice length (fewer than 8192 slices). */
  rowFrom: number;
}

/**
 * The tuning table, first match wins. SwiftShader (measured here, bench/kernels.bench.ts) runs
 * each workgroup on one CPU thread: larger tiles, but no split-K (the 64-tile grid already has
 * more workgroups than a CPU has cores; split 128x4096x96 measured no faster) and no
 * workgroup-wide softmax (its barriers cost more there than the serial loop: 25x at 64 x 1000).
 * Discrete GPUs have 30-140 compute units; the figures for them await a run of bench/gpu.sh.
 */
export const TUNING: [match: (i: WebGPUInfo) => boolean, tuning: Tuning][] = [
  [(i) => i.fallback || /swiftshader|llvmpipe|lavapipe/i.test(`${i.vendor} ${i.architecture} ${i.description}`),
    { bigFrom: 128, splitTarget: 0, splitDepth: 512, maxSplits: 4, maxScratchBytes: 16 << 20, rowFrom: Infinity }],
  [(i) => /nvidia|amd|ati/i.test(i.vendor), { bigFrom: 128, splitTarget: 256, splitDepth: 256, maxSplits: 32, maxScratchBytes: 64 << 20, rowFrom: 128 }],
  [() => true, { bigFrom: 128, splitTarget: 64, splitDepth: 256, maxSplits: 16, maxScratchBytes: 32 << 20, rowFrom: 128 }],
];

/** A grid of at least `n` workgroups within the per-dimension limit `maxDim` (x, then y, then z). */
export function fold(n: number, maxDim: number): number[] {
  const x = Math.min(n, maxDim), y = Math.min(Math.ceil(n / x), maxDim);
  return [x, y, Math.ceil(n / (x * y))];
}

/** A matmul's entry of gpu/matmul.wgsl, its grid, split-K's slice count, and the vec4 overrides (big, splitk). */
export interface MatmulPlan { entry: 'main' | 'big' | 'splitk'; groups: number[]; splits: number; vec: { VA: number; VB: number; VC: number } }

/**
 * The matmul entry for a shape: split-K when the output has too few 128-tiles to fill the adapter
 * and k is long (and the tiles are mostly output, the scratch within bounds), else `big` when
 * both sides reach `bigFrom`, else the 64-tile `main`; vec4 loads where stored rows allow.
 *   planMatmul(256, 4096, 784, 0, 1, 0, TUNING[1][1], 65535, 2 ** 31).entry   // 'splitk'
 */
export function planMatmul(m: number, k: number, n: number, ta: number, tb: number, acc: number, t: Tuning,
  maxDim: number, maxBinding: number): MatmulPlan {
  const vec = { VA: +((ta ? m : k) % 4 === 0), VB: +((tb ? k : n) % 4 === 0), VC: +(n % 4 === 0) };
  // split-K runs 128-tiles: not where they would be mostly padding (a 64x64 output is 3/4 waste)
  const across = Math.ceil(n / 128), down = Math.ceil(m / 128), tiles = across * down, dense = tiles * 128 * 128 <= 2 * m * n;
  const splits = Math.min(t.maxSplits, Math.floor(k / t.splitDepth), Math.floor(t.splitTarget / tiles), maxDim);
  const scratch = 4 * (splits + (acc ? 1 : 0)) * m * n;
  if (splits >= 2 && dense && across <= maxDim && down <= maxDim && scratch <= Math.min(t.maxScratchBytes, maxBinding)) {
    return { entry: 'splitk', groups: [across, down, splits], splits, vec };
  }
  if (Math.min(m, n) >= t.bigFrom) return { entry: 'big', groups: fold(tiles, maxDim), splits: 0, vec };
  return { entry: 'main', groups: fold(Math.ceil(m / 64) * Math.ceil(n / 64), maxDim), splits: 0, vec };
}
