// Every op as a function (the same ops are Tensor methods, defined in tensor.ts), and every op
// definition by name.

import type { OpDef } from './registry.js';
import * as unaryOps from './unary.js';
import * as binaryOps from './binary.js';
import * as reduceOps from './reduce.js';
import * as matmulOps from './matmul.js';
import * as softmaxOps from './softmax.js';
import * as shapeOps from './shape.js';
import * as denseOps from './dense.js';
import * as optimOps from './optim.js';
import * as permuteOps from './permute.js';
import * as convOps from './conv.js';
import * as poolOps from './pool.js';
import * as batchedOps from './batched.js';
import * as gatherOps from './gather.js';
import * as slicingOps from './slicing.js';
import * as rnnOps from './rnn.js';

export * from './unary.js';
export * from './binary.js';
export { sum, mean, max, min, argmax, argmin, sumsq, broadcastTo, sumTo } from './reduce.js';
export { matmul } from './matmul.js';
export { softmax, logsoftmax, make_causal_mask, type SoftmaxDims } from './softmax.js';
export { reshape, transpose } from './shape.js';
export { permutedims } from './permute.js';
export { conv, SamePad, type ConvOptions } from './conv.js';
export { maxpool, meanpool, type PoolOptions } from './pool.js';
export { batched_mul } from './batched.js';
export { gather, scatter, type Indices, type ScatterOp } from './gather.js';
export { cat, vcat, hcat, stack, chunk, slice, selectdim } from './slicing.js';
export { applyChecked as apply, defineOp, type OpDef } from './registry.js';

const isOpDef = (v: unknown): v is OpDef => !!v && typeof v === 'object' &&
  typeof (v as OpDef).name === 'string' && Array.isArray((v as OpDef).kernels) && typeof (v as OpDef).run === 'function';

/**
 * Every op definition, by name: the defs the op modules export (a module with ops belongs in the
 * list below). For tests and tools that sweep all ops; nothing registers itself at import.
 * @example for (const def of registry.values()) console.log(def.name, def.kernels);
 */
export const registry: ReadonlyMap<string, OpDef> = /* @__PURE__ */ new Map(
  [unaryOps, binaryOps, reduceOps, matmulOps, softmaxOps, shapeOps, denseOps, optimOps, permuteOps, convOps, poolOps, batchedOps, gatherOps, slicingOps, rnnOps]
    .flatMap((m) => Object.values(m).filter(isOpDef)).map((d) => [d.name, d]));

