// The browser WebGPU suite, run in a page and in a module Web Worker: the public API of the
// built bundle (`fx`, dist/fluxion.js) finds the adapter and trains on CPU and GPU; the kernels
// are checked on this bundle's own copy of the WebGPU backend against the float64 reference.
import { createWebGPU } from '../../src/backends/webgpu.js';
import { runKernelSuite, type KernelSuiteResult, type GroupResult } from './kernel-suite.js';
import { runTraining, type TrainingResult } from './training.js';

type Fluxion = typeof import('../../src/index.js');

export interface SuiteResult {
  where: 'page' | 'worker';
  /** Set when there is no WebGPU adapter: the suite did not run. */
  skipped?: string;
  adapter?: string;
  kernels?: KernelSuiteResult;
  training?: TrainingResult;
  failures: string[];
  ms: number;
}

export type Progress = { kind: 'group'; group: GroupResult } | { kind: 'note'; text: string };

export async function runSuite(fx: Fluxion, where: 'page' | 'worker', progress?: (p: Progress) => void): Promise<SuiteResult> {
  const t0 = performance.now(), failures: string[] = [];
  const done = (r: Omit<SuiteResult, 'where' | 'failures' | 'ms'>): SuiteResult =>
    ({ where, ...r, failures, ms: Math.round(performance.now() - t0) });
  try {
    await fx.init();
    const d = fx.devices();
    if (!d.gpu.available) return done({ skipped: `devices().gpu: ${(d.gpu as { reason?: string }).reason ?? 'unavailable'}` });
    const info = (d.gpu as { info?: { vendor?: string; architecture?: string; description?: string; fallback?: boolean } }).info;
    const adapter = `${info?.vendor ?? '?'} ${info?.architecture ?? ''}${info?.fallback ? ' (fallback)' : ''}`.trim();
    progress?.({ kind: 'note', text: `adapter: ${adapter}` });

    const be = await createWebGPU();
    if ('error' in be) { failures.push(`createWebGPU in the suite: ${be.error}`); return done({ adapter }); }
    let kernels: KernelSuiteResult;
    try {
      kernels = await runKernelSuite(be, (group) => progress?.({ kind: 'group', group }));
    } finally { be.destroy(); }
    failures.push(...kernels.failures);

    progress?.({ kind: 'note', text: 'training: cpu vs gpu' });
    const training = await runTraining(fx);
    failures.push(...training.failures);
    return done({ adapter, kernels, training });
  } catch (e) {
    failures.push(`${where}: threw ${(e as Error)?.stack ?? e}`);
    return done({});
  }
}
