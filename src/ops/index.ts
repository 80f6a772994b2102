// Every op as a function, and the same ops as Tensor methods (`x.add(y)`, `loss.mean()`).

import { Tensor, type TensorLike, type Shape } from '../tensor.js';
import * as u from './unary.js';
import * as bi from './binary.js';
import * as r from './reduce.js';
import { matmul } from './matmul.js';
import { softmax, logsoftmax } from './softmax.js';
import { reshape, transpose } from './shape.js';

export * from './unary.js';
export * from './binary.js';
export { sum, mean, max, min, argmax, argmin, sumsq, broadcastTo, sumTo } from './reduce.js';
export { matmul } from './matmul.js';
export { softmax, logsoftmax } from './softmax.js';
export { reshape, transpose } from './shape.js';
export { registry, apply, defineOp, type OpDef } from './registry.js';

type Dims = number | readonly number[];
declare module '../tensor.js' {
  interface Tensor {
    add(b: TensorLike): Tensor; sub(b: TensorLike): Tensor; mul(b: TensorLike): Tensor; div(b: TensorLike): Tensor;
    pow(b: TensorLike): Tensor; maximum(b: TensorLike): Tensor; minimum(b: TensorLike): Tensor;
    neg(): Tensor; abs(): Tensor; exp(): Tensor; log(): Tensor; sqrt(): Tensor; square(): Tensor;
    tanh(): Tensor; sigmoid(): Tensor; relu(): Tensor; sign(): Tensor; clamp(lo: number, hi: number): Tensor;
    sum(dims?: Dims): Tensor; mean(dims?: Dims): Tensor; max(dims?: Dims): Tensor; min(dims?: Dims): Tensor;
    argmax(dims?: Dims): Tensor; argmin(dims?: Dims): Tensor;
    matmul(b: TensorLike, opts?: { transA?: boolean; transB?: boolean }): Tensor;
    softmax(dims?: number): Tensor; logsoftmax(dims?: number): Tensor;
    reshape(shape: Shape): Tensor; transpose(): Tensor;
  }
}

const P = Tensor.prototype;
P.add = function (b) { return bi.add(this, b); };
P.sub = function (b) { return bi.sub(this, b); };
P.mul = function (b) { return bi.mul(this, b); };
P.div = function (b) { return bi.div(this, b); };
P.pow = function (b) { return bi.pow(this, b); };
P.maximum = function (b) { return bi.maximum(this, b); };
P.minimum = function (b) { return bi.minimum(this, b); };
P.neg = function () { return u.neg(this); };
P.abs = function () { return u.abs(this); };
P.exp = function () { return u.exp(this); };
P.log = function () { return u.log(this); };
P.sqrt = function () { return u.sqrt(this); };
P.square = function () { return u.square(this); };
P.tanh = function () { return u.tanh(this); };
P.sigmoid = function () { return u.sigmoid(this); };
P.relu = function () { return u.relu(this); };
P.sign = function () { return u.sign(this); };
P.clamp = function (lo, hi) { return u.clamp(this, lo, hi); };
P.sum = function (d) { return r.sum(this, d); };
P.mean = function (d) { return r.mean(this, d); };
P.max = function (d) { return r.max(this, d); };
P.min = function (d) { return r.min(this, d); };
P.argmax = function (d) { return r.argmax(this, d); };
P.argmin = function (d) { return r.argmin(this, d); };
P.matmul = function (b, o) { return matmul(this, b, o); };
P.softmax = function (d) { return softmax(this, d); };
P.logsoftmax = function (d) { return logsoftmax(this, d); };
P.reshape = function (s) { return reshape(this, s); };
P.transpose = function () { return transpose(this); };
