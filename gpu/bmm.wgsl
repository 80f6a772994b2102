// C_z = A_z·B_z for z < batch through element strides (src/backends/kernels.ts, bmm). Two entries
// (src/backends/webgpu.ts picks one per call):
// - `lanes`: a thread per element of C, the batch index fastest across threads, a serial loop
//   over k. fluxion's [m, k, batch] keeps the batch contiguous (stride 1), so a warp reads 32
//   consecutive floats of A, of B and writes 32 of C: coalesced without any staging. For the
//   many small matrices of attention (m, n, k ~ 16-64, batch = heads·batch).
// - `main`: a 32x32 tile of one C_z per workgroup of 16x16 threads (2x2 each), k 16 at a time
//   through workgroup memory; threads load along each operand's smaller stride. The grid is a
//   1-d count of tiles·batch folded over x and y, so no batch is refused for the dispatch limit.
// A transposed operand is two swapped strides; batch stride 0 broadcasts. O(m k n batch).

@compute @workgroup_size(WG)
fn lanes(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flat(gid, nwg);
  if (i >= p.m * p.n * p.batch) { return; }
  let z = i % p.batch;
  let t = i / p.batch;
  let j = t % p.n;
  let r = t / p.n;
  var ia = z * p.sab + r * p.sam;
  var ib = z * p.sbb + j * p.sbn;
  var s = 0.0;
  for (var q = 0u; q < p.k; q++) {
    s = fma(a[ia], b[ib], s);
    ia += p.sak;
    ib += p.sbk;
  }
  c[z * p.scb + r * p.scm + j * p.scn] = s;
}

const T: u32 = 32u;    // edge of a `main` tile of C
const TK: u32 = 16u;   // depth of a tile step

var<workgroup> As: array<f32, 512>;   // As[kk * T + r] = A_z[row0 + r, k0 + kk]
var<workgroup> Bs: array<f32, 512>;   // Bs[kk * T + c] = B_z[k0 + kk, col0 + c]

fn readA(z: u32, r: u32, kk: u32) -> f32 {
  if (r >= p.m || kk >= p.k) { return 0.0; }
  return a[z * p.sab + r * p.sam + kk * p.sak];
}

fn readB(z: u32, kk: u32, j: u32) -> f32 {
  if (kk >= p.k || j >= p.n) { return 0.0; }
  return b[z * p.sbb + kk * p.sbk + j * p.sbn];
}

fn put(z: u32, r: u32, j: u32, v: f32) {
  if (r < p.m && j < p.n) { c[z * p.scb + r * p.scm + j * p.scn] = v; }
}

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let across = (p.n + T - 1u) / T;
  let per = across * ((p.m + T - 1u) / T);
  let lin = wid.x + nwg.x * wid.y;
  if (lin >= per * p.batch) { return; }   // uniform per workgroup
  let z = lin / per;
  let tile = lin - z * per;
  let row0 = (tile / across) * T;
  let col0 = (tile % across) * T;
  let t = lid.y * 16u + lid.x;
  let aAlongK = p.sak < p.sam;    // consecutive threads walk A's contiguous axis where it has one
  let bAlongN = p.sbn <= p.sbk;
  var c00 = 0.0;
  var c01 = 0.0;
  var c10 = 0.0;
  var c11 = 0.0;
  for (var k0 = 0u; k0 < p.k; k0 += TK) {
    for (var q = 0u; q < 2u; q++) {
      let e = t + q * 256u;        // 512 elements of each tile, 2 per thread
      let ar = select(e % T, e / TK, aAlongK);
      let ak = select(e / T, e % TK, aAlongK);
      As[ak * T + ar] = readA(z, row0 + ar, k0 + ak);
      let bc = select(e / TK, e % T, bAlongN);
      let bk = select(e % TK, e / T, bAlongN);
      Bs[bk * T + bc] = readB(z, k0 + bk, col0 + bc);
    }
    workgroupBarrier();   // both tiles are complete before anyone reads them
    for (var kk = 0u; kk < TK; kk++) {
      let a0 = As[kk * T + 2u * lid.y];
      let a1 = As[kk * T + 2u * lid.y + 1u];
      let b0 = Bs[kk * T + 2u * lid.x];
      let b1 = Bs[kk * T + 2u * lid.x + 1u];
      c00 = fma(a0, b0, c00);
      c01 = fma(a0, b1, c01);
      c10 = fma(a1, b0, c10);
      c11 = fma(a1, b1, c11);
    }
    workgroupBarrier();   // everyone is done reading before the next step overwrites the tiles
  }
  let r = row0 + 2u * lid.y;
  let j = col0 + 2u * lid.x;
  put(z, r, j, c00);
  put(z, r, j + 1u, c01);
  put(z, r + 1u, j, c10);
  put(z, r + 1u, j + 1u, c11);
}
