// fluxion's public API; docs/API.md, generated from the doc comments, is its reference.

export { init, devices, memory, type InitOptions, type GPULike, type GPUInfo, type Devices } from './device.js';
export { setPolicy, withPolicy, getProfile, setProfile, DEFAULT_PROFILE, type Profile, type DeviceProfile } from './scheduler.js';
export { trace, calibrate, type Trace, type TraceRecord } from './trace.js';
export {
  Tensor, tensor, zeros, ones, full, rand, randn, seed, scope, tidy, escape,
  type TensorLike, type Shape, type NestedArray,
} from './tensor.js';
export * from './ops/index.js';
export { gradient, withgradient, Params, Grads, noGrad, type Gradient, type Gradients, type GradientOf } from './autograd.js';

// ---- models (src/nn/) and losses (src/losses.ts) ----
// Activations are exported above through ops (the `act` rows of src/ops/codes.ts).
export { makeLayer, type Layer } from './nn/layer.js';
export { params, trainmode, testmode } from './nn/params.js';
export { Dense, type Activation, type DenseOptions } from './nn/dense.js';
export { Chain } from './nn/chain.js';
export { Embedding, type EmbeddingInput } from './nn/embedding.js';
export {
  MultiHeadAttention, dot_product_attention, type MHADims, type MHAOptions, type MHACallOptions, type AttentionOptions, type AttentionMask,
} from './nn/attention.js';
export { Dropout } from './nn/dropout.js';
export { LayerNorm, BatchNorm } from './nn/norm.js';
export { Conv, CrossCor, ConvTranspose, flatten, type ConvLayerOptions } from './nn/conv.js';
export {
  MaxPool, MeanPool, GlobalMaxPool, GlobalMeanPool, AdaptiveMaxPool, AdaptiveMeanPool, type Pool, type PoolLayer,
} from './nn/pool.js';
export {
  RNNCell, LSTMCell, GRUCell, GRUv3Cell, RNN, LSTM, GRU, GRUv3, initialstates,
  type RecurrentOptions, type SequenceOptions, type LSTMState,
} from './nn/recurrent.js';
export { glorot_uniform, glorot_normal, kaiming_uniform, kaiming_normal, nfan, type Init } from './nn/init.js';
export {
  mse, mae, msle, huber_loss, label_smoothing, crossentropy, logitcrossentropy, binarycrossentropy,
  logitbinarycrossentropy, kldivergence, poisson_loss, hinge_loss, squared_hinge_loss, dice_coeff_loss,
  tversky_loss, binary_focal_loss, focal_loss, siamese_contrastive_loss, type LossOptions, type Agg,
} from './losses.js';

// training, callbacks and data (src/train/, src/data.ts)
export { train, trainStep, stop, skip, type TrainOptions, type TrainSummary, type TrainProgress } from './train/train.js';
export { throttle, everyN, type ThrottleOptions, type Throttled } from './train/callbacks.js';
export type { ProgressStream } from './train/progress.js';
export {
  repeated, zip, DataLoader, onehot, onehotbatch, onecold, type DataLoaderOptions,
} from './data.js';

// Optimisers (src/optim/)
export * from './optim/index.js';

// ---- embedding (issue "Embedding: web pages, Web Workers, Node worker_threads, and a demo") ----
// Saving/loading as safetensors (src/io.ts) and training in a worker (src/worker/).
export {
  saveModel, loadModel, namedTensors, encodeSafetensors, decodeSafetensors,
  type TensorRecord, type Safetensors, type StatefulOptimiser, type LoadResult,
} from './io.js';
export {
  serveTraining, TrainingWorker, trainInWorker,
  type TrainingJob, type JobContext, type JobSetup, type ServeOptions, type RunOptions, type TrainingRun,
  type PortLike, type Metrics, type Placement, type TrainingProgress, type TrainingResult, type WorkerOptions, type RunId,
} from './worker/index.js';
// ---- end of embedding ----
