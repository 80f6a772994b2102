// C[m,n] (+)= op(A)[m,k] · op(B)[k,n], row-major. TA: A stored [k,m]; TB: B stored [n,k]
// (overrides: each variant is its own pipeline). Transposition lives in the tile loads only,
// and they read along the stored matrix's contiguous axis, so every variant runs at one speed.
// Three entries (src/backends/webgpu.ts picks one per shape and adapter):
// - `main`: a 64x64 tile of C per workgroup of 16x16 threads, a 4x4 block per thread, K 16 at
//   a time through workgroup memory; any m, k, n (out-of-range loads read 0).
// - `big`: a 128x128 tile, 8x8 outputs per thread (two 4x4 blocks 64 apart, so neighbouring
//   threads touch neighbouring vec4s), K 8 at a time. Global loads are vec4 where the stored
//   row length allows it (VA, VB, VC), and interior tiles skip every bounds check.
// - `splitk`: `big` over the K range wid.z of nwg.z, written to slice wid.z of c (a scratch
//   buffer [nwg.z, m, n]) that a reduce then sums: the tall-skinny dW = dY·Xᵀ shapes have too
//   few output tiles to fill a GPU otherwise.
// `main` and `big` read their tile from a grid folded over x, y and z, so no shape is refused for
// the per-dimension dispatch limit. O(m k n).

override VA: bool = false;   // A's stored rows are a multiple of 4 long: vec4 loads
override VB: bool = false;
override VC: bool = false;   // n is a multiple of 4: vec4 stores

// The same bindings as a, b, c, read 4 floats at a time (buffers are whole multiples of 16 bytes).
// `big` and `splitk` use only these, `main` only the scalar ones (one view per entry point).
@group(0) @binding(0) var<storage, read> a4: array<vec4f>;
@group(0) @binding(1) var<storage, read> b4: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> c4: array<vec4f>;

// The tile (column, row) of workgroup wid in a grid folded past the dispatch limit; row past
// the end for the spare workgroups of the last fold.
fn tileOf(wid: vec3u, nwg: vec3u, edge: u32) -> vec2u {
  let across = (p.n + edge - 1u) / edge;
  let lin = wid.x + nwg.x * (wid.y + nwg.y * wid.z);
  return vec2u(lin % across, lin / across);
}

const TK: u32 = 16u;   // depth of a `main` tile step

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
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let tile = tileOf(wid, nwg, 64u);
  let row0 = tile.y * 64u;
  let col0 = tile.x * 64u;
  if (row0 >= p.m) { return; }   // uniform per workgroup
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

const BT: u32 = 128u;  // edge of a `big` tile
const BK: u32 = 8u;    // depth of a `big` tile step

var<workgroup> Ab: array<vec4f, 256>;   // Ab[kk*32 + q] = op(A)[row0 + 4q .. +3, k0 + kk]
var<workgroup> Bb: array<vec4f, 256>;   // Bb[kk*32 + q] = op(B)[k0 + kk, col0 + 4q .. +3]

fn ga(i: u32, ok: bool) -> f32 { if (ok) { return a4[i >> 2u][i & 3u]; } return 0.0; }
fn gb(i: u32, ok: bool) -> f32 { if (ok) { return b4[i >> 2u][i & 3u]; } return 0.0; }

// This thread's 4 values of the A tile at depth k0: 4 rows at one k (Aᵀ: contiguous in m) or
// 4 k at one row (A: contiguous in k); `full`: the whole tile step is in range.
fn loadA(t: u32, row0: u32, k0: u32, kEnd: u32, full: bool) {
  if (TA) {
    let kk = k0 + (t >> 5u);
    let r = row0 + (t & 31u) * 4u;
    let i = kk * p.m + r;
    var v: vec4f;
    if (full && VA) { v = a4[i >> 2u]; }
    else if (full) { v = vec4f(ga(i, true), ga(i + 1u, true), ga(i + 2u, true), ga(i + 3u, true)); }
    else {
      let inK = kk < kEnd;
      v = vec4f(ga(i, inK && r < p.m), ga(i + 1u, inK && r + 1u < p.m), ga(i + 2u, inK && r + 2u < p.m), ga(i + 3u, inK && r + 3u < p.m));
    }
    Ab[(t >> 5u) * 32u + (t & 31u)] = v;
  } else {
    let r = row0 + (t >> 1u);
    let kq = (t & 1u) * 4u;
    let i = r * p.k + k0 + kq;
    var v: vec4f;
    if (full && VA) { v = a4[i >> 2u]; }
    else if (full) { v = vec4f(ga(i, true), ga(i + 1u, true), ga(i + 2u, true), ga(i + 3u, true)); }
    else {
      let inM = r < p.m;
      let kk = k0 + kq;
      v = vec4f(ga(i, inM && kk < kEnd), ga(i + 1u, inM && kk + 1u < kEnd), ga(i + 2u, inM && kk + 2u < kEnd), ga(i + 3u, inM && kk + 3u < kEnd));
    }
    let q = (t >> 1u) >> 2u;
    let e = (t >> 1u) & 3u;
    Ab[kq * 32u + q][e] = v.x;
    Ab[(kq + 1u) * 32u + q][e] = v.y;
    Ab[(kq + 2u) * 32u + q][e] = v.z;
    Ab[(kq + 3u) * 32u + q][e] = v.w;
  }
}

// As loadA for B: 4 columns at one k (B: contiguous in n) or 4 k at one column (Bᵀ).
fn loadB(t: u32, col0: u32, k0: u32, kEnd: u32, full: bool) {
  if (!TB) {
    let kk = k0 + (t >> 5u);
    let j = col0 + (t & 31u) * 4u;
    let i = kk * p.n + j;
    var v: vec4f;
    if (full && VB) { v = b4[i >> 2u]; }
    else if (full) { v = vec4f(gb(i, true), gb(i + 1u, true), gb(i + 2u, true), gb(i + 3u, true)); }
    else {
      let inK = kk < kEnd;
      v = vec4f(gb(i, inK && j < p.n), gb(i + 1u, inK && j + 1u < p.n), gb(i + 2u, inK && j + 2u < p.n), gb(i + 3u, inK && j + 3u < p.n));
    }
    Bb[(t >> 5u) * 32u + (t & 31u)] = v;
  } else {
    let j = col0 + (t >> 1u);
    let kq = (t & 1u) * 4u;
    let i = j * p.k + k0 + kq;
    var v: vec4f;
    if (full && VB) { v = b4[i >> 2u]; }
    else if (full) { v = vec4f(gb(i, true), gb(i + 1u, true), gb(i + 2u, true), gb(i + 3u, true)); }
    else {
      let inN = j < p.n;
      let kk = k0 + kq;
      v = vec4f(gb(i, inN && kk < kEnd), gb(i + 1u, inN && kk + 1u < kEnd), gb(i + 2u, inN && kk + 2u < kEnd), gb(i + 3u, inN && kk + 3u < kEnd));
    }
    let q = (t >> 1u) >> 2u;
    let e = (t >> 1u) & 3u;
    Bb[kq * 32u + q][e] = v.x;
    Bb[(kq + 1u) * 32u + q][e] = v.y;
    Bb[(kq + 2u) * 32u + q][e] = v.z;
    Bb[(kq + 3u) * 32u + q][e] = v.w;
  }
}

// c[off + r*n + col .. +3] (+)= v; `full`: the 4 columns and the row are in range.
fn put(off: u32, r: u32, col: u32, v: vec4f, full: bool, add: bool) {
  let o = off + r * p.n + col;
  if (full && VC) {
    let i = o >> 2u;
    if (add) { c4[i] += v; } else { c4[i] = v; }
    return;
  }
  if (!full && r >= p.m) { return; }
  for (var j = 0u; j < 4u; j++) {
    if (full || col + j < p.n) {
      let q = o + j;
      if (add) { c4[q >> 2u][q & 3u] += v[j]; } else { c4[q >> 2u][q & 3u] = v[j]; }
    }
  }
}

// The 128x128 tile at (row0, col0) over k in [k0, kEnd), stored at c[off ..] (added if `add`).
fn bigTile(t: u32, tx: u32, ty: u32, row0: u32, col0: u32, kBegin: u32, kEnd: u32, off: u32, add: bool) {
  let inner = row0 + BT <= p.m && col0 + BT <= p.n;   // uniform per workgroup
  var acc: array<vec4f, 16>;   // acc[2i + h]: row ty*4+i (i < 4) or 64+ty*4+i-4, columns tx*4 (+64 if h)
  for (var k0 = kBegin; k0 < kEnd; k0 += BK) {
    let full = inner && k0 + BK <= kEnd;
    loadA(t, row0, k0, kEnd, full);
    loadB(t, col0, k0, kEnd, full);
    workgroupBarrier();   // both tiles are complete before anyone reads them
    for (var kk = 0u; kk < BK; kk++) {
      let a0 = Ab[kk * 32u + ty];
      let a1 = Ab[kk * 32u + 16u + ty];
      let b0 = Bb[kk * 32u + tx];
      let b1 = Bb[kk * 32u + 16u + tx];
      acc[0] = fma(vec4f(a0.x), b0, acc[0]);
      acc[1] = fma(vec4f(a0.x), b1, acc[1]);
      acc[2] = fma(vec4f(a0.y), b0, acc[2]);
      acc[3] = fma(vec4f(a0.y), b1, acc[3]);
      acc[4] = fma(vec4f(a0.z), b0, acc[4]);
      acc[5] = fma(vec4f(a0.z), b1, acc[5]);
      acc[6] = fma(vec4f(a0.w), b0, acc[6]);
      acc[7] = fma(vec4f(a0.w), b1, acc[7]);
      acc[8] = fma(vec4f(a1.x), b0, acc[8]);
      acc[9] = fma(vec4f(a1.x), b1, acc[9]);
      acc[10] = fma(vec4f(a1.y), b0, acc[10]);
      acc[11] = fma(vec4f(a1.y), b1, acc[11]);
      acc[12] = fma(vec4f(a1.z), b0, acc[12]);
      acc[13] = fma(vec4f(a1.z), b1, acc[13]);
      acc[14] = fma(vec4f(a1.w), b0, acc[14]);
      acc[15] = fma(vec4f(a1.w), b1, acc[15]);
    }
    workgroupBarrier();   // everyone is done reading before the next step overwrites the tiles
  }
  // constant indices only: a dynamic index into acc may send it to local memory
  let r0 = row0 + ty * 4u;
  let r1 = row0 + 64u + ty * 4u;
  let c0 = col0 + tx * 4u;
  let c1 = col0 + 64u + tx * 4u;
  put(off, r0, c0, acc[0], inner, add);       put(off, r0, c1, acc[1], inner, add);
  put(off, r0 + 1u, c0, acc[2], inner, add);  put(off, r0 + 1u, c1, acc[3], inner, add);
  put(off, r0 + 2u, c0, acc[4], inner, add);  put(off, r0 + 2u, c1, acc[5], inner, add);
  put(off, r0 + 3u, c0, acc[6], inner, add);  put(off, r0 + 3u, c1, acc[7], inner, add);
  put(off, r1, c0, acc[8], inner, add);       put(off, r1, c1, acc[9], inner, add);
  put(off, r1 + 1u, c0, acc[10], inner, add); put(off, r1 + 1u, c1, acc[11], inner, add);
  put(off, r1 + 2u, c0, acc[12], inner, add); put(off, r1 + 2u, c1, acc[13], inner, add);
  put(off, r1 + 3u, c0, acc[14], inner, add); put(off, r1 + 3u, c1, acc[15], inner, add);
}

@compute @workgroup_size(16, 16)
fn big(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let tile = tileOf(wid, nwg, BT);
  if (tile.y * BT >= p.m) { return; }   // uniform per workgroup
  bigTile(lid.y * 16u + lid.x, lid.x, lid.y, tile.y * BT, tile.x * BT, 0u, p.k, 0u, p.acc != 0u);
}

@compute @workgroup_size(16, 16)
fn splitk(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let span = (p.k + nwg.z * BK - 1u) / (nwg.z * BK) * BK;   // a whole number of steps per slice
  let k0 = min(wid.z * span, p.k);
  bigTile(lid.y * 16u + lid.x, lid.x, lid.y, wid.y * BT, wid.x * BT, k0, min(k0 + span, p.k), wid.z * p.m * p.n, false);
}
