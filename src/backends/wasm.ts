// The CPU device: the AssemblyScript module (assembly/) in one WebAssembly.Memory owned here.
// Tensors are byte offsets into that memory. Blocks come from size-class free lists, so a
// training loop that repeats its shapes reuses the same blocks and memory stays flat; memory
// grows when a class is empty, and running out is a RangeError naming the request, not a
// dead instance. A relaxed-SIMD matmul module is used where the engine validates it.

import type { Backend, KernelName } from './backend.js';
import simdBytes from '../../build/fluxion.wasm';
import relaxedBytes from '../../build/fluxion-relaxed.wasm';

type Ptr = number;
interface Exports {
  heap_base(): number;
  matmul_ws_bytes(m: number, k: number, n: number): number;
  matmul_f32(a: Ptr, b: Ptr, c: Ptr, m: number, k: number, n: number, ta: number, tb: number, ws: Ptr, acc: number): void;
  unary_f32(op: number, x: Ptr, y: Ptr, n: number, alpha: number, beta: number): void;
  unary_grad_f32(op: number, x: Ptr, y: Ptr, dy: Ptr, dx: Ptr, n: number, alpha: number, beta: number): void;
  binary_f32(op: number, a: Ptr, b: Ptr, c: Ptr, d0: number, d1: number, d2: number,
    as0: number, as1: number, as2: number, bs0: number, bs1: number, bs2: number): void;
  reduce_f32(op: number, x: Ptr, y: Ptr, outer: number, len: number, inner: number): void;
  softmax_f32(x: Ptr, y: Ptr, outer: number, len: number, inner: number, log: number): void;
  softmax_grad_f32(y: Ptr, dy: Ptr, dx: Ptr, outer: number, len: number, inner: number, log: number): void;
  bias_act_f32(x: Ptr, b: Ptr, y: Ptr, rows: number, cols: number, act: number, alpha: number): void;
  transpose_f32(x: Ptr, y: Ptr, rows: number, cols: number): void;
  fill_f32(y: Ptr, n: number, value: number): void;
  descent_f32(x: Ptr, g: Ptr, n: number, eta: number): void;
  momentum_f32(x: Ptr, g: Ptr, v: Ptr, n: number, eta: number, rho: number): void;
  adam_f32(x: Ptr, g: Ptr, m: Ptr, v: Ptr, n: number, eta: number, b1: number, b2: number, eps: number, b1t: number, b2t: number): void;
  adamw_f32(x: Ptr, g: Ptr, m: Ptr, v: Ptr, n: number, eta: number, b1: number, b2: number, eps: number, b1t: number, b2t: number, lambda: number): void;
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
  let relaxed = false, fast: Pick<Exports, 'matmul_f32' | 'matmul_ws_bytes'> | null = null;
  try {
    fast = (await WebAssembly.instantiate(await inflate(relaxedBytes), { env: { memory } })).instance
      .exports as unknown as Pick<Exports, 'matmul_f32' | 'matmul_ws_bytes'>;
    relaxed = true;
  } catch { /* plain SIMD matmul */ }
  const k = { ...(instance.exports as unknown as Exports), ...fast };

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
    has(_k: KernelName) { return true; },
    flush() {},
    bytes: () => live,

    matmul(a, b, c, m, kk, n, ta, tb, acc) {
      const w = scratch(k.matmul_ws_bytes(m, kk, n) || 16);
      k.matmul_f32(a, b, c, m, kk, n, ta, tb, w, acc);
    },
    unary: (op, x, y, n, al, be_) => k.unary_f32(op, x, y, n, al, be_),
    unaryGrad: (op, x, y, dy, dx, n, al, be_) => k.unary_grad_f32(op, x, y, dy, dx, n, al, be_),
    binary: (op, a, b, c, d0, d1, d2, as0, as1, as2, bs0, bs1, bs2) =>
      k.binary_f32(op, a, b, c, d0, d1, d2, as0, as1, as2, bs0, bs1, bs2),
    reduce: (op, x, y, o, l, i) => k.reduce_f32(op, x, y, o, l, i),
    softmax: (x, y, o, l, i, log) => k.softmax_f32(x, y, o, l, i, log),
    softmaxGrad: (y, dy, dx, o, l, i, log) => k.softmax_grad_f32(y, dy, dx, o, l, i, log),
    biasAct: (x, b, y, r, c, act, al) => k.bias_act_f32(x, b, y, r, c, act, al),
    transpose: (x, y, r, c) => k.transpose_f32(x, y, r, c),
    fill: (y, n, v) => k.fill_f32(y, n, v),
    copy(x, xo, y, yo, n) { view.copyWithin((y >> 2) + yo, (x >> 2) + xo, (x >> 2) + xo + n); },
    descent: (x, g, n, eta) => k.descent_f32(x, g, n, eta),
    momentum: (x, g, v, n, eta, rho) => k.momentum_f32(x, g, v, n, eta, rho),
    adam: (x, g, m, v, n, eta, b1, b2, eps, b1t, b2t) => k.adam_f32(x, g, m, v, n, eta, b1, b2, eps, b1t, b2t),
    adamw: (x, g, m, v, n, eta, b1, b2, eps, b1t, b2t, l) => k.adamw_f32(x, g, m, v, n, eta, b1, b2, eps, b1t, b2t, l),
  };
  return be;
}
