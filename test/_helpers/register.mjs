// Node loader for running the TypeScript sources directly (tests, benches, the example): tsx
// for .ts, and the same two loaders esbuild uses in the bundle: `.wasm` imports give the bytes
// (a Uint8Array), `.wgsl` imports give the program text.
import { register } from 'node:module';
import { register as registerTsx } from 'tsx/esm/api';

registerTsx();
register('./hooks.mjs', import.meta.url);
