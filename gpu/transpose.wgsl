// y[c,r] = x[r,c] for x [rows, cols]. One 16x16 tile per workgroup through workgroup memory so
// both the read and the write walk contiguous memory; tiles numbered linearly so any size fits
// the dispatch limits. O(rows cols).

const T: u32 = 16u;

var<workgroup> tile: array<array<f32, 17>, 16>;   // 17: no bank conflicts on the transposed read

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_id) lid: vec3u) {
  let tilesX = (p.cols + T - 1u) / T;
  let ti = wid.x + wid.y * nwg.x;
  if (ti >= tilesX * ((p.rows + T - 1u) / T)) { return; }   // uniform per workgroup
  let r0 = (ti / tilesX) * T;
  let c0 = (ti % tilesX) * T;
  if (r0 + lid.y < p.rows && c0 + lid.x < p.cols) { tile[lid.y][lid.x] = x[(r0 + lid.y) * p.cols + c0 + lid.x]; }
  workgroupBarrier();   // the tile is loaded
  if (c0 + lid.y < p.cols && r0 + lid.x < p.rows) { y[(c0 + lid.y) * p.rows + r0 + lid.x] = tile[lid.x][lid.y]; }
}
