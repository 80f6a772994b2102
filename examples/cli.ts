// The examples' command-line plumbing: option values checked with a message that names the option,
// the device setup every example shares, and a runner that prints a usage error as one line
// (exit status 2) instead of a stack trace.

import { init, devices, setPolicy } from '../src/index.ts';

/** A bad command line (or a missing device): printed as one line, exit status `status` (2 by default). */
export class UsageError extends Error {
  constructor(message: string, readonly status = 2) { super(message); }
}

/** An integer option ≥ `min` (`--epochs 5`), or `dflt` when absent. */
export function count(flag: string, v: string | undefined, dflt: number, min = 1): number {
  if (v === undefined) return dflt;
  const x = Number(v);
  if (!Number.isInteger(x) || x < min) throw new UsageError(`${flag} needs an integer ≥ ${min}, got ${v}`);
  return x;
}
/** A number option > 0 (`--lr 0.01`), or `dflt` when absent. */
export function positive(flag: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const x = Number(v);
  if (!(x > 0) || !Number.isFinite(x)) throw new UsageError(`${flag} needs a number > 0, got ${v}`);
  return x;
}

/**
 * Starts fluxion for an example's `--device`: the CPU alone for 'cpu', WebGPU too otherwise; 'gpu'
 * without an adapter is a usage error (status 1) that says why. Sets the placement policy.
 */
export async function useDevice(device: 'cpu' | 'gpu' | 'auto'): Promise<void> {
  await init(device === 'cpu' ? { gpu: false } : {});
  if (device === 'gpu' && !devices().gpu.available) {
    const why = (devices().gpu as { reason?: string }).reason ?? 'unknown reason';
    throw new UsageError(`--device gpu needs a WebGPU adapter, and init() found none (${why}). Use --device cpu or auto.`, 1);
  }
  setPolicy(device);
}

const isUsage = (e: unknown) => e instanceof UsageError || (typeof (e as { code?: unknown })?.code === 'string' && (e as { code: string }).code.startsWith('ERR_PARSE_ARGS'));

/** Runs an example's `main` on the process's arguments; a usage error exits 2 with one line. */
export async function cli(name: string, main: (argv: string[]) => Promise<unknown>, argv = process.argv.slice(2)): Promise<void> {
  try { await main(argv); } catch (e) {
    if (!isUsage(e)) throw e;
    const msg = (e as Error).message, hint = msg.includes('\n') || (e instanceof UsageError && e.status !== 2) ? '' : ' (see --help)';
    console.error(`${name}: ${msg}${hint}`);
    process.exit(e instanceof UsageError ? e.status : 2);
  }
}
