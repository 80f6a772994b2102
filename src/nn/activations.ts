// The activation functions of API.md, in one place: NNlib's definitions (FLUX_SEMANTICS 2.7)
// implemented as unary ops (src/ops/unary.ts), plus softmax/logsoftmax, which are not
// elementwise and so belong in a Chain, never as a Dense activation. Each works on a tensor
// and, like NNlib's scalar functions, on a plain number: `relu(-1) === 0`.

export {
  identity, sigmoid, σ, hardsigmoid, hardσ, logsigmoid, logσ, relu, relu6, leakyrelu, elu, celu,
  selu, gelu, swish, hardswish, softplus, softsign, tanh, mish,
} from '../ops/unary.js';
export { softmax, logsoftmax } from '../ops/softmax.js';
