// The examples (issue 15, item 9) run and learn: XOR gets all four outputs right, the 1-D
// regression fits sin(x) on held-out points, the MNIST MLP passes 85% held-out accuracy after one
// epoch, each with fewer epochs than its default where that is enough. The command
// `npm run example -- --model NAME` dispatches through examples/run.ts: run once as a real
// process (XOR), and an unknown name is an error listing the examples. What is asserted is what
// the models learned, never how long they took.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runXor } from '../examples/xor.ts';
import { runLenet } from '../examples/lenet.ts';
import { runRegression } from '../examples/regression.ts';
import { main as mnistMain, type MnistResult } from '../examples/mnist.ts';
import { main as exampleMain, pick, EXAMPLES } from '../examples/run.ts';
import { UsageError } from '../examples/cli.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

test('xor: all four outputs right, clearly, for several seeds', async () => {
  for (const seed of [1, 2, 3]) {
    const r = await runXor({ epochs: 150, seed });
    assert.equal(r.targets, [0, 1, 1, 0]);
    r.outputs.forEach((v, i) => assert.ok(Math.abs(v - r.targets[i]) < 0.2,
      `seed ${seed}: ${r.inputs[i].join(' xor ')} → ${v}, expected ${r.targets[i]}`));
    assert.is(r.right, 4);
    assert.ok(r.seconds > 0, 'it reports how long it took');
  }
});

test('regression: held-out mse against sin(x) below 0.02, and the curve has its shape', async () => {
  const r = await runRegression({ epochs: 60, seed: 1 });
  assert.ok(r.testMse < 0.02, `held-out mse ${r.testMse} (a constant model scores about 0.5)`);
  // the mse is an average: check the extremes too, sin(±π/2) = ±1
  const at = (x: number) => r.predictions[r.xs.reduce((b, v, i) => (Math.abs(v - x) < Math.abs(r.xs[b] - x) ? i : b), 0)];
  assert.ok(Math.abs(at(Math.PI / 2) - 1) < 0.2, `model(π/2) = ${at(Math.PI / 2)}`);
  assert.ok(Math.abs(at(-Math.PI / 2) + 1) < 0.2, `model(-π/2) = ${at(-Math.PI / 2)}`);
  assert.is(r.xs.length, r.predictions.length);
});

test('mnist (the default example): ≥ 85% held-out accuracy after one epoch', async () => {
  const r = await mnistMain(['--epochs', '1', '--batch', '32']) as MnistResult;
  assert.ok(r.accuracy >= 0.85, `held-out accuracy ${(r.accuracy * 100).toFixed(2)}%`);
  assert.is(r.epochs, 1);
});

test('lenet: LeNet-5 learns the digits (≥ 95% held out after two epochs) and reports its time', async () => {
  const r = await runLenet({ epochs: 2, bar: false });
  assert.ok(r.accuracy >= 0.95, `held-out accuracy ${(r.accuracy * 100).toFixed(2)}%`);
  assert.ok(r.heldOutLoss < 0.2, `held-out loss ${r.heldOutLoss}`);
  assert.ok(r.seconds > 0);
});

test('the dispatcher: --model picks the example, mnist by default, options pass through', async () => {
  assert.equal(pick([]), { name: 'mnist', rest: [] });
  assert.equal(pick(['--epochs', '3']), { name: 'mnist', rest: ['--epochs', '3'] });
  assert.equal(pick(['--model', 'xor', '--epochs', '3']), { name: 'xor', rest: ['--epochs', '3'] });
  assert.equal(pick(['--epochs', '3', '--model=regression']), { name: 'regression', rest: ['--epochs', '3'] });
  assert.equal(Object.keys(EXAMPLES).slice(0, 3), ['mnist', 'xor', 'regression']);
  const r = await exampleMain(['--model', 'xor', '--epochs', '150']) as { right: number };
  assert.is(r.right, 4);
});

test('an unknown model, a missing name and a bad option are clear errors', async () => {
  for (const name of ['lenett', 'nope']) {
    assert.throws(() => pick(['--model', name]), (e: Error) => e instanceof UsageError &&
      e.message.includes(`unknown model '${name}'`) && Object.keys(EXAMPLES).every((n) => e.message.includes(n)));
  }
  assert.throws(() => pick(['--model']), (e: Error) => e instanceof UsageError && /--model needs a name: mnist, xor, regression/.test(e.message));
  for (const [argv, re] of [[['--model', 'xor', '--epochs', '0'], /--epochs needs an integer ≥ 1, got 0/],
    [['--model', 'regression', '--lr', 'fast'], /--lr needs a number > 0, got fast/],
    [['--model', 'xor', '--bogus'], /bogus/], [['--epochs', 'x'], /--epochs needs a number/]] as const) {
    try { await exampleMain([...argv]); assert.unreachable(`${argv.join(' ')} should fail`); }
    catch (e) { assert.match((e as Error).message, re); }
  }
});

// The command a newcomer types, minus `npm run asbuild` (the suite builds first): one process each.
const example = (...args: string[]) => spawnSync(process.execPath,
  ['--experimental-wasm-relaxed-simd', '--import', './test/_helpers/register.mjs', 'examples/run.ts', ...args],
  { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });

test('as a command: --model xor prints what it learned and the time; an unknown model exits 2 listing the examples', () => {
  const ok = example('--model', 'xor', '--epochs', '150');
  assert.is(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /0 xor 1 = 1: the model says (0\.9\d\d|1\.000) right/);
  assert.match(ok.stdout, /xor: 4 of 4 right, loss \d\.\d{4}, \d+\.\d\d s/);
  const bad = example('--model', 'lenett');
  assert.is(bad.status, 2);
  assert.match(bad.stderr, /example: unknown model 'lenett'; the examples are:\n {2}mnist .*\n {2}xor .*\n {2}regression /);
  assert.is(bad.stdout, '');
});

test.run();
