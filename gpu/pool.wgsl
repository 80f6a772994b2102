// Max (MEAN false) or mean pooling of x [w1,w2,w3,cn] into y [o1,o2,o3,cn], channels·batch
// fastest: the window of o is x[o s + k d - p] for k < (k1,k2,k3), positions outside x skipped.
// max: NaN wins, a window wholly in the padding gives -Inf; mean: the sum over the positions
// inside x over k1 k2 k3 (padding counts as 0, NNlib's meanpool). 1-d launch, one thread per y
// element. O(o cn k).

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flat(gid, nwg);
  if (i >= p.o1 * p.o2 * p.o3 * p.cn) { return; }
  let q = i % p.cn;
  let oo = i / p.cn;
  let o = vec3u(oo / (p.o2 * p.o3), (oo / p.o3) % p.o2, oo % p.o3);
  let base = vec3i(o * vec3u(p.s1, p.s2, p.s3)) - vec3i(vec3u(p.p1, p.p2, p.p3));
  let w = vec3i(vec3u(p.w1, p.w2, p.w3));
  let d = vec3i(vec3u(p.d1, p.d2, p.d3));
  var mx = -inf();
  var sum = 0.0;
  for (var a = 0; a < i32(p.k1); a++) {
    let u = base.x + a * d.x;
    if (u < 0 || u >= w.x) { continue; }
    for (var b = 0; b < i32(p.k2); b++) {
      let v = base.y + b * d.y;
      if (v < 0 || v >= w.y) { continue; }
      for (var e = 0; e < i32(p.k3); e++) {
        let t = base.z + e * d.z;
        if (t < 0 || t >= w.z) { continue; }
        let xv = x[((u32(u) * p.w2 + u32(v)) * p.w3 + u32(t)) * p.cn + q];
        if (MEAN) { sum += xv; }
        else if (!isnan_(mx)) { mx = select(max(mx, xv), xv, isnan_(xv)); }
      }
    }
  }
  y[i] = select(mx, sum / f32(p.k1 * p.k2 * p.k3), MEAN);
}
