// softmax (LOG false) or logsoftmax (LOG true) along the middle axis of [outer, len, inner].
// `main`: one thread per slice, three passes over it (max, sum, write), for many short slices;
// `rows`: one workgroup per slice, each pass strided over its threads and combined by a tree in
// workgroup memory, for few long ones. +Inf entries share the mass as in ref.ts.
// O(outer len inner).

const FMAX: f32 = 3.4028234663852886e38;

fn slice(oi: u32) -> u32 {
  let o = oi / p.inner;
  return o * p.len * p.inner + (oi - o * p.inner);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let oi = flat(gid, nwg);
  if (oi >= p.outer * p.inner) { return; }
  let base = slice(oi);
  var mx = -inf();
  for (var l = 0u; l < p.len; l++) { mx = max(mx, x[base + l * p.inner]); }
  if (mx > FMAX) {                                  // logsoftmax: the log of those shares
    var k = 0.0;
    for (var l = 0u; l < p.len; l++) { k += select(0.0, 1.0, x[base + l * p.inner] > FMAX); }
    let share = select(1.0 / k, -log(k), LOG);
    let rest = select(0.0, -inf(), LOG);
    for (var l = 0u; l < p.len; l++) { y[base + l * p.inner] = select(rest, share, x[base + l * p.inner] > FMAX); }
    return;
  }
  var s = 0.0;
  for (var l = 0u; l < p.len; l++) { s += exp(x[base + l * p.inner] - mx); }
  let ls = log(s);
  for (var l = 0u; l < p.len; l++) {
    let d = x[base + l * p.inner] - mx;
    y[base + l * p.inner] = select(exp(d) / s, d - ls, LOG);
  }
}

var<workgroup> red: array<f32, WG>;

// The sum (or max) over the workgroup of every thread's v, the same value in every thread.
// Called by all threads alike (it holds barriers).
fn wgReduce(t: u32, v: f32, isMax: bool) -> f32 {
  red[t] = v;
  for (var w = WG / 2u; w > 0u; w >>= 1u) {
    workgroupBarrier();   // the previous level is written
    if (t < w) { red[t] = select(red[t] + red[t + w], max(red[t], red[t + w]), isMax); }
  }
  let r = workgroupUniformLoad(&red[0]);   // uniform, so the caller may branch on it
  workgroupBarrier();                      // read by all before the next call overwrites it
  return r;
}

@compute @workgroup_size(WG)
fn rows(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) t: u32) {
  let oi = wid.x + wid.y * nwg.x;
  if (oi >= p.outer * p.inner) { return; }   // uniform per workgroup
  let base = slice(oi);
  var mx = -inf();
  for (var l = t; l < p.len; l += WG) { mx = max(mx, x[base + l * p.inner]); }
  mx = wgReduce(t, mx, true);
  if (mx > FMAX) {
    var k = 0.0;
    for (var l = t; l < p.len; l += WG) { k += select(0.0, 1.0, x[base + l * p.inner] > FMAX); }
    k = wgReduce(t, k, false);
    let share = select(1.0 / k, -log(k), LOG);
    let rest = select(0.0, -inf(), LOG);
    for (var l = t; l < p.len; l += WG) { y[base + l * p.inner] = select(rest, share, x[base + l * p.inner] > FMAX); }
    return;
  }
  var s = 0.0;
  for (var l = t; l < p.len; l += WG) { s += exp(x[base + l * p.inner] - mx); }
  s = wgReduce(t, s, false);
  let ls = log(s);
  for (var l = t; l < p.len; l += WG) {
    let d = x[base + l * p.inner] - mx;
    y[base + l * p.inner] = select(exp(d) / s, d - ls, LOG);
  }
}
