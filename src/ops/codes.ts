// Op codes shared by the TypeScript registry, the AssemblyScript kernels (assembly/codes.ts)
// and the WGSL programs (gpu/*.wgsl). docs/KERNELS.md is the table these mirror.

export const Unary = {
  identity: 0, neg: 1, abs: 2, exp: 3, log: 4, sqrt: 5, square: 6, tanh: 7, sigmoid: 8,
  relu: 9, relu6: 10, leakyrelu: 11, elu: 12, celu: 13, selu: 14, gelu: 15, swish: 16,
  hardsigmoid: 17, hardswish: 18, softplus: 19, softsign: 20, mish: 21, logsigmoid: 22,
  sign: 23, reciprocal: 24, log1p: 25, clamp: 26, powscalar: 27, addscalar: 28, mulscalar: 29,
} as const;
export type UnaryName = keyof typeof Unary;

export const Binary = {
  add: 0, sub: 1, mul: 2, div: 3, pow: 4, maximum: 5, minimum: 6, greater: 7, xlogy: 8, equal: 9,
} as const;
export type BinaryName = keyof typeof Binary;

export const Reduce = { sum: 0, mean: 1, max: 2, min: 3, argmax: 4, argmin: 5, sumsq: 6 } as const;
export type ReduceName = keyof typeof Reduce;
