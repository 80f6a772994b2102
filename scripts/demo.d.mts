// Types of scripts/demo.mjs, for the tests that build and serve the demo.
import type { Server } from 'node:http';
/** Builds the demo into `outdir` (default examples/web/.build); resolves with the ms taken. */
export function buildDemo(outdir?: string): Promise<number>;
/** Serves `dir` on 127.0.0.1 (port 0: any free port); `isolated` (default true) sends COOP/COEP. */
export function serveDir(dir: string, port?: number, opts?: { isolated?: boolean }): Promise<{ url: string; server: Server; close(): Promise<void> }>;
/** The raw first names of the two @stdlib data sets as a JSON array (the demo's names.json). */
export function namesJson(): string;
