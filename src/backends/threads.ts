// The Wasm thread pool: workers that each instantiate the kernel module on the CPU device's one
// shared WebAssembly.Memory, and the fan-out that splits a large kernel's output across them.
//
// Same results for any thread count: a kernel is split only where every output element is
// computed by exactly one thread, in the same order as in the whole call: matmul by output blocks
// on its 4×8 tile grid (matmul_part), or, for a small output over a long k, by k blocks whose
// partial sums the caller then adds in gemm's own block order (matmul_kblocks, matmul_ksum);
// elementwise kernels and the optimiser updates by runs of 16 elements, reductions and softmax by
// their outer index, strided copies by their outermost dim. So 1, 2 or 3 threads give
// bit-identical tensors.
//
// When to split: not below the sizes the scheduler derives from calibrate() (src/scheduler.ts
// threadCosts), and above them only while splitting is measured to pay (Learner: a busy core makes
// a split job slower than a whole one). Long jobs go in several parts per thread.
//
// Protocol: one SharedArrayBuffer, `ctl`, beside the memory. The calling thread writes each part
// of a job (an export and its arguments), publishes the job in one atomic word (CLAIM: job number,
// part count, next part) and wakes the workers (WAKE). Every thread, the caller included, takes
// parts by compare-and-swap until none is left, so a worker that is slow to wake or gone costs
// nothing: the caller takes its parts. The caller then waits for DONE = the part count: a spin
// of up to callerSpinUs, then Atomics.wait where the host allows it (a page's main thread, where
// Atomics.wait throws, spins on). A part that a worker took and never finished (the worker died)
// is recomputed by the caller where that is safe (the output overlaps no input and does not
// accumulate), else the call throws; either way the pool closes and the library goes on with one
// thread, and devices() says why.
//
// Workers start from a source string (a Blob URL in browsers, an eval worker in Node): there is no
// file for the user to host and nothing for a bundler to resolve. They receive the compiled modules
// and the memory by postMessage and then never need their event loop again.

type Ptr = number;
type Fn = (...args: number[]) => void;

/** Most threads a pool may have (the part count travels in 8 bits of CLAIM). */
export const MAX_THREADS = 64;

// ctl layout: Int32 words, then a Float64 area (thread scratch pointers and the parts).
const WAKE = 0, CLAIM = 1, DONE = 2, STOP = 3, KILL = 4, ERR = 5, ERRLEN = 6, SPIN_US = 7;
const STATE = 16;                 // per part: 0 free, t + 1 taken by thread t, -1 done
const MSG = 128, MSG_MAX = 240;   // a failed part's error message, UTF-16 code units
const COUNT = 384;                // per thread: parts it has run (tests check the workers work)
const WS = 256;                   // Float64 index: each thread's matmul scratch pointer
const PARTS = WS + MAX_THREADS;   // Float64 index: part p at PARTS + p·PSTRIDE = [fn, argc, wsArg, args...]
const PSTRIDE = 40;
const MAX_PARTS = MAX_THREADS;
const CTL_BYTES = (PARTS + MAX_PARTS * PSTRIDE) * 8;
/** assembly/gemm.ts's KC: the k block whose partial sums a k-split product computes apart. */
const KC = 256;
/**
 * A k-split product's most outputs (m·n), fewest k blocks per thread and most partial sums
 * (m·n·k-blocks: 4 MB of scratch). LeNet's conv1 dW (150 outputs, 144 blocks) ran 1.85x split
 * along k against 1.5x by rows; conv2 dW (2400 outputs, 16 blocks) ran no faster along k than by
 * rows; the seed model's W·x at batch 64 (2048 outputs, 4 blocks) ran 1.2x along k, 1.5x by columns.
 */
const KSPLIT_MN = 512, KSPLIT_BLOCKS = 4, KSPLIT_FLOATS = 1 << 20;

/**
 * The exports a part may call, by index (the worker resolves the names in its own instance). The
 * conv family joins by exporting NAME_part (see PARTED).
 */
export const PART_FNS = ['matmul_part', 'unary', 'unaryGrad', 'binary', 'biasAct', 'reduce', 'softmax', 'softmaxGrad',
  'fill', 'copyIf', 'descent', 'momentum', 'adam', 'adamw', 'strided', 'im2col_part', 'col2im_part', 'pool_part', 'poolGrad_part',
  'matmul_kblocks', 'matmul_ksum'] as const;
const FN = Object.fromEntries(PART_FNS.map((n, i) => [n, i])) as Record<(typeof PART_FNS)[number], number>;

/**
 * The pool worker's whole program, written small since it ships as it is: plain JavaScript in a
 * string (not a function's toString, which a bundler or tsx may rewrite with helpers from outside
 * it). It instantiates the modules on the memory, points its scratch at its own block, says ready,
 * then loops: spin briefly, else Atomics.wait on WAKE; take parts by compare-and-swap on CLAIM; run
 * each (its own matmul scratch where the part has one), record an error, count, mark done.
 * `require` exists in Node's eval workers only; a browser worker talks through its global scope.
 * KILL (tests) makes the worker exit inside a part, as a crash would.
 */
const WORKER_SOURCE = `"use strict";let P=null;try{P=require("node:worker_threads").parentPort}catch(e){}
const post=m=>P?P.postMessage(m):postMessage(m);
function start(d){let F;try{const x={};for(const m of d.modules)Object.assign(x,new WebAssembly.Instance(m,{env:{memory:d.memory}}).exports);
x.thread_scratch(d.tls);F=d.names.map(n=>x[n])}catch(e){post({error:String(e&&e.message||e)});return}post({ready:1});
const I=new Int32Array(d.ctl),D=new Float64Array(d.ctl),t=d.t;let s=Atomics.load(I,${WAKE});
for(;;){if(Atomics.load(I,${WAKE})===s){const end=performance.now()+I[${SPIN_US}]/1e3;for(let k=1;Atomics.load(I,${WAKE})===s;k++)if(!(k&255)&&performance.now()>end)break}
if(Atomics.load(I,${WAKE})===s)Atomics.wait(I,${WAKE},s);if(Atomics.load(I,${STOP}))return;s=Atomics.load(I,${WAKE});
for(;;){const w=Atomics.load(I,${CLAIM}),q=w&255,np=w>>>8&255;if(q>=np)break;if(Atomics.compareExchange(I,${CLAIM},w,w+1)!==w)continue;
Atomics.store(I,${STATE}+q,t+1);if(Atomics.load(I,${KILL})===t){if(P)process.exit(1);close();throw 0}
const o=${PARTS}+q*${PSTRIDE},n=D[o+1],ws=D[o+2],a=new Array(n);for(let i=0;i<n;i++)a[i]=D[o+3+i];if(ws>=0)a[ws]=D[${WS}+t];
try{F[D[o]](...a)}catch(e){if(Atomics.compareExchange(I,${ERR},0,q+1)===0){const m=String(e&&e.message||e).slice(0,${MSG_MAX});for(let i=0;i<m.length;i++)I[${MSG}+i]=m.charCodeAt(i);Atomics.store(I,${ERRLEN},m.length)}}
Atomics.store(I,${STATE}+q,-1);I[${COUNT}+t]++;if(Atomics.add(I,${DONE},1)+1===np)Atomics.notify(I,${DONE})}}}
if(P)P.once("message",start);else onmessage=e=>{onmessage=null;start(e.data)};`;

// ---- hosts ------------------------------------------------------------------------------------

/** Where a pool can run: `wait` false on a page's main thread (Atomics.wait throws there). */
export type ThreadHost = { ok: true; node: boolean; wait: boolean; cores: number } | { ok: false; reason: string; cores: number };

interface NodeProcess { versions?: { node?: string } }
const g = globalThis as unknown as {
  process?: NodeProcess; crossOriginIsolated?: boolean; Worker?: unknown; document?: unknown;
  navigator?: { hardwareConcurrency?: number }; SharedArrayBuffer?: unknown;
};

/**
 * A Node built-in, by a specifier no bundler resolves: a literal `import('node:os')` in the bundle
 * makes Vite externalise it with a warning and refuse to build a classic-format worker around it
 * (esbuild folds a constant back into a literal, but not a join). Only Node reaches this.
 */
const nodeModule = (name: string): Promise<any> => import(/* @vite-ignore */ ['node', name].join(':'));

/** What this host allows: Node (main thread or worker_threads), or a cross-origin isolated page or worker. */
export async function threadHost(): Promise<ThreadHost> {
  const node = !!g.process?.versions?.node && typeof g.document === 'undefined';
  let cores = Math.max(1, g.navigator?.hardwareConcurrency ?? 1);
  if (node) {
    try { cores = (await nodeModule('os')).availableParallelism(); } catch { /* older Node: navigator's count or 1 */ }
  }
  if (typeof g.SharedArrayBuffer !== 'function' || (!node && g.crossOriginIsolated !== true)) {
    return { ok: false, cores, reason: 'this page is not cross-origin isolated, so it has no shared memory: serve it with the headers ' +
      'Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp' };
  }
  if (!node && typeof g.Worker !== 'function') return { ok: false, cores, reason: 'this context cannot start Web Workers' };
  return { ok: true, node, wait: node || typeof g.document === 'undefined', cores };
}

/** The threads `init()` uses by default: every core, at most 8 (beyond that memory bandwidth, not cores, bounds the kernels). */
export const defaultThreads = (cores: number): number => Math.max(1, Math.min(8, cores));

/**
 * The same module with its imported memory declared shared (limits flag 3, maximum `maxPages`):
 * exactly what asc's --sharedMemory --maximumMemory emits (scripts/asbuild.mjs --check-shared
 * compares them), so the bundle carries each module once and a one-thread page, which cannot
 * have shared memory, runs the same code.
 */
export function sharedModule(bytes: Uint8Array, maxPages: number): Uint8Array<ArrayBuffer> {
  let p = 8;
  const leb = () => { let v = 0, s = 0, b; do { b = bytes[p++]; v += (b & 127) * 2 ** s; s += 7; } while (b & 128); return v; };
  const enc = (v: number) => { const o: number[] = []; do { let b = v & 127; v = Math.floor(v / 128); if (v) b |= 128; o.push(b); } while (v); return o; };
  while (p < bytes.length) {
    const id = bytes[p++], size = leb(), body = p;
    if (id !== 2) { p = body + size; continue; }
    const count = leb();
    for (let i = 0; i < count; i++) {
      for (let j = 0; j < 2; j++) { const len = leb(); p += len; }   // module and field names
      const kind = bytes[p++];
      if (kind === 0) leb();
      else if (kind === 1) { p++; const f = bytes[p++]; leb(); if (f & 1) leb(); }
      else if (kind === 3) p += 2;
      else if (kind === 4) { p++; leb(); }
      else if (kind === 2) {
        const at = p, f = bytes[p++], min = leb();
        if (f & 1) leb();
        const limits = [3, ...enc(min), ...enc(maxPages)];
        const section = [...bytes.subarray(body, at), ...limits, ...bytes.subarray(p, body + size)];
        const head = bytes.subarray(0, body - 1 - enc(size).length);
        const out = new Uint8Array(head.length + 1 + enc(section.length).length + section.length + bytes.length - body - size);
        out.set(head); let q = head.length;
        out[q++] = 2; out.set(enc(section.length), q); q += enc(section.length).length;
        out.set(section, q); q += section.length;
        out.set(bytes.subarray(body + size), q);
        return out;
      } else break;
    }
    break;
  }
  throw new Error('fluxion: the Wasm module imports no memory to share');
}

// ---- the pool ---------------------------------------------------------------------------------

interface WorkerLike {
  postMessage(m: unknown): void;
  terminate(): unknown;
}
/** What the pool uses of a Node worker_threads Worker. */
interface NodeWorkerLike extends WorkerLike {
  once(e: 'message', f: (m: { ready?: boolean; error?: string }) => void): void;
  on(e: 'error', f: (e: Error) => void): void;
  on(e: 'exit', f: (code: number) => void): void;
  unref(): void;
}

export interface PoolOptions {
  memory: WebAssembly.Memory;
  /** The kernel module, then the relaxed matmul module where the engine has it (later exports win). */
  modules: WebAssembly.Module[];
  /** Threads in all, the caller included (≥ 2). */
  threads: number;
  host: Extract<ThreadHost, { ok: true }>;
  /** A block of thread_scratch_bytes() for worker t's own scratch. */
  tls: (t: number) => Ptr;
  /** The pool stopped working (a worker died): `reason` says which and why. */
  onLost: (reason: string) => void;
  /** Milliseconds a worker may take to start (default 10 s). */
  startMs?: number;
}

/** A started pool: `run` a job's parts on every thread; `close` ends the workers. */
export class Pool {
  readonly threads: number;
  live = true;
  /**
   * 'auto': split a kernel where the scheduler's thresholds say it pays; 'always' (tests,
   * calibrate()): every kernel that can be split; 'never': none (calibrate()'s one-thread figures).
   */
  split: 'auto' | 'always' | 'never' = 'auto';
  /**
   * A part unfinished this long after the caller's own share means its worker died (ms; or 100×
   * the caller's share, or 20× the job's estimated one-thread time, where longer).
   */
  stallMs = 5000;
  /**
   * Whether the calling thread takes parts too (it does: it would only wait otherwise). Tests set
   * false so that the workers run every part: on a loaded machine the caller can otherwise finish
   * a whole job before a worker is scheduled, and a test could not count on a worker's part.
   */
  callerTakes = true;
  /**
   * Microseconds the caller spins for the workers' last parts before it sleeps in Atomics.wait.
   * A sleep costs a wake-up when the worker's part ends: LeNet-5's batch-64 step on 2 threads
   * slept 1.5–2 times a step at 64 spins and ran 2.80–2.87 ms; spinning up to 200 µs it slept
   * 0.03 times and ran 2.72–2.75 ms (medians of six alternating rounds in one process). Longer
   * waits (a long part on a busy core) still sleep, leaving the core to other work.
   */
  callerSpinUs = 200;
  readonly #i32: Int32Array<SharedArrayBuffer>;
  readonly #f64: Float64Array<SharedArrayBuffer>;
  readonly #wait: boolean;
  readonly #workers: WorkerLike[];
  readonly #onLost: (reason: string) => void;
  #job = 0;
  /** Thread scratch for matmul parts: one block per thread, grown on demand. */
  #ws: Ptr[] = [];
  #wsBytes = 0;
  /** The caller's scratch for a k-split product's partial sums (one block, grown on demand), and the owner's allocator. */
  #ks: Ptr = 0;
  #ksBytes = 0;
  #alloc: ((bytes: number) => Ptr) | null = null;
  #free: ((p: Ptr, bytes: number) => void) | null = null;

  private constructor(o: PoolOptions, ctl: SharedArrayBuffer, workers: WorkerLike[]) {
    this.threads = o.threads;
    this.#i32 = new Int32Array(ctl);
    this.#f64 = new Float64Array(ctl);
    this.#wait = o.host.wait;
    this.#workers = workers;
    this.#onLost = o.onLost;
  }

  /** Starts threads − 1 workers; resolves with the pool, or with the reason there is none. */
  static async start(o: PoolOptions): Promise<Pool | string> {
    const ctl = new SharedArrayBuffer(CTL_BYTES);
    const i32 = new Int32Array(ctl);
    i32[KILL] = -1;
    i32[SPIN_US] = 2000;                            // see spinUs
    const workers: WorkerLike[] = [];
    let pool: Pool | null = null, failed: string | null = null;
    const lost = (t: number, why: string) => {
      if (pool) pool.lose(`Wasm worker ${t} ${why}`);
      else failed ??= `Wasm worker ${t} ${why}`;
    };
    const started: Promise<void>[] = [];
    const names = [...PART_FNS];
    let url: string | null = null;
    try {
      const NodeWorker: (new (src: string, o: object) => NodeWorkerLike) | null = o.host.node ? (await nodeModule('worker_threads')).Worker : null;
      if (!NodeWorker) url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
      for (let t = 1; t < o.threads; t++) {
        const msg = { modules: o.modules, memory: o.memory, ctl, t, tls: o.tls(t), names };
        started.push(new Promise<void>((ok, fail) => {
          const answer = (m: { ready?: boolean; error?: string }) => (m?.ready ? ok() : fail(new Error(m?.error ?? 'sent no ready message')));
          if (NodeWorker) {
            const w = new NodeWorker(WORKER_SOURCE, { eval: true, execArgv: [], name: `fluxion-wasm-${t}` });
            workers.push(w);
            w.once('message', answer);
            w.on('error', (e) => { fail(e); lost(t, `failed: ${e.message}`); });
            w.on('exit', (code) => { fail(new Error(`exited (code ${code}) while starting`)); lost(t, `exited (code ${code})`); });
            w.unref();                               // idle workers never keep a Node process alive
            w.postMessage(msg);
          } else {
            const W = g.Worker as new (u: string, o: object) => WorkerLike & { onmessage: unknown; onerror: unknown };
            const w = new W(url!, { name: `fluxion-wasm-${t}` });
            workers.push(w);
            w.onmessage = (e: MessageEvent) => { w.onmessage = null; answer(e.data); };
            w.onerror = (e: ErrorEvent) => { e.preventDefault?.(); fail(new Error(e.message)); lost(t, `failed: ${e.message}`); };
            w.postMessage(msg);
          }
        }).catch((e: Error) => { throw new Error(`Wasm worker ${t} did not start: ${e.message}`); }));
      }
      const ms = o.startMs ?? 10000;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<never>((_, fail) => { timer = setTimeout(() => fail(new Error(`the Wasm workers did not start within ${ms} ms`)), ms); });
      try { await Promise.race([Promise.all(started), late]); } finally { clearTimeout(timer); }
    } catch (e) {
      for (const w of workers) w.terminate();
      started.forEach((p) => p.catch(() => {}));
      return (e as Error).message;
    } finally {
      if (url) URL.revokeObjectURL(url);
    }
    if (failed) { for (const w of workers) w.terminate(); return failed; }
    pool = new Pool(o, ctl, workers);
    return pool;
  }

  /** Ends the workers; the pool runs nothing more. */
  close(): void {
    if (!this.live) return;
    this.live = false;
    Atomics.store(this.#i32, STOP, 1);
    Atomics.add(this.#i32, WAKE, 1);
    Atomics.notify(this.#i32, WAKE);
    for (const w of this.#workers) w.terminate();
  }

  /** A worker died or stopped answering: close, and tell the owner why (once). */
  lose(reason: string): void {
    if (!this.live) return;
    this.close();
    this.#onLost(reason);
  }

  /** @internal Tests: worker t exits (without finishing) in the next part it takes. */
  killNextPart(t: number): void { Atomics.store(this.#i32, KILL, t); }
  /** Parts each thread has run (index 0: the calling thread). */
  partsRun(): number[] { return Array.from({ length: this.threads }, (_, t) => Atomics.load(this.#i32, COUNT + t)); }
  /** @internal Tests: the workers, to terminate one from outside. */
  get workers(): readonly WorkerLike[] { return this.#workers; }
  /**
   * Microseconds a worker spins for the next job before it sleeps (default 2000): a job within that
   * time costs no wake-up (tens of µs, more on a loaded machine). 100 µs measured too short for a
   * training step, whose split kernels come a few hundred µs apart; the cost, a core busy for 2 ms
   * after a job, is only paid while jobs come, since the Learner stops splitting where it does not
   * pay and the worker then sleeps.
   */
  set spinUs(us: number) { this.#i32[SPIN_US] = Math.max(0, Math.round(us)); }

  /** Makes every thread's matmul scratch at least `bytes`, with the owner's allocator. */
  ensureWs(bytes: number, alloc: (bytes: number) => Ptr, free: (p: Ptr, bytes: number) => void): void {
    this.#alloc = alloc; this.#free = free;
    if (bytes <= this.#wsBytes) return;
    for (let t = 0; t < this.threads; t++) {
      if (this.#ws[t] !== undefined) free(this.#ws[t], this.#wsBytes);
      this.#ws[t] = alloc(bytes);
      this.#f64[WS + t] = this.#ws[t];
    }
    this.#wsBytes = bytes;
  }

  /** A block of at least `bytes` for the partial sums of a k-split product (after ensureWs, whose allocator it uses). */
  sumScratch(bytes: number): Ptr {
    if (bytes > this.#ksBytes) {
      if (this.#ksBytes) this.#free!(this.#ks, this.#ksBytes);
      this.#ks = this.#alloc!(bytes);
      this.#ksBytes = bytes;
    }
    return this.#ks;
  }

  /**
   * Runs the parts of one job on every thread and returns when all are done. `fns` are the caller's
   * own exports, by PART_FNS index; `wsArg` is the argument that gets each thread's scratch (-1:
   * none); `redo` says whether a part a dead worker left unfinished may be recomputed; `estMs` is
   * the whole job's estimated one-thread time (so a long part is not taken for a dead worker).
   */
  run(kernel: string, fn: number, parts: number[][], wsArg: number, redo: boolean, fns: readonly (Fn | undefined)[], estMs: number): void {
    const i32 = this.#i32, f64 = this.#f64, np = parts.length;
    for (let p = 0; p < np; p++) {
      const o = PARTS + p * PSTRIDE, a = parts[p];
      f64[o] = fn; f64[o + 1] = a.length; f64[o + 2] = wsArg;
      for (let i = 0; i < a.length; i++) f64[o + 3 + i] = a[i];
      i32[STATE + p] = 0;
    }
    Atomics.store(i32, DONE, 0);
    this.#job = (this.#job + 1) & 0xffff;
    Atomics.store(i32, CLAIM, (this.#job << 16) | (np << 8));
    Atomics.add(i32, WAKE, 1);
    Atomics.notify(i32, WAKE);
    const f = fns[fn]!, t0 = performance.now();
    while (this.callerTakes) {                       // the caller takes parts too
      const w = Atomics.load(i32, CLAIM), next = w & 255;
      if (next >= np) break;
      if (Atomics.compareExchange(i32, CLAIM, w, w + 1) !== w) continue;
      i32[STATE + next] = 1;
      const a = parts[next];
      if (wsArg >= 0) a[wsArg] = f64[WS];
      f(...a);
      i32[STATE + next] = -1;
      i32[COUNT]++;
      Atomics.add(i32, DONE, 1);
    }
    const own = performance.now() - t0, deadline = performance.now() + Math.max(this.stallMs, 100 * own, 20 * estMs);
    const spinEnd = performance.now() + this.callerSpinUs / 1000;
    for (let d, k = 0; (d = Atomics.load(i32, DONE)) !== np; k++) {
      if (this.#wait && (k & 63) === 63 && performance.now() > spinEnd) Atomics.wait(i32, DONE, d, 20);
      if ((k & 63) === 0 && performance.now() > deadline) { this.#stalled(kernel, parts, redo, wsArg, f); break; }
    }
    if (Atomics.load(i32, ERR)) {
      const part = i32[ERR] - 1, len = i32[ERRLEN];
      const msg = String.fromCharCode(...i32.subarray(MSG, MSG + len));
      i32[ERR] = 0;
      throw new Error(`fluxion: ${kernel} (part ${part + 1} of ${np}) failed in a Wasm worker: ${msg}`);
    }
  }

  /** Parts taken by a worker that never finished them: the worker is gone. */
  #stalled(kernel: string, parts: number[][], redo: boolean, wsArg: number, f: Fn): never | void {
    const i32 = this.#i32, left: number[] = [], who = new Set<number>();
    for (let p = 0; p < parts.length; p++) {
      const s = Atomics.load(i32, STATE + p);
      if (s !== -1) { left.push(p); if (s > 0) who.add(s - 1); }
    }
    const names = [...who].map((t) => `worker ${t}`).join(', ') || 'a worker';
    this.lose(`Wasm ${names} stopped answering during ${kernel} (part ${left.map((p) => p + 1).join(', ')} of ${parts.length} unfinished)`);
    if (!redo) {
      throw new Error(`fluxion: ${kernel}: ${names} stopped during the call, so part of its output (updated in place) is ` +
        'unknown; the CPU kernels run on one thread from now on');
    }
    for (const p of left) {
      const a = parts[p];
      if (wsArg >= 0) a[wsArg] = this.#f64[WS];
      f(...a);
    }
  }
}

// ---- splitting the kernels --------------------------------------------------------------------

/**
 * Where a split pays, from the scheduler's model (src/scheduler.ts `threadCosts`), and the one-thread
 * speeds (GFLOP/s of a large matmul, GB/s of a memory-bound kernel) that estimate a job's time.
 */
export interface SplitCosts { minFlops: number; minBytes: number; gflops: number; GBs: number }

/** [lo, hi) bounds of `parts` runs over [0, total), inner bounds multiples of `align`; empty runs dropped. */
function bounds(total: number, parts: number, align: number): number[] {
  const b = [0];
  for (let i = 1; i < parts; i++) {
    const x = Math.round((total * i) / parts / align) * align;
    if (x > b[b.length - 1] && x < total) b.push(x);
  }
  b.push(total);
  return b;
}

const overlaps = (p: Ptr, bytes: number, q: Ptr, qbytes: number) => p < q + qbytes && q < p + bytes;

/**
 * Whether splitting pays right now, learned per kernel and size (a power of two of its work; a
 * matmul per shape, since its layouts split differently) from timings of its own calls. The
 * thresholds from calibrate() say where a split can pay on this machine; whether it does at a
 * given moment depends on what else the cores are doing (another process, another tab): a worker
 * that is descheduled holds its part for a time slice, and a split job then takes longer than the
 * whole one. So each size first runs whole twice, then split three times, timed; afterwards the
 * faster way wins, and every 16th call tries the other way (less often while the tries confirm
 * the choice), so the choice follows the load. Each way is judged by its best time among its last
 * WINDOW calls: other load only ever slows a call down, so the best is the way's own cost, and a
 * way that is slow in every call (a split while a core is taken) stays slow. A try of the split is
 * three calls of which the first is not counted: while the whole way is preferred the workers
 * sleep, and a first split only measures their wake-up. Either way the results are the same bits.
 */
const WINDOW = 8;
interface Way { t: Float64Array; n: number }
const best = (w: Way) => { let b = Infinity; for (let i = 0; i < Math.min(w.n, WINDOW); i++) b = Math.min(b, w.t[i]); return b; };
class Learner {
  readonly #pool: Pool;
  readonly #stats = new Map<string, { whole: Way; split: Way; k: number; every: number; burst: number }>();
  constructor(pool: Pool) { this.#pool = pool; }

  run(kernel: string, work: number, split: () => void, whole: () => void): void {
    if (this.#pool.split === 'always') return split();
    const key = `${kernel}:${Math.round(Math.log2(work))}`;
    let s = this.#stats.get(key);
    if (!s && this.#stats.size >= 1024) this.#stats.clear();   // a stream of new shapes: start over
    if (!s) {
      const way = () => ({ t: new Float64Array(WINDOW), n: 0 });
      this.#stats.set(key, s = { whole: way(), split: way(), k: 0, every: 16, burst: 0 });
    }
    const prefer = best(s.split) < 0.95 * best(s.whole);
    let useSplit: boolean, count = true, probe = false;
    if (s.whole.n < 2) useSplit = false;
    else if (s.split.n < 2 || s.burst > 0) {             // learning the split, or trying it: a burst of three
      if (s.burst === 0) s.burst = 3;
      useSplit = true;
      count = s.burst-- < 3;                             // the first of a burst only wakes the workers
      probe = s.split.n >= 2 && s.burst === 0;
    } else if (++s.k % s.every === 0) {                  // time to try the other way
      if (prefer) { useSplit = false; probe = true; } else { s.burst = 2; useSplit = true; count = false; }
    } else useSplit = prefer;
    const t0 = performance.now();
    (useSplit ? split : whole)();
    if (!count) return;
    const w = useSplit ? s.split : s.whole;
    w.t[w.n++ % WINDOW] = (performance.now() - t0) / work;
    // a try that confirms the choice makes the next one rarer (a losing split can cost a time
    // slice on a loaded machine); one that overturns it brings trying back to every 16th call
    if (probe) s.every = (best(s.split) < 0.95 * best(s.whole)) === prefer ? Math.min(64, 2 * s.every) : 16;
  }
}

/**
 * The kernels a pool splits, each with the kernel's own signature and arity: below the size where
 * a split pays (or with no live pool) it calls `direct` at once, so a small op pays one comparison
 * and no array (batch-1 training is made of such ops).
 */
export function splitKernels(pool: Pool, costs: SplitCosts, fns: readonly (Fn | undefined)[], direct: Record<string, Fn>,
  wsBytes: (m: number, k: number, n: number) => number, ensureWs: (bytes: number) => void): Record<string, Fn> {
  const T = pool.threads, d = direct;
  const byteMs = (bytes: number) => bytes / (costs.GBs * 1e6);
  /**
   * Parts for a job of `ms` on one thread: one per thread for a short job; up to four per thread
   * for a long one, so that when a core is busy with other work the threads that run take the
   * parts its worker cannot (parts are claimed, not assigned): a busy core then costs a quarter
   * of a part, not half the job.
   */
  const nparts = (ms: number) => Math.min(MAX_PARTS, ms >= 1 ? 4 * T : ms >= 0.25 ? 2 * T : T);
  /** Whether a memory-bound kernel of `bytes` over `n` units (elements, rows) may be split at all. */
  const pays = (bytes: number, n: number, least: number) =>
    pool.live && n >= least && (pool.split === 'always' || (pool.split === 'auto' && bytes >= costs.minBytes));
  const learn = new Learner(pool);

  /** Runs of a flat elementwise kernel over a[nArg] elements: `bufs` advance with the run, the last is the output. */
  function flat(name: keyof typeof FN, a: number[], nArg: number, bufs: readonly number[], inout: boolean) {
    const n = a[nArg], est = byteMs(4 * n * bufs.length), b = bounds(n, nparts(est), 16), parts: number[][] = [];
    for (let i = 0; i + 1 < b.length; i++) {
      const p = a.slice();
      for (const k of bufs) p[k] = a[k] + 4 * b[i];
      p[nArg] = b[i + 1] - b[i];
      parts.push(p);
    }
    // recomputable when no input shares memory with the output (in place, a redo would apply f twice)
    const o = bufs[bufs.length - 1];
    const redo = !inout && bufs.every((k) => k === o || !overlaps(a[k], 4 * n, a[o], 4 * n));
    pool.run(name, FN[name], parts, -1, redo, fns, est);
  }
  /** Runs over the outer index a[oArg]: `strides` pairs each buffer argument with its elements per outer step; `out` is the output argument. */
  function outer(name: keyof typeof FN, a: number[], oArg: number, strides: [number, number][], out: number) {
    const no = a[oArg], est = byteMs(strides.reduce((t, [, st]) => t + 4 * st * no, 0));
    const b = bounds(no, Math.min(nparts(est), no), 1), parts: number[][] = [];
    for (let i = 0; i + 1 < b.length; i++) {
      const p = a.slice();
      for (const [k, st] of strides) p[k] = a[k] + 4 * st * b[i];
      p[oArg] = b[i + 1] - b[i];
      parts.push(p);
    }
    const os = strides.find(([k]) => k === out)![1] * no * 4;
    const redo = strides.every(([k, st]) => k === out || !overlaps(a[k], st * no * 4, a[out], os));
    pool.run(name, FN[name], parts, -1, redo, fns, est);
  }
  const k: Record<string, Fn> = {};

  k.matmul = (a, b, c, m, kk, n, ta, tb, acc) => {
    if (!pool.live || pool.split === 'never' || (pool.split === 'auto' && 2 * m * kk * n < costs.minFlops)) return d.matmul(a, b, c, m, kk, n, ta, tb, acc);
    const est = (2 * m * kk * n) / (costs.gflops * 1e6), kq = Math.ceil(kk / KC);
    // a small output over a long k (a weight gradient): split k by KC blocks, not the output,
    // where the output has too few tiles for the threads (each part would pack all of op(B))
    if (n > 1 && kk > 1 && kq >= KSPLIT_BLOCKS * T && m * n <= KSPLIT_MN && m * n * kq <= KSPLIT_FLOATS && fns[FN.matmul_kblocks]) {
      const bq = bounds(kq, Math.max(T, Math.min(nparts(est), kq)), 1), parts: number[][] = [];
      for (let i = 0; i + 1 < bq.length; i++) parts.push([a, b, 0, m, kk, n, ta, tb, 0, bq[i], bq[i + 1]]);
      return learn.run(`matmul:${m}x${kk}x${n}:${ta}${tb}`, 2 * m * kk * n, () => {
        ensureWs(wsBytes(m, kk, n) || 16);
        const s = pool.sumScratch(4 * m * n * kq);
        for (const p of parts) p[2] = s;
        pool.run('matmul', FN.matmul_kblocks, parts, 8, true, fns, est);   // the parts write only s: always recomputable
        fns[FN.matmul_ksum]!(c, s, m * n, kq, acc, 0, m * n);
      }, () => d.matmul(a, b, c, m, kk, n, ta, tb, acc));
    }
    if (m * n < 64) return d.matmul(a, b, c, m, kk, n, ta, tb, acc);
    const parts: number[][] = [];
    const rows = n === 1 || kk === 1 || n < 16 * T;   // gemv/ger paths, or too few columns for every thread
    // more parts than threads only while each keeps 64 columns (32 rows): every column part reads
    // all of op(A), every row part packs all of op(B), and thin parts made a product 1.4x slower
    const np = Math.max(T, Math.min(nparts(est), rows ? m >> 5 : n >> 6));
    const bb = rows ? bounds(m, np, 4) : bounds(n, np, 8);
    for (let i = 0; i + 1 < bb.length; i++) {
      parts.push(rows ? [a, b, c, m, kk, n, ta, tb, acc, 0, bb[i], bb[i + 1], 0, n] : [a, b, c, m, kk, n, ta, tb, acc, 0, 0, m, bb[i], bb[i + 1]]);
    }
    if (parts.length < 2) return d.matmul(a, b, c, m, kk, n, ta, tb, acc);
    const cb = 4 * m * n;
    const redo = !acc && !overlaps(c, cb, a, 4 * m * kk) && !overlaps(c, cb, b, 4 * kk * n);
    learn.run(`matmul:${m}x${kk}x${n}:${ta}${tb}`, 2 * m * kk * n, () => { ensureWs(wsBytes(m, kk, n) || 16); pool.run('matmul', FN.matmul_part, parts, 9, redo, fns, est); },
      () => d.matmul(a, b, c, m, kk, n, ta, tb, acc));
  };
  k.unary = (op, x, y, n, al, be) => (pays(8 * n, n, 32)
    ? learn.run('unary', 8 * n, () => flat('unary', [op, x, y, n, al, be], 3, [1, 2], false), () => d.unary(op, x, y, n, al, be)) : d.unary(op, x, y, n, al, be));
  k.unaryGrad = (op, x, y, dy, dx, n, al, be) => (pays(16 * n, n, 32)
    ? learn.run('unaryGrad', 16 * n, () => flat('unaryGrad', [op, x, y, dy, dx, n, al, be], 5, [1, 2, 3, 4], false), () => d.unaryGrad(op, x, y, dy, dx, n, al, be))
    : d.unaryGrad(op, x, y, dy, dx, n, al, be));
  k.fill = (y, n, v) => (pays(4 * n, n, 32) ? learn.run('fill', 4 * n, () => flat('fill', [y, n, v], 1, [0], false), () => d.fill(y, n, v)) : d.fill(y, n, v));
  k.copyIf = (x, y, g, n) => (pays(8 * n, n, 32)
    ? learn.run('copyIf', 8 * n, () => flat('copyIf', [x, y, g, n], 3, [0, 1], true), () => d.copyIf(x, y, g, n)) : d.copyIf(x, y, g, n));
  k.descent = (x, g, gd, n, eta) => (pays(12 * n, n, 32)
    ? learn.run('descent', 12 * n, () => flat('descent', [x, g, gd, n, eta], 3, [1, 0], true), () => d.descent(x, g, gd, n, eta)) : d.descent(x, g, gd, n, eta));
  k.momentum = (x, g, v, gd, n, eta, rho) => (pays(20 * n, n, 32)
    ? learn.run('momentum', 20 * n, () => flat('momentum', [x, g, v, gd, n, eta, rho], 4, [1, 2, 0], true), () => d.momentum(x, g, v, gd, n, eta, rho))
    : d.momentum(x, g, v, gd, n, eta, rho));
  k.adam = (x, g, m, v, gd, n, eta, b1, b2, eps, b1t, b2t) => (pays(28 * n, n, 32)
    ? learn.run('adam', 28 * n, () => flat('adam', [x, g, m, v, gd, n, eta, b1, b2, eps, b1t, b2t], 5, [1, 2, 3, 0], true),
      () => d.adam(x, g, m, v, gd, n, eta, b1, b2, eps, b1t, b2t))
    : d.adam(x, g, m, v, gd, n, eta, b1, b2, eps, b1t, b2t));
  k.adamw = (x, g, m, v, gd, n, eta, b1, b2, eps, b1t, b2t, lam) => (pays(28 * n, n, 32)
    ? learn.run('adamw', 28 * n, () => flat('adamw', [x, g, m, v, gd, n, eta, b1, b2, eps, b1t, b2t, lam], 5, [1, 2, 3, 0], true),
      () => d.adamw(x, g, m, v, gd, n, eta, b1, b2, eps, b1t, b2t, lam))
    : d.adamw(x, g, m, v, gd, n, eta, b1, b2, eps, b1t, b2t, lam));
  // by rows / the outer index
  k.biasAct = (x, b, y, rows, cols, act, al) => (pays(8 * rows * cols, rows, 2)
    ? learn.run('biasAct', 8 * rows * cols, () => outer('biasAct', [x, b, y, rows, cols, act, al], 3, [[0, cols], [1, 1], [2, cols]], 2),
      () => d.biasAct(x, b, y, rows, cols, act, al))
    : d.biasAct(x, b, y, rows, cols, act, al));
  k.reduce = (op, x, y, o, len, inner) => (pays(4 * o * len * inner, o, 2)
    ? learn.run('reduce', 4 * o * len * inner, () => outer('reduce', [op, x, y, o, len, inner], 3, [[1, len * inner], [2, inner]], 2),
      () => d.reduce(op, x, y, o, len, inner))
    : d.reduce(op, x, y, o, len, inner));
  k.softmax = (x, y, o, len, inner, log) => (pays(8 * o * len * inner, o, 2)
    ? learn.run('softmax', 8 * o * len * inner, () => outer('softmax', [x, y, o, len, inner, log], 2, [[0, len * inner], [1, len * inner]], 1),
      () => d.softmax(x, y, o, len, inner, log))
    : d.softmax(x, y, o, len, inner, log));
  k.softmaxGrad = (y, dy, dx, o, len, inner, log) => (pays(12 * o * len * inner, o, 2)
    ? learn.run('softmaxGrad', 12 * o * len * inner,
      () => outer('softmaxGrad', [y, dy, dx, o, len, inner, log], 3, [[0, len * inner], [1, len * inner], [2, len * inner]], 2),
      () => d.softmaxGrad(y, dy, dx, o, len, inner, log))
    : d.softmaxGrad(y, dy, dx, o, len, inner, log));

  // binary(op, a, b, c, d0, d1, d2, as0, as1, as2, bs0, bs1, bs2): by the outermost dim of extent ≥ 2
  k.binary = (op, a, b, c, d0, d1, d2, as0, as1, as2, bs0, bs1, bs2) => {
    const n = d0 * d1 * d2;
    if (!pays(12 * n, n, 64)) return d.binary(op, a, b, c, d0, d1, d2, as0, as1, as2, bs0, bs1, bs2);
    const dim = d0 > 1 ? 0 : d1 > 1 ? 1 : 2, ext = [d0, d1, d2][dim];
    const cs = [d1 * d2, d2, 1][dim], as = [as0, as1, as2][dim], bs = [bs0, bs1, bs2][dim];
    const bb = bounds(ext, Math.min(nparts(byteMs(12 * n)), ext), dim === 2 ? 16 : 1), parts: number[][] = [];
    for (let i = 0; i + 1 < bb.length; i++) {
      const dims = [d0, d1, d2];
      dims[dim] = bb[i + 1] - bb[i];
      const lo = bb[i];
      parts.push([op, a + 4 * as * lo, b + 4 * bs * lo, c + 4 * cs * lo, dims[0], dims[1], dims[2], as0, as1, as2, bs0, bs1, bs2]);
    }
    if (parts.length < 2) return d.binary(op, a, b, c, d0, d1, d2, as0, as1, as2, bs0, bs1, bs2);
    const span = (s0: number, s1: number, s2: number) => 4 * (1 + Math.abs(s0) * (d0 - 1) + Math.abs(s1) * (d1 - 1) + Math.abs(s2) * (d2 - 1));
    const redo = !overlaps(c, 4 * n, a, span(as0, as1, as2)) && !overlaps(c, 4 * n, b, span(bs0, bs1, bs2));
    learn.run('binary', 12 * n, () => pool.run('binary', FN.binary, parts, -1, redo, fns, byteMs(12 * n)),
      () => d.binary(op, a, b, c, d0, d1, d2, as0, as1, as2, bs0, bs1, bs2));
  };

  // strided(x, y, n, off, d0..d5, s0..s5): by the outermost dim of extent ≥ 2
  k.strided = (x, y, n, off, d0, d1, d2, d3, d4, d5, s0, s1, s2, s3, s4, s5) => {
    if (!pays(8 * n, n, 64)) return d.strided(x, y, n, off, d0, d1, d2, d3, d4, d5, s0, s1, s2, s3, s4, s5);
    const a = [x, y, n, off, d0, d1, d2, d3, d4, d5, s0, s1, s2, s3, s4, s5];
    let dim = 0;
    while (dim < 5 && a[4 + dim] < 2) dim++;
    const ext = a[4 + dim], inner = n / ext, bb = bounds(ext, Math.min(nparts(byteMs(8 * n)), ext), dim === 5 ? 16 : 1), parts: number[][] = [];
    for (let i = 0; i + 1 < bb.length; i++) {
      const p = a.slice(), lo = bb[i];
      p[1] = y + 4 * inner * lo;
      p[3] = off + a[10 + dim] * lo;
      p[4 + dim] = bb[i + 1] - lo;
      p[2] = inner * (bb[i + 1] - lo);
      parts.push(p);
    }
    if (parts.length < 2) return d.strided(x, y, n, off, d0, d1, d2, d3, d4, d5, s0, s1, s2, s3, s4, s5);
    let lo = off, hi = off;                          // x's span in elements
    for (let j = 0; j < 6; j++) { const e = (a[4 + j] - 1) * a[10 + j]; if (e < 0) lo += e; else hi += e; }
    const redo = !overlaps(y, 4 * n, x + 4 * lo, 4 * (hi - lo + 1));
    learn.run('strided', 8 * n, () => pool.run('strided', FN.strided, parts, -1, redo, fns, byteMs(8 * n)),
      () => d.strided(x, y, n, off, d0, d1, d2, d3, d4, d5, s0, s1, s2, s3, s4, s5));
  };
  // The conv family: NAME_part(...the table arguments, lo, hi) where the module exports it.
  for (const [name, p] of Object.entries(PARTED)) {
    const fn = FN[`${name}_part` as keyof typeof FN], direct = d[name];
    if (!fns[fn]) continue;
    k[name] = (...a: number[]) => {
      const rows = p.rows(a);
      if (!pays(p.bytes(a), rows, 2)) return direct(...a);
      // parts by the traffic's time alone: these run near the streaming bandwidth at LeNet's sizes
      // (col2im [150,4096] in 0.12 ms), and the gather's ×10 made 4 parts per thread of a 0.1 ms
      // job, which ran 0.8–1.1x whole (col2im, im2col of conv2) where one part per thread runs 1.3x
      const bb = bounds(rows, Math.min(nparts(byteMs(p.bytes(a))), rows), 1), parts: number[][] = [];
      for (let i = 0; i + 1 < bb.length; i++) parts.push([...a, bb[i], bb[i + 1]]);
      learn.run(name, p.bytes(a), () => pool.run(name, fn, parts, -1, true, fns, byteMs(p.bytes(a)) * 10), () => direct(...a));   // ×10: these gather
    };
  }
  return k;
}

/**
 * How the conv kernels split, once the module exports NAME_part(...the kernel's table arguments,
 * lo, hi): that call writes only indices [lo, hi) of the written buffer's outermost axis (`rows`),
 * each element exactly as the whole call writes it (a gather per written element, in the whole
 * call's order: what the WGSL versions do), and touches nothing else of its output. `bytes`: the
 * traffic, for the threshold. Until a module has the export, the kernel runs whole.
 */
const PARTED: Record<string, { rows(a: number[]): number; bytes(a: number[]): number }> = {
  // im2col(x, col, n, c, c0, cg, w1, w2, w3, k1, k2, k3, o1, o2, o3, …): col's rows (k1, k2, k3, cg)
  im2col: { rows: (a) => a[9] * a[10] * a[11] * a[5], bytes: (a) => 8 * a[9] * a[10] * a[11] * a[5] * a[12] * a[13] * a[14] * a[2] },
  // col2im(col, x, …same): x's first spatial axis w1
  col2im: { rows: (a) => a[6], bytes: (a) => 8 * a[9] * a[10] * a[11] * a[5] * a[12] * a[13] * a[14] * a[2] },
  // pool(x, y, cn, w1, w2, w3, k1, k2, k3, o1, o2, o3, …): y's first axis o1
  pool: { rows: (a) => a[9], bytes: (a) => 4 * a[2] * (a[3] * a[4] * a[5] + a[9] * a[10] * a[11]) },
  // poolGrad(x, y, dy, dx, cn, w1, w2, w3, k1, k2, k3, o1, o2, o3, …): dx's first axis w1
  poolGrad: { rows: (a) => a[5], bytes: (a) => 8 * a[4] * (a[5] * a[6] * a[7] + a[11] * a[12] * a[13]) },
};
