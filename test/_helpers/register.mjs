// Node loader for running the TypeScript sources directly (tests, benches, the example): tsx
// for .ts, and the same two loaders esbuild uses in the bundle: `.wasm` imports give the bytes
// (a Uint8Array), `.wgsl` imports give the program text.
import { register } from 'node:module';
import { register as registerTsx } from 'tsx/esm/api';

import { existsSync } from 'node:fs';

// Dawn (the `webgpu` package) finds SwiftShader, Debian chromium's CPU Vulkan driver, through
// these; set before anything loads Dawn so a machine without a GPU still has real WebGPU.
const ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
if (!process.env.VK_ICD_FILENAMES && existsSync(ICD)) process.env.VK_ICD_FILENAMES = ICD;
process.env.XDG_RUNTIME_DIR ??= '/tmp';

registerTsx();
register('./hooks.mjs', import.meta.url);

// The float64 reference device (policy 'ref') for tests; the bundle does not ship it.
const { installReference } = await import('../../src/backends/ref.ts');
installReference();
