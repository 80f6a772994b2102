// Op codes shared with src/ops/codes.ts and gpu/*.wgsl. Mirror of docs/KERNELS.md: change both together.

// unary
export const U_IDENTITY: i32 = 0;
export const U_NEG: i32 = 1;
export const U_ABS: i32 = 2;
export const U_EXP: i32 = 3;
export const U_LOG: i32 = 4;
export const U_SQRT: i32 = 5;
export const U_SQUARE: i32 = 6;
export const U_TANH: i32 = 7;
export const U_SIGMOID: i32 = 8;
export const U_RELU: i32 = 9;
export const U_RELU6: i32 = 10;
export const U_LEAKYRELU: i32 = 11;
export const U_ELU: i32 = 12;
export const U_CELU: i32 = 13;
export const U_SELU: i32 = 14;
export const U_GELU: i32 = 15;
export const U_SWISH: i32 = 16;
export const U_HARDSIGMOID: i32 = 17;
export const U_HARDSWISH: i32 = 18;
export const U_SOFTPLUS: i32 = 19;
export const U_SOFTSIGN: i32 = 20;
export const U_MISH: i32 = 21;
export const U_LOGSIGMOID: i32 = 22;
export const U_SIGN: i32 = 23;
export const U_RECIPROCAL: i32 = 24;
export const U_LOG1P: i32 = 25;
export const U_CLAMP: i32 = 26;
export const U_POWSCALAR: i32 = 27;
export const U_ADDSCALAR: i32 = 28;
export const U_MULSCALAR: i32 = 29;

// binary
export const B_ADD: i32 = 0;
export const B_SUB: i32 = 1;
export const B_MUL: i32 = 2;
export const B_DIV: i32 = 3;
export const B_POW: i32 = 4;
export const B_MAXIMUM: i32 = 5;
export const B_MINIMUM: i32 = 6;
export const B_GREATER: i32 = 7;
export const B_XLOGY: i32 = 8;
export const B_EQUAL: i32 = 9;

// reduce
export const R_SUM: i32 = 0;
export const R_MEAN: i32 = 1;
export const R_MAX: i32 = 2;
export const R_MIN: i32 = 3;
export const R_ARGMAX: i32 = 4;
export const R_ARGMIN: i32 = 5;
export const R_SUMSQ: i32 = 6;
