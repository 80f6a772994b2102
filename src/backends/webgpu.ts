// The WebGPU backend: adapter/device, WGSL pipelines (one module per kernel, one pipeline per
// entry and override constants), a size-class buffer pool, one command encoder per step and
// batched async readback. Kernels are bound from their rows in src/backends/kernels.ts: the
// buffers are bind group 0 in argument order, the ints and floats one uniform slot, the flags
// and op codes override constants (src/backends/wgsl.ts writes the matching WGSL). Every
// dispatch takes its slot from one uniform ring buffer (dynamic offsets, bind group 1), written
// once per submit just before it: queue.writeBuffer runs before the command buffer submitted
// after it, and after the ones submitted before it, so the ring can be reused by every submit.

import type { Backend, Kernels } from './backend.js';
import { KERNEL_NAMES, KERNELS, type KernelName } from './kernels.js';
import { Reduce } from '../ops/codes.js';
import { TUNING, planMatmul, type Tuning } from './gpu-tuning.js';
export { TUNING, type Tuning };
import { layoutOf, header, codeConstants, unarySwitches, binarySwitch, type Layout } from './wgsl.js';
import common from '../../gpu/common.wgsl';
import act from '../../gpu/act.wgsl';

/**
 * gpu/NAME.wgsl for every kernel that has one (a glob import: the bundler inlines every match).
 * A kernel without a file is one this device lacks, so the scheduler never sends its op here.
 */
async function loadSources(): Promise<Map<KernelName, string>> {
  const out = new Map<KernelName, string>();
  await Promise.all(KERNEL_NAMES.map(async (name) => {
    try { out.set(name, (await import(`../../gpu/${name}.wgsl`)).default as string); } catch { /* not on this device */ }
  }));
  return out;
}

/** The whole program of a kernel: shared helpers, generated constants, its bindings, its entry. */
function programText(name: KernelName, body: string): string {
  const unary = /\bunary_d?f\(/.test(body), binary = /\bbinop\(/.test(body);
  return common + codeConstants() + (unary ? act + unarySwitches() : '') + (binary ? binarySwitch() : '') + header(name) + body;
}

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
  /** Buffer readbacks (mapAsync) issued so far. */
  readonly readbacks: number;
  /** GPU buffers held by tensors and their bytes when the device was lost (null while it works). */
  readonly lostData: { tensors: number; bytes: number } | null;
  /** Called once when the device becomes unusable (set by init(), which then drops this backend). */
  onlost: ((reason: string) => void) | null;
  /** Bytes held by free buffers in the pool (not counted by bytes()). */
  pooledBytes(): number;
  /** Destroy pooled free buffers. */
  trim(): void;
  /** Dispatches recorded so far (a dispatch's number is the count before it). */
  readonly dispatches: number;
  /**
   * GPU time per dispatch from timestamp queries, or null where the adapter lacks the
   * 'timestamp-query' feature (then only wall-clock and enqueue times exist).
   *   be.timer?.start(); m(x); const ms = await be.timer?.stop();   // Map dispatch number → ms
   */
  readonly timer: GpuTimer | null;
  /** This adapter's kernel choices (TUNING, then the options); mutable, for tests and benchmarks. */
  tuning: Tuning;
  /** Compiles the slow-to-build forward matmul pipeline (once). */
  warmup(): Promise<void>;
  destroy(): void;
}

/** Timestamp queries around each dispatch (each then runs in its own compute pass). */
export interface GpuTimer {
  /** Times every dispatch recorded from now on, until stop(). */
  start(): void;
  /** Stops timing, submits, and resolves to each timed dispatch's GPU ms by dispatch number. */
  stop(): Promise<Map<number, number>>;
}

/** Options of createWebGPU beyond the adapter. */
export interface WebGPUOptions {
  /** Overrides the tuning table's entry for this adapter (tests force each kernel variant). */
  tuning?: Partial<Tuning>;
  /**
   * A dispatch limit below the adapter's, so tests reach the folded grids at small sizes (read
   * at every dispatch from `info.limits`, which a test may also lower).
   */
  maxWorkgroupsPerDimension?: number;
}

/** Size class of a byte count: 256 B at least, then 4 steps per power of two (≤ 25% waste). */
function sizeClass(bytes: number): number {
  if (bytes <= 256) return 256;
  const p = 2 ** Math.floor(Math.log2(bytes - 1)), q = p / 4;
  return Math.ceil(bytes / q) * q;
}

/**
 * Open a WebGPU device: from `gpu`, else `navigator.gpu`, else the `webgpu` npm package (Dawn,
 * Node). Resolves to the backend, or `{ error }` saying why there is none. The device has
 * 'timestamp-query' where the adapter offers it (`be.timer`); `options` override the tuning
 * table's entry for the adapter and lower the dispatch limit (tests).
 *   const be = await createWebGPU(); if ('error' in be) useCpu(be.error);
 *   const big = await createWebGPU(undefined, [], { tuning: { bigFrom: 0 } });   // 128-tiles everywhere
 */
export async function createWebGPU(gpu?: GPU, dawnOptions: string[] = [], options: WebGPUOptions = {}): Promise<WebGPUBackend | { error: string }> {
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
    // timestamp-query where offered: GPU time per dispatch for trace() and calibrate()
    const requiredFeatures: GPUFeatureName[] = adapter.features.has('timestamp-query') ? ['timestamp-query'] : [];
    const device = await adapter.requestDevice({ requiredFeatures, requiredLimits: {
      maxStorageBufferBindingSize: L.maxStorageBufferBindingSize, maxBufferSize: L.maxBufferSize } });
    const i = adapter.info ?? ({} as GPUAdapterInfo);
    const info: WebGPUInfo = { vendor: i.vendor ?? '', architecture: i.architecture ?? '', device: i.device ?? '',
      description: i.description ?? '', fallback: !!(i as any).isFallbackAdapter,
      limits: { maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize, maxBufferSize: device.limits.maxBufferSize,
        maxComputeWorkgroupsPerDimension: device.limits.maxComputeWorkgroupsPerDimension,
        maxComputeInvocationsPerWorkgroup: device.limits.maxComputeInvocationsPerWorkgroup,
        maxComputeWorkgroupStorageSize: device.limits.maxComputeWorkgroupStorageSize } };
    if (options.maxWorkgroupsPerDimension) {
      info.limits.maxComputeWorkgroupsPerDimension = Math.min(options.maxWorkgroupsPerDimension, info.limits.maxComputeWorkgroupsPerDimension);
    }
    const tuning = { ...TUNING.find(([match]) => match(info))![1], ...options.tuning };
    return makeBackend(gpu, device, info, await loadSources(), tuning);
  } catch (e) {
    return { error: `webgpu: ${(e as Error)?.message ?? e}` };
  }
}

function makeBackend(gpu: GPU, device: GPUDevice, info: WebGPUInfo, sources: Map<KernelName, string>, tuning: Tuning): WebGPUBackend {
  let keep: GPU | null = gpu;   // dawn.node lives as long as its GPU object is referenced
  let lost: string | null = null, submits = 0, readbacks = 0, nextId = 1, live = 0, liveBufs = 0, pooled = 0;
  let lostData: { tensors: number; bytes: number } | null = null;
  const errors: string[] = [];
  /** The device is unusable from now on: note what lived on it, fail pending reads, tell init(). */
  function markLost(why: string) {
    if (lost) return;
    lost = why; lostData = { tensors: liveBufs, bytes: live };
    failReads();
    enc = null; pass = null; slots = 0; queries = 0; timedIds = []; touched.clear(); uploads.length = 0;
    free.clear(); staging.clear(); bindGroups.clear(); pooled = 0;
    try { be.onlost?.(why); } catch { /* a hook's failure must not hide the loss */ }
  }
  device.lost.then((l) => markLost(`device lost: ${l.message || 'no message'} (reason: ${l.reason})`));
  device.onuncapturederror = (e) => { errors.push(e.error.message); markLost(`uncaptured error: ${e.error.message}`); };

  // Pipelines: one module per kernel, one layout per binding pattern ('r' read, 'w' read_write).
  const modules = new Map<KernelName, GPUShaderModule>(), layouts = new Map<string, [GPUBindGroupLayout, GPUPipelineLayout]>();
  const pipelines = new Map<string, GPUComputePipeline>();
  const ubgl = device.createBindGroupLayout({ entries: [{ binding: 0, visibility: COMPUTE,
    buffer: { type: 'uniform', hasDynamicOffset: true, minBindingSize: SLOT } }] });
  const ring = device.createBuffer({ size: SLOT * SLOTS, usage: UNIFORM | COPY_DST });
  const ringBytes = new ArrayBuffer(SLOT * SLOTS), ringU = new Uint32Array(ringBytes), ringF = new Float32Array(ringBytes);
  const ubg = device.createBindGroup({ layout: ubgl, entries: [{ binding: 0, resource: { buffer: ring, size: SLOT } }] });
  function layout(kinds: string) {
    let l = layouts.get(kinds);
    if (!l) {
      // '-' leaves a binding out: an `inplace` entry reads and writes the output binding only
      const bgl = device.createBindGroupLayout({ entries: [...kinds].flatMap((k, binding) => k === '-' ? [] : [{ binding,
        visibility: COMPUTE, buffer: { type: k === 'r' ? 'read-only-storage' as const : 'storage' as const } }]) });
      layouts.set(kinds, l = [bgl, device.createPipelineLayout({ bindGroupLayouts: [bgl, ubgl] })]);
    }
    return l;
  }
  /** The pipeline of a kernel's entry for a binding pattern and override constants (compiled once). */
  function pipeline(name: KernelName, entry: string, kinds: string, constants?: Record<string, number>) {
    let key = `${name}.${entry}.${kinds}|`;
    for (const o in constants) key += o + constants[o] + ',';
    let p = pipelines.get(key);
    if (!p) {
      let module = modules.get(name);
      if (!module) modules.set(name, module = device.createShaderModule({ label: name, code: programText(name, sources.get(name)!) }));
      p = device.createComputePipeline({ label: key, layout: layout(kinds)[1], compute: { module, entryPoint: entry, constants } });
      pipelines.set(key, p);
    }
    return p;
  }
  /**
   * Compiles the forward matmul pipelines calibrate() runs (the 64-tile and, for n >= bigFrom, the
   * vec4 128-tile) now (SwiftShader takes ~0.5 s each; Dawn's async compile was measured slower
   * still), so calibrate() can time compilation apart from the measurements. The same pipelines run() asks for.
   */
  async function warmup(): Promise<void> {
    const access = layoutOf('matmul').access;
    pipeline('matmul', 'main', access, { TA: 0, TB: 0 });
    pipeline('matmul', 'big', access, { TA: 0, TB: 0, VA: 1, VB: 1, VC: 1 });
  }

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
  const inplace = new Set([...sources].filter(([, src]) => /\bfn inplace\(/.test(src)).map(([name]) => name));
  const layouts_: Partial<Record<KernelName, Layout>> = {};
  const encoder = () => (enc ??= device.createCommandEncoder());
  function endPass() { pass?.end(); pass = null; }
  const beginPass = () => encoder().beginComputePass();

  // Timestamps: while timing, each dispatch is its own pass with a begin and end query; a flush
  // resolves the submit's queries into a buffer read back with its other reads.
  const QUERIES = 4096;
  let timing = false, dispatches = 0, queries = 0, timedIds: number[] = [];
  const times = new Map<number, number>(), pendingTimes: Promise<void>[] = [];
  const hasTimer = device.features.has('timestamp-query');
  const querySet = hasTimer ? device.createQuerySet({ type: 'timestamp', count: QUERIES }) : null;
  const resolveBuf = hasTimer ? device.createBuffer({ size: QUERIES * 8, usage: 0x200 /* QUERY_RESOLVE */ | COPY_SRC }) : null;
  function timedPass(): GPUComputePassEncoder {
    endPass();
    timedIds.push(dispatches);
    const p = encoder().beginComputePass({ timestampWrites: { querySet: querySet!, beginningOfPassWriteIndex: queries,
      endOfPassWriteIndex: queries + 1 } });
    queries += 2;
    return p;
  }
  /** Before a submit: resolve this submit's queries; after it, read them into `times`. */
  function resolveTimes(): (() => void) | null {
    if (!queries) return null;
    endPass();
    const st = device.createBuffer({ size: queries * 8, usage: MAP_READ | COPY_DST }), ids = timedIds, n = queries;
    enc!.resolveQuerySet(querySet!, 0, n, resolveBuf!, 0);
    enc!.copyBufferToBuffer(resolveBuf!, 0, st, 0, n * 8);
    queries = 0; timedIds = [];
    return () => {
      pendingTimes.push(st.mapAsync(1).then(() => {
        const t = new BigInt64Array(st.getMappedRange());
        ids.forEach((id, j) => times.set(id, Math.max(0, Number(t[2 * j + 1] - t[2 * j])) / 1e6));
        st.unmap(); st.destroy();
      }, () => { st.destroy(); }));
    };
  }
  const timer: GpuTimer | null = hasTimer ? {
    start() { endPass(); timing = true; times.clear(); },
    async stop() {
      timing = false;
      flush();
      await Promise.all(pendingTimes.splice(0));
      const out = new Map(times); times.clear();
      return out;
    },
  } : null;
  function copyBuf(src: GPUBuffer, so: number, dst: GPUBuffer, dO: number, bytes: number) {
    endPass(); encoder().copyBufferToBuffer(src, so, dst, dO, bytes);
  }
  function check() { if (lost) throw new Error(`webgpu: ${lost}`); }

  /**
   * Record one dispatch of kernel `name` with its arguments in table order: the buffers bind in
   * order, ints and floats fill the uniform slot, flags and the op code become override constants
   * (one pipeline per combination), plus `extra` constants the entry declares itself; `groups`
   * workgroups (a count, split into 2-d past the limit, or an explicit grid). An input that is
   * also an output is left unbound when the program has an `inplace` entry (which reads the
   * output binding), else read from a copy.
   */
  function run(name: KernelName, args: ArrayLike<unknown>, groups: number | number[], entry = 'main',
    extra?: Record<string, number>) {
    check();
    const maxDim = info.limits.maxComputeWorkgroupsPerDimension;
    const l = layouts_[name] ??= layoutOf(name);
    if (l.code >= 0) {
      const c = args[l.code] as number;
      if (!(Number.isInteger(c) && c >= 0 && c < l.codeCount)) throw new RangeError(`webgpu ${name}: unknown op code ${c}`);
    }
    if (typeof groups === 'number' ? groups <= 0 : groups.some((g) => g <= 0)) return;
    if (slots === SLOTS || queries === QUERIES) flush();   // before this dispatch takes its slot and queries
    let kinds = l.access;
    const temps: GpuBuf[] = [], bufs = l.buffers.map((i) => args[i] as GpuBuf | null);
    for (let i = 0; i < bufs.length; i++) {
      const b = bufs[i];
      if (kinds[i] !== 'r' || !bufs.some((o, j) => o === b && kinds[j] === 'w')) continue;
      if (inplace.has(name)) { bufs[i] = null; kinds = kinds.slice(0, i) + '-' + kinds.slice(i + 1); entry = 'inplace'; continue; }
      const t = alloc(b!.size / 4); temps.push(t);
      copyBuf(b!.buffer, 0, t.buffer, 0, b!.size);
      bufs[i] = t;
    }
    let constants: Record<string, number> | undefined;
    if (l.overrides.length || extra) {
      constants = {};
      for (const [i, o] of l.overrides) constants[o] = Number(args[i]);
      for (const o in extra) constants[o] = extra[o];
    }
    const p = pipeline(name, entry, kinds, constants);
    const bkey = kinds + bufs.map((b) => b?.id ?? '-').join(',');
    let bg = bindGroups.get(bkey);
    if (!bg) {
      if (bindGroups.size > 4096) bindGroups.clear();
      bg = device.createBindGroup({ layout: layout(kinds)[0],
        entries: bufs.flatMap((b, binding) => (b ? [{ binding, resource: { buffer: b.buffer } }] : [])) });
      bindGroups.set(bkey, bg);
    }
    const o = slots++ * (SLOT / 4);
    for (let j = 0; j < l.uniforms.length; j++) {
      const v = args[l.uniforms[j]] as number;
      if (l.floats[j]) ringF[o + j] = v; else ringU[o + j] = v;
    }
    if (timing) pass = timedPass();
    else pass ??= beginPass();
    dispatches++;
    pass.setPipeline(p);
    pass.setBindGroup(0, bg);
    pass.setBindGroup(1, ubg, [o * 4]);
    if (typeof groups === 'number') { const y = Math.ceil(groups / maxDim); pass.dispatchWorkgroups(Math.ceil(groups / y), y); }
    else pass.dispatchWorkgroups(groups[0], groups[1] ?? 1, groups[2] ?? 1);
    if (timing) endPass();
    for (const b of bufs) if (b) touched.add(b.id);
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
    const readTimes = resolveTimes();
    if (slots) device.queue.writeBuffer(ring, 0, ringBytes, 0, slots * SLOT);
    device.queue.submit([enc.finish()]);
    readTimes?.();
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

  // Every kernel with a gpu/NAME.wgsl launches 1-d over its `n` argument unless listed here.
  const kernels = {} as Record<KernelName, (...a: any[]) => void>;
  for (const name of KERNEL_NAMES) {
    const ni = KERNELS[name].args.findIndex(([arg]) => arg === 'n');
    kernels[name] = !sources.has(name) || ni < 0
      ? () => { throw new Error(`webgpu: this device has no ${name} kernel (the scheduler should not have chosen it)`); }
      : (...a: unknown[]) => run(name, a, groups1d(a[ni] as number));
  }
  /** matmul as src/backends/gpu-tuning.ts plans it: one dispatch, or split-K's two. */
  function matmul(a: GpuBuf, b: GpuBuf, c: GpuBuf, m: number, k: number, n: number, ta: number, tb: number, acc: number) {
    const l = info.limits, plan = planMatmul(m, k, n, ta, tb, acc, be.tuning, l.maxComputeWorkgroupsPerDimension, l.maxStorageBufferBindingSize);
    const args = [a, b, c, m, k, n, ta, tb, acc];
    if (plan.entry !== 'splitk') { run('matmul', args, plan.groups, plan.entry, plan.entry === 'big' ? plan.vec : undefined); return; }
    const slices = plan.splits + (acc ? 1 : 0), s = alloc(slices * m * n);
    args[2] = s;
    run('matmul', args, plan.groups, 'splitk', plan.vec);
    if (acc) copyBuf(c.buffer, 0, s.buffer, plan.splits * m * n * 4, m * n * 4);   // C's old value is one more slice
    run('reduce', [Reduce.sum, s, c, 1, slices, m * n], groups1d(m * n));
    touched.add(c.id);
    release(s);
  }
  /** Few long slices: a workgroup per slice (`rows`); else a thread per slice (`main`). */
  const rowWise = (slices: number, len: number): [number, string] =>
    (len >= be.tuning.rowFrom && slices < 8192 ? [slices, 'rows'] : [groups1d(slices), 'main']);
  const grids: Partial<Kernels<GpuBuf>> = {
    matmul,
    binary(...a) { run('binary', a, groups1d(a[4] * a[5] * a[6])); },
    reduce(...a) {
      const [, , , outer, len, inner] = a, outs = outer * inner, tree = len >= 128 && outs < 8192;
      run('reduce', a, tree ? outs : groups1d(outs), tree ? 'tree' : 'main');
    },
    softmax(...a) { const s = a[2] * a[4]; run('softmax', a, ...rowWise(s, a[3])); },
    softmaxGrad(...a) { const s = a[3] * a[5]; run('softmaxGrad', a, ...rowWise(s, a[4])); },
    biasAct(...a) { run('biasAct', a, groups1d(a[3] * a[4])); },
    transpose(...a) { run('transpose', a, Math.ceil(a[2] / 16) * Math.ceil(a[3] / 16)); },
    // A thread per element written (col2im and poolGrad gather: no float atomics, a fixed order).
    im2col(...a) { run('im2col', a, groups1d(a[9] * a[10] * a[11] * a[5] * a[12] * a[13] * a[14] * a[2])); },
    col2im(...a) { run('col2im', a, groups1d(a[6] * a[7] * a[8] * a[5] * a[2])); },
    pool(...a) { run('pool', a, groups1d(a[9] * a[10] * a[11] * a[2])); },
    poolGrad(...a) { run('poolGrad', a, groups1d(a[5] * a[6] * a[7] * a[4])); },
    bmm(...a) { run('bmm', a, groups1d(a[3] * a[5] * a[6])); },   // a thread per element of C (gpu/bmm.wgsl)
  };
  Object.assign(kernels, grids);
  // The recurrent steps (rnnStep … gruv3GatesGrad): a thread per state element, hid·b.
  for (const name of KERNEL_NAMES) {
    const hi = KERNELS[name].args.findIndex(([arg]) => arg === 'hid');
    if (hi >= 0 && sources.has(name)) kernels[name] = (...a: number[]) => run(name, a, groups1d(a[hi] * a[hi + 1]));
  }

  const be: WebGPUBackend = {
    ...(kernels as Kernels<GpuBuf>),
    name: 'webgpu', info, device, tuning, timer,
    get dispatches() { return dispatches; },
    get lost() { return lost; }, get errors() { return errors; }, get submits() { return submits; },
    get readbacks() { return readbacks; },
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
    has: (k) => k === 'copy' || sources.has(k),
    flush,
    bytes: () => (lost ? 0 : live),
    pooledBytes: () => pooled,
    warmup,
    trim() {
      for (const l of free.values()) for (const b of l) b.buffer.destroy();
      free.clear(); pooled = 0; bindGroups.clear();
    },
    destroy() { be.trim(); device.destroy(); keep = null; },

    copy(x, xo, y, yo, n) {
      check();
      if (n <= 0) return;
      if (x !== y) { copyBuf(x.buffer, xo * 4, y.buffer, yo * 4, n * 4); touched.add(x.id).add(y.id); return; }
      const t = alloc(n);   // same buffer: copyBufferToBuffer needs distinct buffers
      copyBuf(x.buffer, xo * 4, t.buffer, 0, n * 4);
      copyBuf(t.buffer, 0, y.buffer, yo * 4, n * 4);
      touched.add(x.id); release(t);
    },
  };
  return be;
}
