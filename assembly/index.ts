// fluxion CPU kernels: the Wasm ABI of docs/KERNELS.md, one `export *` line per kernel file.
// Build: `npm run asbuild` → build/fluxion.wasm (SIMD) and build/fluxion-relaxed.wasm (+relaxed
// SIMD: f32x4.relaxed_madd; Node 20 needs --experimental-wasm-relaxed-simd).
// Imports: only the memory, as `env.memory` (asc importMemory; memory is not re-exported). No
// abort/seed imports (noAssert, runtime stub, `use: abort=`), no start function, no allocation:
// every pointer is a byte offset into that memory; the JS allocator starts at heap_base().
// No export takes or returns v128 (asconfig silences AS112, which fires for the internal v128
// helpers in simd.ts/act.ts that are exported between files, not from the module).
export * from "./kernels/misc";
export * from "./kernels/matmul";
export * from "./kernels/unary";
export * from "./kernels/unary_grad";
export * from "./kernels/binary";
export * from "./kernels/reduce";
export * from "./kernels/softmax";
export * from "./kernels/softmax_grad";
export * from "./kernels/bias_act";
export * from "./kernels/optim";
