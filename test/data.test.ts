// Data: repeated, zip, DataLoader (batching along the last dimension, partial, shuffle per
// epoch under a seed, tuples, errors) and onehot / onehotbatch / onecold.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { settle } from './_helpers/gc.ts';
import {
  init, tensor, seed, Tensor, repeated, zip, DataLoader, onehot, onehotbatch, onecold, memory, scope,
} from '../src/index.ts';

await init({ gpu: false });

/** A [rows, n] tensor whose element (r, j) is 100·r + j: columns are easy to recognise. */
const cols = (rows: number, n: number) =>
  tensor(Float32Array.from({ length: rows * n }, (_, i) => 100 * Math.floor(i / n) + (i % n)), [rows, n]);
/** The observation ids of a batch made by `cols` (its row 0). */
const ids = (t: Tensor | Snap) => Array.from((t instanceof Tensor ? t.dataSync() : t.v).slice(0, t.shape[t.shape.length - 1]));
/** A batch's shape and values, read while it is valid (the loader frees it when the next is taken). */
interface Snap { shape: number[]; v: number[] }
const snap = (t: Tensor): Snap => ({ shape: [...t.shape], v: Array.from(t.dataSync()) });
const read = (dl: Iterable<unknown>): (Snap | Snap[])[] =>
  Array.from(dl, (b) => Array.isArray(b) ? b.map(snap) : snap(b as Tensor));

test('repeated: n items, the same object each time; infinite without n', () => {
  const item = [1, 2];
  const got = [...repeated(item, 3)];
  assert.is(got.length, 3);
  assert.ok(got.every((x) => x === item));
  let k = 0;
  for (const _ of repeated('x')) if (++k === 1000) break;
  assert.is(k, 1000);
  assert.equal([...repeated(1, 0)], []);
  assert.throws(() => [...repeated(1, -1)], /repeated: n must be/);
});

test('zip: tuples, shortest wins, re-iterable; non-iterables rejected', () => {
  assert.equal([...zip([1, 2, 3], ['a', 'b'], repeated(true))], [[1, 'a', true], [2, 'b', true]]);
  const z = zip([1, 2], [3, 4]);
  assert.equal([...z], [[1, 3], [2, 4]]);
  assert.equal([...z], [[1, 3], [2, 4]], 're-iterable when its inputs are');
  assert.throws(() => zip([1], 5 as never), /zip: argument 1 must be iterable/);
});

test('DataLoader: one tensor in, batches along the last dimension, in order', () => {
  const X = cols(3, 10);
  const dl = DataLoader(X, { batchsize: 4 });
  assert.is(dl.length, 3);
  assert.is(dl.nobs, 10);
  const bs = read(dl) as Snap[];
  assert.equal(bs.map((b) => b.shape), [[3, 4], [3, 4], [3, 2]]);
  assert.equal(ids(bs[0]), [0, 1, 2, 3]);
  assert.equal(ids(bs[2]), [8, 9]);
  assert.equal(bs[1].v, [4, 5, 6, 7, 104, 105, 106, 107, 204, 205, 206, 207]);
});

test('DataLoader: partial=false drops the short batch; default batchsize is 1', () => {
  const X = cols(2, 10);
  const dl = DataLoader(X, { batchsize: 4, partial: false });
  assert.is(dl.length, 2);
  assert.equal([...dl].map((b) => (b as Tensor).shape), [[2, 4], [2, 4]]);
  const one = DataLoader(X);
  assert.is(one.length, 10);
  assert.equal(([...one][7] as Tensor).shape, [2, 1], 'a freed batch keeps its shape');
});

test('DataLoader: a tuple in gives tuples out (tensors, nested arrays, typed arrays, 1-d labels)', () => {
  const X = cols(3, 5), Y = [[0, 1, 2, 3, 4], [10, 11, 12, 13, 14]], L = Int32Array.from([9, 8, 7, 6, 5]);
  const bs = read(DataLoader([X, Y, L], { batchsize: 2 })) as Snap[][];
  assert.is(bs.length, 3);
  assert.ok(bs.every((b) => Array.isArray(b) && b.length === 3));
  assert.equal(bs[1].map((t) => t.shape), [[3, 2], [2, 2], [2]]);
  assert.equal(bs[1][1].v, [2, 3, 12, 13]);
  assert.equal(bs[2][2].v, [5]);
  // 3-d data keeps its leading dimensions
  const Z = tensor(Float32Array.from({ length: 2 * 2 * 6 }, (_, i) => i), [2, 2, 6]);
  const z = read(DataLoader(Z, { batchsize: 3 })) as Snap[];
  assert.equal(z[1].shape, [2, 2, 3]);
  assert.equal(z[1].v, [3, 4, 5, 9, 10, 11, 15, 16, 17, 21, 22, 23]);
});

test('DataLoader: shuffle draws a new permutation each epoch, reproducible under seed', () => {
  const X = cols(2, 50), Y = cols(1, 50);
  const epoch = (dl: Iterable<unknown>) => (read(dl) as Snap[][]).flatMap((b) => ids(b[0]));
  seed(7);
  const dl = DataLoader([X, Y], { batchsize: 8, shuffle: true });
  const e1 = epoch(dl), e2 = epoch(dl);
  assert.equal([...e1].sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i), 'a permutation');
  assert.not.equal(e1, e2, 'redrawn per epoch');
  assert.not.equal(e1, Array.from({ length: 50 }, (_, i) => i), 'shuffled');
  seed(7);
  const again = DataLoader([X, Y], { batchsize: 8, shuffle: true });
  assert.equal(epoch(again), e1, 'deterministic under seed');
  assert.equal(epoch(again), e2);
  // x and y stay paired
  for (const [x, y] of DataLoader([X, Y], { batchsize: 8, shuffle: true }) as Iterable<Tensor[]>) assert.equal(ids(x), ids(y));
  // a given rng is used instead of the stream
  let calls = 0;
  [...DataLoader(X, { batchsize: 10, shuffle: true, rng: () => (calls++, 0.5) })];
  assert.is(calls, 49);
});

test('DataLoader: batchsize > nobs warns once and uses nobs', () => {
  const warn = console.warn, seen: string[] = [];
  console.warn = (m: string) => seen.push(m);
  try {
    const dl = DataLoader(cols(1, 3), { batchsize: 64 });
    DataLoader(cols(1, 3), { batchsize: 64 });
    assert.is(dl.batchsize, 3);
    assert.is(dl.length, 1);
    assert.equal(([...dl][0] as Tensor).shape, [1, 3]);
  } finally { console.warn = warn; }
  assert.is(seen.length, 1);
  assert.match(seen[0], /batchsize 64 is larger than the number of observations 3/);
});

test('DataLoader: errors name the shapes and the options', () => {
  assert.throws(() => DataLoader([cols(3, 10), cols(1, 9)]), (e: Error) =>
    e instanceof RangeError && /same number of observations/.test(e.message) && e.message.includes('[3,10], [1,9]'));
  assert.throws(() => DataLoader(cols(1, 4), { batchsize: 0 }), /batchsize must be a positive integer, got 0/);
  assert.throws(() => DataLoader(tensor(3)), /scalar/);
});

test('DataLoader: for await works too; batches made inside a scope are freed with it', async () => {
  const X = cols(4, 12), dl = DataLoader(X, { batchsize: 5 });
  const got: number[][] = [];
  for await (const b of dl) got.push(ids(b as Tensor));
  assert.equal(got, [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9], [10, 11]]);
  const before = memory().tensors;
  scope(() => { for (const _ of dl) { /* batches join the scope */ } });
  assert.is(memory().tensors, before);
});

test('DataLoader: a batch lives until the next is taken or the loop ends, unless kept (no scope needed)', async () => {
  const X = cols(2, 9), Y = cols(1, 9), dl = DataLoader([X, Y], { batchsize: 4 }) as Iterable<Tensor[]> & AsyncIterable<Tensor[]>;
  await settle();     // others' undisposed tensors, collected now, cannot move the counters across the for await
  const before = memory();
  const seen: Tensor[][] = [];
  for (const b of dl) {
    seen.push(b);
    assert.ok(b.every((t) => !t.disposed), 'the current batch is valid');
    if (seen.length > 1) assert.ok(seen[seen.length - 2].every((t) => t.disposed), 'taking a batch frees the one before');
  }
  assert.ok(seen[2].every((t) => t.disposed), 'the end of the loop frees the last batch');
  assert.equal(memory(), before, 'nothing left behind');
  // break frees the current batch; a kept batch survives
  let kept: Tensor[] = [];
  for (const b of dl) { kept = b.map((t) => t.keep()); break; }
  for (const b of dl) { seen.push(b); break; }
  assert.ok(seen[3].every((t) => t.disposed));
  assert.equal(kept.map(ids), [[0, 1, 2, 3], [0, 1, 2, 3]]);
  for (const t of kept) t.dispose();
  for await (const b of dl) seen.push(b);
  assert.ok(seen.slice(4).every((b) => b.every((t) => t.disposed)), 'for await too');
  assert.equal(memory(), before);
});

test('onehot and onehotbatch: positions, shape [labels, n], error naming the value', () => {
  assert.equal(Array.from(onehot('b', ['a', 'b', 'c']).dataSync()), [0, 1, 0]);
  const digits = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const y = onehotbatch([3, 0, 9], digits);
  assert.equal(y.shape, [10, 3]);
  const v = y.dataSync();
  assert.is(v[3 * 3 + 0], 1); assert.is(v[0 * 3 + 1], 1); assert.is(v[9 * 3 + 2], 1);
  assert.is(v.reduce((a, b) => a + b, 0), 3);
  const s = onehotbatch(['dog', 'cat'], ['cat', 'dog', 'eel']);
  assert.equal(Array.from(s.dataSync()), [0, 1, 1, 0, 0, 0]);
  assert.throws(() => onehot('z', ['a', 'b']), (e: Error) => e instanceof RangeError && /onehot: value "z" is not in labels \[a, b\]/.test(e.message));
  assert.throws(() => onehotbatch([1, 12], digits), /onehotbatch: value 12 is not in labels/);
  assert.throws(() => onehotbatch([1], 3 as never), /labels must be an array/);
});

test('onecold: labels[argmax] per column, first maximum wins, plain arrays; inverse of onehotbatch', () => {
  const y = tensor([[0.1, 0.5, 0.3], [0.7, 0.5, 0.3], [0.2, 0.0, 0.3]]);   // columns: 1, tie 0/1, tie all
  assert.equal(onecold(y), [1, 0, 0]);
  assert.equal(onecold(y, ['a', 'b', 'c']), ['b', 'a', 'a']);
  assert.equal(onecold(tensor([0.1, 0.7, 0.2]), ['a', 'b', 'c']), ['b']);
  assert.equal(onecold([[0, 1], [1, 0]]), [1, 0]);
  const xs = [4, 1, 0, 9, 9, 2];
  assert.equal(onecold(onehotbatch(xs, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])), xs);
  assert.throws(() => onecold(y, ['a', 'b']), /onecold: 2 labels for 3 classes/);
  assert.throws(() => onecold(tensor(1)), /scalar/);
});

test.run();
