// The relaxed-SIMD matmul alone (f32x4.relaxed_madd via simd.ts's madd): a second, small module
// instantiated on the same memory where the engine validates relaxed SIMD, so the bundle carries
// the big module once. It has no data segments and no allocation, so sharing memory is safe.
export { matmul_ws_bytes, matmul, matmul_part, matmul_kblocks, matmul_ksum } from "./kernels/matmul";
