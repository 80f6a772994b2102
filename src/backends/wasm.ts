// The CPU device: the AssemblyScript module (assembly/) in one WebAssembly.Memory owned here.
// Tensors are byte offsets into that memory (up to 2^32: indices use unsigned shifts). Freed
// blocks wait in size-class bins, so a training loop that repeats its shapes reuses the same
// blocks at the cost of a pop; before the memory grows, the bins are merged into free spans that
// serve any size, so changing shapes stay bounded too. Running out is a RangeError naming the
// request, not a dead instance. A relaxed-SIMD matmul module is used where the engine validates it.
// With `shared`, the memory is a shared WebAssembly.Memory and the modules declare it so (one byte
// of their import, src/backends/threads.ts `sharedModule`): then `setThreads(n)` starts a pool of
// workers that run instances of the same modules on it, and the large kernels split their output
// across the threads (threads.ts); without it nothing here differs from a one-thread build.

import type { Backend, KernelName, Kernels } from './backend.js';
import { KERNEL_NAMES } from './kernels.js';
import { Pool, PART_FNS, MAX_THREADS, sharedModule, splitKernels, threadHost, type ThreadHost } from './threads.js';
import { threadCosts, setCpuThreads, type DeviceProfile } from '../scheduler.js';
import { runtime } from '../runtime.js';
import simdBytes from '../../build/fluxion.wasm';
import relaxedBytes from '../../build/fluxion-relaxed.wasm';

type Ptr = number;
/** The module's exports: each kernel of KERNELS under its own name (matmul and bmm take a trailing scratch pointer). */
type Exports = Partial<Omit<Kernels<Ptr>, 'matmul' | 'bmm'>> & {
  heap_base(): number;
  matmul_ws_bytes?(m: number, k: number, n: number): number;
  matmul?(...args: [...Parameters<Kernels<Ptr>['matmul']>, ws: Ptr]): void;
  bmm_ws_bytes?(m: number, k: number, n: number): number;
  bmm?(...args: [...Parameters<Kernels<Ptr>['bmm']>, ws: Ptr]): void;
  thread_scratch?(p: Ptr): void;
  thread_scratch_bytes?(): number;
};

/**
 * Binds the kernels of KERNELS to a module's exports by name: each export function is used as
 * is (no wrapper, so a call costs what the export costs); `custom` supplies the kernels that need
 * JavaScript (matmul's scratch, copy), a key set to undefined meaning "not available"; a kernel
 * neither provides is bound to a function that throws naming it. `provided` holds exactly the
 * kernels that really run.
 */
export function bindKernels(exports: Partial<Record<string, unknown>>, custom: Partial<Kernels<Ptr>>):
  { kernels: Kernels<Ptr>; provided: ReadonlySet<KernelName> } {
  const kernels = {} as Record<KernelName, unknown>;
  const provided = new Set<KernelName>();
  for (const name of KERNEL_NAMES) {
    const f = name in custom ? custom[name] : exports[name]; // a custom entry, even undefined, shadows the export
    if (typeof f === 'function') { kernels[name] = f; provided.add(name); continue; }
    kernels[name] = () => { throw new Error(`fluxion: the Wasm module has no kernel '${name}'`); };
  }
  return { kernels: kernels as Kernels<Ptr>, provided };
}

const PAGE = 65536;
const MAX_PAGES = 65536;                 // 4 GiB, the wasm32 ceiling

/** Size class in bytes: 64-byte steps up to 64 KiB, then quarter powers of two. */
function sizeClass(bytes: number): number {
  if (bytes <= 65536) return Math.max(64, (bytes + 63) & ~63);
  const p = 2 ** Math.floor(Math.log2(bytes)), q = p / 4;
  return Math.ceil(bytes / q) * q;
}

export interface WasmBackend extends Backend<Ptr> {
  readonly relaxed: boolean;
  /** The memory is shared (threads possible). */
  readonly shared: boolean;
  /** The current f32 view of the whole memory (renewed after growth). */
  f32(): Float32Array;
  memoryBytes(): number;
  /** Threads the kernels run on, the calling one included. */
  threads(): number;
  /** Why there are fewer threads than asked for ('' when there are as many). */
  threadsReason(): string;
  /**
   * Runs the kernels on `n` threads from now on (1: no pool): starts or replaces the pool of n − 1
   * workers. Resolves when they run; where they cannot, the backend stays on one thread and
   * threadsReason() says why. Never rejects.
   */
  setThreads(n: number, host?: ThreadHost): Promise<void>;
  /** @internal The running pool (tests, calibrate()). */
  threadPool(): Pool | null;
  /** Measures the pool for the scheduler: fan-out cost and speedups (undefined with one thread). */
  measureThreads(): DeviceProfile['threads'];
  /** Runs `f` with every kernel on the calling thread. */
  oneThread<T>(f: () => T): T;
}

const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1,
  20, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11]);

/** True where the engine runs Wasm fixed-width SIMD (v128). */
export function simdSupported(): boolean {
  try { return WebAssembly.validate(SIMD_PROBE); } catch { return false; }
}

/** The module's bytes: the bundle carries them gzipped (scripts/build.mjs), sources raw. */
async function inflate(b: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  if (b[0] !== 0x1f || b[1] !== 0x8b) return b as Uint8Array<ArrayBuffer>;
  const s = new Blob([b as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(s).arrayBuffer());
}

/**
 * Instantiate the kernel module; throws a clear error where SIMD is missing. `shared`: on a
 * shared memory, so that setThreads() can add threads (hosts without shared memory throw).
 */
export async function createWasm(opts: { shared?: boolean } = {}): Promise<WasmBackend> {
  if (!simdSupported()) {
    throw new Error('fluxion: this JavaScript engine lacks WebAssembly SIMD (v128); ' +
      'use Node >= 16.4, Chrome >= 91, Firefox >= 89 or Safari >= 16.4');
  }
  const shared = !!opts.shared;
  const memory = new WebAssembly.Memory({ initial: 64, maximum: MAX_PAGES, shared });
  const bytes = async (b: Uint8Array) => (shared ? sharedModule(await inflate(b), MAX_PAGES) : await inflate(b));
  // compiled asynchronously: browsers refuse large synchronous compiles on the main thread; kept
  // as modules, which the pool's workers instantiate without compiling again
  const modules = [await WebAssembly.compile(await bytes(simdBytes))];
  const instance = await WebAssembly.instantiate(modules[0], { env: { memory } });
  // Where the engine has relaxed SIMD, a second small module on the same memory supplies a
  // matmul with fused multiply-add (f32x4.relaxed_madd); it has no data and allocates nothing.
  let relaxed = false, fast: Pick<Exports, 'matmul' | 'matmul_ws_bytes'> | null = null;
  try {
    const m = await WebAssembly.compile(await bytes(relaxedBytes));
    fast = (await WebAssembly.instantiate(m, { env: { memory } })).exports as unknown as Pick<Exports, 'matmul' | 'matmul_ws_bytes'>;
    modules.push(m);
    relaxed = true;
  } catch { /* plain SIMD matmul */ }
  const k: Exports = { ...(instance.exports as unknown as Exports), ...fast };

  let view = new Float32Array(memory.buffer);
  // Three kinds of unused memory. Bins: freed blocks by size class, handed out again as they are,
  // so a loop that repeats its shapes costs one pop per tensor. Runs: maximal free spans, made by
  // merging every binned block with its neighbours only when the memory would otherwise grow
  // (a loop whose shapes keep changing, e.g. every batch size once, would else strand its old
  // sizes in bins forever); a new size is cut from the best-fitting run. Above `top`: never used.
  let top = (k.heap_base() + 63) & ~63;
  const bins = new Map<number, Ptr[]>();
  let binned = 0;                        // bytes in bins
  let runs: number[] = [];               // [start, bytes] pairs in address order; none ends at top
  let live = 0;
  let ws = 0, wsBytes = 0;               // matmul scratch, grown on demand and kept

  /** Grows the memory so that `end` fits, or throws naming the request (`bytes`). */
  function grow(end: number, bytes: number) {
    const have = memory.buffer.byteLength, need = Math.ceil((end - have) / PAGE);
    if (need <= 0) return;
    const pages = have / PAGE;
    const want = Math.min(MAX_PAGES, Math.max(pages + need, Math.ceil(pages * 1.25)));
    try { memory.grow(want - pages); } catch {
      try { memory.grow(need); } catch {
        throw new RangeError(`fluxion: out of CPU memory: cannot allocate ${bytes} bytes: the host refused to ` +
          `grow Wasm memory from ${have} to ${end} bytes (${live} bytes in live tensors); dispose tensors or use scope()`);
      }
    }
    view = new Float32Array(memory.buffer);
  }
  /** Best fit among the runs, cut from its start; -1 if none is large enough. */
  function fromRuns(c: number): Ptr {
    let best = -1, size = Infinity;
    for (let i = 0; i < runs.length; i += 2) {
      const s = runs[i + 1];
      if (s >= c && s < size) { best = i; size = s; if (s === c) break; }
    }
    if (best < 0) return -1;
    const p = runs[best];
    if (size === c) runs.splice(best, 2);
    else { runs[best] = p + c; runs[best + 1] = size - c; }
    return p;
  }
  /** Merges the binned blocks and the runs into maximal runs; a run that reaches top lowers it. */
  function coalesce() {
    // one sortable number per block: start and size are multiples of 64 below 2^32, so
    // start/64 (26 bits) above size/64 (27 bits) fits a double's 53-bit integer range
    const n = runs.length / 2 + [...bins.values()].reduce((s, l) => s + l.length, 0);
    const keys = new Float64Array(n);
    let j = 0;
    for (let i = 0; i < runs.length; i += 2) keys[j++] = (runs[i] / 64) * 2 ** 27 + runs[i + 1] / 64;
    for (const [c, list] of bins) for (const p of list) keys[j++] = (p / 64) * 2 ** 27 + c / 64;
    keys.sort();
    const out: number[] = [];
    for (const key of keys) {
      const p = Math.floor(key / 2 ** 27) * 64, c = (key % 2 ** 27) * 64;
      if (out.length && out[out.length - 2] + out[out.length - 1] === p) out[out.length - 1] += c;
      else out.push(p, c);
    }
    if (out.length && out[out.length - 2] + out[out.length - 1] === top) { top = out[out.length - 2]; out.length -= 2; }
    runs = out;
    bins.clear();
    binned = 0;
  }
  function tooLarge(bytes: number): never {
    throw new RangeError(`fluxion: out of CPU memory: cannot allocate ${bytes} bytes: no free span that large ` +
      `within the 4 GiB Wasm limit (${live} bytes in live tensors); dispose tensors, use scope() or smaller tensors`);
  }
  /** A block of class c for a request of `bytes`, when its bin is empty. */
  function carve(c: number, bytes: number): Ptr {
    if (!(c <= MAX_PAGES * PAGE)) tooLarge(bytes); // also NaN: a bad size must not corrupt top
    let p = fromRuns(c);
    if (p >= 0) return p;
    if (top + c > memory.buffer.byteLength && binned > 0) {
      coalesce();
      if ((p = fromRuns(c)) >= 0) return p;
    }
    if (top + c > MAX_PAGES * PAGE) tooLarge(bytes);
    grow(top + c, bytes);
    p = top;
    top += c;
    return p;
  }
  function block(bytes: number): Ptr {
    const c = sizeClass(bytes), list = bins.get(c);
    if (list !== undefined && list.length > 0) { binned -= c; return list.pop()!; }
    return carve(c, bytes);
  }
  function release(p: Ptr, c: number) {
    let list = bins.get(c);
    if (list === undefined) bins.set(c, list = []);
    list.push(p);
    binned += c;
  }
  function scratch(bytes: number): Ptr {
    if (bytes > wsBytes) {
      const p = block(bytes);
      if (wsBytes > 0) release(ws, wsBytes);
      ws = p; wsBytes = sizeClass(bytes);
    }
    return ws;
  }

  const { matmul: mm, matmul_ws_bytes: wsBytesFor, bmm: bm, bmm_ws_bytes: bmWsFor } = k;
  const { kernels, provided } = bindKernels(k, {
    matmul: mm && wsBytesFor && ((a, b, c, m, kk, n, ta, tb, acc) => mm(a, b, c, m, kk, n, ta, tb, acc, scratch(wsBytesFor(m, kk, n) || 16))),
    bmm: bm && bmWsFor && ((a, b, c, m, kk, n, z, sab, sam, sak, sbb, sbk, sbn, scb, scm, scn) =>
      bm(a, b, c, m, kk, n, z, sab, sam, sak, sbb, sbk, sbn, scb, scm, scn, scratch(bmWsFor(m, kk, n)))),
    // >>> 2, not >> 2: addresses reach 2^32, and a signed shift turns those past 2^31 negative
    copy(x, xo, y, yo, n) { view.copyWithin((y >>> 2) + yo, (x >>> 2) + xo, (x >>> 2) + xo + n); },
  });
  // ---- threads ----
  // A worker instance (re)writes the module's static data when it starts, so on a shared memory
  // every thread, this one included, keeps its kernel scratch in a block of its own.
  const tlsBytes = k.thread_scratch_bytes?.() ?? 0;
  if (shared) k.thread_scratch!(block(tlsBytes));
  let pool: Pool | null = null, reason = '', tls: Ptr[] = [];
  const fns = PART_FNS.map((n) => (k as Record<string, unknown>)[n] as ((...a: number[]) => void) | undefined);
  const direct = { ...kernels } as unknown as Record<string, (...a: number[]) => void>;
  const wsAll = (bytes: number) => pool!.ensureWs(bytes, block, (p, b) => release(p, sizeClass(b)));
  /** Binds the kernels: split wrappers over a live pool, else the exports themselves. */
  function bind() {
    const split = pool ? splitKernels(pool, threadCosts, fns, direct, wsBytesFor!, wsAll) : {};
    Object.assign(be, direct, split);
    if (runtime.cpu === be) setCpuThreads(pool ? pool.threads : 1);
  }
  function stop() {
    if (!pool) return;
    pool.close();
    pool = null;
    for (const p of tls) release(p, sizeClass(tlsBytes));
    tls = [];
  }
  async function setThreads(n: number, host?: ThreadHost) {
    n = Math.max(1, Math.min(MAX_THREADS, Math.floor(n)));
    if (n === (pool?.threads ?? 1)) { reason = ''; return; }
    stop();
    reason = '';
    if (n > 1) {
      host ??= await threadHost();
      if (!host.ok) reason = host.reason;
      else if (!shared) reason = 'the CPU memory was created unshared (init() found no shared memory then)';
      else {
        for (let t = 1; t < n; t++) tls[t] = block(tlsBytes);
        const r = await Pool.start({
          memory, modules, threads: n, host, tls: (t) => tls[t],
          onLost: (why) => { reason = why; pool = null; bind(); warn(`fluxion: ${why}; the CPU kernels run on one thread from now on`); },
        });
        if (typeof r === 'string') { reason = r; for (const p of tls) if (p !== undefined) release(p, sizeClass(tlsBytes)); tls = []; }
        else pool = r;
      }
    }
    bind();
  }
  function measureThreads(): DeviceProfile['threads'] {
    if (!pool?.live) return undefined;
    const p = pool, T = p.threads, saved = p.split;
    /** Best of three ms per call of f, split as `mode` says. */
    const time = (mode: Pool['split'], reps: number, f: () => void) => {
      p.split = mode;
      let best = Infinity;
      f();
      for (let r = 0; r < 3; r++) {
        const t0 = performance.now();
        for (let i = 0; i < reps; i++) f();
        best = Math.min(best, (performance.now() - t0) / reps);
      }
      return best;
    };
    const N = 1 << 20, n = 256;
    const y = be.alloc(N), a = be.alloc(n * n), c = be.alloc(n * n);
    try {
      be.fill(y, N, 0.5); be.fill(a, n * n, 0.5);
      const fill = () => be.fill(y, 64 * T, 1), mm = () => be.matmul(a, a, c, n, n, n, 0, 0, 0), un = () => be.unary(28, y, y, N, 1, 0);
      // each ratio from alternating runs (best of each), so a burst of other load hits both sides
      const ratio = (reps: number, f: () => void) => {
        let one = Infinity, all = Infinity;
        for (let r = 0; r < 3; r++) { one = Math.min(one, time('never', reps, f)); all = Math.min(all, time('always', reps, f)); }
        return [one, all];
      };
      const [f1, fT] = ratio(100, fill), [m1, mT] = ratio(2, mm), [u1, uT] = ratio(3, un);
      const fanoutMs = fT - f1, matmul = m1 / mT, bandwidth = u1 / uT;
      if (!p.live) return undefined;
      return { n: T, fanoutMs: Math.max(1e-4, fanoutMs), matmul: Math.max(0.1, matmul), bandwidth: Math.max(0.1, bandwidth) };
    } finally {
      p.split = saved;
      be.free(y, N); be.free(a, n * n); be.free(c, n * n);
    }
  }
  /** Runs f with the kernels on this thread alone (calibrate()'s one-thread figures). */
  function oneThread<T>(f: () => T): T {
    const p = pool;
    if (!p) return f();
    const saved = p.split;
    p.split = 'never';
    try { return f(); } finally { p.split = saved; }
  }

  const be: WasmBackend = {
    name: 'wasm',
    relaxed,
    shared,
    threads: () => pool?.threads ?? 1,
    threadsReason: () => reason,
    setThreads,
    threadPool: () => pool,
    measureThreads,
    oneThread,
    f32: () => view,
    memoryBytes: () => memory.buffer.byteLength,
    alloc(n) {
      const bytes = Math.max(4, n * 4);
      const p = block(bytes);               // may throw: count the bytes only once they exist
      live += sizeClass(bytes);
      return p;
    },
    free(p, n) {
      const c = sizeClass(Math.max(4, n * 4));
      live -= c;
      release(p, c);
    },
    write(p, data, offset = 0) { view.set(data, (p >>> 2) + offset); },
    async read(p, n) { return view.slice(p >>> 2, (p >>> 2) + n); },
    readSync(p, n) { return view.slice(p >>> 2, (p >>> 2) + n); },
    has: (name: KernelName) => provided.has(name),
    flush() {},
    bytes: () => live,
    ...kernels,
  };
  return be;
}

/** One line on the console when the pool is lost mid-run (devices() says it too). */
function warn(msg: string) {
  (globalThis as { console?: { warn(m: string): void } }).console?.warn(msg);
}
