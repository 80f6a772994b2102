// fluxion's public API (../shared/API.md is the contract).

export { init, devices, memory, type InitOptions } from './device.js';
export { setPolicy, withPolicy } from './scheduler.js';
export {
  Tensor, tensor, zeros, ones, full, rand, randn, seed, scope, tidy, escape,
  type TensorLike, type Shape, type NestedArray,
} from './tensor.js';
export * from './ops/index.js';
export { gradient, withgradient, Params, Grads, noGrad } from './autograd.js';
