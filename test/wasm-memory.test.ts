// The CPU device's memory at its edges, on fresh createWasm() instances (dropped at the end, so
// no other test inherits a 2 GiB memory):
//   - above 2 GiB: byte offsets past 2^31 must not turn negative when they become indices
//     (read, readSync, write, copy) nor in the kernels' address arithmetic;
//   - requests that cannot be met are a RangeError naming the size, the instance stays usable;
//   - freed memory is reusable across sizes: every batch size 1..8000 once keeps the memory
//     proportional to the live set.
// The large tensors are never written in full: Wasm pages are zero-filled lazily, so a 2 GiB
// allocation costs address space, not time or resident memory.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createWasm } from '../src/backends/wasm.ts';
import { Unary, Binary, Reduce } from '../src/ops/codes.ts';

const GiB = 2 ** 30;
type Be = Awaited<ReturnType<typeof createWasm>>;
const get = (be: Be, p: number, n: number) => Array.from(be.readSync(p, n)!);

test('tensors above 2 GiB: write, read, readSync, copy and the kernels are exact', async () => {
  const be = await createWasm();
  const n = GiB / 2 + 16;                        // 2 GiB + 64 bytes: straddles 2^31
  const big = be.alloc(n);
  const a = be.alloc(4), b = be.alloc(4), c = be.alloc(4), d = be.alloc(4);
  for (const p of [a, b, c, d]) assert.ok(p >= 2 ** 31, `block at ${p} lies above 2^31`);
  assert.ok(be.memoryBytes() > 2 * GiB);

  be.write(a, new Float32Array([1, 2, 3, 4]));
  be.write(b, new Float32Array([5, 6, 7, 8]));
  assert.equal(get(be, a, 4), [1, 2, 3, 4]);
  assert.equal(Array.from(await be.read(b, 4)), [5, 6, 7, 8]);
  be.write(d, new Float32Array([9, 10]), 2);    // with an element offset
  assert.equal(get(be, d, 4), [0, 0, 9, 10]);

  be.matmul(a, b, c, 2, 2, 2, 0, 0, 0);          // [1 2; 3 4]·[5 6; 7 8]
  assert.equal(get(be, c, 4), [19, 22, 43, 50]);
  be.binary(Binary.add, a, b, c, 1, 1, 4, 0, 0, 1, 0, 0, 1);
  assert.equal(get(be, c, 4), [6, 8, 10, 12]);
  be.reduce(Reduce.sum, a, c, 1, 4, 1);
  assert.equal(get(be, c, 1), [10]);
  be.transpose(a, c, 2, 2);
  assert.equal(get(be, c, 4), [1, 3, 2, 4]);
  be.unary(Unary.square, a, c, 4, 0, 0);
  assert.equal(get(be, c, 4), [1, 4, 9, 16]);
  be.copy(b, 1, c, 0, 3);
  assert.equal(get(be, c, 4), [6, 7, 8, 16]);

  // 32 elements of the big tensor across 2^31: a write, a kernel and a copy over the boundary
  const at = (2 ** 31 - big) / 4 - 16, tail = big + at * 4;
  assert.ok(at > 0 && at + 32 <= n, 'the span lies in the big tensor');
  const v = Float32Array.from({ length: 32 }, (_, i) => i - 16);
  be.write(big, v, at);
  be.unary(Unary.abs, tail, tail, 32, 0, 0);
  assert.equal(get(be, tail, 32), Array.from(v, Math.abs));
  be.copy(big, at, big, 0, 32);                 // from across 2^31 down to the bottom
  assert.equal(get(be, big, 32), Array.from(v, Math.abs));
  for (const p of [big, a, b, c, d]) be.free(p, p === big ? n : 4);
});

test('a request that cannot be met is a RangeError naming its size; the instance stays usable', async () => {
  const be = await createWasm();
  const expectOOM = (n: number, bytes: number) => {
    const live = be.bytes(), size = be.memoryBytes();
    let err: unknown = null;
    try { be.alloc(n); } catch (e) { err = e; }
    assert.instance(err, RangeError, `alloc(${n}) throws a RangeError`);
    const msg = (err as Error).message;
    assert.match(msg, /^fluxion: out of CPU memory: /);
    assert.ok(msg.includes(`${bytes} bytes`), `the message names the size (${bytes} bytes): ${msg}`);
    assert.is(be.bytes(), live, 'nothing counted as live');
    assert.ok(be.memoryBytes() <= Math.max(size, 2 ** 32), 'no growth past the limit');
  };
  expectOOM(2 ** 31, 2 ** 33);                   // one tensor of 8 GiB: past wasm32's 4 GiB
  expectOOM(2 ** 30, 2 ** 32);                   // exactly 4 GiB: no room for the module's data
  const big = be.alloc(3 * GiB / 4);             // 3 GiB live, then 2 GiB more cannot fit
  expectOOM(GiB / 2, 2 * GiB);

  // the host refuses to grow the memory (a browser tab's limit): the same error, not a raw one
  const grow = WebAssembly.Memory.prototype.grow;
  WebAssembly.Memory.prototype.grow = function () { throw new RangeError('WebAssembly.Memory.grow(): Maximum memory size exceeded'); };
  try { expectOOM(GiB / 8, GiB / 2); } finally { WebAssembly.Memory.prototype.grow = grow; }

  be.free(big, 3 * GiB / 4);
  const p = be.alloc(GiB / 8);                   // the freed space serves a smaller request
  be.write(p, new Float32Array([1, 2]));
  be.unary(Unary.neg, p, p, 2, 0, 0);
  assert.equal(get(be, p, 2), [-1, -2]);
  be.free(p, GiB / 8);
});

/** Every batch size once, as a training loop meets them: a batch's tensors, then all freed. */
async function batches(order: number[], rows: number[]) {
  const be = await createWasm();
  let peak = 0;
  for (const b of order) {
    const ps = rows.map((r) => be.alloc(r * b));
    peak = Math.max(peak, rows.reduce((s, r) => s + r * b * 4, 0));
    rows.forEach((r, i) => be.free(ps[i], r * b));
  }
  return { peak, memory: be.memoryBytes(), live: be.bytes() };
}

function shuffled(n: number) {
  const a = Array.from({ length: n }, (_, i) => i + 1);
  let s = 12345;
  for (let i = n - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) >>> 0;
    const j = s % (i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

const MiB = 2 ** 20;
for (const [name, order] of [['ascending', Array.from({ length: 8000 }, (_, i) => i + 1)], ['shuffled', shuffled(8000)]] as const) {
  test(`every batch size 1..8000 once (${name}): memory stays proportional to the live set`, async () => {
    for (const rows of [[784, 10], [16, 32, 8]]) {
      const r = await batches(order, rows);
      console.log(`  batches 1..8000 ${name}, rows [${rows}]: peak live ${(r.peak / MiB).toFixed(2)} MiB, ` +
        `Wasm memory ${(r.memory / MiB).toFixed(2)} MiB`);
      assert.is(r.live, 0, 'everything freed');
      assert.ok(r.memory < 4 * r.peak + 4 * MiB,
        `Wasm memory ${r.memory} bytes for a peak live set of ${r.peak} bytes`);
    }
  });
}

test('random sizes allocated and freed at random: blocks never overlap, memory follows the live set', async () => {
  const be = await createWasm();
  let s = 7;
  const rnd = (n: number) => { s = (s * 1103515245 + 12345) >>> 0; return s % n; };
  const live = new Map<number, { n: number; id: number }>();
  let id = 0, peak = 0;
  for (let step = 0; step < 20_000; step++) {
    if (live.size > 0 && (live.size >= 60 || rnd(2) === 0)) {
      const keys = [...live.keys()], p = keys[rnd(keys.length)], t = live.get(p)!;
      // the whole block still holds its own id: no later block was cut over it
      for (const i of [0, t.n >> 1, t.n - 1]) assert.is(be.readSync(p + i * 4, 1)![0], t.id, `block ${t.id} at element ${i}`);
      be.free(p, t.n);
      live.delete(p);
    } else {
      const n = 1 + rnd(rnd(4) === 0 ? 1_000_000 : 2_000);
      const p = be.alloc(n);
      assert.not.ok(live.has(p), 'a live block handed out twice');
      be.fill(p, n, ++id);
      live.set(p, { n, id });
      peak = Math.max(peak, be.bytes());
    }
  }
  console.log(`  random sizes: peak live ${(peak / MiB).toFixed(2)} MiB, Wasm memory ${(be.memoryBytes() / MiB).toFixed(2)} MiB`);
  assert.ok(be.memoryBytes() < 2 * peak + 4 * MiB, `Wasm memory ${be.memoryBytes()} bytes for a peak live set of ${peak} bytes`);
  const spans = [...live].map(([p, t]) => [p, p + t.n * 4]).sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < spans.length; i++) assert.ok(spans[i][0] >= spans[i - 1][1], 'live blocks overlap');
  for (const [p, t] of live) be.free(p, t.n);
  assert.is(be.bytes(), 0);
});

test.run();
