// The package as a user gets it: scripts/build.mjs builds into a temp copy of the package
// (package.json, README, LICENSE), `npm pack` packs it as it would be published, and the tarball
// is installed offline into a fresh app (fluxion has no runtime dependencies). Then this repo's
// TypeScript type-checks a small program against the installed declarations with --strict, no
// skipLibCheck and no @webgpu/types (once with the DOM lib, once as a Node project with only
// @types/node), and Node runs the compiled program: a Chain takes a few training steps, and the
// loss it prints must fall. Also checked: what the tarball holds (a LICENSE, no source map),
// that installing it pulls no WebGPU binaries, that init() writes nothing to the terminal when
// the optional `webgpu` package is absent, and that the README's recipe for a GPU in Node
// (`webgpu` + SwiftShader through VK_ICD_FILENAMES) finds an adapter, silently too.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, cpSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './browser/harness.js';

const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

// The program a new user would write: the types must carry it with no cast (m.layers[0].weight,
// train's forms), and the lines marked @ts-expect-error must stay errors.
const MAIN = `import { init, seed, devices, Chain, Dense, relu, mse, params, train, Descent, Adam, setup, tensor, type Tensor } from 'fluxion';

const mode = (globalThis as { process?: { argv: string[] } }).process?.argv[2];
await init({ gpu: mode === 'auto' ? 'auto' : false });
seed(1);
const m = Chain(Dense(2, 8, relu), Dense(8, 1));
const w: Tensor = m.layers[0].weight;                 // typed: no cast
const x = tensor([[0, 0, 1, 1], [0, 1, 0, 1]]), y = tensor([[0, 1, 1, 2]]);
const loss = (a: Tensor, b: Tensor) => mse(m(a), b);
const before = (await loss(x, y).data())[0];
await train(loss, params(m), Array.from({ length: 30 }, () => [x, y]), Descent(0.05));
await train((model, a, b) => mse(model.layers[1](model.layers[0](a)), b), m, [[x, y]], setup(Adam(0.01), m));
// @ts-expect-error a rule without the parameters is not a form of train
if (Math.random() > 2) await train(loss, [[x, y]], Descent(0.1));
const after = (await loss(x, y).data())[0];
const gpu = devices().gpu;
console.log(JSON.stringify({ before, after, weight: w.shape, gpu: gpu.available ? 'available' : gpu.reason }));
`;

const run = (cmd: string, args: string[], cwd: string) => {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r;
};

test('npm pack → install into a fresh app → tsc --strict against the .d.ts → run: the package a user gets works', () => {
  const t0 = Date.now();
  const tmp = mkdtempSync(join(tmpdir(), 'fluxion-pkg-'));
  try {
    // The package directory, built as `npm run build` builds dist/, but somewhere else so that
    // no concurrent build or test sees dist/ emptied. It has no sources, so `npm pack` runs
    // without the prepack script (which builds dist/ before a real pack or publish).
    if (!existsSync(join(ROOT, 'build/fluxion.wasm'))) run('npm', ['run', '--silent', 'asbuild'], ROOT);
    const pkg = join(tmp, 'pkg');
    mkdirSync(pkg);
    for (const f of ['package.json', 'README.md', 'LICENSE']) cpSync(join(ROOT, f), join(pkg, f));
    run(process.execPath, ['scripts/build.mjs', '--outdir', join(pkg, 'dist')], ROOT);
    const buildMs = Date.now() - t0;

    const packed = JSON.parse(run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', tmp], pkg).stdout)[0];
    const files: string[] = packed.files.map((f: { path: string }) => f.path);
    for (const f of ['LICENSE', 'README.md', 'package.json', 'dist/fluxion.js', 'dist/index.d.ts']) assert.ok(files.includes(f), `the tarball has ${f}: ${files.join(', ')}`);
    assert.equal(files.filter((f) => f.endsWith('.map')), [], 'no source map in the tarball');
    assert.equal(files.filter((f) => !/^dist\/.*\.(js|d\.ts)$/.test(f) && !['LICENSE', 'README.md', 'package.json'].includes(f)), [], 'only the bundle, its declarations and the metadata');
    assert.ok(!readFileSync(join(pkg, 'dist/fluxion.js'), 'utf8').includes('sourceMappingURL'), 'the bundle points at no source map');
    assert.match(readFileSync(join(pkg, 'LICENSE'), 'utf8'), /MIT License[\s\S]*the fluxion authors/);
    const meta = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8'));
    assert.equal(meta.dependencies ?? {}, {}, 'no runtime dependencies');
    assert.is(meta.peerDependenciesMeta?.webgpu?.optional, true, 'webgpu is an optional peer');

    const app = join(tmp, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    run('npm', ['install', '--offline', '--no-audit', '--no-fund', join(tmp, packed.filename)], app);
    assert.ok(existsSync(join(app, 'node_modules/fluxion/dist/fluxion.js')));
    assert.not.ok(existsSync(join(app, 'node_modules/webgpu')), 'installing fluxion does not pull Dawn');

    writeFileSync(join(app, 'main.ts'), MAIN);
    const common = { strict: true, target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', skipLibCheck: false };
    // A browser-or-anything project: the default libs (DOM included), no ambient types at all.
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions: { ...common, types: [], outDir: 'out' }, files: ['main.ts'] }));
    // A Node project: no DOM, only @types/node (taken from this repo; @webgpu/types is not under @types).
    writeFileSync(join(app, 'tsconfig.node.json'), JSON.stringify({ compilerOptions: {
      ...common, lib: ['ES2022'], noEmit: true, typeRoots: [join(ROOT, 'node_modules/@types')], types: ['node'],
    }, files: ['main.ts'] }));
    for (const cfg of ['tsconfig.json', 'tsconfig.node.json']) {
      const r = spawnSync(process.execPath, [TSC, '-p', cfg], { cwd: app, encoding: 'utf8' });
      assert.is(r.status, 0, `tsc -p ${cfg} (strict, no skipLibCheck, no @webgpu/types):\n${r.stdout}${r.stderr}`);
    }

    // The optional peer is absent, so even init() with the default gpu: 'auto' must stay silent.
    const main = (mode: string, env: NodeJS.ProcessEnv = process.env) => {
      const r = spawnSync(process.execPath, ['out/main.js', mode], { cwd: app, encoding: 'utf8', env });
      // The tail only: an error inside the minified bundle prints its whole line.
      assert.is(r.status, 0, `node out/main.js ${mode}:\n${r.stdout}${r.stderr.slice(-2000)}`);
      assert.is(r.stderr, '', `nothing on stderr (${mode})`);
      const out = JSON.parse(r.stdout.trim());
      assert.ok(Number.isFinite(out.before) && out.after < out.before / 2, `${mode}: the loss falls: ${out.before} → ${out.after}`);
      assert.equal(out.weight, [8, 2]);
      return out;
    };
    assert.is(main('cpu').gpu, 'not requested');
    const out = main('auto');
    assert.match(out.gpu, /webgpu package is not installed/);

    // The README's recipe for a GPU in Node without one: `npm i webgpu` (linked here from this
    // repo) and SwiftShader through VK_ICD_FILENAMES. With no XDG_RUNTIME_DIR (a server, CI) the
    // Vulkan loader would complain on stderr; init() must keep it quiet.
    let gpuNote = 'SwiftShader run skipped (no /usr/lib/chromium/vk_swiftshader_icd.json)';
    if (existsSync(ICD)) {
      symlinkSync(join(ROOT, 'node_modules/webgpu'), join(app, 'node_modules/webgpu'), 'dir');
      const env: NodeJS.ProcessEnv = { ...process.env, VK_ICD_FILENAMES: ICD };
      delete env.XDG_RUNTIME_DIR;
      const sw = main('auto', env);
      assert.is(sw.gpu, 'available', 'SwiftShader through VK_ICD_FILENAMES gives an adapter');
      gpuNote = 'and with webgpu + SwiftShader';
    } else if (process.env.FLUXION_REQUIRE_GPU === '1') assert.unreachable(`${gpuNote} and FLUXION_REQUIRE_GPU=1`);
    console.log(`  package: ${packed.filename}, ${(packed.size / 1024).toFixed(0)} KB packed, ${files.length} files; ` +
      `installed, type-checked twice, ran silently without webgpu ${gpuNote}; loss ${out.before.toFixed(3)} → ${out.after.toFixed(4)}; ` +
      `build ${buildMs} ms, ${Date.now() - t0} ms in all`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test.run();
