// The `mnist` package's 10,000 digits as one compact binary, for pages and workers that cannot
// read the package's JSON (the demo serves it from 127.0.0.1; nothing is fetched from the internet):
//   bytes 0-3  "FXMN" · 4-7 count n (u32 LE) · n labels (u8) · n × 784 pixels (u8, value = round(255·p))
// Digits are in the package's order (all 0s, then all 1s, ...); readers split them with a seeded
// permutation (examples/web/mnist-data.ts). 7.8 MB.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** Encodes the package's digits: a Uint8Array in the format above. */
export function mnistBinary() {
  const images = [], labels = [];
  for (let d = 0; d < 10; d++) {
    const raw = require(`mnist/src/digits/${d}.json`).data;
    for (let i = 0; i + 784 <= raw.length; i += 784) { images.push(raw.slice(i, i + 784)); labels.push(d); }
  }
  const n = images.length, out = new Uint8Array(8 + n + n * 784);
  out.set([0x46, 0x58, 0x4d, 0x4e], 0);                       // "FXMN"
  new DataView(out.buffer).setUint32(4, n, true);
  out.set(labels, 8);
  for (let j = 0; j < n; j++) {
    const img = images[j], at = 8 + n + j * 784;
    for (let f = 0; f < 784; f++) out[at + f] = Math.round(Math.min(1, Math.max(0, img[f])) * 255);
  }
  return out;
}
