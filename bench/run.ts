// `npm run bench`: every benchmark in one run, printed and written to bench/RESULTS.md with the
// machine noted. Figures are medians from tinybench; compare within a run (the machine is shared).
import { writeFileSync } from 'node:fs';
import { machine } from './_util.ts';

const only = process.argv.slice(2);
const want = (s: string) => only.length === 0 || only.includes(s);
const sections: string[] = [];
const add = (title: string, body: string) => { console.log(`\n## ${title}\n\n${body}`); sections.push(`## ${title}\n\n${body}`); };

if (want('matmul')) add('matmul GFLOP/s', await (await import('./matmul.bench.ts')).runMatmulBench());
if (want('transpose')) add('Lazy transpose: matmul(dY, transpose(X)) vs the transB flag vs plain', await (await import('./transpose.bench.ts')).runTransposeBench());
if (want('train')) add('Training step, ms/step (samples/s)', await (await import('./train.bench.ts')).runTrainBench());
if (want('conv')) add('Conv kernels (Wasm), GB/s at LeNet\'s shapes', await (await import('./conv.bench.ts')).runConvBench());
if (want('lenet')) add('LeNet-5: training step and conv GFLOP/s', await (await import('./lenet.bench.ts')).runLenetBench());
if (want('rnn')) add('Recurrent: LSTM(128 => 256), 64 steps, batch 32 (fluxion vs tfjs wasm)', await (await import('./rnn.bench.ts')).runRnnBench());
if (want('attention')) add('Attention: batched_mul and MultiHeadAttention(64, 4 heads) at the names example\'s shapes (fluxion vs tfjs wasm)', await (await import('./attention.bench.ts')).runAttentionBench());
if (want('threads')) add('Wasm threads: 1 thread and 2, same run', await (await import('./threads.bench.ts')).runThreadsBench());
if (want('startup')) add('Startup and size', (await import('./startup.ts')).runStartupBench());
if (want('memory')) add('Long-run memory (RSS and memory() at fixed steps)', await (await import('./memory.bench.ts')).runMemoryBench());
if (want('scheduler')) {
  add('Scheduler: auto vs cpu-only vs gpu-only (calibrated profile)', await (await import('./scheduler.bench.ts')).runSchedulerBench());
}
if (want('kernels')) {
  try { add('WGSL kernels, before and after the GPU-speed work (same run)', await (await import('./kernels.bench.ts')).runKernelBench()); }
  catch (e) { add('WGSL kernels, before and after the GPU-speed work (same run)', `not measured: ${(e as Error).message}`); }
}
if (want('webgpu')) {
  try { add('WebGPU (Dawn)', await (await import('./webgpu.bench.ts')).runWebGPUBench()); }
  catch (e) { add('WebGPU (Dawn)', `not measured: ${(e as Error).message}`); }
}
if (want('demo')) {
  const { TITLE, runDemoLongtaskBench } = await import('./demo-longtask.ts');
  add(TITLE, await runDemoLongtaskBench());
}

const doc = `# fluxion benchmark results\n\nMachine: ${machine()}.\nRun: ${new Date().toISOString()} with \`npm run bench\`` +
  `${only.length ? ` (sections: ${only.join(', ')})` : ''}. Medians of tinybench samples.\n\n${sections.join('\n\n')}\n`;
if (only.length === 0) writeFileSync(new URL('./RESULTS.md', import.meta.url), doc);
else console.log('\n(partial run: bench/RESULTS.md not rewritten)');
