// Shared bench plumbing: run a tinybench suite, read medians, describe the machine.
import { Bench, type Task } from 'tinybench';
import os from 'node:os';
import { readFileSync } from 'node:fs';

/** Median latency in ms of a finished task (NaN when it errored). */
export function medianMs(t: Task | undefined): number {
  const r = t?.result as { state: string; latency?: { p50: number }; error?: unknown } | undefined;
  if (!r || !r.latency) {
    if (r?.error) console.error(`bench task ${t?.name} failed:`, r.error);
    return NaN;
  }
  return r.latency.p50;
}

/**
 * Runs `tasks` (name → fn) with tinybench and returns the median ms per task. `opts` overrides
 * tinybench's minimum sample counts (slow rows: a few samples, not tinybench's default 64).
 */
export async function runTasks(tasks: [string, () => unknown][], time = 600,
  opts: { iterations?: number; warmupIterations?: number; warmupTime?: number } = {}): Promise<Map<string, number>> {
  const bench = new Bench({ time, warmupTime: 150, ...opts });
  for (const [name, fn] of tasks) bench.add(name, fn);
  await bench.run();
  return new Map(tasks.map(([name]) => [name, medianMs(bench.getTask(name))]));
}

// package.json read from disk: some packages' export maps do not expose it
const ver = (p: string) => {
  try { return JSON.parse(readFileSync(new URL(`../node_modules/${p}/package.json`, import.meta.url), 'utf8')).version as string; }
  catch { return '?'; }
};

/** One line naming the machine, the engine and the libraries measured. */
export function machine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return `${cpu}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ` +
    `Node ${process.version}, ${os.platform()} ${os.arch()}; tfjs ${ver('@tensorflow/tfjs-core')}, ` +
    `tinybench ${ver('tinybench')}; fluxion's Wasm kernels on one thread in the sections next to tfjs (matmul, transpose, training, ` +
    `conv, LeNet, recurrent, attention), on 1 and 2 in the threads section, on init()'s default elsewhere`;
}

export const fmt = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
