// poolGrad: dx of pool, x/dx [w1,w2,w3,cn], y/dy [o1,o2,o3,cn], cn fastest. dx is zeroed, then
// the outputs are visited in order, each adding into its window box (solved once per position,
// as in pool), four floats of cn at a time: mean adds dy/(k1·k2·k3) everywhere in the box; max
// adds dy at the first offset (k1 fastest, NNlib's order) where x equals y, found with a lane
// mask of the lanes already served, so no lane is tested twice. Deterministic: every element of
// dx sums its terms in output order. O(|dx| + |y|·k1·k2·k3).
import { lo, hi, zeroRun } from "../conv";

/** One output's window: `src` the box's first x position, `dd` = dx − x (bytes); see pool's window. */
@inline function window(src: usize, dd: usize, yp: usize, dyp: usize, R: usize, na: i32, nb: i32, ne: i32,
  D1: usize, D2: usize, D3: usize, mean: bool, K: f32): void {
  const kv = f32x4.splat(K);
  let q: usize = 0;
  for (; q + 16 <= R; q += 16) {
    const yv = mean ? i32x4.splat(0) : v128.load(yp + q);
    const g = mean ? f32x4.div(v128.load(dyp + q), kv) : v128.load(dyp + q);
    let done = i32x4.splat(0);
    for (let e = 0, pe = src + q; e < ne; e++, pe += D3)
      for (let b = 0, pb = pe; b < nb; b++, pb += D2)
        for (let a = 0, pa = pb; a < na; a++, pa += D1) {
          if (mean) { v128.store(pa + dd, f32x4.add(v128.load(pa + dd), g)); continue; }
          const m = v128.andnot(f32x4.eq(v128.load(pa), yv), done);
          v128.store(pa + dd, f32x4.add(v128.load(pa + dd), v128.and(g, m)));
          done = v128.or(done, m);
        }
  }
  for (; q < R; q += 4) {
    const yv: f32 = mean ? 0 : load<f32>(yp + q), g = mean ? load<f32>(dyp + q) / K : load<f32>(dyp + q);
    let done = false;
    for (let e = 0, pe = src + q; e < ne; e++, pe += D3)
      for (let b = 0, pb = pe; b < nb; b++, pb += D2)
        for (let a = 0, pa = pb; a < na; a++, pa += D1)
          if (mean || (!done && load<f32>(pa) == yv)) { store<f32>(pa + dd, load<f32>(pa + dd) + g); done = true; }
  }
}

/** KERNELS.poolGrad. */
export function poolGrad(x: usize, y: usize, dy: usize, dx: usize, cn: i32,
  w1: i32, w2: i32, w3: i32, k1: i32, k2: i32, k3: i32, o1: i32, o2: i32, o3: i32,
  s1: i32, s2: i32, s3: i32, d1: i32, d2: i32, d3: i32, p1: i32, p2: i32, p3: i32, mean: i32): void {
  if (cn <= 0 || w1 <= 0 || w2 <= 0 || w3 <= 0) return;
  const R = <usize>cn << 2;
  const X3 = R, X2 = <usize>w3 * X3, X1 = <usize>w2 * X2;
  zeroRun(dx, <usize>w1 * X1);
  if (o1 <= 0 || o2 <= 0 || o3 <= 0) return;
  const D1 = <usize>d1 * X1, D2 = <usize>d2 * X2, D3 = <usize>d3 * X3;
  const K = <f32>(k1 * k2 * k3), dd = dx - x;
  let at: usize = 0; // byte offset of the output run in y and dy
  for (let i = 0; i < o1; i++) {
    const g1 = i * s1 - p1, a0 = lo(g1, d1, k1), a1 = hi(g1, d1, w1, k1, a0);
    for (let j = 0; j < o2; j++) {
      const g2 = j * s2 - p2, b0 = lo(g2, d2, k2), b1 = hi(g2, d2, w2, k2, b0);
      for (let l = 0; l < o3; l++, at += R) {
        const g3 = l * s3 - p3, e0 = lo(g3, d3, k3), e1 = hi(g3, d3, w3, k3, e0);
        const src = x + <usize>(g1 + a0 * d1) * X1 + <usize>(g2 + b0 * d2) * X2 + <usize>(g3 + e0 * d3) * X3;
        if (mean) window(src, dd, y + at, dy + at, R, a1 - a0, b1 - b0, e1 - e0, D1, D2, D3, true, K);
        else window(src, dd, y + at, dy + at, R, a1 - a0, b1 - b0, e1 - e0, D1, D2, D3, false, K);
      }
    }
  }
}
