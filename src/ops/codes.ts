// The one table of op codes. The TypeScript ops read it directly; the AssemblyScript build
// generates its constants and code switches from it (scripts/asbuild.mjs), the WebGPU backend
// generates the WGSL constants and switches from it when it compiles a program
// (src/backends/wgsl.ts), and docs/KERNELS.md is generated from it (scripts/kernels-doc.mjs,
// checked by `npm test`). A code is its row's index: append rows, never reorder them.
//
// Adding an activation: one row here, then its forward and derivative under the same name in
// src/backends/ref.ts (float64), assembly/act.ts (f_NAME/df_NAME, SIMD) and gpu/act.wgsl
// (f_NAME/df_NAME), and the public function in src/ops/unary.ts (`act: true`).

/**
 * A unary op: `flops` per element (for the scheduler), `act` for NNlib's activations (the public
 * function of that name in src/ops/unary.ts is one), `fused` if the Dense epilogue fuses it.
 */
export interface UnaryRow { readonly name: string; readonly flops: number; readonly act?: boolean; readonly fused?: boolean; readonly f: string }

export const UNARY_OPS = [
  { name: 'identity', flops: 1, act: true, fused: true, f: 'x' },
  { name: 'neg', flops: 1, f: '−x' },
  { name: 'abs', flops: 1, f: '|x|' },
  { name: 'exp', flops: 8, fused: true, f: 'eˣ' },
  { name: 'log', flops: 8, f: 'ln x' },
  { name: 'sqrt', flops: 1, f: '√x' },
  { name: 'square', flops: 1, f: 'x²' },
  { name: 'tanh', flops: 12, act: true, fused: true, f: 'tanh x' },
  { name: 'sigmoid', flops: 10, act: true, fused: true, f: 'x ≥ 0 ? 1/(1+e^−x) : eˣ/(1+eˣ) (overflow-safe)' },
  { name: 'relu', flops: 1, act: true, fused: true, f: 'x < 0 ? 0 : x (NaN stays NaN)' },
  { name: 'relu6', flops: 1, act: true, fused: true, f: 'clamp(x, 0, 6)' },
  { name: 'leakyrelu', flops: 1, act: true, f: 'x > 0 ? x : alpha·x' },
  { name: 'elu', flops: 8, act: true, f: 'x ≥ 0 ? x : alpha(eˣ − 1)' },
  { name: 'celu', flops: 8, act: true, f: 'x ≥ 0 ? x : alpha(e^(x/alpha) − 1)' },
  { name: 'selu', flops: 8, act: true, f: 'SELU_L·(x > 0 ? x : SELU_A(eˣ−1))' },
  { name: 'gelu', flops: 16, act: true, f: 'x/2·(1 + tanh(GELU_S(x + GELU_C·x³)))' },
  { name: 'swish', flops: 12, act: true, f: 'x·σ(x)' },
  { name: 'hardsigmoid', flops: 1, act: true, f: 'clamp((x+3)/6, 0, 1)' },
  { name: 'hardswish', flops: 1, act: true, f: 'x·hardsigmoid(x)' },
  { name: 'softplus', flops: 12, act: true, f: 'x < 0 ? log1p(eˣ) : x + log1p(e^−x)' },
  { name: 'softsign', flops: 1, act: true, f: 'x/(1+|x|)' },
  { name: 'mish', flops: 24, act: true, f: 'x·tanh(softplus(x))' },
  { name: 'logsigmoid', flops: 12, act: true, f: '−softplus(−x)' },
  { name: 'sign', flops: 1, f: 'sign(x) (0 at 0)' },
  { name: 'reciprocal', flops: 1, f: '1/x' },
  { name: 'log1p', flops: 8, f: 'ln(1+x)' },
  { name: 'clamp', flops: 1, f: 'min(max(x, alpha), beta)' },
  { name: 'powscalar', flops: 10, f: 'x^alpha' },
  { name: 'addscalar', flops: 1, f: 'x + alpha' },
  { name: 'mulscalar', flops: 1, f: 'x·alpha' },
] as const satisfies readonly UnaryRow[];

export const BINARY_OPS = [
  { name: 'add', f: 'a + b' },
  { name: 'sub', f: 'a − b' },
  { name: 'mul', f: 'a·b' },
  { name: 'div', f: 'a / b' },
  { name: 'pow', f: 'a^b' },
  { name: 'maximum', f: 'max(a, b)' },
  { name: 'minimum', f: 'min(a, b)' },
  { name: 'greater', f: 'a > b ? 1 : 0' },
  { name: 'xlogy', f: 'a == 0 ? 0 : a·ln b' },
  { name: 'equal', f: 'a == b ? 1 : 0' },
] as const;

export const REDUCE_OPS = [
  { name: 'sum', f: 'Σx' },
  { name: 'mean', f: 'Σx / len' },
  { name: 'max', f: 'max x' },
  { name: 'min', f: 'min x' },
  { name: 'argmax', f: 'index of the first maximum, as f32' },
  { name: 'argmin', f: 'index of the first minimum, as f32' },
  { name: 'sumsq', f: 'Σx²' },
] as const;

/** Constants the activations share on every device (NNlib's values). */
export const CONSTANTS = {
  /** selu's λ and α. */
  SELU_L: 1.0507009873554805,
  SELU_A: 1.6732632423543772,
  /** tanh-gelu: √(2/π) and the cubic coefficient. */
  GELU_S: 0.7978845608028654,
  GELU_C: 0.044715,
} as const;

type Codes<T extends readonly { name: string }[]> = { readonly [R in T[number] as R['name']]: number };
function codes<T extends readonly { name: string }[]>(rows: T): Codes<T> {
  const o: Record<string, number> = Object.create(null);
  rows.forEach((r, i) => { o[r.name] = i; });
  return Object.freeze(o) as Codes<T>;
}

/** Unary op codes by name: `Unary.relu`. */
export const Unary = codes(UNARY_OPS);
export type UnaryName = keyof typeof Unary;
/** Binary op codes by name: `Binary.add`. */
export const Binary = codes(BINARY_OPS);
export type BinaryName = keyof typeof Binary;
/** Reduce op codes by name: `Reduce.sum`. */
export const Reduce = codes(REDUCE_OPS);
export type ReduceName = keyof typeof Reduce;

/** The activations the fused Dense epilogue (biasAct) runs in one pass. */
export const FUSED: ReadonlySet<number> = new Set(UNARY_OPS.flatMap((r, i) => ('fused' in r && r.fused ? [i] : [])));
