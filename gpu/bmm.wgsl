// C_z = A_z·B_z for z < batch through element strides (src/backends/kernels.ts, bmm): a thread
// per element of C, the batch index fastest across threads, a serial loop over k. fluxion's
// [m, k, batch] keeps the batch contiguous (stride 1), so a warp reads 32 consecutive floats of
// A and of B per k step and writes 32 of C: coalesced without staging, for the many small
// matrices of attention (m, n, k ~ 16-64, batch = heads·batch). The op sends a single batch and
// a broadcast A to the tiled matmul kernel instead. A transposed operand is two swapped strides;
// batch stride 0 broadcasts. O(m k n batch).

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
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
