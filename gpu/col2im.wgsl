// The adjoint of im2col: x[i, c0+cc, m] = Σ col[(k,cc),(o,m)] over every (k, o) with
// o s + k' d - p = i. WGSL has no float atomics, so this gathers: one thread per written element
// of x (channels c0 … c0+cg-1; the others are not touched), which walks the kernel offsets k in
// row-major order and takes, per spatial dim, the one o with o s = i + p - k' d if it exists. A
// fixed order, so the sum is deterministic. Batch fastest, as in im2col. 1-d launch.
// O(w cg n k).

// The output index o along one dim whose window puts offset a at padded position ip, or -1.
fn tap(ip: i32, a: u32, k: u32, s: u32, d: u32, o: u32) -> i32 {
  let q = ip - i32(select(a, k - 1u - a, FLIP) * d);
  if (q < 0 || q % i32(s) != 0) { return -1; }
  let oq = q / i32(s);
  return select(-1, oq, oq < i32(o));
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flat(gid, nwg);
  if (i >= p.w1 * p.w2 * p.w3 * p.cg * p.n) { return; }
  let m = i % p.n;
  let r = i / p.n;
  let cc = r % p.cg;
  let xi = r / p.cg;
  let ip = vec3i(vec3u(xi / (p.w2 * p.w3), (xi / p.w3) % p.w2, xi % p.w3) + vec3u(p.p1, p.p2, p.p3));
  let Q = p.o1 * p.o2 * p.o3 * p.n;
  var sum = 0.0;
  for (var a = 0u; a < p.k1; a++) {
    let u = tap(ip.x, a, p.k1, p.s1, p.d1, p.o1);
    if (u < 0) { continue; }
    for (var b = 0u; b < p.k2; b++) {
      let v = tap(ip.y, b, p.k2, p.s2, p.d2, p.o2);
      if (v < 0) { continue; }
      for (var e = 0u; e < p.k3; e++) {
        let w = tap(ip.z, e, p.k3, p.s3, p.d3, p.o3);
        if (w < 0) { continue; }
        let kk = (a * p.k2 + b) * p.k3 + e;
        let oo = (u32(u) * p.o2 + u32(v)) * p.o3 + u32(w);
        sum += col[(kk * p.cg + cc) * Q + oo * p.n + m];
      }
    }
  }
  x[(xi * p.c + p.c0 + cc) * p.n + m] = sum;
}
