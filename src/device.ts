// init(), devices() and memory(): finding the devices and reporting on them.

import { runtime } from './runtime.js';
import { options, fail } from './check.js';
import { liveTensors } from './tensor.js';
import type { WebGPUInfo } from './backends/webgpu.js';
import { setProfile, getProfile, clearDecisions, SOFTWARE_GPU_PROFILE, type Profile } from './scheduler.js';
import { createWasm, simdSupported, type WasmBackend } from './backends/wasm.js';

export interface InitOptions {
  /** 'auto' (default): use WebGPU where present; false: CPU only; or a `GPU` object to use. */
  gpu?: 'auto' | false | GPU;
  /** A stored `calibrate()` result, so the scheduler needs no calibration on this load. */
  profile?: Profile;
}

let gpuNote = 'not requested';
let ready: Promise<void> | null = null;
let cpuReady: Promise<WasmBackend> | null = null;

/**
 * Loads the CPU kernels and, unless `{ gpu: false }`, finds a WebGPU adapter. Safe to call twice;
 * after a device loss it opens a new GPU device (tensors of the lost one stay unusable).
 * @example await init();            // CPU + WebGPU where present
 * @example await init({ gpu: false });
 */
export async function init(opts0?: InitOptions): Promise<void> {
  const opts = options<InitOptions>('init', opts0, ['gpu', 'profile']);
  if (opts.gpu !== undefined && opts.gpu !== false && opts.gpu !== 'auto' && (opts.gpu === null || typeof opts.gpu !== 'object'))
    fail('init', "gpu must be 'auto', false or a GPU object (navigator.gpu)", opts.gpu);
  if (!runtime.cpu) runtime.cpu = await (cpuReady ??= createWasm());
  if (opts.profile) setProfile(opts.profile);
  const want = opts.gpu ?? 'auto';
  if (want === false || (runtime.gpu && !(runtime.gpu as { lost?: string | null }).lost)) return;
  return ready ??= (async () => {
    try {
      const { createWebGPU } = await import('./backends/webgpu.js');
      const r = await createWebGPU(want === 'auto' ? undefined : want);
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

/** What init() found: CPU features, and the GPU adapter or why there is none. */
export function devices() {
  const cpu = runtime.cpu as WasmBackend | null;
  const gpu = runtime.gpu as (typeof runtime.gpu & { info?: WebGPUInfo }) | null;
  return {
    cpu: cpu ? { simd: simdSupported(), relaxedSimd: cpu.relaxed } : null,
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
