// dx of pool, gathered (WGSL has no float atomics): one thread per element of dx [w1,w2,w3,cn]
// walks the kernel offsets k and takes, per spatial dim, the one window o with o s = i + p - k d
// if it exists. mean: dy/(k1 k2 k3) from every such window. max: a window's dy goes only to its
// first position (k1 fastest, as NNlib iterates) inside x where x equals y (never a NaN, as
// NaN != NaN in ref.ts; checked on the bits), so the thread rescans the window's earlier positions. A fixed order, so the sum is deterministic. 1-d
// launch. O(w cn k) for mean, O(w cn k²) at worst for max.

fn tap(ip: i32, a: u32, s: u32, d: u32, o: u32) -> i32 {
  let q = ip - i32(a * d);
  if (q < 0 || q % i32(s) != 0) { return -1; }
  let oq = q / i32(s);
  return select(-1, oq, oq < i32(o));
}

// Does a position of window o before offset k (k1 fastest) lie inside x and hold the value yv?
fn earlier(o: vec3u, k: vec3u, q: u32, yv: f32) -> bool {
  let base = vec3i(o * vec3u(p.s1, p.s2, p.s3)) - vec3i(vec3u(p.p1, p.p2, p.p3));
  let w = vec3i(vec3u(p.w1, p.w2, p.w3));
  let d = vec3i(vec3u(p.d1, p.d2, p.d3));
  let end = (k.z * p.k2 + k.y) * p.k1 + k.x;
  for (var t = 0u; t < end; t++) {
    let at = base + vec3i(vec3u(t % p.k1, (t / p.k1) % p.k2, t / (p.k1 * p.k2))) * d;
    if (any(at < vec3i(0)) || any(at >= w)) { continue; }
    if (x[((u32(at.x) * p.w2 + u32(at.y)) * p.w3 + u32(at.z)) * p.cn + q] == yv) { return true; }
  }
  return false;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flat(gid, nwg);
  if (i >= p.w1 * p.w2 * p.w3 * p.cn) { return; }
  let q = i % p.cn;
  let xi = i / p.cn;
  let ip = vec3i(vec3u(xi / (p.w2 * p.w3), (xi / p.w3) % p.w2, xi % p.w3) + vec3u(p.p1, p.p2, p.p3));
  let xv = x[i];
  var g = 0.0;
  for (var a = 0u; a < p.k1; a++) {
    let u = tap(ip.x, a, p.s1, p.d1, p.o1);
    if (u < 0) { continue; }
    for (var b = 0u; b < p.k2; b++) {
      let v = tap(ip.y, b, p.s2, p.d2, p.o2);
      if (v < 0) { continue; }
      for (var e = 0u; e < p.k3; e++) {
        let w = tap(ip.z, e, p.s3, p.d3, p.o3);
        if (w < 0) { continue; }
        let o = vec3u(u32(u), u32(v), u32(w));
        let yi = ((o.x * p.o2 + o.y) * p.o3 + o.z) * p.cn + q;
        if (MEAN) { g += dy[yi]; }
        else if (!isnan_(xv) && xv == y[yi] && !earlier(o, vec3u(a, b, e), q, xv)) { g += dy[yi]; }
      }
    }
  }
  dx[i] = select(g, g / f32(p.k1 * p.k2 * p.k3), MEAN);
}
