// The gradient of softmax (LOG false) or logsoftmax (LOG true) along the middle axis of
// [outer, len, inner], from y = softmax(x). One thread per slice, two passes. O(outer len inner).

fn slice(oi: u32) -> u32 {
  let o = oi / p.inner;
  return o * p.len * p.inner + (oi - o * p.inner);
}

// softmax: dx = y (dy - Σ dy y); logsoftmax: dx = dy - exp(y) Σ dy
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let oi = flat(gid, nwg);
  if (oi >= p.outer * p.inner) { return; }
  let base = slice(oi);
  var s = 0.0;
  for (var l = 0u; l < p.len; l++) {
    let j = base + l * p.inner;
    s += select(dy[j] * y[j], dy[j], LOG);
  }
  for (var l = 0u; l < p.len; l++) {
    let j = base + l * p.inner;
    dx[j] = select(y[j] * (dy[j] - s), dy[j] - exp(y[j]) * s, LOG);
  }
}
