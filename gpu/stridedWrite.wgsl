// y[off + Σ ik sk] = x[i0..i5] for x contiguous [d0..d5] (n elements), the rest of y untouched:
// strided's scatter twin (cat, the adjoint of a slice). 1-d launch over x; the index is
// decomposed innermost first. The strides address distinct elements, so no two threads write
// the same one. O(n).

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flat(gid, nwg);
  if (i >= p.n) { return; }
  var r = i;
  var at = p.off;
  let i5 = r % p.d5; r = r / p.d5; at += i5 * p.s5;
  let i4 = r % p.d4; r = r / p.d4; at += i4 * p.s4;
  let i3 = r % p.d3; r = r / p.d3; at += i3 * p.s3;
  let i2 = r % p.d2; r = r / p.d2; at += i2 * p.s2;
  let i1 = r % p.d1; r = r / p.d1; at += i1 * p.s1;
  at += r * p.s0;
  y[at] = x[i];
}
