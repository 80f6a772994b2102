// The Wasm-threads check in a browser (test/threads.test.ts bundles this with src/ for a page and a
// module worker): init({ threads: 2 }), then the same products and training steps with every
// splittable kernel split over the pool and on one thread, compared bit for bit, and how many
// parts the pool's worker ran. On a page that is not cross-origin isolated it only reports the
// thread count and the reason.
import * as fx from '../../src/index.ts';
import { runtime } from '../../src/runtime.ts';
import type { WasmBackend } from '../../src/backends/wasm.ts';

export interface ThreadsResult {
  where: string; isolated: boolean; threads: number; reason?: string;
  compared?: number; differing?: string[]; workerParts?: number; ms: number;
}

/** Products of awkward shapes and three Adam steps of a small MLP: every output's values. */
function work(): Float32Array[] {
  const out: Float32Array[] = [];
  fx.seed(3);
  for (const [m, k, n] of [[67, 45, 93], [130, 17, 9], [9, 260, 200], [41, 29, 1]]) {
    const a = fx.rand(m, k), b = fx.rand(k, n);
    out.push(fx.matmul(a, b).dataSync() as Float32Array, fx.matmul(a, fx.rand(n, k), { transB: true }).dataSync() as Float32Array);
  }
  const m = fx.Chain(fx.Dense(37, 29, fx.relu), fx.Dense(29, 5));
  const ps = fx.params(m), opt = fx.Adam(3e-3), x = fx.rand(37, 19), y = fx.rand(5, 19);
  for (let s = 0; s < 3; s++) out.push(fx.trainStep((a: fx.Tensor, b: fx.Tensor) => fx.mse(m(a), b), ps, [x, y], opt).dataSync() as Float32Array);
  for (const p of ps) out.push(p.dataSync() as Float32Array);
  return out;
}

export async function runThreads(where: string): Promise<ThreadsResult> {
  const t0 = performance.now();
  await fx.init({ gpu: false, threads: 2 });
  const cpu = fx.devices().cpu!;
  const r: ThreadsResult = { where, isolated: (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true, threads: cpu.threads, reason: cpu.threadsReason, ms: 0 };
  if (cpu.threads === 2) {
    const pool = (runtime.cpu as WasmBackend).threadPool()!;
    pool.split = 'always';
    const two = work();
    // then once with the caller only waiting, so the worker surely runs parts (on a loaded machine
    // the caller can finish every job before the worker is scheduled)
    pool.callerTakes = false;
    const onWorker = work();
    pool.callerTakes = true;
    r.workerParts = pool.partsRun()[1];
    await fx.init({ threads: 1 });
    const one = work();
    r.compared = one.length;
    r.differing = [];
    const differ = (x: Float32Array, y: Float32Array) => {
      const a = new Uint32Array(x.buffer, x.byteOffset, x.length), b = new Uint32Array(y.buffer, y.byteOffset, y.length);
      return a.length !== b.length || a.some((v, j) => v !== b[j]);
    };
    one.forEach((v, i) => {
      if (differ(v, two[i])) r.differing!.push(`output ${i}`);
      if (differ(v, onWorker[i])) r.differing!.push(`output ${i} (workers only)`);
    });
  }
  r.ms = Math.round(performance.now() - t0);
  return r;
}
