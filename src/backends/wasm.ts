// The CPU device: the AssemblyScript module (assembly/) in one WebAssembly.Memory owned here.
// Tensors are byte offsets into that memory. Blocks come from size-class free lists, so a
// training loop that repeats its shapes reuses the same blocks and memory stays flat; memory
// grows when a class is empty, and running out is a RangeError naming the request, not a
// dead instance. A relaxed-SIMD matmul module is used where the engine validates it.

import type { Backend, KernelName, Kernels } from './backend.js';
import { KERNEL_NAMES } from './kernels.js';
import simdBytes from '../../build/fluxion.wasm';
import relaxedBytes from '../../build/fluxion-relaxed.wasm';

type Ptr = number;
/** The module's exports: each kernel of KERNELS under its own name (matmul takes a trailing scratch pointer). */
type Exports = Partial<Omit<Kernels<Ptr>, 'matmul'>> & {
  heap_base(): number;
  matmul_ws_bytes?(m: number, k: number, n: number): number;
  matmul?(...args: [...Parameters<Kernels<Ptr>['matmul']>, ws: Ptr]): void;
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
  /** The current f32 view of the whole memory (renewed after growth). */
  f32(): Float32Array;
  memoryBytes(): number;
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

/** Instantiate the kernel module; throws a clear error where SIMD is missing. */
export async function createWasm(): Promise<WasmBackend> {
  if (!simdSupported()) {
    throw new Error('fluxion: this JavaScript engine lacks WebAssembly SIMD (v128); ' +
      'use Node >= 16.4, Chrome >= 91, Firefox >= 89 or Safari >= 16.4');
  }
  const memory = new WebAssembly.Memory({ initial: 64, maximum: MAX_PAGES });
  // compiled asynchronously: browsers refuse large synchronous compiles on the main thread
  const { instance } = await WebAssembly.instantiate(await inflate(simdBytes), { env: { memory } });
  // Where the engine has relaxed SIMD, a second small module on the same memory supplies a
  // matmul with fused multiply-add (f32x4.relaxed_madd); it has no data and allocates nothing.
  let relaxed = false, fast: Pick<Exports, 'matmul' | 'matmul_ws_bytes'> | null = null;
  try {
    fast = (await WebAssembly.instantiate(await inflate(relaxedBytes), { env: { memory } })).instance
      .exports as unknown as Pick<Exports, 'matmul' | 'matmul_ws_bytes'>;
    relaxed = true;
  } catch { /* plain SIMD matmul */ }
  const k: Exports = { ...(instance.exports as unknown as Exports), ...fast };

  let view = new Float32Array(memory.buffer);
  let top = (k.heap_base() + 63) & ~63;  // bump pointer for blocks never allocated before
  const free = new Map<number, Ptr[]>(); // size class -> free blocks
  let live = 0;
  let ws = 0, wsBytes = 0;               // matmul scratch, grown on demand and kept

  function grow(end: number) {
    const need = Math.ceil((end - memory.buffer.byteLength) / PAGE);
    if (need <= 0) return;
    const pages = memory.buffer.byteLength / PAGE;
    if (end > MAX_PAGES * PAGE) {           // past wasm32's 4 GiB: fail before growing anything
      throw new RangeError(`fluxion: out of CPU memory: a block ending at byte ${end} is beyond the 4 GiB ` +
        `Wasm limit (${live} bytes in live tensors); dispose tensors, use scope() or smaller tensors`);
    }
    const want = Math.min(MAX_PAGES, Math.max(pages + need, Math.ceil(pages * 1.25)));
    try { memory.grow(want - pages); } catch {
      try { memory.grow(need); } catch {
        throw new RangeError(`fluxion: out of CPU memory: cannot grow Wasm memory from ${pages * PAGE} ` +
          `to ${end} bytes (${live} bytes in live tensors); dispose tensors or use scope()`);
      }
    }
    view = new Float32Array(memory.buffer);
  }
  function block(bytes: number): Ptr {
    const c = sizeClass(bytes), list = free.get(c);
    if (list && list.length) return list.pop()!;
    const p = top;
    grow(p + c);
    top = p + c;
    return p;
  }
  function scratch(bytes: number): Ptr {
    if (bytes > wsBytes) { ws = block(bytes); wsBytes = sizeClass(bytes); }
    return ws;
  }

  const { matmul: mm, matmul_ws_bytes: wsBytesFor } = k;
  const { kernels, provided } = bindKernels(k, {
    matmul: mm && wsBytesFor && ((a, b, c, m, kk, n, ta, tb, acc) => mm(a, b, c, m, kk, n, ta, tb, acc, scratch(wsBytesFor(m, kk, n) || 16))),
    copy(x, xo, y, yo, n) { view.copyWithin((y >> 2) + yo, (x >> 2) + xo, (x >> 2) + xo + n); },
  });
  const be: WasmBackend = {
    name: 'wasm',
    relaxed,
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
      let list = free.get(c);
      if (!list) free.set(c, list = []);
      list.push(p);
    },
    write(p, data, offset = 0) { view.set(data, (p >> 2) + offset); },
    async read(p, n) { return view.slice(p >> 2, (p >> 2) + n); },
    readSync(p, n) { return view.slice(p >> 2, (p >> 2) + n); },
    has: (name: KernelName) => provided.has(name),
    flush() {},
    bytes: () => live,
    ...kernels,
  };
  return be;
}
