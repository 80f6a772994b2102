// Headless Debian Chromium with WebGPU on SwiftShader (its bundled CPU Vulkan driver), driven by
// playwright-core. Never downloads a browser: the system's /usr/bin/chromium or nothing.
// Headless mode: `headless: true` makes Playwright pass `--headless`, which in Chromium ≥ 132 is
// the new headless mode (the full browser, GPU process included) — the one with WebGPU.
import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';

export const CHROMIUM = process.env.FLUXION_CHROMIUM ?? '/usr/bin/chromium';

/** DESIGN.md's flags. Playwright adds --user-data-dir itself (a fresh temp profile, deleted on close). */
export const CHROMIUM_ARGS = [
  '--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader',
  '--no-sandbox', '--disable-gpu-sandbox', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** Launches Chromium, or says why not (missing binary, failed launch). */
export async function launchChromium(): Promise<{ browser: Browser } | { error: string }> {
  if (!existsSync(CHROMIUM)) return { error: `${CHROMIUM} not found (sudo bash .ci/install-gpu.sh installs it)` };
  const { chromium } = await import('playwright-core');
  // Chromium uses its own SwiftShader for WebGPU; the loader variables the Node tests set for
  // Dawn (test/_helpers/register.mjs) are not needed, and are left out so both paths are as
  // documented.
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== 'VK_ICD_FILENAMES') env[k] = v;
  env.XDG_RUNTIME_DIR ??= '/tmp';
  try {
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, env, timeout: 60_000 });
    return { browser };
  } catch (e) {
    return { error: `chromium failed to launch: ${(e as Error).message.split('\n')[0]}` };
  }
}

let probed: Promise<string | null> | null = null;
/**
 * Why Chromium cannot run WebGPU here (no binary, failed launch, no navigator.gpu, no adapter),
 * or null when it can. Asked once per process (uvu runs every test file in one), before tests
 * are registered, so a suite that needs it can register a skip instead of a passing test. The
 * page is a routed http://localhost/ (a secure context, as WebGPU requires), with no server.
 */
export function chromiumWebGPUMissing(): Promise<string | null> {
  return (probed ??= (async () => {
    const launched = await launchChromium();
    if ('error' in launched) return launched.error;
    try {
      const page = await launched.browser.newPage();
      await page.route('http://localhost/', (r) => r.fulfill({ body: '<!doctype html><title>probe</title>', contentType: 'text/html' }));
      await page.goto('http://localhost/');
      const why: string | null = await page.evaluate(async () => {
        const gpu = (navigator as { gpu?: GPU }).gpu;
        if (!gpu) return 'navigator.gpu is missing';
        return (await gpu.requestAdapter().catch(() => null)) ? null : 'requestAdapter() gave no adapter';
      });
      return why && `Chromium ${launched.browser.version()}: ${why}`;
    } catch (e) {
      return `Chromium WebGPU probe failed: ${(e as Error).message.split('\n')[0]}`;
    } finally { await launched.browser.close().catch(() => {}); }
  })());
}
