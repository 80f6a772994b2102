// Tests that need WebGPU (or Chromium, which brings it in the browser suites). A missing device
// is a SKIP, printed and counted by uvu as skipped (never a pass), and under
// FLUXION_REQUIRE_GPU=1 (CI, where Dawn and Chromium's SwiftShader are installed) a failing test.
import type { Test } from 'uvu';
import * as assert from 'uvu/assert';

export const requireGpu = process.env.FLUXION_REQUIRE_GPU === '1';

/**
 * Registers `name` on `t` when `missing` is null; otherwise a failing test (FLUXION_REQUIRE_GPU=1)
 * or a skipped one, with the reason printed.
 */
export function testNeedingGpu(t: Test, name: string, missing: string | null, fn: () => unknown): void {
  if (!missing) t(name, fn as () => void);
  else if (requireGpu) t(name, () => assert.unreachable(`needs WebGPU (or the Chromium that brings it), missing here: ${missing}; FLUXION_REQUIRE_GPU=1 makes that a failure`));
  else {
    console.log(`SKIPPED: ${name} (${missing})`);
    t.skip(name, fn as () => void);
  }
}
