// The seed model on the real MNIST digits of the `mnist` package (8,000 train / 2,000 held out):
// Chain(Dense(784, 32, σ), Dense(32, 10), softmax) with mse, trained by the seed's call
// `train(loss, params(m), data, opt, { cb: throttle(evalcb, 5) })`, reaches ≥ 90% held-out
// accuracy within a bounded number of EPOCHS (never a time bound), on the CPU. About 1-3 s on 2 cores.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { init, withPolicy, seed, params, mse, train, throttle, DataLoader, onecold, memory, type Tensor } from '../src/index.ts';
import { loadMnist, seedModel, makeOpt, accuracy } from '../examples/mnist.ts';

await init({ gpu: false });
const d = loadMnist();

test('the data: 8,000 / 2,000 digits, features first, one-hot labels, all ten digits held out', () => {
  assert.equal(d.xtrain.shape, [784, 8000]);
  assert.equal(d.ytrain.shape, [10, 8000]);
  assert.equal(d.xtest.shape, [784, 2000]);
  assert.equal(onecold(d.ytest), d.ltest);
  assert.is(new Set(d.ltest).size, 10);
  const again = loadMnist();
  assert.equal(again.ltest, d.ltest, 'the split is deterministic');
  for (const t of Object.values(again)) if (!Array.isArray(t)) (t as Tensor).dispose();
});

for (const [opt, maxEpochs] of [['adam', 5], ['descent', 6]] as const) {
  test(`seed model, mse, ${opt}: ≥ 90% held-out accuracy within ${maxEpochs} epochs`, () => withPolicy('cpu', async () => {
    seed(1);
    const m = seedModel();
    const loss = (x: Tensor, y: Tensor) => mse(m(x), y);
    const o = makeOpt(opt);
    const data = DataLoader([d.xtrain, d.ytrain], { batchsize: 32, shuffle: true });
    let evals = 0, testloss = NaN;
    const evalcb = async () => { evals++; testloss = await loss(d.xtest, d.ytest).item(); };
    const cb = throttle(evalcb, 5);
    const start = memory().tensors;
    let acc = 0, epochs = 0;
    while (epochs < maxEpochs && acc < 0.9) {
      await train(loss, params(m), data, o, { cb });
      epochs++;
      acc = await accuracy(m, d.xtest, d.ltest);
    }
    console.log(`  mnist ${opt}: ${(acc * 100).toFixed(2)}% held-out after ${epochs} epoch(s); throttled evalcb ran ${evals}x, last held-out loss ${testloss.toFixed(4)}`);
    assert.ok(acc >= 0.9, `held-out accuracy ${(acc * 100).toFixed(2)}% after ${epochs} epochs`);
    assert.ok(evals >= 1 && evals <= 1 + epochs * 2, 'evalcb is throttled');
    assert.ok(memory().tensors - start <= 3 * params(m).length, 'only parameters and optimiser state remain');
  }));
}

test.run();
