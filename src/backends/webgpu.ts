// The WebGPU backend: adapter/device, WGSL pipelines (cached per program, entry and override
// constants), a size-class buffer pool, one command encoder per step and batched async readback.
// Every dispatch takes its parameters from one uniform ring buffer (dynamic offsets, bind group
// 1), written once per submit just before it: queue.writeBuffer runs before the command buffer
// submitted after it, and after the ones submitted before it, so the ring can be reused by every
// submit. Storage buffers are bind group 0, inputs first (read), then outputs (read_write).

import type { Backend, KernelName } from './backend.js';
import common from '../../gpu/common.wgsl';
import matmulW from '../../gpu/matmul.wgsl';
import unaryW from '../../gpu/unary.wgsl';
import binaryW from '../../gpu/binary.wgsl';
import reduceW from '../../gpu/reduce.wgsl';
import softmaxW from '../../gpu/softmax.wgsl';
import biasActW from '../../gpu/bias_act.wgsl';
import transposeW from '../../gpu/transpose.wgsl';
import fillW from '../../gpu/fill.wgsl';
import optimW from '../../gpu/optim.wgsl';

const SRC = { matmul: matmulW, unary: unaryW, binary: binaryW, reduce: reduceW, softmax: softmaxW,
  bias_act: biasActW, transpose: transposeW, fill: fillW, optim: optimW };
type Program = keyof typeof SRC;

// GPUBufferUsage / GPUMapMode / GPUShaderStage values, so no globals are needed.
const MAP_READ = 1, COPY_SRC = 4, COPY_DST = 8, UNIFORM = 0x40, STORAGE = 0x80, COMPUTE = 4;
const SLOT = 256;          // bytes per dispatch in the uniform ring (the offset alignment)
const SLOTS = 4096;        // dispatches per submit at most (a size limit forces a flush)
const WG = 256;            // threads of every 1-d launch (gpu/common.wgsl)

/** A tensor's storage: a pooled GPUBuffer of `size` bytes (≥ 4·n). */
export interface GpuBuf { readonly buffer: GPUBuffer; readonly size: number; readonly id: number }

/** What `devices()` reports about the adapter. */
export interface WebGPUInfo {
  vendor: string; architecture: string; device: string; description: string; fallback: boolean;
  limits: { maxStorageBufferBindingSize: number; maxBufferSize: number; maxComputeWorkgroupsPerDimension: number;
    maxComputeInvocationsPerWorkgroup: number; maxComputeWorkgroupStorageSize: number };
}

export interface WebGPUBackend extends Backend<GpuBuf> {
  readonly info: WebGPUInfo;
  readonly device: GPUDevice;
  /** Why the device is unusable (device lost, or an uncaptured validation error), else null. */
  readonly lost: string | null;
  /** Every uncaptured error message, in order. */
  readonly errors: readonly string[];
  /** Queue submits so far (one per flush with work in it). */
  readonly submits: number;
  /** Buffer readbacks issued so far (one per staging buffer mapAsync). */
  readonly readbacks: number;
  /** GPU buffers held by tensors and their bytes when the device was lost (null while it works). */
  readonly lostData: { tensors: number; bytes: number } | null;
  /** Called once when the device becomes unusable (set by init(), which then drops this backend). */
  onlost: ((reason: string) => void) | null;
  /** Bytes held by free buffers in the pool (not counted by bytes()). */
  pooledBytes(): number;
  /** Destroy pooled free buffers. */
  trim(): void;
  /** Compiles the slow-to-build forward matmul pipeline (once). */
  warmup(): Promise<void>;
  destroy(): void;
}

/** Size class of a byte count: 256 B at least, then 4 steps per power of two (≤ 25% waste). */
function sizeClass(bytes: number): number {
  if (bytes <= 256) return 256;
  const p = 2 ** Math.floor(Math.log2(bytes - 1)), q = p / 4;
  return Math.ceil(bytes / q) * q;
}

/**
 * Open a WebGPU device: from `gpu`, else `navigator.gpu`, else the `webgpu` npm package (Dawn,
 * Node). Resolves to the backend, or `{ error }` saying why there is none.
 *   const be = await createWebGPU(); if ('error' in be) useCpu(be.error);
 */
export async function createWebGPU(gpu?: GPU, dawnOptions: string[] = []): Promise<WebGPUBackend | { error: string }> {
  try {
    gpu ??= (globalThis as any).navigator?.gpu as GPU | undefined;
    if (!gpu) {
      // Not a literal, which bundlers would resolve (a Vite app's build fails on it): esbuild's
      // minifier folds `const name = 'webgpu'` back into import("webgpu"), but not a join.
      const name = ['web', 'gpu'].join('');
      const mod: any = await import(/* @vite-ignore */ name).catch(() => null);
      if (!mod) return { error: 'no navigator.gpu and the webgpu package is not installed' };
      gpu = mod.create(dawnOptions) as GPU;
    }
    const adapter = await gpu.requestAdapter();
    if (!adapter) return { error: 'requestAdapter() returned null (no WebGPU adapter)' };
    const L = adapter.limits;
    const device = await adapter.requestDevice({ requiredLimits: {
      maxStorageBufferBindingSize: L.maxStorageBufferBindingSize, maxBufferSize: L.maxBufferSize } });
    const i = adapter.info ?? ({} as GPUAdapterInfo);
    const info: WebGPUInfo = { vendor: i.vendor ?? '', architecture: i.architecture ?? '', device: i.device ?? '',
      description: i.description ?? '', fallback: !!(i as any).isFallbackAdapter,
      limits: { maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize, maxBufferSize: device.limits.maxBufferSize,
        maxComputeWorkgroupsPerDimension: device.limits.maxComputeWorkgroupsPerDimension,
        maxComputeInvocationsPerWorkgroup: device.limits.maxComputeInvocationsPerWorkgroup,
        maxComputeWorkgroupStorageSize: device.limits.maxComputeWorkgroupStorageSize } };
    return makeBackend(gpu, device, info);
  } catch (e) {
    return { error: `webgpu: ${(e as Error)?.message ?? e}` };
  }
}

function makeBackend(gpu: GPU, device: GPUDevice, info: WebGPUInfo): WebGPUBackend {
  let keep: GPU | null = gpu;   // dawn.node lives as long as its GPU object is referenced
  let readbacks = 0;
  let lost: string | null = null, submits = 0, nextId = 1, live = 0, liveBufs = 0, pooled = 0;
  let lostData: { tensors: number; bytes: number } | null = null;
  const errors: string[] = [];
  /** The device is unusable from now on: note what lived on it, fail pending reads, tell init(). */
  function markLost(why: string) {
    if (lost) return;
    lost = why; lostData = { tensors: liveBufs, bytes: live };
    failReads();
    enc = null; pass = null; slots = 0; touched.clear(); uploads.length = 0;
    free.clear(); staging.clear(); bindGroups.clear(); pooled = 0;
    try { be.onlost?.(why); } catch { /* a hook's failure must not hide the loss */ }
  }
  device.lost.then((l) => markLost(`device lost: ${l.message || 'no message'} (reason: ${l.reason})`));
  device.onuncapturederror = (e) => { errors.push(e.error.message); markLost(`uncaptured error: ${e.error.message}`); };
  const maxDim = info.limits.maxComputeWorkgroupsPerDimension;

  // Pipelines: one module per program, one layout per binding pattern ('r' read, 'w' read_write).
  const modules = new Map<Program, GPUShaderModule>(), layouts = new Map<string, [GPUBindGroupLayout, GPUPipelineLayout]>();
  const pipelines = new Map<string, GPUComputePipeline>();
  const ubgl = device.createBindGroupLayout({ entries: [{ binding: 0, visibility: COMPUTE,
    buffer: { type: 'uniform', hasDynamicOffset: true, minBindingSize: SLOT } }] });
  const ring = device.createBuffer({ size: SLOT * SLOTS, usage: UNIFORM | COPY_DST });
  const ringBytes = new ArrayBuffer(SLOT * SLOTS), ringU = new Uint32Array(ringBytes), ringF = new Float32Array(ringBytes);
  const ubg = device.createBindGroup({ layout: ubgl, entries: [{ binding: 0, resource: { buffer: ring, size: SLOT } }] });
  function layout(kinds: string) {
    let l = layouts.get(kinds);
    if (!l) {
      const bgl = device.createBindGroupLayout({ entries: [...kinds].map((k, binding) => ({ binding, visibility: COMPUTE,
        buffer: { type: k === 'r' ? 'read-only-storage' as const : 'storage' as const } })) });
      layouts.set(kinds, l = [bgl, device.createPipelineLayout({ bindGroupLayouts: [bgl, ubgl] })]);
    }
    return l;
  }
  function pipeline(prog: Program, entry: string, kinds: string, constants?: Record<string, number>) {
    const key = `${prog}.${entry}${constants ? JSON.stringify(constants) : ''}`;
    let p = pipelines.get(key);
    if (!p) {
      let module = modules.get(prog);
      if (!module) modules.set(prog, module = device.createShaderModule({ label: prog, code: common + SRC[prog] }));
      p = device.createComputePipeline({ label: key, layout: layout(kinds)[1], compute: { module, entryPoint: entry, constants } });
      pipelines.set(key, p);
    }
    return p;
  }
  /**
   * Compiles the forward matmul pipeline now (SwiftShader takes ~0.5 s; Dawn's async compile
   * was measured slower still), so calibrate() can time it apart from the measurements.
   */
  async function warmup(): Promise<void> { pipeline('matmul', 'main', 'rrw', { TA: 0, TB: 0 }); }

  // Buffer pool: free GPUBuffers by size class; reads use a MAP_READ staging pool alike.
  const free = new Map<number, GpuBuf[]>(), staging = new Map<number, GPUBuffer[]>();
  function alloc(n: number): GpuBuf {
    const size = sizeClass(Math.max(4, n * 4));
    if (size > info.limits.maxStorageBufferBindingSize) throw new RangeError(`webgpu: ${n} floats exceed the binding limit`);
    let b = free.get(size)?.pop();
    if (b) pooled -= size;
    else b = { buffer: device.createBuffer({ size, usage: STORAGE | COPY_SRC | COPY_DST }), size, id: nextId++ };
    live += size; liveBufs++;
    return b;
  }
  function release(b: GpuBuf) {
    live -= b.size; liveBufs--;
    if (lost) return;                 // the device's buffers are gone: nothing to pool
    pooled += b.size;
    let l = free.get(b.size); if (!l) free.set(b.size, l = []);
    l.push(b);
  }

  // Recording: one encoder per step; consecutive dispatches share one compute pass.
  let enc: GPUCommandEncoder | null = null, pass: GPUComputePassEncoder | null = null, slots = 0;
  const touched = new Set<number>(), uploads: GPUBuffer[] = [];
  const bindGroups = new Map<string, GPUBindGroup>();
  const encoder = () => (enc ??= device.createCommandEncoder());
  function endPass() { pass?.end(); pass = null; }
  function copyBuf(src: GPUBuffer, so: number, dst: GPUBuffer, dO: number, bytes: number) {
    endPass(); encoder().copyBufferToBuffer(src, so, dst, dO, bytes);
  }
  function check() { if (lost) throw new Error(`webgpu: ${lost}`); }

  /** Record one dispatch of `groups` workgroups (split into 2-d past the limit). */
  function run(prog: Program, entry: string, kinds: string, bufs: GpuBuf[], u: number[], f: number[],
    groups: number | [number, number], constants?: Record<string, number>) {
    check();
    if (typeof groups === 'number' ? groups <= 0 : groups[0] * groups[1] <= 0) return;
    if (slots === SLOTS) flush();
    const temps: GpuBuf[] = [];
    bufs = bufs.map((b, i) => {   // an input that is also an output is read from a copy
      if (kinds[i] !== 'r' || !bufs.some((o, j) => o === b && kinds[j] === 'w')) return b;
      const t = alloc(b.size / 4); temps.push(t);
      copyBuf(b.buffer, 0, t.buffer, 0, b.size);
      return t;
    });
    const p = pipeline(prog, entry, kinds, constants);
    const key = kinds + bufs.map((b) => b.id).join(',');
    let bg = bindGroups.get(key);
    if (!bg) {
      if (bindGroups.size > 4096) bindGroups.clear();
      bg = device.createBindGroup({ layout: layout(kinds)[0], entries: bufs.map((b, binding) => ({ binding, resource: { buffer: b.buffer } })) });
      bindGroups.set(key, bg);
    }
    const o = slots++ * (SLOT / 4);
    u.forEach((v, i) => { ringU[o + i] = v; });
    f.forEach((v, i) => { ringF[o + u.length + i] = v; });
    pass ??= encoder().beginComputePass();
    pass.setPipeline(p);
    pass.setBindGroup(0, bg);
    pass.setBindGroup(1, ubg, [o * 4]);
    if (typeof groups === 'number') { const y = Math.ceil(groups / maxDim); pass.dispatchWorkgroups(Math.ceil(groups / y), y); }
    else pass.dispatchWorkgroups(groups[0], groups[1]);
    for (const b of bufs) touched.add(b.id);
    for (const t of temps) release(t);
  }
  const groups1d = (n: number) => Math.ceil(n / WG);

  // Readback: copies recorded now, mapped after the submit of the next flush.
  type Read = { st: GPUBuffer; size: number; n: number; resolve(a: Float32Array): void; reject(e: Error): void };
  let reads: Read[] = [], flushQueued = false;
  function failReads() { const r = reads; reads = []; for (const x of r) x.reject(new Error(`webgpu: ${lost}`)); }
  function flush() {
    flushQueued = false;
    if (!enc || lost) { if (lost) failReads(); return; }
    endPass();
    if (slots) device.queue.writeBuffer(ring, 0, ringBytes, 0, slots * SLOT);
    device.queue.submit([enc.finish()]);
    submits++; enc = null; slots = 0; touched.clear();
    for (const b of uploads.splice(0)) b.destroy();
    for (const r of reads.splice(0)) {
      readbacks++;
      r.st.mapAsync(1).then(() => {
        const out = new Float32Array(r.n);
        out.set(new Float32Array(r.st.getMappedRange(0, r.n * 4)));
        r.st.unmap();
        let l = staging.get(r.size); if (!l) staging.set(r.size, l = []);
        l.push(r.st);
        r.resolve(out);
      }, (e) => r.reject(new Error(`webgpu: readback failed: ${e?.message ?? e}${lost ? ` (${lost})` : ''}`)));
    }
  }

  const be: WebGPUBackend = {
    name: 'webgpu', info, device,
    get lost() { return lost; }, get errors() { return errors; }, get submits() { return submits; }, get readbacks() { return readbacks; },
    get lostData() { return lostData; },
    onlost: null,
    alloc(n) { check(); return alloc(n); },
    free: (b) => release(b),
    write(b, data, offset = 0) {
      check();
      const src = data instanceof Float32Array ? data : Float32Array.from(data);
      if (!src.length) return;
      if (!touched.has(b.id)) { device.queue.writeBuffer(b.buffer, offset * 4, src as Float32Array<ArrayBuffer>); return; }
      // The pending encoder uses b: upload through a staging copy recorded in order.
      const st = device.createBuffer({ size: src.byteLength, usage: COPY_SRC, mappedAtCreation: true });
      new Float32Array(st.getMappedRange()).set(src);
      st.unmap(); uploads.push(st);
      copyBuf(st, 0, b.buffer, offset * 4, src.byteLength);
    },
    read(b, n) {
      if (lost) return Promise.reject(new Error(`webgpu: ${lost}`));
      const size = sizeClass(Math.max(4, n * 4));
      const st = staging.get(size)?.pop() ?? device.createBuffer({ size, usage: MAP_READ | COPY_DST });
      if (n > 0) { copyBuf(b.buffer, 0, st, 0, n * 4); touched.add(b.id); } else encoder();
      const p = new Promise<Float32Array>((resolve, reject) => reads.push({ st, size, n, resolve, reject }));
      if (!flushQueued) { flushQueued = true; queueMicrotask(flush); }   // reads before the sync share a submit
      return p;
    },
    readSync: () => null,
    has: (_k: KernelName) => true,
    flush,
    bytes: () => (lost ? 0 : live),
    pooledBytes: () => pooled,
    warmup,
    trim() {
      for (const l of free.values()) for (const b of l) b.buffer.destroy();
      free.clear(); pooled = 0; bindGroups.clear();
    },
    destroy() { be.trim(); device.destroy(); keep = null; },

    matmul(a, b, c, m, k, n, ta, tb, acc) {
      if (Math.max(m, n) > 64 * maxDim) throw new RangeError('webgpu: matmul too large for one dispatch');
      run('matmul', 'main', 'rrw', [a, b, c], [m, k, n, acc], [], [Math.ceil(n / 64), Math.ceil(m / 64)], { TA: ta ? 1 : 0, TB: tb ? 1 : 0 });
    },
    unary(op, x, y, n, al, bt) { run('unary', 'main', 'rw', [x, y], [n], [al, bt], groups1d(n), { OP: op }); },
    unaryGrad(op, x, y, dy, dx, n, al, bt) {
      run('unary', 'grad', 'rrrw', [x, y, dy, dx], [n], [al, bt], groups1d(n), { OP: op });
    },
    binary(op, a, b, c, d0, d1, d2, as0, as1, as2, bs0, bs1, bs2) {
      const n = d0 * d1 * d2;
      run('binary', 'main', 'rrw', [a, b, c], [d1, d2, n, as0, as1, as2, bs0, bs1, bs2], [], groups1d(n), { OP: op });
    },
    reduce(op, x, y, outer, len, inner) {
      const outs = outer * inner, tree = len >= 128 && outs < 8192;
      run('reduce', tree ? 'tree' : 'main', 'rw', [x, y], [outer, len, inner], [], tree ? outs : groups1d(outs), { OP: op });
    },
    softmax(x, y, outer, len, inner, log) {
      run('softmax', 'main', 'rw', [x, y], [outer, len, inner, log], [], groups1d(outer * inner));
    },
    softmaxGrad(y, dy, dx, outer, len, inner, log) {
      run('softmax', 'grad', 'rrw', [y, dy, dx], [outer, len, inner, log], [], groups1d(outer * inner));
    },
    biasAct(x, b, y, rows, cols, act, al) {
      run('bias_act', 'main', 'rrw', [x, b, y], [rows * cols, cols], [al], groups1d(rows * cols), { OP: act });
    },
    transpose(x, y, rows, cols) {
      run('transpose', 'main', 'rw', [x, y], [rows, cols], [], Math.ceil(rows / 16) * Math.ceil(cols / 16));
    },
    fill(y, n, v) { run('fill', 'main', 'w', [y], [n], [v], groups1d(n)); },
    copy(x, xo, y, yo, n) {
      check();
      if (n <= 0) return;
      if (x !== y) { copyBuf(x.buffer, xo * 4, y.buffer, yo * 4, n * 4); touched.add(x.id).add(y.id); return; }
      const t = alloc(n);   // same buffer: copyBufferToBuffer needs distinct buffers
      copyBuf(x.buffer, xo * 4, t.buffer, 0, n * 4);
      copyBuf(t.buffer, 0, y.buffer, yo * 4, n * 4);
      touched.add(x.id); release(t);
    },
    descent(x, g, n, eta) { run('optim', 'descent', 'rw', [g, x], [n], [eta], groups1d(n)); },
    momentum(x, g, v, n, eta, rho) { run('optim', 'momentum', 'rww', [g, x, v], [n], [eta, rho], groups1d(n)); },
    adam(x, g, m, v, n, eta, b1, b2, eps, b1t, b2t) {
      run('optim', 'adam', 'rwww', [g, x, m, v], [n], [eta, b1, b2, eps, b1t, b2t, 0], groups1d(n));
    },
    adamw(x, g, m, v, n, eta, b1, b2, eps, b1t, b2t, lambda) {
      run('optim', 'adam', 'rwww', [g, x, m, v], [n], [eta, b1, b2, eps, b1t, b2t, lambda], groups1d(n));
    },
  };
  return be;
}
