// Bundles src/ into one ESM file, dist/fluxion.js, that runs unchanged in a page, a Web Worker,
// Node and worker_threads: the .wasm bytes are embedded (binary loader) and the WGSL programs
// inlined (text loader), so nothing is fetched at run time. Then emits the .d.ts files and
// prints the bundle's size, raw and gzipped.
// `--outdir DIR` builds into DIR instead of dist/ (test/package.test.ts packs such a build, so it
// never empties the dist/ another build or test may be reading).
// No source map: a linked map with the sources embedded was two thirds of the tarball, and one
// without them points at src/ files the package does not contain. The bundle is minified JS of
// this repo's src/; debug against src/ (the tests run it directly through tsx).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const at = process.argv.indexOf('--outdir');
const outdir = at > 0 ? process.argv[at + 1] : 'dist';
// `--meta` also writes esbuild's metafile to DIR/meta.json (scripts/size-parts.mjs reads it).
const meta = process.argv.includes('--meta');
if (!outdir) throw new Error('build.mjs: --outdir needs a directory');

// WGSL ships without comments and indentation: the programs are read by the GPU driver, not by
// people, and the comments are a third of their bytes. (// is WGSL's only line comment and the
// language has no string literals, so a line-wise strip is safe.)
// The Wasm modules ship gzipped (base64 of raw bytes gzips poorly); src/backends/wasm.ts
// inflates them with DecompressionStream, which every target engine has.
const wasmGzip = {
  name: 'wasm-gzip',
  setup(b) {
    b.onLoad({ filter: /\.wasm$/ }, (args) => ({ contents: gzipSync(readFileSync(args.path), { level: 9 }), loader: 'binary' }));
  },
};

const wgslMinify = {
  name: 'wgsl-minify',
  setup(b) {
    b.onLoad({ filter: /\.wgsl$/ }, (args) => {
      const src = readFileSync(args.path, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
      const lines = src.split('\n').map((l) => l.replace(/\/\/.*$/, '').trim().replace(/\s+/g, ' ')).filter(Boolean);
      return { contents: lines.join('\n'), loader: 'text' };
    });
  },
};

// The kernel table's `doc` strings are for docs/KERNELS.md and the generated sources; the
// library never reads them, so the bundle ships them empty (about 1.7 KB gzipped).
const STRING = String.raw`'(?:[^'\\\n]|\\.)*'`;
const DOC = new RegExp(String.raw`doc:\s*${STRING}(?:\s*\+\s*${STRING})*`, 'g');
const kernelDocs = {
  name: 'kernel-docs',
  setup(b) {
    b.onLoad({ filter: /src[\\/]backends[\\/]kernels\.ts$/ }, (args) => {
      const src = readFileSync(args.path, 'utf8'), out = src.replace(DOC, "doc: ''");
      if (out === src) throw new Error('build.mjs: found no kernel docs to strip in kernels.ts (did the table change form?)');
      return { contents: out, loader: 'ts' };
    });
  },
};

rmSync(outdir, { recursive: true, force: true });
const result = await build({
  metafile: meta,
  entryPoints: ['src/index.ts'],
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  minify: true,
  outfile: join(outdir, 'fluxion.js'),
  loader: { '.wasm': 'binary', '.wgsl': 'text' },
  plugins: [wgslMinify, wasmGzip, kernelDocs],
  // Dawn for Node is an optional peer, loaded by a guarded dynamic import only when no
  // navigator.gpu exists; browsers never reach it.
  external: ['webgpu', 'node:*'],
  logLevel: 'warning',
});
if (meta) writeFileSync(join(outdir, 'meta.json'), JSON.stringify(result.metafile));
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json', '--outDir', outdir], { stdio: 'inherit' });
const js = readFileSync(join(outdir, 'fluxion.js'));
const kb = (n) => (n / 1024).toFixed(1) + ' KB';
const line = `dist/fluxion.js: ${kb(js.length)} raw, ${kb(gzipSync(js, { level: 9 }).length)} gzipped (JavaScript + both Wasm builds + WGSL)`;
writeFileSync(join(outdir, 'SIZE.txt'), line + '\n');
console.log(line);
