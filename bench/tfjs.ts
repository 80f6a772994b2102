// TensorFlow.js in Node, with its `cpu` and `wasm` backends, for side-by-side figures.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import path from 'node:path';
import os from 'node:os';
import { build } from 'esbuild';

/**
 * tfjs-core's Node entry registers no gradients, and its ESM files use directory imports Node
 * cannot load; esbuild bundles the gradient registrations once (they register into tfjs's
 * global registry, which the Node entry shares).
 */
async function registerGradients() {
  const out = path.join(os.tmpdir(), `fluxion-tfjs-grads-${process.pid}.mjs`);
  await build({ stdin: { contents: "import '@tensorflow/tfjs-core/dist/register_all_gradients.js';", resolveDir: process.cwd() },
    bundle: true, format: 'esm', platform: 'node', outfile: out, logLevel: 'error' });
  await import(out);
}

let ready = false;
/** Registers tfjs's backends once; the wasm one is loaded from the package's own files. */
export async function tfReady(): Promise<typeof tf> {
  if (ready) return tf;
  const require = createRequire(import.meta.url);
  const dir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  setWasmPaths(path.join(dir, 'dist') + path.sep);
  await registerGradients();
  try { setThreadsCount(1); } catch { /* single-threaded build in Node anyway */ }
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  ready = true;
  return tf;
}

/** Switches tfjs to `name` ('cpu' | 'wasm'); false if it cannot be had. */
export async function useTf(name: 'cpu' | 'wasm'): Promise<boolean> {
  await tfReady();
  try { return await tf.setBackend(name) && (await tf.ready(), tf.getBackend() === name); } catch { return false; }
}
