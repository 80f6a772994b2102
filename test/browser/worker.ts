// The module Web Worker of the browser suite (bundled to /suite/worker.js). A module worker drops
// messages that arrive while its top-level await is pending (DESIGN.md), so `onmessage` is
// attached first, synchronously, and fluxion is imported inside the handler. Progress and the
// result go back by postMessage. Inert anywhere but in a worker (uvu may import this file).
import { runSuite } from './gpu-suite.js';

declare const WorkerGlobalScope: any;

if (typeof WorkerGlobalScope !== 'undefined' && self instanceof WorkerGlobalScope) {
  const post = (m: unknown) => (self as any).postMessage(m);
  self.onmessage = async (e: MessageEvent<{ run: boolean; fluxionUrl: string }>) => {
    try {
      const fx = await import(/* @vite-ignore */ e.data.fluxionUrl);
      post({ kind: 'result', result: await runSuite(fx, 'worker', (p) => post(p)) });
    } catch (err) {
      post({ kind: 'result', result: { where: 'worker', failures: [`worker: ${(err as Error)?.stack ?? err}`], ms: 0 } });
    }
  };
}
