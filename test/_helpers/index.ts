// Row-major multi-index arithmetic for the tests' plainly written definitions (convolution,
// pooling, broadcasting), independent of the library's own shape code.

/** The product of a shape's sizes. */
export const prod = (a: readonly number[]) => a.reduce((p, q) => p * q, 1);

/** The multi-index of flat index i in `dims` (row-major). */
export function unflat(i: number, dims: readonly number[]): number[] {
  const r = new Array<number>(dims.length);
  for (let d = dims.length - 1; d >= 0; d--) { r[d] = i % dims[d]; i = Math.floor(i / dims[d]); }
  return r;
}

/** The flat index of a multi-index (row-major). */
export const flat = (ix: readonly number[], dims: readonly number[]) => ix.reduce((a, v, d) => a * dims[d] + v, 0);
