// package.json says "sideEffects": false, so a bundler drops every module whose exports an app
// does not use. That is only safe if importing a module merely defines things: these entries
// import a few functions, are bundled with esbuild (tree shaking on, as an app's build would),
// and must still work: ops run, tensor methods exist, gradients flow through views and model
// walks, training trains.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { build } from 'esbuild';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const dir = mkdtempSync(join(tmpdir(), 'fluxion-shake-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** Bundles `contents` (an entry importing from src/index.ts) and imports the result. */
async function bundled(name: string, contents: string): Promise<{ run(): Promise<any>; code: string }> {
  const r = await build({
    stdin: { contents, resolveDir: ROOT, sourcefile: `${name}.ts`, loader: 'ts' },
    bundle: true, format: 'esm', platform: 'neutral', target: 'es2022', treeShaking: true, write: false,
    loader: { '.wasm': 'binary', '.wgsl': 'text' }, external: ['webgpu', 'node:*'], logLevel: 'error',
  });
  const code = r.outputFiles[0].text, file = join(dir, `${name}.mjs`);
  writeFileSync(file, code);
  return { ...(await import(pathToFileURL(file).href)), code };
}

test('one op, its tensor methods, a view on the tape and gradient(f, model) survive tree shaking', async () => {
  const b = await bundled('ops', `
    import { init, tensor, relu, gradient } from './src/index.ts';
    export async function run() {
      await init({ gpu: false });
      const w = tensor([[1, -2], [3, 4]]).keep();
      const g = gradient(() => relu(w.view([4])).mul(w.view([4])).sum(), { layer: { w } });
      return { y: Array.from(relu(w).dataSync()), g: Array.from(g.get(w).dataSync()), shape: g.get(w).shape, mean: w.mean().dataSync()[0] };
    }`);
  assert.not.ok(b.code.includes('serveTraining'), 'the bundle is tree-shaken (the worker is not in it)');
  const r = await b.run();
  assert.equal(r.y, [1, 0, 3, 4]);
  assert.equal(r.g, [2, 0, 6, 8], 'd/dw Σ relu(w)·w = 2w where w > 0, through the views');
  assert.equal(r.shape, [2, 2]);
  assert.is(r.mean, 1.5);
});

test('a minimal training entry (Dense, mse, train, a rule) trains after tree shaking', async () => {
  const b = await bundled('train', `
    import { init, seed, rand, Dense, mse, train, Descent } from './src/index.ts';
    export async function run() {
      await init({ gpu: false });
      seed(2);
      const m = Dense(3, 1), x = rand(3, 8).keep(), y = rand(1, 8).keep();
      const loss = (x, y) => mse(m(x), y);
      const before = loss(x, y).dataSync()[0];
      const s = await train(loss, m, Array(30).fill([x, y]), Descent(0.5));
      return { steps: s.steps, before, after: loss(x, y).dataSync()[0] };
    }`);
  const r = await b.run();
  assert.is(r.steps, 30);
  assert.ok(r.after < r.before, `loss fell: ${r.before} -> ${r.after}`);
});

test('package.json still declares the package free of side effects', () => {
  assert.is(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).sideEffects, false);
});

test.run();
