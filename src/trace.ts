// trace(fn): what ran where, and why. Every op records its device, the scheduler's estimate
// for each candidate, the reason for the choice, the measured time, and every transfer with
// its bytes. `calibrate()` measures the device profile the estimates use.

import { setProfile, getProfile, type Profile, type DeviceProfile } from './scheduler.js';
import { runtime, type Tracer } from './runtime.js';
import { empty, scope } from './tensor.js';
import { show } from './check.js';
import type { Backend, DeviceName } from './backends/backend.js';
import type { WasmBackend } from './backends/wasm.js';

export interface Transfer { from: DeviceName; to: DeviceName; bytes: number }
/**
 * One op in a trace: its device, the estimates per device, why it went there, its time and transfers.
 * @example for (const r of trace(() => m(x)).records) console.log(r.op, r.device, r.why, r.ms)
 */
export interface TraceRecord {
  op: string;
  device: DeviceName;
  inputs: number[][];
  output: number[];
  /** The scheduler's estimates in ms (NaN where it did not need to estimate). */
  estimate: { cpu: number; gpu: number };
  why: string;
  /** Wall time of the call in ms: kernel time on the CPU, enqueue time on the GPU. */
  ms: number;
  /**
   * GPU ops: the GPU time of the op's dispatches in ms, from timestamp queries; NaN where the
   * adapter has none (`Trace.gpuTiming` is then 'enqueue') and on the CPU.
   */
  gpuMs: number;
  transfers: Transfer[];
}

/**
 * What `trace(fn)` returns: `fn`'s result and a record per op it ran.
 * @example const t = trace(() => trainStep(loss, ps, [x, y], opt));
 *          t.summary().wasm.ops; console.log(t.table());
 */
export interface Trace<T> {
  result: T;
  records: TraceRecord[];
  /** How GPU ops were timed: 'timestamps' (gpuMs holds GPU time) or 'enqueue' (only `ms`, the time to record). */
  gpuTiming: 'timestamps' | 'enqueue';
  /** Resolves once every gpuMs is in (a synchronous trace's GPU work finishes later). */
  ready: Promise<Trace<T>>;
  /** Per-device op counts, time and bytes moved (GPU: timestamp time where measured, else enqueue time). */
  summary(): Record<string, { ops: number; ms: number; transferBytes: number }>;
  /** A readable table, one row per op: `console.log(trace(f).table())`. */
  table(): string;
}

/**
 * Runs `fn` and records every op's device, estimates, measured time and transfers.
 * @example const t = trace(() => m(x)); console.log(t.table());
 */
export function trace<T>(fn: () => T): T extends Promise<infer R> ? Promise<Trace<R>> : Trace<T> {
  if (typeof fn !== 'function') throw new TypeError(`trace: fn must be a function, got ${show(fn)}`);
  const records: TraceRecord[] = [];
  let est = { cpu: NaN, gpu: NaN }, why = '', moves: Transfer[] = [];
  // An enclosing trace() still sees everything, so each event is passed on to it.
  const outer = runtime.tracer;
  // GPU timestamps: each GPU op's dispatch numbers, filled with GPU time when the timer stops.
  const gpu = runtime.gpu as (Backend & { dispatches?: number; timer?: { start(): void; stop(): Promise<Map<number, number>> } | null }) | null;
  const timer = gpu?.timer ?? null, spans: [TraceRecord, number, number][] = [];
  let seen = gpu?.dispatches ?? 0;
  timer?.start();
  const tracer: Tracer = {
    estimate(cpu, gpuMs, w) { est = { cpu, gpu: gpuMs }; why = w; outer?.estimate(cpu, gpuMs, w); },
    transfer(from, to, bytes) { moves.push({ from, to, bytes }); outer?.transfer(from, to, bytes); },
    op(def, ins, out, b, ms) {
      const r: TraceRecord = { op: def.name, device: b.name, inputs: ins.map((t) => [...t.shape]), output: [...out],
        estimate: est, why: why || 'resident', ms, gpuMs: NaN, transfers: moves };
      records.push(r);
      if (gpu && b === gpu) { spans.push([r, seen, gpu.dispatches!]); seen = gpu.dispatches!; }
      est = { cpu: NaN, gpu: NaN }; why = ''; moves = [];
      outer?.op(def, ins, out, b, ms);
    },
  };
  runtime.tracer = tracer;
  let ready: Promise<void> = Promise.resolve();
  const done = () => {
    runtime.tracer = outer;
    if (timer) {
      ready = timer.stop().then((ms) => {
        for (const [r, from, to] of spans) { let t = 0; for (let i = from; i < to; i++) t += ms.get(i) ?? 0; r.gpuMs = t; }
      }, () => {});
    }
  };
  const timing = timer ? 'timestamps' as const : 'enqueue' as const;
  let result: T;
  try { result = fn(); } catch (e) { done(); throw e; }
  if (result instanceof Promise) {
    return result.then(async (r) => { done(); await ready; return makeTrace(r, records, timing, ready); },
      (e) => { done(); throw e; }) as never;
  }
  done();
  return makeTrace(result, records, timing, ready) as never;
}

function makeTrace<T>(result: T, records: TraceRecord[], gpuTiming: 'timestamps' | 'enqueue', ready: Promise<void>): Trace<T> {
  const t: Trace<T> = {
    result, records, gpuTiming,
    ready: null as never,
    summary() {
      const s: Record<string, { ops: number; ms: number; transferBytes: number }> = {};
      for (const r of records) {
        const e = (s[r.device] ??= { ops: 0, ms: 0, transferBytes: 0 });
        e.ops++; e.ms += Number.isNaN(r.gpuMs) ? r.ms : r.gpuMs; e.transferBytes += r.transfers.reduce((a, t) => a + t.bytes, 0);
      }
      return s;
    },
    table() {
      const f = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : x === Infinity ? 'inf' : '-');
      const rows = records.map((r, i) => [String(i), r.op, r.device, r.inputs.map((s) => `[${s}]`).join(' '), `[${r.output}]`,
        f(r.estimate.cpu), f(r.estimate.gpu), r.ms.toFixed(4), f(r.gpuMs),
        r.transfers.map((t) => `${t.from}→${t.to} ${t.bytes}B`).join(', ') || '-', r.why]);
      const head = ['#', 'op', 'device', 'inputs', 'output', 'est cpu ms', 'est gpu ms',
        gpuTiming === 'timestamps' ? 'ms (gpu: enqueue)' : 'ms (gpu: enqueue, no timestamps)', 'gpu ms', 'transfers', 'why'];
      const w = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
      const line = (r: string[]) => r.map((v, c) => v.padEnd(w[c])).join('  ');
      return [line(head), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line)].join('\n');
    },
  };
  t.ready = ready.then(() => t);
  return t;
}

function timeIt(reps: number, f: () => void): number {
  f();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) f();
  return (performance.now() - t0) / reps;
}

/** The CPU's one-thread figures, then (where a thread pool runs) its fan-out cost and speedups. */
function measureCpu(cpu: Backend): DeviceProfile {
  const w = cpu as Partial<WasmBackend>;
  const one = w.oneThread ? w.oneThread(() => measureCpuThread(cpu)) : measureCpuThread(cpu);
  const threads = w.measureThreads?.();
  return threads ? { ...one, threads } : one;
}

function measureCpuThread(cpu: Backend): DeviceProfile {
  return scope(() => {
    const one = empty([1], cpu), outOne = empty([1], cpu);
    cpu.fill(one.buf, 1, 1);
    // overhead: a one-element op through the backend, as apply() issues it
    const overheadMs = timeIt(2000, () => cpu.unary(0, one.buf, outOne.buf, 1, 0, 0));
    const matmul: [number, number][] = [];
    for (const n of [16, 64, 128, 256]) {
      const a = empty([n, n], cpu), c = empty([n, n], cpu);
      cpu.fill(a.buf, n * n, 0.5);
      const ms = timeIt(n >= 256 ? 3 : 20, () => cpu.matmul(a.buf, a.buf, c.buf, n, n, n, 0, 0, 0));
      matmul.push([n, (2 * n ** 3) / (ms * 1e6)]);
    }
    const N = 1 << 20, x = empty([N], cpu), y = empty([N], cpu);
    cpu.fill(x.buf, N, 0.5);
    const ms = timeIt(5, () => cpu.unary(28, x.buf, y.buf, N, 1, 0));
    return { overheadMs, matmul, bandwidthGBs: (8 * N) / (ms * 1e6) };
  });
}

type Timer = { start(): void; stop(): Promise<Map<number, number>> };

/**
 * The GPU's figures, each measured (none derived by a fixed factor): GPU time from timestamp
 * queries where the adapter has them, else the slope between 1 and 1 + reps runs (each ended by
 * a readback), which cancels the submit + readback cost; transfer latency and bandwidth from
 * the intercept and slope of a small and a large copy.
 */
async function measureGpu(gpu: Backend): Promise<DeviceProfile> {
  const bufs: [unknown, number][] = [];
  const alloc = (n: number) => { const b = gpu.alloc(n); bufs.push([b, n]); return b; };
  const timer = (gpu as { timer?: Timer | null }).timer ?? null;
  const wall = async (f: () => unknown) => { const t0 = performance.now(); await f(); return performance.now() - t0; };
  try {
    const one = alloc(1), warm = alloc(1);
    const sync = () => gpu.read(one, 1);
    gpu.fill(one, 1, 0);
    gpu.unary(28, one, warm, 1, 1, 0);                 // compile the pipelines measured below
    await sync();
    /** GPU ms of one run of f. */
    async function gpuMs(reps: number, f: () => void): Promise<number> {
      f(); await sync();                               // binds and warms this shape
      if (timer) {
        timer.start();
        for (let i = 0; i < reps; i++) f();
        let t = 0;
        for (const ms of (await timer.stop()).values()) t += ms;
        return Math.max(t / reps, 1e-6);
      }
      const once = await wall(() => { f(); return sync(); });
      const many = await wall(() => { for (let i = 0; i <= reps; i++) f(); return sync(); });
      return Math.max((many - once) / reps, 1e-6);
    }
    const readMs = Math.min(await wall(sync), await wall(sync), await wall(sync));
    const reps = 200;
    const total = await wall(() => { for (let i = 0; i < reps; i++) gpu.fill(one, 1, i); return sync(); });
    const overheadMs = Math.max(1e-4, (total - readMs) / reps);
    const matmul: [number, number][] = [];
    // Grow n while a product stays cheap: a slow adapter (SwiftShader) is measured at small n
    // only, a fast one up to 512; beyond the last size the estimate holds its throughput.
    for (const n of [16, 64, 128, 256, 512]) {
      const a = alloc(n * n), c = alloc(n * n);
      gpu.fill(a, n * n, 0.5);
      const ms = await gpuMs(n <= 64 ? 8 : 3, () => gpu.matmul(a, a, c, n, n, n, 0, 0, 0));
      matmul.push([n, (2 * n ** 3) / (ms * 1e6)]);
      if (ms > 8) break;
    }
    // transfers: latency = intercept, bandwidth = slope, from 1 KiB and 4 MiB copies
    const N = 1 << 20, S = 256, big = alloc(N), host = new Float32Array(N);
    await wall(() => { gpu.write(big, host); return sync(); });
    const upS = await wall(() => { gpu.write(big, host.subarray(0, S)); return sync(); });
    const upN = await wall(() => { gpu.write(big, host); return sync(); });
    const upGBs = (4 * (N - S)) / (Math.max(upN - upS, 1e-3) * 1e6);
    await gpu.read(big, N);
    const downS = await wall(() => gpu.read(big, S));
    const downN = await wall(() => gpu.read(big, N));
    const downGBs = (4 * (N - S)) / (Math.max(downN - downS, 1e-3) * 1e6);
    const y = alloc(N);
    const bwMs = await gpuMs(5, () => gpu.unary(28, big, y, N, 1, 0));
    return {
      overheadMs, matmul, bandwidthGBs: (8 * N) / (bwMs * 1e6),
      upload: { ms: Math.max(1e-4, upS - readMs - (4 * S) / (upGBs * 1e6)), GBs: upGBs },
      download: { ms: Math.max(1e-4, downS - (4 * S) / (downGBs * 1e6)), GBs: downGBs },
    };
  } finally {
    for (const [b, n] of bufs) gpu.free(b, n);
  }
}

/**
 * Measures this machine's devices (well under a second) and installs the profile the
 * scheduler's estimates use. `ms` is the measuring time; `compileMs` the one-time compilation
 * of the GPU matmul pipeline that precedes it (zero once compiled); `gpuTiming` how GPU figures
 * were timed ('timestamps' where the adapter has timestamp queries). Store the result and pass it back with `init({ profile })` to
 * skip this on the next page load.
 * @example const profile = await calibrate(); localStorage.fluxion = JSON.stringify(profile);
 */
export async function calibrate(): Promise<Profile & { ms: number; compileMs: number; gpuTiming: 'timestamps' | 'wall clock' | null }> {
  if (!runtime.cpu) throw new Error('calibrate: call `await init()` first');
  const w0 = performance.now();
  await (runtime.gpu as { warmup?: () => Promise<void> } | null)?.warmup?.();   // one-time shader compilation
  const compileMs = performance.now() - w0;
  const t0 = performance.now();
  const cpu = measureCpu(runtime.cpu);
  const gpu = runtime.gpu ? await measureGpu(runtime.gpu) : null;
  const p = { cpu, gpu, source: `calibrated ${new Date().toISOString()}` };
  setProfile(p);
  const gpuTiming = runtime.gpu ? ((runtime.gpu as { timer?: unknown }).timer ? 'timestamps' as const : 'wall clock' as const) : null;
  return { ...p, ms: performance.now() - t0, compileMs, gpuTiming };
}

export { getProfile, setProfile };
