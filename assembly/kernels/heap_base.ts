// heap_base: where the JS allocator starts (not a kernel; the module's one non-table export
// besides matmul_ws_bytes).

/** First byte the JS allocator may use (after static data), 16-aligned. */
export function heap_base(): usize {
  return (__heap_base + 15) & ~<usize>15;
}
