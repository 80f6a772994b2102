// heap_base: where the JS allocator starts (not a kernel; the module's one non-table export
// besides matmul_ws_bytes).

/**
 * First byte the JS allocator may use (after static data), on a 64-byte cache line, so buffers
 * bump-allocated from here (test/kernels/loadRaw.ts, the benches) sit on lines as the backend's
 * own blocks do, whatever the size of the static data: from a base 48 bytes past a line the
 * memory-bound kernels measured 2–6% slower.
 */
export function heap_base(): usize {
  return (__heap_base + 63) & ~<usize>63;
}
