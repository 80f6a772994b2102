// Instantiate build/fluxion.wasm (plus the relaxed matmul module) from disk with a fresh memory, for the
// low-level kernel tests and benches. Plain bump allocation from heap_base(); `reset()` frees all.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface Raw {
  exports: Record<string, any>;
  memory: WebAssembly.Memory;
  alloc(bytes: number): number;
  f32(ptr: number, n: number): Float32Array;
  put(data: ArrayLike<number>): number;
  reset(): void;
}

export function relaxedSupported(): boolean {
  // f32x4.relaxed_madd in a tiny function: (func (result v128) v128.const×3 relaxed_madd)
  const bytes = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 61, 1, 59, 0,
    253, 12, ...new Array(16).fill(0), 253, 12, ...new Array(16).fill(0), 253, 12, ...new Array(16).fill(0), 253, 133, 2, 11]);
  return WebAssembly.validate(bytes);
}

export function loadRaw(variant: 'simd' | 'relaxed' = 'simd', pages = 256): Raw {
  const load = (file: string) => new WebAssembly.Module(readFileSync(fileURLToPath(new URL(`../../build/${file}`, import.meta.url))));
  const memory = new WebAssembly.Memory({ initial: pages });
  const inst = new WebAssembly.Instance(load('fluxion.wasm'), { env: { memory } });
  // The relaxed build is only the matmul, on the same memory (as src/backends/wasm.ts does).
  const exports: Record<string, any> = variant === 'relaxed'
    ? { ...inst.exports, ...new WebAssembly.Instance(load('fluxion-relaxed.wasm'), { env: { memory } }).exports }
    : inst.exports;
  const base = exports.heap_base() as number;
  let top = base;
  const alloc = (bytes: number) => {
    const p = top;
    top = (top + bytes + 63) & ~63;
    if (top > memory.buffer.byteLength) memory.grow(Math.ceil((top - memory.buffer.byteLength) / 65536));
    return p;
  };
  const f32 = (ptr: number, n: number) => new Float32Array(memory.buffer, ptr, n);
  const put = (data: ArrayLike<number>) => { const p = alloc(data.length * 4); f32(p, data.length).set(data); return p; };
  return { exports, memory, alloc, f32, put, reset: () => { top = base; } };
}
