// The examples' progress bar: the one `train(..., { progress: true })` draws (src/train/progress.ts),
// on stdout by default. `tick(step, total, fields)` redraws it, `line(text)` prints above it.
import { progressBar, type ProgressStream } from '../src/train/progress.ts';

export interface ProgressOptions {
  /** Where to write (default process.stdout). */
  stream?: ProgressStream;
  /** Seconds between plain lines when the stream is not a TTY (default 2). */
  every?: number;
  /** Width of the bar in characters (default 24). */
  width?: number;
}

/**
 * A progress line: `tick(step, total, fields)` redraws it, `line(text)` prints above it.
 * @example const bar = progress(); for (let i = 1; i <= n; i++) bar.tick(i, n, { loss: '0.02' });
 *          bar.done();
 */
export const progress = (opts: ProgressOptions = {}) => progressBar({ ...opts, stream: opts.stream ?? process.stdout });
