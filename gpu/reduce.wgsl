// y[o,i] = reduce_l x[o,l,i], x viewed [outer, len, inner], y [outer, inner]; op = override OP
// (R_* codes of src/ops/codes.ts). `main`: one thread per output, a serial loop (many
// outputs). `tree`: one workgroup per output, strided partials then a tree in workgroup memory
// (few outputs, long len). O(outer len inner).

fn isSum() -> bool { return OP == R_SUM || OP == R_MEAN || OP == R_SUMSQ; }
fn isMax() -> bool { return OP == R_MAX || OP == R_ARGMAX; }

// Does (v, l) replace the current best (bv, bl)? First extremum wins ties; a NaN beats every
// number and the first NaN wins (Julia's findmax/findmin, so max/min return NaN).
fn better(v: f32, l: u32, bv: f32, bl: u32) -> bool {
  let vn = isnan_(v);
  let bn = isnan_(bv);
  if (vn || bn) { return vn && (!bn || l < bl); }
  if (isMax()) { return v > bv || (v == bv && l < bl); }
  return v < bv || (v == bv && l < bl);
}

fn finish(s: f32, bv: f32, bl: u32) -> f32 {
  if (isSum()) { return select(s, s / f32(p.len), OP == R_MEAN); }
  if (OP == R_ARGMAX || OP == R_ARGMIN) { return f32(bl); }
  return bv;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let oi = flat(gid, nwg);
  if (oi >= p.outer * p.inner) { return; }
  let o = oi / p.inner;
  let base = o * p.len * p.inner + (oi - o * p.inner);
  var s = 0.0;
  var bv = x[base];
  var bl = 0u;
  for (var l = 0u; l < p.len; l++) {
    let v = x[base + l * p.inner];
    if (isSum()) { s += select(v, v * v, OP == R_SUMSQ); }
    else if (better(v, l, bv, bl)) { bv = v; bl = l; }
  }
  y[oi] = finish(s, bv, bl);
}

var<workgroup> sv: array<f32, WG>;
var<workgroup> sl: array<u32, WG>;   // index of sv's extremum; NONE for an idle thread

const NONE: u32 = 0xffffffffu;

@compute @workgroup_size(WG)
fn tree(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) t: u32) {
  let oi = wid.x + wid.y * nwg.x;
  if (oi >= p.outer * p.inner) { return; }   // uniform per workgroup
  let o = oi / p.inner;
  let base = o * p.len * p.inner + (oi - o * p.inner);
  var s = 0.0;
  var bv = 0.0;
  var bl = NONE;
  for (var l = t; l < p.len; l += WG) {
    let v = x[base + l * p.inner];
    if (isSum()) { s += select(v, v * v, OP == R_SUMSQ); }
    else if (bl == NONE || better(v, l, bv, bl)) { bv = v; bl = l; }
  }
  sv[t] = select(bv, s, isSum());
  sl[t] = bl;
  for (var w = WG / 2u; w > 0u; w >>= 1u) {
    workgroupBarrier();   // the previous level is written
    if (t < w) {
      if (isSum()) { sv[t] += sv[t + w]; }
      else {
        let l2 = sl[t + w];
        if (l2 != NONE && (sl[t] == NONE || better(sv[t + w], l2, sv[t], sl[t]))) { sv[t] = sv[t + w]; sl[t] = l2; }
      }
    }
  }
  if (t == 0u) { y[oi] = finish(sv[0], sv[0], sl[0]); }
}
