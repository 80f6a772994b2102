// softmax (log = 0) or logsoftmax (log = 1) along the middle axis of [outer, len, inner], and
// its gradient. One thread per slice, three passes over it (max, sum, write). +Inf entries
// share the mass as in ref.ts. O(outer len inner).

struct Params { outer: u32, len: u32, inner: u32, log: u32 }
@group(1) @binding(0) var<uniform> p: Params;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;

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
    let share = select(1.0 / k, -log(k), p.log != 0u);
    let rest = select(0.0, -inf(), p.log != 0u);
    for (var l = 0u; l < p.len; l++) { y[base + l * p.inner] = select(rest, share, x[base + l * p.inner] > FMAX); }
    return;
  }
  var s = 0.0;
  for (var l = 0u; l < p.len; l++) { s += exp(x[base + l * p.inner] - mx); }
  let ls = log(s);
  for (var l = 0u; l < p.len; l++) {
    let d = x[base + l * p.inner] - mx;
    y[base + l * p.inner] = select(exp(d) / s, d - ls, p.log != 0u);
  }
}

@group(0) @binding(0) var<storage, read> ys: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;

// softmax: dx = y (dy - Σ dy y); logsoftmax: dx = dy - exp(y) Σ dy
@compute @workgroup_size(WG)
fn grad(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let oi = flat(gid, nwg);
  if (oi >= p.outer * p.inner) { return; }
  let base = slice(oi);
  var s = 0.0;
  for (var l = 0u; l < p.len; l++) {
    let j = base + l * p.inner;
    s += select(dy[j] * ys[j], dy[j], p.log != 0u);
  }
  for (var l = 0u; l < p.len; l++) {
    let j = base + l * p.inner;
    dx[j] = select(ys[j] * (dy[j] - s), dy[j] - exp(ys[j]) * s, p.log != 0u);
  }
}
