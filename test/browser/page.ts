// The test page's script (bundled to /suite/page.js). The page itself loads the built fluxion
// with <script type="module"> and hands the module here: runPage runs the suite in the page,
// then the same suite in a module Web Worker, renders a results table as they go, and leaves
// everything in `globalThis.__fluxion` for the test runner ({ done, page, worker }), settling the
// page's `__fluxionDone` promise (harness.ts) with it at the end.
import { runSuite, type SuiteResult, type Progress } from './gpu-suite.js';

type Fluxion = typeof import('../../src/index.js');
const WORKER_TIMEOUT_MS = 240_000;

export async function runPage(fx: Fluxion, fluxionUrl: string): Promise<void> {
  const state: { done: boolean; page?: SuiteResult; worker?: SuiteResult; error?: string } = { done: false };
  (globalThis as any).__fluxion = state;
  const status = document.getElementById('status')!;
  status.textContent = 'page: running…';
  try {
    state.page = await runSuite(fx, 'page', live('page'));
    render('page', state.page);
    status.textContent = 'worker: running…';
    state.worker = await inWorker(fluxionUrl);
    render('worker', state.worker);
    const bad = [state.page, state.worker].reduce((s, r) => s + r.failures.length, 0);
    status.textContent = bad ? `${bad} failure(s)` : 'all passed';
    status.className = bad ? 'bad' : 'ok';
  } catch (e) {
    state.error = String((e as Error)?.stack ?? e);
    status.textContent = `error: ${state.error}`;
    status.className = 'bad';
  } finally {
    state.done = true;
    (globalThis as any).__fluxionFinish?.(state);
  }
}

/** The same suite in a module worker; onmessage there is attached before fluxion is imported. */
function inWorker(fluxionUrl: string): Promise<SuiteResult> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
    const timer = setTimeout(() => { w.terminate(); reject(new Error(`worker: no result after ${WORKER_TIMEOUT_MS} ms`)); }, WORKER_TIMEOUT_MS);
    const onProgress = live('worker');
    w.onmessage = (e: MessageEvent) => {
      const m = e.data;
      if (m.kind === 'result') { clearTimeout(timer); w.terminate(); resolve(m.result); }
      else onProgress(m);
    };
    w.onerror = (e) => { clearTimeout(timer); w.terminate(); reject(new Error(`worker error: ${e.message}`)); };
    w.postMessage({ run: true, fluxionUrl });
  });
}

// ---- rendering: one column per context, a row per kernel group ----

const esc = (s: unknown) => String(s).replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' }[c]!));

function column(where: string): HTMLElement {
  let el = document.getElementById(`col-${where}`);
  if (!el) {
    el = document.createElement('section');
    el.id = `col-${where}`;
    el.innerHTML = `<h2>${where === 'page' ? 'page' : 'module Web Worker'}</h2><p class="note"></p>
      <table><thead><tr><th>kernels</th><th>cases</th><th>failed</th><th>ms</th></tr></thead><tbody></tbody></table>
      <div class="train"></div><ol class="failures"></ol>`;
    document.getElementById('out')!.append(el);
  }
  return el;
}

function live(where: string) {
  return (p: Progress) => {
    const col = column(where);
    if (p.kind === 'note') col.querySelector('.note')!.textContent = p.text;
    else {
      const g = p.group, tr = document.createElement('tr');
      tr.className = g.failed ? 'bad' : 'ok';
      tr.title = `worst: ${g.worst}`;
      tr.innerHTML = `<td>${esc(g.name)}</td><td>${g.cases}</td><td>${g.failed}</td><td>${g.ms}</td>`;
      col.querySelector('tbody')!.append(tr);
    }
  };
}

function render(where: string, r: SuiteResult) {
  const col = column(where);
  const note = col.querySelector('.note')!;
  if (r.skipped) { note.textContent = `skipped: ${r.skipped}`; return; }
  const k = r.kernels;
  note.textContent = `adapter: ${r.adapter ?? '?'} · ${k ? `${k.cases} kernel cases, ${k.failed} failed` : 'kernels did not run'} · ${r.ms} ms`;
  if (k) {
    const tr = document.createElement('tr');
    tr.className = 'total';
    tr.innerHTML = `<td>total</td><td>${k.cases}</td><td>${k.failed}</td><td>${k.ms}</td>`;
    col.querySelector('tbody')!.append(tr);
  }
  const t = r.training;
  if (t) {
    const f = (x: number) => x.toFixed(6);
    col.querySelector('.train')!.innerHTML = `<table><thead><tr><th>training (${t.steps} SGD steps)</th><th>cpu (${esc(t.devices.cpu)})</th><th>gpu (${esc(t.devices.gpu)})</th></tr></thead>
      <tbody><tr><td>loss, step 1</td><td>${f(t.cpu[0])}</td><td>${f(t.gpu[0])}</td></tr>
      <tr><td>loss, step ${t.steps}</td><td>${f(t.cpu[t.steps - 1])}</td><td>${f(t.gpu[t.steps - 1])}</td></tr>
      <tr><td>time</td><td>${t.ms.cpu} ms</td><td>${t.ms.gpu} ms</td></tr>
      <tr class="${t.failures.length ? 'bad' : 'ok'}"><td>max relative loss difference</td><td colspan="2">${t.maxRel.toExponential(2)} (limit 1e-3)</td></tr></tbody></table>`;
  }
  col.querySelector('.failures')!.innerHTML = r.failures.slice(0, 30).map((s) => `<li>${esc(s)}</li>`).join('')
    + (r.failures.length > 30 ? `<li>… ${r.failures.length - 30} more</li>` : '');
}
