// `node scripts/issue12-cost.mjs`: what issue 12 (sequence models) costs the bundle, measured on
// today's tree. Copies the working tree twice into temp dirs, removes issue 12's code from the
// second copy (below: its ops, layers, kernel rows, Wasm and WGSL kernels, the shared-file edits
// it made), builds both with the same scripts (asbuild + build.mjs) and prints both gzipped
// sizes, their difference, and the difference per part (JS; the Wasm module gzipped alone; the
// shipped WGSL gzipped alone). Every removal asserts that it matched, so a change in the code's
// shape fails here instead of measuring something else. Build-pipeline changes apply to both
// copies alike, so they never count for or against the issue.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), '..');
const keep = process.argv.includes('--keep');

function copyTree(to) {
  const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const f of files) {
    if (!existsSync(join(ROOT, f))) continue;   // deleted in the working tree
    mkdirSync(dirname(join(to, f)), { recursive: true });
    cpSync(join(ROOT, f), join(to, f));
  }
  symlinkSync(resolve(ROOT, 'node_modules'), join(to, 'node_modules'));
}

/** Edits file `f` of tree `t`: each [pattern, replacement] must match. */
function edit(t, f, ...pairs) {
  let s = readFileSync(join(t, f), 'utf8');
  for (const [pat, rep] of pairs) {
    const next = s.replace(pat, rep);
    if (next === s) throw new Error(`issue12-cost: ${f}: no match for ${pat}`);
    s = next;
  }
  writeFileSync(join(t, f), s);
}
const rm = (t, ...fs) => fs.forEach((f) => { if (!existsSync(join(t, f))) throw new Error(`issue12-cost: no ${f}`); rmSync(join(t, f)); });

// Issue 12's kernels (rows of src/backends/kernels.ts), found by name in the table so merged or
// renamed kernels stay counted: bmm, stridedWrite, gather, scatter and every recurrent step
// (a kernel with a `hid` argument).
function issueKernels(t) {
  const src = readFileSync(join(t, 'src/backends/kernels.ts'), 'utf8');
  const rows = [...src.matchAll(/^ {2}(\w+): \{\n([\s\S]*?)^ {2}\},\n/gm)];
  return rows.filter(([, name, body]) => ['bmm', 'stridedWrite', 'gather', 'scatter'].includes(name) || /\['hid', 'int'\]/.test(body)).map(([, n]) => n);
}

function removeIssue12(t) {
  const ks = issueKernels(t);
  // The kernel table, the reference backend, the WebGPU launches, the Wasm binding of bmm.
  edit(t, 'src/backends/kernels.ts', ...ks.map((k) => [new RegExp(String.raw`^ {2}${k}: \{\n[\s\S]*?^ {2}\},\n`, 'm'), '']));
  edit(t, 'src/backends/ref.ts', ...ks.map((k) => [new RegExp(String.raw`^ {2}${k}\([\s\S]*?^ {2}\},\n`, 'm'), '']));
  for (const k of ks) if (existsSync(join(t, `gpu/${k}.wgsl`))) rm(t, `gpu/${k}.wgsl`);
  edit(t, 'src/backends/webgpu.ts', [/^ *bmm\(\.\.\.a\).*\n/m, ''], [/^ *\/\/ The recurrent steps[\s\S]*?^ {2}\}\n/m, '']);
  edit(t, 'src/backends/wasm.ts', [/^ *bmm: bm && [\s\S]*?\)\)\),\n/m, '']);
  // Wasm: the kernel files (asbuild exports every file of assembly/kernels/) and stridedWrite.
  for (const f of ['rnn', 'bmm', 'gather']) rm(t, `assembly/kernels/${f}.ts`);
  edit(t, 'assembly/kernels/strided.ts', [/\/\*\* KERNELS\.stridedWrite[\s\S]*$/, '']);
  // Ops and layers.
  rm(t, 'src/ops/batched.ts', 'src/ops/gather.ts', 'src/ops/slicing.ts', 'src/ops/rnn.ts', 'src/nn/recurrent.ts', 'src/nn/attention.ts', 'src/nn/embedding.ts');
  edit(t, 'src/ops/index.ts',
    [/^import \* as (batched|gather|slicing|rnn)Ops.*\n/gm, ''],
    [/^export \{[^}]*\} from '\.\/(batched|gather|slicing)\.js';\n/gm, ''],
    [/, batchedOps, gatherOps, slicingOps, rnnOps\]/, ']'],
    [/, make_causal_mask, type SoftmaxDims/, '']);
  edit(t, 'src/index.ts',
    [/^export \{ Embedding[^}]*\} from '\.\/nn\/embedding\.js';\n/m, ''],
    [/^export \{\n\s*MultiHeadAttention[^}]*\} from '\.\/nn\/attention\.js';\n/m, ''],
    [/^export \{\n\s*RNNCell[^}]*\} from '\.\/nn\/recurrent\.js';\n/m, '']);
  // softmax over one axis only and no make_causal_mask: the file as it was before the issue.
  writeFileSync(join(t, 'src/ops/softmax.ts'), execFileSync('git', ['show', '77b23fa:src/ops/softmax.ts'], { cwd: ROOT }));
  edit(t, 'src/tensor.ts', [/, type SoftmaxDims/, ''], [/dims\?: SoftmaxDims/g, 'dims?: number']);
  edit(t, 'src/data.ts', [/^\/\*\* @internal The tensors onehot[\s\S]*?^const hot = .*\n\n/m, ''], [/hot\(tensor\((.*)\)\);/g, 'tensor($1);']);
  return ks;
}

function buildIn(t) {
  execFileSync(process.execPath, ['scripts/asbuild.mjs', '--force'], { cwd: t, stdio: ['ignore', 'ignore', 'inherit'] });
  // build.mjs bundles, then emits .d.ts with tsc; the cut tree's leftover types (wasm.ts's bmm
  // binding type) fail tsc after the bundle is written, which is all this measures.
  try { execFileSync(process.execPath, ['scripts/build.mjs', '--outdir', join(t, 'out')], { cwd: t, stdio: 'ignore' }); } catch (e) {
    if (!existsSync(join(t, 'out/fluxion.js'))) throw e;
  }
  const gz = (b) => gzipSync(b, { level: 9 }).length;
  const strip = (s) => s.replace(/\/\*[\s\S]*?\*\//g, '').split('\n').map((l) => l.replace(/\/\/.*$/, '').trim().replace(/\s+/g, ' ')).filter(Boolean).join('\n');
  const wgsl = readdirSync(join(t, 'gpu')).filter((f) => f.endsWith('.wgsl')).map((f) => strip(readFileSync(join(t, 'gpu', f), 'utf8'))).join('\n');
  const wasm = readFileSync(join(t, 'build/fluxion.wasm'));
  return { bundle: gz(readFileSync(join(t, 'out/fluxion.js'))), wasm: gz(wasm), wasmRaw: wasm.length, wgsl: gz(Buffer.from(wgsl)) };
}

const base = mkdtempSync(join(tmpdir(), 'issue12-'));
const [full, cut] = [join(base, 'with'), join(base, 'without')];
copyTree(full); copyTree(cut);
const ks = removeIssue12(cut);
const a = buildIn(full), b = buildIn(cut);
const kb = (n) => (n / 1024).toFixed(2) + ' KB';
console.log(`issue 12's kernels: ${ks.join(', ')}`);
console.log(`bundle gzipped: with ${kb(a.bundle)}, without ${kb(b.bundle)}: issue 12 adds ${kb(a.bundle - b.bundle)}`);
console.log(`  Wasm module gzipped alone: ${kb(a.wasm)} vs ${kb(b.wasm)} (+${kb(a.wasm - b.wasm)}; raw +${a.wasmRaw - b.wasmRaw} B)`);
console.log(`  WGSL shipped text gzipped alone: ${kb(a.wgsl)} vs ${kb(b.wgsl)} (+${kb(a.wgsl - b.wgsl)})`);
console.log(`  the rest (JavaScript, and gzip's overlap): +${kb(a.bundle - b.bundle - (a.wasm - b.wasm) - (a.wgsl - b.wgsl))}`);
if (keep) console.log(`trees kept in ${base}`); else rmSync(base, { recursive: true, force: true });
