// trace(fn): what ran where, and why. Every op records its device, the scheduler's estimate
// for each candidate, the reason for the choice, the measured time, and every transfer with
// its bytes. `calibrate()` measures the device profile the estimates use.

import { setProfile, getProfile, type Profile, type DeviceProfile } from './scheduler.js';
import { runtime, type Tracer } from './runtime.js';
import { empty, scope } from './tensor.js';
import { show } from './check.js';
import type { Backend, DeviceName } from './backends/backend.js';

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
  /** Per-device op counts, time and bytes moved. */
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
  const tracer: Tracer = {
    estimate(cpu, gpu, w) { est = { cpu, gpu }; why = w; outer?.estimate(cpu, gpu, w); },
    transfer(from, to, bytes) { moves.push({ from, to, bytes }); outer?.transfer(from, to, bytes); },
    op(def, ins, out, b, ms) {
      records.push({ op: def.name, device: b.name, inputs: ins.map((t) => [...t.shape]), output: [...out],
        estimate: est, why: why || 'resident', ms, transfers: moves });
      est = { cpu: NaN, gpu: NaN }; why = ''; moves = [];
      outer?.op(def, ins, out, b, ms);
    },
  };
  runtime.tracer = tracer;
  const done = () => { runtime.tracer = outer; };
  let result: T;
  try { result = fn(); } catch (e) { done(); throw e; }
  if (result instanceof Promise) {
    return result.then((r) => { done(); return makeTrace(r, records); }, (e) => { done(); throw e; }) as never;
  }
  done();
  return makeTrace(result, records) as never;
}

function makeTrace<T>(result: T, records: TraceRecord[]): Trace<T> {
  return {
    result, records,
    summary() {
      const s: Record<string, { ops: number; ms: number; transferBytes: number }> = {};
      for (const r of records) {
        const e = (s[r.device] ??= { ops: 0, ms: 0, transferBytes: 0 });
        e.ops++; e.ms += r.ms; e.transferBytes += r.transfers.reduce((a, t) => a + t.bytes, 0);
      }
      return s;
    },
    table() {
      const f = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : x === Infinity ? 'inf' : '-');
      const rows = records.map((r, i) => [String(i), r.op, r.device, r.inputs.map((s) => `[${s}]`).join(' '), `[${r.output}]`,
        f(r.estimate.cpu), f(r.estimate.gpu), r.ms.toFixed(4),
        r.transfers.map((t) => `${t.from}→${t.to} ${t.bytes}B`).join(', ') || '-', r.why]);
      const head = ['#', 'op', 'device', 'inputs', 'output', 'est cpu ms', 'est gpu ms', 'ms', 'transfers', 'why'];
      const w = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
      const line = (r: string[]) => r.map((v, c) => v.padEnd(w[c])).join('  ');
      return [line(head), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line)].join('\n');
    },
  };
}

function timeIt(reps: number, f: () => void): number {
  f();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) f();
  return (performance.now() - t0) / reps;
}

function measureCpu(cpu: Backend): DeviceProfile {
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

async function measureGpu(gpu: Backend): Promise<DeviceProfile> {
  const bufs: [unknown, number][] = [];
  const alloc = (n: number) => { const b = gpu.alloc(n); bufs.push([b, n]); return b; };
  try {
    const one = alloc(1), warm = alloc(1);
    gpu.fill(one, 1, 0);
    gpu.unary(28, one, warm, 1, 1, 0);                 // compile the pipelines measured below
    await gpu.read(one, 1);
    const reps = 200;
    let t0 = performance.now();
    for (let i = 0; i < reps; i++) gpu.fill(one, 1, i);
    await gpu.read(one, 1);
    const total = performance.now() - t0;
    t0 = performance.now();
    await gpu.read(one, 1);
    const readMs = performance.now() - t0;
    const overheadMs = Math.max(1e-4, (total - readMs) / reps);
    const matmul: [number, number][] = [[16, 0]];
    // Grow n while a product stays cheap: a slow adapter (SwiftShader) is measured at small n
    // only, a fast one up to 512; beyond the last size the estimate holds its throughput.
    for (const n of [64, 128, 256, 512]) {
      const a = alloc(n * n), c = alloc(n * n);
      gpu.fill(a, n * n, 0.5);
      gpu.matmul(a, a, c, n, n, n, 0, 0, 0);             // binds and warms this size
      await gpu.read(c, 1);
      const reps = 3;
      t0 = performance.now();
      for (let i = 0; i < reps; i++) gpu.matmul(a, a, c, n, n, n, 0, 0, 0);
      await gpu.read(c, 1);
      const total = performance.now() - t0;
      // the readback latency is part of the total; never let subtracting it leave noise alone
      const ms = Math.max(total - readMs, total / 2) / reps;
      matmul.push([n, (2 * n ** 3) / (ms * 1e6)]);
      if (ms > 8) break;
    }
    matmul[0][1] = matmul[1][1] / 64;                  // tiny matmuls are overhead-bound
    const N = 1 << 20, big = alloc(N), host = new Float32Array(N);
    t0 = performance.now();
    gpu.write(big, host);
    await gpu.read(one, 1);
    const upMs = Math.max(1e-3, performance.now() - t0 - readMs * 0.5);
    t0 = performance.now();
    await gpu.read(big, N);
    const downMs = Math.max(1e-3, performance.now() - t0);
    const y = alloc(N);
    t0 = performance.now();
    for (let i = 0; i < 5; i++) gpu.unary(28, big, y, N, 1, 0);
    await gpu.read(one, 1);
    const bwMs = Math.max(1e-3, (performance.now() - t0 - readMs) / 5);
    return {
      overheadMs, matmul, bandwidthGBs: (8 * N) / (bwMs * 1e6),
      upload: { ms: overheadMs, GBs: Math.min(50, (4 * N) / (upMs * 1e6)) },
      download: { ms: readMs, GBs: Math.min(50, (4 * N) / (Math.max(downMs - readMs, downMs * 0.1) * 1e6)) },
    };
  } finally {
    for (const [b, n] of bufs) gpu.free(b, n);
  }
}

/**
 * Measures this machine's devices (well under a second) and installs the profile the
 * scheduler's estimates use. `ms` is the measuring time; `compileMs` the one-time compilation
 * of the GPU matmul pipeline that precedes it (zero once compiled). Store the result and pass it back with `init({ profile })` to
 * skip this on the next page load.
 * @example const profile = await calibrate(); localStorage.fluxion = JSON.stringify(profile);
 */
export async function calibrate(): Promise<Profile & { ms: number; compileMs: number }> {
  if (!runtime.cpu) throw new Error('calibrate: call `await init()` first');
  const w0 = performance.now();
  await (runtime.gpu as { warmup?: () => Promise<void> } | null)?.warmup?.();   // one-time shader compilation
  const compileMs = performance.now() - w0;
  const t0 = performance.now();
  const cpu = measureCpu(runtime.cpu);
  const gpu = runtime.gpu ? await measureGpu(runtime.gpu) : null;
  const p = { cpu, gpu, source: `calibrated ${new Date().toISOString()}` };
  setProfile(p);
  return { ...p, ms: performance.now() - t0, compileMs };
}

export { getProfile, setProfile };
