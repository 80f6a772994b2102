// `node scripts/size-parts.mjs [DIR] [--match REGEX]`: where the bundle's bytes go, so size cuts
// aim at the biggest parts. Run `npm run asbuild` first; it bundles into DIR (default a temp dir)
// and prints three tables:
// - JavaScript per source module: minified bytes (esbuild's metafile) and the marginal gzip cost
//   (the gzipped bundle text minus the same text without that module's code);
// - Wasm (build/fluxion.wasm) per function: body bytes and the marginal gzip cost within the
//   code section, grouped by source file (names from build/fluxion.wat); plus the sections;
// - WGSL per file: the shipped (comment-stripped) text, raw and gzipped alone.
// Marginal costs do not add up exactly to the total (gzip shares context across parts), but they
// are what removing a part would save, which is what a cut needs. --match limits the per-item
// rows to names matching REGEX (the totals stay whole).
import { build, transform } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const args = process.argv.slice(2);
const mi = args.indexOf('--match');
const match = mi >= 0 ? new RegExp(args.splice(mi, 2)[1]) : null;
const dir = args[0] ?? mkdtempSync(join(tmpdir(), 'size-parts-'));
const gz = (b) => gzipSync(b, { level: 9 }).length;
const show = (rows, head) => {
  console.log('\n' + head.join('\t'));
  for (const r of rows) console.log(r.join('\t'));
};

// ---- JavaScript -----------------------------------------------------------------------------
try { execFileSync(process.execPath, ['scripts/build.mjs', '--outdir', dir, '--meta'], { stdio: ['ignore', 'inherit', 'inherit'] }); } catch (e) {
  if (!existsSync(join(dir, 'meta.json'))) throw e;   // only the .d.ts step failed (issue12-cost.mjs's cut tree)
}
const bundle = readFileSync(join(dir, 'fluxion.js'));
const total = gz(bundle);
const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8'));
const out = Object.values(meta.outputs).find((o) => o.entryPoint);
// The same bundle with whitespace kept has a `// path` comment before each module's code: split
// there, minify each chunk's whitespace, and weigh each chunk by what gzip saves without it.
const readable = await build({
  entryPoints: ['src/index.ts'], bundle: true, format: 'esm', platform: 'neutral', target: 'es2022',
  minifyIdentifiers: true, minifySyntax: true, write: false, loader: { '.wasm': 'empty', '.wgsl': 'empty' },
  external: ['webgpu', 'node:*'], logLevel: 'error',
});
const text = readable.outputFiles[0].text;
const chunks = [];
for (const part of text.split(/^(?=\/\/ (?:src|gpu|build)\/)/m)) {
  const m = /^\/\/ (\S+)\n/.exec(part);
  const code = (await transform(m ? part.slice(m[0].length) : part, { minifyWhitespace: true, loader: 'js', format: 'esm', logLevel: 'silent' }).catch(() => ({ code: part }))).code;
  chunks.push({ path: m ? m[1] : '(prelude)', code });
}
const all = chunks.map((c) => c.code).join('');
const jsGz = gz(Buffer.from(all));
const jsRows = Object.entries(out.inputs).filter(([p]) => !/\.(wasm|wgsl)$/.test(p))
  .map(([p, v]) => {
    const c = chunks.find((k) => k.path === p);
    const marginal = c ? jsGz - gz(Buffer.from(chunks.filter((k) => k !== c).map((k) => k.code).join(''))) : NaN;
    return [p, v.bytesInOutput, marginal];
  })
  .sort((a, b) => b[2] - a[2]);
const assets = Object.entries(out.inputs).filter(([p]) => /\.(wasm|wgsl)$/.test(p)).reduce((s, [, v]) => s + v.bytesInOutput, 0);
console.log(`bundle: ${bundle.length} B raw, ${total} B gzipped; JS alone (no assets) ~${jsGz} B gz; Wasm+WGSL assets ${assets} B raw in the bundle`);
show(jsRows.filter(([p]) => !match || match.test(p)), ['module', 'min bytes', 'marginal gz']);

// ---- Wasm -----------------------------------------------------------------------------------
const wasm = readFileSync('build/fluxion.wasm');
const wat = readFileSync('build/fluxion.wat', 'utf8');
const names = [...wat.matchAll(/^ \(func \$(\S+)/gm)].map((m) => m[1]);
let p = 8;
const leb = () => { let r = 0, s = 0, b; do { b = wasm[p++]; r |= (b & 0x7f) << s; s += 7; } while (b & 0x80); return r >>> 0; };
const sections = [], bodies = [];
while (p < wasm.length) {
  const id = wasm[p++], size = leb(), end = p + size;
  sections.push([id, size]);
  if (id === 10) {
    const n = leb();
    for (let i = 0; i < n; i++) { const s = leb(); bodies.push(wasm.subarray(p, p + s)); p += s; }
  }
  p = end;
}
if (names.length !== bodies.length) throw new Error(`size-parts: ${names.length} functions in the .wat, ${bodies.length} in the .wasm (rebuild)`);
const codeGz = gz(Buffer.concat(bodies));
const without = (skip) => codeGz - gz(Buffer.concat(bodies.filter((_, i) => !skip(i))));
const SECTION = { 1: 'type', 2: 'import', 3: 'function', 5: 'memory', 6: 'global', 7: 'export', 8: 'start', 10: 'code', 11: 'data', 12: 'datacount', 0: 'custom' };
console.log(`\nwasm: ${wasm.length} B raw, ${gz(wasm)} B gzipped; code bodies ${codeGz} B gz; sections ${sections.map(([id, s]) => `${SECTION[id] ?? id} ${s}`).join(', ')}`);
const file = (n) => n.replace(/\/[^/]*$/, '').replace(/<.*$/, '');
const files = [...new Set(names.map(file))];
show(files.map((f) => {
  const idx = names.map((n, i) => (file(n) === f ? i : -1)).filter((i) => i >= 0);
  return [f, idx.length, idx.reduce((s, i) => s + bodies[i].length, 0), without((i) => idx.includes(i))];
}).sort((a, b) => b[3] - a[3]), ['source', 'functions', 'body bytes', 'marginal gz']);
show(names.map((n, i) => [n, bodies[i].length, without((j) => j === i)]).filter(([n]) => !match || match.test(n))
  .sort((a, b) => b[2] - a[2]), ['function', 'body bytes', 'marginal gz']);

// ---- WGSL -----------------------------------------------------------------------------------
const strip = (s) => s.replace(/\/\*[\s\S]*?\*\//g, '').split('\n').map((l) => l.replace(/\/\/.*$/, '').trim().replace(/\s+/g, ' ')).filter(Boolean).join('\n');
const wgsl = readdirSync('gpu').filter((f) => f.endsWith('.wgsl')).map((f) => [f, strip(readFileSync(join('gpu', f), 'utf8'))]);
const wgslAll = wgsl.map(([, t]) => t).join('\n');
console.log(`\nwgsl: ${wgslAll.length} B shipped, ${gz(Buffer.from(wgslAll))} B gzipped together`);
show(wgsl.filter(([f]) => !match || match.test(f)).map(([f, t]) => [f, t.length, gz(Buffer.from(wgslAll)) - gz(Buffer.from(wgsl.filter(([g]) => g !== f).map(([, u]) => u).join('\n')))])
  .sort((a, b) => b[2] - a[2]), ['file', 'bytes', 'marginal gz']);
