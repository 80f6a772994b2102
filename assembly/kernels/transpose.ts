// transpose: y[c,r] = x[r,c] for x [rows, cols], cache-blocked 4×4 SIMD tiles. O(rows·cols).

/** y[c,r] = x[r,c], x [rows, cols]: 32×32 blocks of 4×4 SIMD transposes, scalar edges. */
export function transpose(x: usize, y: usize, rows: i32, cols: i32): void {
  const ldx = <usize>cols << 2, ldy = <usize>rows << 2;
  const r4 = rows & ~3, c4 = cols & ~3;
  for (let rb = 0; rb < r4; rb += 32) {
    const re = min(rb + 32, r4);
    for (let cb = 0; cb < c4; cb += 32) {
      const ce = min(cb + 32, c4);
      for (let r = rb; r < re; r += 4) {
        for (let c = cb; c < ce; c += 4) {
          const s = x + <usize>r * ldx + (<usize>c << 2);
          const v0 = v128.load(s), v1 = v128.load(s + ldx), v2 = v128.load(s + 2 * ldx), v3 = v128.load(s + 3 * ldx);
          const t0 = f32x4.shuffle(v0, v1, 0, 4, 1, 5), t1 = f32x4.shuffle(v2, v3, 0, 4, 1, 5);
          const t2 = f32x4.shuffle(v0, v1, 2, 6, 3, 7), t3 = f32x4.shuffle(v2, v3, 2, 6, 3, 7);
          const d = y + <usize>c * ldy + (<usize>r << 2);
          v128.store(d, f32x4.shuffle(t0, t1, 0, 1, 4, 5));
          v128.store(d + ldy, f32x4.shuffle(t0, t1, 2, 3, 6, 7));
          v128.store(d + 2 * ldy, f32x4.shuffle(t2, t3, 0, 1, 4, 5));
          v128.store(d + 3 * ldy, f32x4.shuffle(t2, t3, 2, 3, 6, 7));
        }
      }
    }
  }
  // edges: the last cols % 4 columns of every row, the last rows % 4 rows
  for (let r = 0; r < r4; r++)
    for (let c = c4; c < cols; c++) store<f32>(y + <usize>c * ldy + (<usize>r << 2), load<f32>(x + <usize>r * ldx + (<usize>c << 2)));
  for (let r = r4; r < rows; r++)
    for (let c = 0; c < cols; c++) store<f32>(y + <usize>c * ldy + (<usize>r << 2), load<f32>(x + <usize>r * ldx + (<usize>c << 2)));
}
