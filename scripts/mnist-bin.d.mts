// Types of scripts/mnist-bin.mjs.
/** The `mnist` package's 10,000 digits: "FXMN", u32 count, labels (u8), pixels (u8, 784 per digit). */
export function mnistBinary(): Uint8Array;
