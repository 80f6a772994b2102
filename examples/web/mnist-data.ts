// Reading the compact MNIST binary (scripts/mnist-bin.mjs) without fluxion: the labels, the
// pixels, a seeded train / held-out split, and the features-first [784, n] matrix fluxion wants.
// Used by the demo page, its worker and the Node worker_threads test alike.

export interface Digits { n: number; labels: Uint8Array; pixels: Uint8Array }

/** Parses the binary; throws on anything else. */
export function decodeMnist(buf: ArrayBuffer | Uint8Array): Digits {
  const b = buf instanceof Uint8Array ? buf : new Uint8Array(buf);
  if (b.length < 8 || String.fromCharCode(b[0], b[1], b[2], b[3]) !== 'FXMN') throw new Error('decodeMnist: not an FXMN digits file');
  const n = new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(4, true);
  if (b.length !== 8 + n * 785) throw new Error(`decodeMnist: ${b.length} bytes, expected ${8 + n * 785} for ${n} digits`);
  return { n, labels: b.subarray(8, 8 + n), pixels: b.subarray(8 + n) };
}

/** A seeded Fisher-Yates permutation of 0..n-1 (mulberry32). */
export function permutation(n: number, seed: number): Int32Array {
  let a = seed >>> 0;
  const rnd = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const p = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) { const j = Math.floor(rnd() * (i + 1)); [p[i], p[j]] = [p[j], p[i]]; }
  return p;
}

/** Indices of the training and held-out digits: the held-out set is always the last 2,000 of the permutation. */
export function split(d: Digits, ntrain: number, ntest: number, seed = 1): { train: Int32Array; test: Int32Array } {
  const p = permutation(d.n, seed), hold = Math.min(2000, d.n >> 1);
  if (ntrain > d.n - hold || ntest > hold) throw new RangeError(`split: at most ${d.n - hold} training and ${hold} held-out digits`);
  return { train: p.subarray(0, ntrain), test: p.subarray(d.n - hold, d.n - hold + ntest) };
}

/** The digits `idx` as a features-first [784, m] matrix (row-major), pixels in [0, 1]. */
export function columns(d: Digits, idx: ArrayLike<number>): Float32Array {
  const m = idx.length, x = new Float32Array(784 * m);
  for (let j = 0; j < m; j++) {
    const at = idx[j] * 784;
    for (let f = 0; f < 784; f++) x[f * m + j] = d.pixels[at + f] / 255;
  }
  return x;
}

/** One digit as 784 values in [0, 1]. */
export function image(d: Digits, i: number): Float32Array {
  return Float32Array.from(d.pixels.subarray(i * 784, i * 784 + 784), (v) => v / 255);
}
