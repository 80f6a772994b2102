// The kernel suite of test/browser/kernel-suite.ts (every kernel against the float64 reference at
// awkward sizes and at the domain edges) on the Wasm CPU device, as it runs on WebGPU.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { init } from '../src/index.js';
import { runtime } from '../src/runtime.js';
import { runKernelSuite } from './browser/kernel-suite.ts';

await init({ gpu: false });

test('wasm: every kernel vs the reference, domain edges included', async () => {
  const r = await runKernelSuite(runtime.cpu!);
  for (const g of r.groups) assert.ok(g.cases > 0, `group ${g.name} ran no case`);
  assert.is(r.failed, 0, `${r.failed} of ${r.cases} cases failed:\n${r.failures.slice(0, 30).join('\n')}`);
});

test.run();
