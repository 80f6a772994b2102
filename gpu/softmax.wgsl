// softmax (LOG false) or logsoftmax (LOG true) along the middle axis of [outer, len, inner].
// One thread per slice, three passes over it (max, sum, write). +Inf entries share the mass as
// in ref.ts. O(outer len inner).

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

