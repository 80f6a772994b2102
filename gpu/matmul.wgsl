// C[m,n] (+)= op(A)[m,k] · op(B)[k,n], row-major. TA: A stored [k,m]; TB: B stored [n,k]
// (overrides: each variant is its own pipeline). A workgroup of 16x16 threads computes a 64x64
// tile of C, each thread a 4x4 block held in four vec4 accumulators; K advances 16 at a time
// through workgroup memory. Transposition lives in the tile loads only; out-of-range loads
// read 0, so any m, k, n works. O(m k n).

const TK: u32 = 16u;   // depth of a tile step

var<workgroup> As: array<vec4f, 256>;   // As[kk*16 + g] = op(A)[row0 + 4g .. +3, k0 + kk]
var<workgroup> Bs: array<vec4f, 256>;   // Bs[kk*16 + g] = op(B)[k0 + kk, col0 + 4g .. +3]

fn readA(r: u32, kk: u32) -> f32 {
  if (r >= p.m || kk >= p.k) { return 0.0; }
  if (TA) { return a[kk * p.m + r]; }
  return a[r * p.k + kk];
}

fn readB(kk: u32, j: u32) -> f32 {
  if (kk >= p.k || j >= p.n) { return 0.0; }
  if (TB) { return b[j * p.k + kk]; }
  return b[kk * p.n + j];
}

fn store(r: u32, col: u32, v: vec4f) {
  if (r >= p.m) { return; }
  for (var j = 0u; j < 4u; j++) {
    if (col + j < p.n) {
      let o = r * p.n + col + j;
      c[o] = select(v[j], c[o] + v[j], p.acc != 0u);
    }
  }
}

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let row0 = wid.y * 64u;
  let col0 = wid.x * 64u;
  let t = lid.y * 16u + lid.x;
  // Which vec4 of each tile this thread loads: consecutive threads walk the stored matrix's
  // contiguous axis (k for A, m for Aᵀ, n for B, k for Bᵀ).
  let ak = select(t % 16u, t / 16u, TA);
  let ag = select(t / 16u, t % 16u, TA);
  let bk = select(t / 16u, t % 16u, TB);
  let bg = select(t % 16u, t / 16u, TB);
  var acc0 = vec4f(0.0);
  var acc1 = vec4f(0.0);
  var acc2 = vec4f(0.0);
  var acc3 = vec4f(0.0);
  for (var k0 = 0u; k0 < p.k; k0 += TK) {
    let r = row0 + 4u * ag;
    As[ak * 16u + ag] = vec4f(readA(r, k0 + ak), readA(r + 1u, k0 + ak), readA(r + 2u, k0 + ak), readA(r + 3u, k0 + ak));
    let j = col0 + 4u * bg;
    Bs[bk * 16u + bg] = vec4f(readB(k0 + bk, j), readB(k0 + bk, j + 1u), readB(k0 + bk, j + 2u), readB(k0 + bk, j + 3u));
    workgroupBarrier();   // both tiles are complete before anyone reads them
    for (var kk = 0u; kk < TK; kk++) {
      let av = As[kk * 16u + lid.y];
      let bv = Bs[kk * 16u + lid.x];
      acc0 = fma(vec4f(av.x), bv, acc0);
      acc1 = fma(vec4f(av.y), bv, acc1);
      acc2 = fma(vec4f(av.z), bv, acc2);
      acc3 = fma(vec4f(av.w), bv, acc3);
    }
    workgroupBarrier();   // everyone is done reading before the next step overwrites the tiles
  }
  let r = row0 + 4u * lid.y;
  let col = col0 + 4u * lid.x;
  store(r, col, acc0);
  store(r + 1u, col, acc1);
  store(r + 2u, col, acc2);
  store(r + 3u, col, acc3);
}
