// serveTraining's loop is train's: stop() and skip() in the loss mean what they mean in train, a
// non-finite loss stops the run with train's error, maxSteps and cancel end a run with its
// weights. In this thread, over a MessageChannel (worker.test.ts runs the real worker).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MessageChannel } from 'node:worker_threads';
import {
  init, seed, rand, Chain, Dense, sigmoid, mse, Descent, setup, serveTraining, TrainingWorker, stop, skip, Tensor,
  type TrainingJob, type TrainingProgress,
} from '../src/index.ts';

await init({ gpu: false });

interface Cfg { n: number; maxSteps?: number; epochs?: number; bad?: number; skipOdd?: boolean; stopAt?: number; slow?: boolean; state?: boolean }

/** A worker in this thread: serveTraining on one end of a channel, TrainingWorker on the other. */
function serve() {
  const ch = new MessageChannel();
  const unserve = serveTraining<Cfg>((c) => {
    seed(1);
    const m = Chain(Dense(3, 4, sigmoid), Dense(4, 1));
    const data = Array.from({ length: c.n }, () => [rand(3, 2).keep(), rand(1, 2).keep()]);
    let k = 0;
    const loss = (x: Tensor, y: Tensor) => {
      const i = k++;
      if (c.skipOdd && i % 2) skip();
      if (c.stopAt === i) stop();
      if (c.slow) { const t = performance.now(); while (performance.now() - t < 2); }
      const l = mse(m(x), y);
      return c.bad === i ? l.mul(NaN) : l;
    };
    const job: TrainingJob = { model: m, loss, data, opt: c.state ? setup(Descent(0.1), m) : Descent(0.1), maxSteps: c.maxSteps,
      epochs: c.epochs, progressEvery: 0, yieldEvery: 0, traceEvery: 3 };
    return job;
  }, { port: ch.port1 as never });
  const tw = new TrainingWorker<Cfg>(ch.port2 as never);
  return { tw, close: () => { unserve(); ch.port1.close(); ch.port2.close(); } };
}

test('every item trains once per epoch; progress counts steps and samples; traced steps report placement', async () => {
  const { tw, close } = serve();
  const progress: TrainingProgress[] = [];
  const r = await tw.train({ n: 5, epochs: 2 }, { onProgress: (p) => progress.push(p) });
  close();
  assert.equal({ steps: r.steps, samples: r.samples, epochs: r.epochs, cancelled: r.cancelled }, { steps: 10, samples: 20, epochs: 2, cancelled: false });
  assert.ok(Number.isFinite(r.loss));
  assert.ok(progress.filter((p) => p.placement).length >= 3, 'steps 0, 3, 6, 9 are traced');
  assert.ok(progress.find((p) => p.placement)!.placement!.ops.some((o) => o.op === 'matmul' || o.op === 'dense'));
});

test('a non-finite loss stops the run with train\'s error', async () => {
  const { tw, close } = serve();
  const e = await tw.train({ n: 6, bad: 4 }).then(() => null, (err: Error) => err);
  close();
  assert.ok(e, 'the run failed');
  assert.match(e!.message, /train: Loss is NaN on data item 4 \(counting from 0\), stopping training/);
});

test('skip() in the loss skips that item (no update, not counted), as in train', async () => {
  const { tw, close } = serve();
  const r = await tw.train({ n: 6, skipOdd: true, state: true });
  close();
  assert.equal({ steps: r.steps, samples: r.samples, cancelled: r.cancelled }, { steps: 3, samples: 6, cancelled: false });
});

test('stop() in the loss ends the run cleanly with the weights reached', async () => {
  const { tw, close } = serve();
  const r = await tw.train({ n: 6, epochs: 3, stopAt: 2 });
  close();
  assert.equal({ steps: r.steps, epochs: r.epochs, cancelled: r.cancelled }, { steps: 2, epochs: 1, cancelled: false });
  assert.ok(r.weights.byteLength > 0);
});

test('maxSteps and cancel end a run early', async () => {
  const { tw, close } = serve();
  const r = await tw.train({ n: 5, epochs: 4, maxSteps: 7 });
  assert.equal({ steps: r.steps, epochs: r.epochs, cancelled: r.cancelled }, { steps: 7, epochs: 2, cancelled: false });
  const run = tw.train({ n: 50, epochs: 100, slow: true }, { onProgress: (p) => { if (p.step >= 3) run.cancel(); } });
  const c = await run;
  close();
  assert.is(c.cancelled, true);
  assert.ok(c.steps >= 3 && c.steps < 5000, `${c.steps} steps before the cancel took effect`);
});

test.run();
