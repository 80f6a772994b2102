// The scheduler: the only place that knows device speeds. For every op it picks a device in
// three steps: kernel availability (a device without the op's kernels is no candidate), the
// policy ('cpu' | 'gpu' force a device; 'auto' decides), then the estimated time on each
// candidate: launch overhead + flops / throughput(size) + bytes / bandwidth + the transfers of
// the inputs not already resident there. GPU data reaches the CPU only through an await, so an
// op whose input lives only on the GPU stays there (no ping-pong, no hidden sync). Decisions
// are memoised per (op, shapes, residency), so a repeated training step decides once; the memo
// holds at most DECISIONS_MAX entries, so a stream of new shapes (every batch size once) cannot
// grow it without bound.

import type { Backend, DeviceName } from './backends/backend.js';
import type { OpDef, Cost } from './ops/registry.js';
import type { Tensor, Shape } from './tensor.js';
import { runtime, lostError, type Policy } from './runtime.js';
import { show } from './check.js';

/**
 * Measured speeds of one device.
 * @example const cpu: DeviceProfile = getProfile().cpu;
 *          cpu.matmul   // [[64, 20], [256, 35], ...]: GFLOP/s per size
 */
export interface DeviceProfile {
  /** Fixed cost of one op (argument marshalling, dispatch), ms. */
  overheadMs: number;
  /** Matmul throughput in GFLOP/s at square sizes n: [[n, gflops], ...] ascending. */
  matmul: [number, number][];
  /** Memory-bound op throughput, GB/s. */
  bandwidthGBs: number;
  /** Host → device: latency ms and GB/s (GPU only). */
  upload?: { ms: number; GBs: number };
  /** Device → host readback: latency ms and GB/s (GPU only). */
  download?: { ms: number; GBs: number };
  /**
   * CPU only, measured where a Wasm thread pool runs: its threads (the caller included), the fixed
   * cost in ms of splitting one kernel over them (waking the workers, waiting for the last), and
   * the speedup over one thread of a large matmul and of a memory-bound kernel.
   */
  threads?: { n: number; fanoutMs: number; matmul: number; bandwidth: number };
}
/**
 * The scheduler's model of this machine: a profile per device, and where it came from.
 * @example const p: Profile = await calibrate();
 *          await init({ profile: p });
 */
export interface Profile { cpu: DeviceProfile; gpu: DeviceProfile | null; source: string }

/**
 * Before calibration: a Wasm-SIMD CPU, and a modest integrated GPU.
 * @example setProfile(DEFAULT_PROFILE);   // back to the uncalibrated estimates
 */
export const DEFAULT_PROFILE: Profile = {
  source: 'default',
  cpu: { overheadMs: 0.001, matmul: [[16, 4], [64, 20], [256, 40], [1024, 40]], bandwidthGBs: 8 },
  gpu: {
    overheadMs: 0.02, matmul: [[16, 0.05], [64, 3], [256, 150], [1024, 800]], bandwidthGBs: 60,
    upload: { ms: 0.05, GBs: 4 }, download: { ms: 0.5, GBs: 2 },
  },
};

/**
 * Before calibration, on a fallback (software) adapter such as SwiftShader: a GPU that is a
 * slower CPU, so 'auto' keeps everything on the Wasm CPU until measured otherwise.
 */
export const SOFTWARE_GPU_PROFILE: Profile = {
  source: 'default (software adapter)',
  cpu: DEFAULT_PROFILE.cpu,
  gpu: {
    overheadMs: 0.05, matmul: [[16, 0.001], [64, 0.1], [256, 0.6], [1024, 1]], bandwidthGBs: 1,
    upload: { ms: 0.05, GBs: 4 }, download: { ms: 0.1, GBs: 3 },
  },
};

let profile: Profile = DEFAULT_PROFILE;
const decisions = new Map<string, Backend>();
/**
 * The memo's cap. A training step needs one entry per op it runs (tens to a few hundred); past
 * the cap the oldest entry goes (first in, first out: a hit costs no reordering, and an evicted
 * hot entry is recomputed once, to the same answer).
 */
export const DECISIONS_MAX = 4096;
/** Forgets memoised placements (the set of devices changed: a GPU was lost or replaced). */
export function clearDecisions(): void { decisions.clear(); }
/** @internal How many placements are memoised (tests check the cap). */
export const decisionCount = (): number => decisions.size;

/**
 * The profile in use (default until `calibrate()` or `init({ profile })`).
 * @example getProfile().source   // 'default', 'default (software adapter)' or 'calibrated <date>'
 */
export const getProfile = (): Profile => profile;
/**
 * Installs a profile (a stored calibration, or an injected one in tests); clears memoised decisions.
 * @example localStorage.profile = JSON.stringify(await calibrate());   // once
 *          setProfile(JSON.parse(localStorage.profile));               // next load
 */
export function setProfile(p: Profile): void {
  if (!p || !p.cpu || !Array.isArray(p.cpu.matmul) || !p.cpu.matmul.length)
    throw new TypeError('setProfile: expected { cpu: { overheadMs, matmul: [[n, gflops], ...], bandwidthGBs }, gpu }');
  // Every figure feeds the estimates: a NaN or a negative speed would misplace every op.
  checkDevice('cpu', p.cpu);
  if (p.gpu != null) checkDevice('gpu', p.gpu);
  profile = p;
  updateThreadCosts();
}

function checkDevice(name: string, d: DeviceProfile): void {
  const bad = (what: string, v: unknown): never => {
    throw new RangeError(`setProfile: ${name}.${what} must be ${what.endsWith('ms') || what.endsWith('Ms') ? 'a finite number ≥ 0' : 'a positive finite number'}, got ${show(v)}`);
  };
  const ms = (what: string, v: unknown) => { if (typeof v !== 'number' || !(v >= 0 && v < Infinity)) bad(what, v); };
  const pos = (what: string, v: unknown) => { if (typeof v !== 'number' || !(v > 0 && v < Infinity)) bad(what, v); };
  if (d === null || typeof d !== 'object') throw new TypeError(`setProfile: ${name} must be a device profile object, got ${show(d)}`);
  ms('overheadMs', d.overheadMs);
  pos('bandwidthGBs', d.bandwidthGBs);
  if (!Array.isArray(d.matmul) || !d.matmul.length) throw new TypeError(`setProfile: ${name}.matmul must be a non-empty array of [n, gflops], got ${show(d.matmul)}`);
  d.matmul.forEach((e, i) => {
    if (!Array.isArray(e) || e.length !== 2) throw new TypeError(`setProfile: ${name}.matmul[${i}] must be a pair [n, gflops], got ${show(e)}`);
    pos(`matmul[${i}][0]`, e[0]); pos(`matmul[${i}][1]`, e[1]);
    if (i > 0 && !(e[0] > d.matmul[i - 1][0])) throw new RangeError(`setProfile: ${name}.matmul sizes must ascend, got ${show(d.matmul.map((x) => x[0]))}`);
  });
  if (d.threads !== undefined) {
    const t = d.threads;
    if (t === null || typeof t !== 'object') throw new TypeError(`setProfile: ${name}.threads must be { n, fanoutMs, matmul, bandwidth }, got ${show(t)}`);
    if (!Number.isInteger(t.n) || t.n < 1) throw new RangeError(`setProfile: ${name}.threads.n must be an integer ≥ 1, got ${show(t.n)}`);
    ms('threads.fanoutMs', t.fanoutMs); pos('threads.matmul', t.matmul); pos('threads.bandwidth', t.bandwidth);
  }
  for (const k of ['upload', 'download'] as const) {
    const t = d[k];
    if (t === undefined) continue;
    if (t === null || typeof t !== 'object') throw new TypeError(`setProfile: ${name}.${k} must be { ms, GBs }, got ${show(t)}`);
    ms(`${k}.ms`, t.ms); pos(`${k}.GBs`, t.GBs);
  }
}

/** GFLOP/s at a problem of `flops`, interpolated in log space over the measured sizes. */
function gflopsAt(d: DeviceProfile, flops: number): number {
  const n = Math.cbrt(flops / 2), t = d.matmul;
  if (n <= t[0][0]) return t[0][1] * Math.max(n / t[0][0], 1e-3);
  for (let i = 1; i < t.length; i++) {
    if (n <= t[i][0]) {
      const f = Math.log(n / t[i - 1][0]) / Math.log(t[i][0] / t[i - 1][0]);
      return t[i - 1][1] * Math.pow(t[i][1] / t[i - 1][1], f);
    }
  }
  return t[t.length - 1][1];
}

/** Estimated ms to run an op of this cost on a device with profile `d` (no transfers). */
export function computeMs(d: DeviceProfile, c: Cost, isMatmul: boolean): number {
  const flopMs = isMatmul ? c.flops / (gflopsAt(d, c.flops) * 1e6) : 0;
  const ms = flopMs + c.bytes / (d.bandwidthGBs * 1e6);
  if (d === profile.cpu && threadCosts.threads > 1 && (isMatmul ? c.flops >= threadCosts.minFlops : c.bytes >= threadCosts.minBytes))
    return d.overheadMs + threadCosts.fanoutMs + ms / (isMatmul ? threadCosts.matmul : threadCosts.bandwidth);
  return d.overheadMs + ms;
}

/**
 * The CPU's threads as the kernels see them: how many run (set by the Wasm backend), and from the
 * profile the fan-out cost, the speedups at that count, and the sizes from which splitting a
 * kernel pays: a split saves t·(1 − 1/x) of a one-thread time t at speedup x and costs the
 * fan-out f, so it pays from t = f·x/(x − 1); the thresholds ask for twice that, and at least
 * SPLIT_FLOOR_MS, since a split that barely pays on average loses whenever a worker is slow to wake.
 */
export const threadCosts = { threads: 1, fanoutMs: 0.03, matmul: 1, bandwidth: 1, minFlops: Infinity, minBytes: Infinity, gflops: 40, GBs: 8 };

/**
 * No kernel shorter than this (ms on one thread) is split, whatever the measured fan-out: calibrate()
 * times the fan-out with a worker already spinning and data already in cache, while in a training
 * loop a split also pays for a worker's wake-up and for moving its share of the data between cores
 * (a batch-1 step with its 10 µs updates split ran 2x slower than on one thread). Above it the
 * Learner in backends/threads.ts still times both ways per kernel and size: at 50 µs LeNet-5's
 * 30–45 µs kernels (pool of conv1, the bias gradient's reduce, a 1 MB unaryGrad, the Adam update
 * of the 120×256 weight) ran whole after split neighbours, slower than alone (their input half in
 * the other core's cache), and its batch-64 step ran 1.41–1.46x on 2 threads; at 30 µs 1.54–1.55x.
 * Once the caller spun for a worker's last part instead of sleeping (Pool.callerSpinUs), a split's
 * end cost less: at 20 µs that step ran 1.60–1.61x against 1.59x at 30 µs (medians of six
 * alternating rounds in one process; 15 µs was no better than 20), the seed model at batch 1 still
 * never splits.
 */
const SPLIT_FLOOR_MS = 0.02;

/** Before calibration: fan-out 30 µs, matmul 90% and memory-bound kernels 50% efficient per added thread. */
const DEFAULT_THREADS = { fanoutMs: 0.03, matmul: 0.9, bandwidth: 0.5 };

/** The Wasm backend runs `n` threads from now on (1: none split); recomputes the thresholds. */
export function setCpuThreads(n: number): void {
  threadCosts.threads = n;
  updateThreadCosts();
}

function updateThreadCosts(): void {
  const T = threadCosts.threads, th = profile.cpu.threads;
  // speedups measured at th.n threads, scaled to T by their efficiency per added thread
  const eff = (measured: number | undefined, dflt: number) => th && th.n > 1 && measured ? (measured - 1) / (th.n - 1) : dflt;
  const xm = 1 + (T - 1) * Math.max(0, eff(th?.matmul, DEFAULT_THREADS.matmul));
  const xb = 1 + (T - 1) * Math.max(0, eff(th?.bandwidth, DEFAULT_THREADS.bandwidth));
  const f = th?.fanoutMs ?? DEFAULT_THREADS.fanoutMs;
  const from = (x: number) => (T > 1 && x > 1.05 ? Math.max(SPLIT_FLOOR_MS, (2 * f * x) / (x - 1)) : Infinity);   // ms of one-thread time
  const peak = profile.cpu.matmul[profile.cpu.matmul.length - 1][1];
  Object.assign(threadCosts, {
    fanoutMs: f, matmul: xm, bandwidth: xb, gflops: peak, GBs: profile.cpu.bandwidthGBs,
    minFlops: from(xm) * peak * 1e6, minBytes: from(xb) * profile.cpu.bandwidthGBs * 1e6,
  });
  decisions.clear();
}
/** Estimated ms to move `bytes` onto the GPU. */
export function uploadMs(bytes: number): number {
  const u = profile.gpu?.upload;
  return u ? u.ms + bytes / (u.GBs * 1e6) : Infinity;
}

function can(b: Backend | null, def: OpDef): b is Backend {
  if (!b) return false;
  for (const k of def.kernels) if (!b.has(k)) return false;
  return true;
}

/** The device `def` runs on for these inputs. */
export function place(def: OpDef, ins: readonly Tensor[], p: unknown, out: Shape): Backend {
  const pol = runtime.policy, cpu = runtime.cpu!, gpu = runtime.gpu;
  // The reference device is only chosen explicitly, and is contagious, so a float64
  // computation never silently drops to f32.
  if (pol === 'ref') return runtime.ref!;
  for (let i = 0; i < ins.length; i++) if (ins[i].backend === runtime.ref) return runtime.ref!;
  const gpuOk = can(gpu, def);
  if (!gpuOk) {                                      // kernel availability, or no GPU at all
    for (let i = 0; gpu && i < ins.length; i++) {
      if (ins[i].backend === gpu && !ins[i].hasCopyOn(cpu)) {
        throw new Error(`${def.name}: this WebGPU device has no kernel for it, and input ${i} (shape [${ins[i].shape}]) ` +
          'lives only on the GPU; read it back first (`await t.data()`) or run this op under the cpu policy');
      }
    }
    if (runtime.lostGpu) checkLost(def, ins);
    runtime.tracer?.estimate(NaN, NaN, gpu ? 'no GPU kernel' : runtime.lostGpu ? 'GPU device lost' : 'no GPU');
    return cpu;
  }
  if (pol === 'gpu') { runtime.tracer?.estimate(NaN, NaN, "policy 'gpu'"); return gpu; }
  let onGpuOnly = false;
  for (let i = 0; i < ins.length; i++) if (ins[i].backend === gpu) { onGpuOnly = true; break; }
  if (pol === 'cpu' && !onGpuOnly) { runtime.tracer?.estimate(NaN, NaN, "policy 'cpu'"); return cpu; }
  if (onGpuOnly) {                                   // GPU data reaches the CPU only by an await
    runtime.tracer?.estimate(NaN, NaN, 'input resident on GPU');
    return gpu;
  }
  return decide(def, ins, p, out, cpu, gpu);
}

/** Throws when an input's storage was on a GPU device that has been lost. */
export function checkLost(def: { name: string }, ins: readonly Tensor[]): void {
  for (let i = 0; i < ins.length; i++) {
    if (ins[i].backend === runtime.lostGpu) throw lostError(ins[i].shape, `${def.name}: input ${i}`);
  }
}

function decide(def: OpDef, ins: readonly Tensor[], p: unknown, out: Shape, cpu: Backend, gpu: Backend): Backend {
  let key = def.name;
  for (let i = 0; i < ins.length; i++) key += (ins[i].hasCopyOn(gpu) ? '|g' : '|c') + ins[i].shape.join(',');
  key += '>' + out.join(',');
  const hit = decisions.get(key);
  const tr = runtime.tracer;
  if (hit && !tr) return hit;
  const c = def.cost(ins, p, out), mm = def.kernels.includes('matmul');
  const cpuMs = computeMs(profile.cpu, c, mm);
  let gpuMs = profile.gpu ? computeMs(profile.gpu, c, mm) : Infinity;
  for (let i = 0; i < ins.length; i++) if (!ins[i].hasCopyOn(gpu)) gpuMs += uploadMs(ins[i].size * 4);
  const b = gpuMs < cpuMs ? gpu : cpu;
  if (decisions.size >= DECISIONS_MAX && !hit) decisions.delete(decisions.keys().next().value!);
  decisions.set(key, b);
  if (tr) tr.estimate(cpuMs, gpuMs, b === gpu ? 'estimated faster on GPU' : 'estimated faster on CPU');
  return b;
}

/**
 * Sets the placement policy: 'auto' (default: per-op estimate), 'cpu' or 'gpu'.
 * @example setPolicy('cpu');   // every op on the Wasm kernels from now on
 *          setPolicy('auto');
 */
export function setPolicy(p: Policy): void {
  if (p !== 'auto' && p !== 'cpu' && p !== 'gpu' && p !== 'ref')
    throw new RangeError(`setPolicy: policy must be 'auto', 'cpu' or 'gpu', got ${JSON.stringify(p)}`);
  if (p === 'ref' && !runtime.ref) throw new Error("setPolicy('ref'): the float64 reference device is for tests; call installReference() from src/backends/ref.ts first");
  // After a device loss 'gpu' is still accepted and runs on the CPU, so code keeps working.
  if (p === 'gpu' && !runtime.gpu && !runtime.lostGpu) throw new Error("setPolicy('gpu'): no WebGPU device; see devices()");
  runtime.policy = p;
}

/**
 * Runs `fn` with a placement policy, restoring the previous one afterwards (awaits promises).
 * @example const y = withPolicy('cpu', () => m(x));
 */
export function withPolicy<T>(p: Policy, fn: () => T): T {
  if (typeof fn !== 'function') throw new TypeError(`withPolicy: fn must be a function, got ${typeof fn}`);
  const prev = runtime.policy;
  try { setPolicy(p); } catch (e) { (e as Error).message = `withPolicy: ${(e as Error).message}`; throw e; }
  let out: T;
  try { out = fn(); } catch (e) { runtime.policy = prev; throw e; }
  if (out instanceof Promise) return out.finally(() => { runtime.policy = prev; }) as T;
  runtime.policy = prev;
  return out;
}

export type { DeviceName };
