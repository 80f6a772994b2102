// A one-line terminal progress bar for training: rewritten in place with `\r` on a TTY (at most
// ~10 times a second), plain periodic lines otherwise (logs, CI). O(1) per tick.

export interface ProgressOptions {
  /** Where to write (default process.stdout). */
  stream?: NodeJS.WriteStream;
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
export function progress(opts: ProgressOptions = {}) {
  const out = opts.stream ?? process.stdout, tty = !!out.isTTY, width = opts.width ?? 24;
  const every = (opts.every ?? 2) * 1000;
  let last = tty ? -Infinity : performance.now(), shown = '', pending = '';
  const render = (step: number, total: number, fields: Record<string, string | number>) => {
    const f = total > 0 ? Math.min(1, step / total) : 0, full = Math.round(f * width);
    const bar = `[${'#'.repeat(full)}${'-'.repeat(width - full)}]`;
    const rest = Object.entries(fields).map(([k, v]) => `${k} ${v}`).join('  ');
    return `${bar} ${String(step).padStart(String(total).length)}/${total}  ${rest}`;
  };
  const draw = (s: string) => {
    if (tty) {
      const cols = out.columns || 100;
      out.write(`\r${s.length > cols - 1 ? s.slice(0, cols - 1) : s}\x1b[K`);
    } else out.write(`${s}\n`);
    shown = s;
  };
  return {
    /** Redraws the line (rate-limited); `force` draws now (e.g. the last step of an epoch). */
    tick(step: number, total: number, fields: Record<string, string | number>, force = false) {
      const now = performance.now();
      pending = render(step, total, fields);
      if (force || now - last >= (tty ? 100 : every)) { last = now; draw(pending); }
    },
    /** Prints `text` on its own line, keeping the bar below it on a TTY. */
    line(text: string) {
      if (tty && shown) out.write(`\r\x1b[K${text}\n`), draw(shown);
      else out.write(`${text}\n`);
    },
    /** Draws the final state and ends the line. */
    done() {
      if (pending && pending !== shown) draw(pending);
      if (tty && shown) out.write('\n');
      shown = ''; pending = '';
    },
  };
}
