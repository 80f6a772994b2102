// Convolution patches: col[(k,cc),(o,m)] = x[o s + k' d - p, c0+cc, m] per spatial dim (k' = k-1-k
// when FLIP), 0 outside x. x is [w1,w2,w3,c,n] and col [k1,k2,k3,cg, o1,o2,o3,n], both with the
// batch fastest, so neighbouring threads read neighbouring x. 1-d launch, one thread per col
// element. O(k cg o n).

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flat(gid, nwg);
  let O = p.o1 * p.o2 * p.o3;
  if (i >= p.k1 * p.k2 * p.k3 * p.cg * O * p.n) { return; }
  let m = i % p.n;
  var r = i / p.n;
  let oo = r % O;
  r = r / O;
  let cc = r % p.cg;
  let kk = r / p.cg;
  let o = vec3u(oo / (p.o2 * p.o3), (oo / p.o3) % p.o2, oo % p.o3);
  let kn = vec3u(p.k1, p.k2, p.k3);
  var k = vec3u(kk / (p.k2 * p.k3), (kk / p.k3) % p.k2, kk % p.k3);
  if (FLIP) { k = kn - 1u - k; }
  let at = vec3i(o * vec3u(p.s1, p.s2, p.s3) + k * vec3u(p.d1, p.d2, p.d3)) - vec3i(vec3u(p.p1, p.p2, p.p3));
  var v = 0.0;
  if (all(at >= vec3i(0)) && all(at < vec3i(vec3u(p.w1, p.w2, p.w3)))) {
    let xi = (u32(at.x) * p.w2 + u32(at.y)) * p.w3 + u32(at.z);
    v = x[(xi * p.c + p.c0 + cc) * p.n + m];
  }
  col[i] = v;
}
