// The gradient of softmax (LOG false) or logsoftmax (LOG true) along the middle axis of
// [outer, len, inner], from y = softmax(x). `main`: one thread per slice, two passes; `rows`:
// one workgroup per slice, the sum by a tree in workgroup memory (few long slices).
// O(outer len inner).

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

var<workgroup> red: array<f32, WG>;

@compute @workgroup_size(WG)
fn rows(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) t: u32) {
  let oi = wid.x + wid.y * nwg.x;
  if (oi >= p.outer * p.inner) { return; }   // uniform per workgroup
  let base = slice(oi);
  var s = 0.0;
  for (var l = t; l < p.len; l += WG) {
    let j = base + l * p.inner;
    s += select(dy[j] * y[j], dy[j], LOG);
  }
  red[t] = s;
  for (var w = WG / 2u; w > 0u; w >>= 1u) {
    workgroupBarrier();   // the previous level is written
    if (t < w) { red[t] += red[t + w]; }
  }
  workgroupBarrier();     // the total is written before anyone reads it
  s = red[0];
  for (var l = t; l < p.len; l += WG) {
    let j = base + l * p.inner;
    dx[j] = select(y[j] * (dy[j] - s), dy[j] - exp(y[j]) * s, LOG);
  }
}
