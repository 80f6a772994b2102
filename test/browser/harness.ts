// What the browser test needs on the Node side: the bundles (fluxion itself, and the suite's
// page and worker scripts) in a temp dir, and a tiny static server on 127.0.0.1 (a secure
// context, so Chromium exposes navigator.gpu) that serves them and the test page.
import { build } from 'esbuild';
import { createServer, type Server } from 'node:http';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** Newest modification time of the files under `dir` (recursively), 0 if none. */
function newest(dir: string): number {
  if (!existsSync(dir)) return 0;
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

export interface Bundles { dir: string; fluxionDir: string; fluxionSource: string; suiteDir: string; ms: number }

/**
 * fluxion: dist/fluxion.js when it is newer than everything it is built from; otherwise the same
 * esbuild call as scripts/build.mjs into a temp dir (that script empties dist/ and runs tsc,
 * which would race with anyone else building). The suite: test/browser/page.ts and worker.ts.
 */
export async function buildBundles(): Promise<Bundles> {
  const t0 = Date.now();
  const wasm = join(ROOT, 'build/fluxion.wasm'), relaxed = join(ROOT, 'build/fluxion-relaxed.wasm');
  const wasmTime = existsSync(wasm) && existsSync(relaxed) ? Math.min(statSync(wasm).mtimeMs, statSync(relaxed).mtimeMs) : 0;
  if (wasmTime < newest(join(ROOT, 'assembly'))) {
    try {
      execFileSync('npm', ['run', '--silent', 'asbuild'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (e) {
      if (!wasmTime) throw e;               // nothing to fall back on
      console.warn(`browser suite: asbuild failed, using the existing build/*.wasm (${String((e as Error).message).split('\n')[0]})`);
    }
  }

  const dir = mkdtempSync(join(tmpdir(), 'fluxion-browser-'));
  const loader = { '.wasm': 'binary', '.wgsl': 'text' } as const;
  const dist = join(ROOT, 'dist/fluxion.js');
  const inputs = Math.max(newest(join(ROOT, 'src')), newest(join(ROOT, 'gpu')), newest(join(ROOT, 'build')));
  let fluxionDir = join(ROOT, 'dist'), fluxionSource = 'dist/fluxion.js (npm run build)';
  if (!existsSync(dist) || statSync(dist).mtimeMs < inputs) {
    fluxionDir = join(dir, 'dist');
    fluxionSource = 'src/index.ts bundled as scripts/build.mjs does (dist/ missing or stale)';
    await build({
      entryPoints: [join(ROOT, 'src/index.ts')], bundle: true, format: 'esm', platform: 'neutral', target: 'es2022',
      minify: true, sourcemap: 'linked', outfile: join(fluxionDir, 'fluxion.js'), loader,
      external: ['webgpu', 'node:*'], logLevel: 'warning',
    });
  }
  const suiteDir = join(dir, 'suite');
  await build({
    entryPoints: [join(ROOT, 'test/browser/page.ts'), join(ROOT, 'test/browser/worker.ts')], bundle: true,
    format: 'esm', platform: 'browser', target: 'es2022', sourcemap: 'linked', outdir: suiteDir, loader,
    external: ['webgpu', 'node:*'], logLevel: 'warning',
  });
  return { dir, fluxionDir, fluxionSource, suiteDir, ms: Date.now() - t0 };
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8', '.map': 'application/json', '.html': 'text/html; charset=utf-8',
  '.wasm': 'application/wasm', '.json': 'application/json', '.txt': 'text/plain; charset=utf-8',
};

export interface StaticServer { url: string; server: Server; close(): Promise<void> }

/** Serves `/` (the test page), `/dist/*` (fluxion) and `/suite/*` on 127.0.0.1, a free port. */
export async function serve(b: Bundles): Promise<StaticServer> {
  const mounts: [string, string][] = [['/dist/', b.fluxionDir], ['/suite/', b.suiteDir]];
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    res.setHeader('cache-control', 'no-store');
    if (path === '/' || path === '/index.html') {
      res.setHeader('content-type', TYPES['.html']);
      res.end(pageHtml('/dist/fluxion.js', '/suite/page.js'));
      return;
    }
    for (const [prefix, dir] of mounts) {
      if (!path.startsWith(prefix)) continue;
      const file = normalize(join(dir, path.slice(prefix.length)));
      if (!file.startsWith(dir) || !existsSync(file) || !statSync(file).isFile()) break;
      res.setHeader('content-type', TYPES[extname(file)] ?? 'application/octet-stream');
      res.end(readFileSync(file));
      return;
    }
    res.statusCode = path === '/favicon.ico' ? 204 : 404;
    res.end();
  });
  await new Promise<void>((ok, fail) => { server.once('error', fail); server.listen(0, '127.0.0.1', () => ok()); });
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`, server,
    close: () => new Promise<void>((ok) => { server.closeAllConnections(); server.close(() => ok()); }),
  };
}

export function removeBundles(b: Bundles | null): void {
  if (b) rmSync(b.dir, { recursive: true, force: true });
}

/** The HTML of the test page: loads the built fluxion with <script type="module">. */
export function pageHtml(fluxionUrl: string, pageUrl: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>fluxion · WebGPU suite</title>
<style>
  body { font: 13px/1.35 system-ui, sans-serif; margin: 16px; color: #222; }
  h1 { font-size: 18px; margin: 0 0 4px; } h2 { font-size: 15px; margin: 0 0 2px; }
  #status { font-weight: 600; margin-bottom: 10px; } .note { margin: 0 0 6px; color: #555; }
  #out { display: flex; gap: 24px; align-items: flex-start; }
  section { flex: 1; min-width: 0; }
  table { border-collapse: collapse; width: 100%; margin-bottom: 8px; }
  th, td { border: 1px solid #ccc; padding: 2px 6px; text-align: right; }
  th:first-child, td:first-child { text-align: left; }
  th { background: #f0f0f0; } tr.total td { font-weight: 600; background: #f6f6f6; }
  .ok { color: #17692b; } .bad, tr.bad td { color: #b00020; }
  ol.failures { color: #b00020; font: 11px monospace; padding-left: 18px; }
</style></head>
<body><h1>fluxion · WebGPU in headless Chromium</h1>
<div id="ua"></div><div id="status">loading…</div><div id="out"></div>
<script>
  // The runner awaits __fluxionDone: runPage settles it with its state when the suite ends, and
  // a failure before runPage starts (a script error, a module that failed to load) settles it
  // at once, so nothing waits on a page that will never report.
  globalThis.__fluxionDone = new Promise((r) => { globalThis.__fluxionFinish = r; });
  globalThis.__fluxionFailed = (why) => { if (!globalThis.__fluxion) globalThis.__fluxionFinish({ done: true, error: why }); };
  addEventListener('error', (e) => globalThis.__fluxionFailed(String(e.message)));
</script>
<script type="module" onerror="__fluxionFailed('the page module or its imports failed to load')">
  import * as fx from ${JSON.stringify(fluxionUrl)};
  import { runPage } from ${JSON.stringify(pageUrl)};
  document.getElementById('ua').textContent = navigator.userAgent;
  runPage(fx, new URL(${JSON.stringify(fluxionUrl)}, location.href).href);
</script>
</body></html>`;
}
