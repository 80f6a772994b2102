// Training off the main thread: `serveTraining` in the worker, `TrainingWorker` / `trainInWorker`
// on the page (or Node's main thread), over Web Workers or worker_threads alike.
export { serveTraining, type TrainingJob, type JobContext, type JobSetup, type ServeOptions } from './serve.js';
export { TrainingWorker, trainInWorker, type RunOptions, type TrainingRun, type WorkerOptions } from './client.js';
export type { PortLike, RunId, Metrics, Placement, TrainingProgress, TrainingResult } from './protocol.js';
