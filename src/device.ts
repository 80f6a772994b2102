// init(), devices() and memory(): finding the devices and reporting on them.

import { runtime } from './runtime.js';
import { options, fail, int } from './check.js';
import { liveTensors } from './tensor.js';
import type { WebGPUInfo } from './backends/webgpu.js';
import { setProfile, getProfile, clearDecisions, SOFTWARE_GPU_PROFILE, type Profile } from './scheduler.js';
import { createWasm, simdSupported, type WasmBackend } from './backends/wasm.js';
import { threadHost, defaultThreads, MAX_THREADS, type ThreadHost } from './backends/threads.js';

// The public declarations name no WebGPU type (GPU, GPUBuffer...): a project type-checks against
// them without @webgpu/types. What they need is declared here, structurally; a real `GPU` and the
// backend's WebGPUInfo are assignable to these, and the compiler checks that they stay so.

/**
 * A WebGPU entry point: `navigator.gpu`, or `create([])` of the `webgpu` package (Dawn) in Node.
 * @example import { create } from 'webgpu';
 *          await init({ gpu: create([]) });
 */
export interface GPULike { requestAdapter(options?: object): Promise<unknown> }

/**
 * The adapter `devices().gpu.info` describes; `fallback` is true for a software one (SwiftShader).
 * @example const g = devices().gpu;
 *          if (g.available && g.info?.fallback) console.log('software GPU:', g.info.description);
 */
export interface GPUInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  fallback: boolean;
  limits: {
    maxStorageBufferBindingSize: number;
    maxBufferSize: number;
    maxComputeWorkgroupsPerDimension: number;
    maxComputeInvocationsPerWorkgroup: number;
    maxComputeWorkgroupStorageSize: number;
  };
}

/**
 * What `init()` accepts.
 * @example await init({ gpu: false });                       // CPU only: Dawn is never loaded
 * @example await init({ profile: JSON.parse(localStorage.profile) });
 */
export interface InitOptions {
  /** 'auto' (default): use WebGPU where present; false: CPU only; or a `GPU` object to use. */
  gpu?: 'auto' | false | GPULike;
  /** A stored `calibrate()` result, so the scheduler needs no calibration on this load. */
  profile?: Profile;
  /**
   * Threads for the CPU kernels, the calling one included (default: the available cores, at most
   * 8). Node and cross-origin isolated pages and workers run them; elsewhere it is 1 and
   * `devices().cpu.threadsReason` says why. A later `init({ threads })` changes the count.
   */
  threads?: number;
}

/**
 * What `devices()` returns. Each `gpu` variant lists the other's fields as absent, so
 * `d.gpu.info?.description` and `d.gpu.reason` read without narrowing first.
 * @example const { gpu } = devices();
 *          console.log(gpu.available ? `GPU: ${gpu.info?.description}` : `CPU only: ${gpu.reason}`);
 */
export interface Devices {
  /**
   * `threads`: the threads the CPU kernels run on; `threadsReason`: why fewer than asked for
   * (no cross-origin isolation, a worker that died), absent when there are as many.
   */
  cpu: { simd: boolean; relaxedSimd: boolean; threads: number; threadsReason?: string } | null;
  gpu:
    | { available: true; info: GPUInfo | null; reason?: undefined; lost?: undefined }
    | { available: false; reason: string; lost?: { tensors: number; bytes: number }; info?: undefined };
}

let gpuNote = 'not requested';
let ready: Promise<void> | null = null;
let cpuReady: Promise<WasmBackend> | null = null;
let host: Promise<ThreadHost> | null = null;

/**
 * Loads the CPU kernels, starts their threads and, unless `{ gpu: false }`, finds a WebGPU
 * adapter. Safe to call twice; after a device loss it opens a new GPU device (tensors of the lost
 * one stay unusable).
 * @example await init();            // CPU (every core) + WebGPU where present
 * @example await init({ gpu: false, threads: 1 });
 */
export async function init(opts: InitOptions = {}): Promise<void> {
  const o = options<InitOptions>('init', opts, ['gpu', 'profile', 'threads']);
  if (o.gpu !== undefined && o.gpu !== false && o.gpu !== 'auto' && (o.gpu === null || typeof o.gpu !== 'object'))
    fail('init', "gpu must be 'auto', false or a GPU object (navigator.gpu)", o.gpu);
  if (o.threads !== undefined) int('init', 'threads', o.threads, 1, MAX_THREADS);
  const h = await (host ??= threadHost());
  if (!runtime.cpu) {
    const first = !cpuReady;
    const cpu = await (cpuReady ??= createWasm({ shared: h.ok }));
    runtime.cpu ??= cpu;
    if (first) await cpu.setThreads(o.threads ?? defaultThreads(h.cores), h);
  }
  if (o.threads !== undefined) await (runtime.cpu as WasmBackend).setThreads(o.threads, h);
  if (o.profile) setProfile(o.profile);
  const want = o.gpu ?? 'auto';
  if (want === false || (runtime.gpu && !(runtime.gpu as { lost?: string | null }).lost)) return;
  return ready ??= (async () => {
    try {
      const { createWebGPU } = await import('./backends/webgpu.js');
      const r = await quietly(() => createWebGPU(want === 'auto' ? undefined : want as GPU));
      if ('error' in r) gpuNote = r.error;
      else {
        if (runtime.gpu) dropGpu(runtime.gpu);   // replacing a lost device
        runtime.gpu = r; runtime.lostGpu = null;
        r.onlost = () => { if (runtime.gpu === r) dropGpu(r); };
        clearDecisions();
        gpuNote = 'ok';
        if (r.info.fallback && getProfile().source === 'default') setProfile(SOFTWARE_GPU_PROFILE);
      }
    } catch (e) {
      gpuNote = `WebGPU unavailable: ${(e as Error).message}`;
    } finally { ready = null; }
  })();
}

/**
 * The GPU became unusable (device lost, or an uncaptured validation error): from now on the
 * scheduler sees no GPU, so every op runs on the CPU; tensors that lived there throw a clear
 * error when used, and devices()/memory() report how many and how large they were.
 */
function dropGpu(b: NonNullable<typeof runtime.gpu>) {
  const lost = (b as { lost?: string | null }).lost;
  runtime.gpu = null; runtime.lostGpu = b;
  gpuNote = lost ?? 'device lost';
  clearDecisions();
}

/**
 * Dawn's Vulkan loader prints "error: XDG_RUNTIME_DIR is invalid or not set" on a machine without
 * a session (a server, a container, CI) while it looks for an adapter; a library must not write to
 * the user's terminal, so the variable is set for that search when it is missing, then removed.
 */
async function quietly<T>(f: () => Promise<T>): Promise<T> {
  const proc = (globalThis as { process?: { platform?: string; env?: Record<string, string | undefined> } }).process;
  const env = proc?.platform === 'linux' ? proc.env : undefined;
  const set = !!env && !env.XDG_RUNTIME_DIR;
  if (set) env!.XDG_RUNTIME_DIR = '/tmp';
  try { return await f(); } finally { if (set) delete env!.XDG_RUNTIME_DIR; }
}

/**
 * What init() found: CPU features, and the GPU adapter or why there is none.
 * @example await init();
 *          const d = devices();
 *          console.log(d.gpu.available ? d.gpu.info?.description : d.gpu.reason);
 */
export function devices(): Devices {
  const cpu = runtime.cpu as WasmBackend | null;
  const gpu = runtime.gpu as (typeof runtime.gpu & { info?: WebGPUInfo }) | null;
  return {
    cpu: cpu ? { simd: simdSupported(), relaxedSimd: cpu.relaxed, threads: cpu.threads(), ...(cpu.threadsReason() ? { threadsReason: cpu.threadsReason() } : {}) } : null,
    gpu: gpu ? { available: true as const, info: gpu.info ?? null }
      : { available: false as const, reason: gpuNote, ...lostReport() },
  };
}

/** `{ lost: { tensors, bytes } }` after a device loss: the GPU buffers tensors held then. */
function lostReport(): { lost?: { tensors: number; bytes: number } } {
  const d = (runtime.lostGpu as { lostData?: { tensors: number; bytes: number } | null } | null)?.lostData;
  return d ? { lost: { ...d } } : {};
}

/**
 * Live bytes per device (tensors, not cached free blocks), and the Wasm memory size; after a GPU
 * device loss, `gpu.lost` says how many tensor buffers and bytes were on it.
 * @example const before = memory().tensors;
 *          scope(() => mse(m(x), y));
 *          memory().tensors === before   // true: the step's temporaries are freed
 */
export function memory() {
  const cpu = runtime.cpu as WasmBackend | null;
  return {
    tensors: liveTensors(),
    cpu: { bytes: cpu?.bytes() ?? 0, wasmMemory: cpu?.memoryBytes() ?? 0 },
    gpu: { bytes: runtime.gpu?.bytes() ?? 0, ...lostReport() },
    ref: { bytes: runtime.ref?.bytes() ?? 0 },
  };
}
