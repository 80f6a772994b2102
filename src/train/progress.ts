// The terminal progress bar `train(..., { progress: true })` draws (and examples/ reuse): one line
// rewritten in place with `\r` on a TTY (at most ~10 times a second), plain periodic lines
// otherwise (logs, CI, a browser console). O(1) per tick; nothing here touches Node APIs, so the
// bundle stays platform-neutral (the stream is passed in).

/**
 * Where a progress bar writes: `process.stderr`, `process.stdout`, or any object with `write`.
 * @example await train(loss, m, data, st, { progress: process.stdout });
 *          const lines: string[] = []; await train(loss, m, data, st, { progress: { write: (s) => lines.push(s) } });
 */
export interface ProgressStream {
  write(s: string): unknown;
  /** A terminal: the line is redrawn in place. Otherwise one plain line every `every` seconds. */
  isTTY?: boolean;
  /** The terminal's width; a longer line is cut to it. */
  columns?: number;
}

/** @internal The bar's settings. */
export interface BarOptions {
  stream: ProgressStream;
  /** Seconds between plain lines when the stream is not a TTY (default 2). */
  every?: number;
  /** Width of the bar in characters (default 24). */
  width?: number;
}

/** @internal A progress line: `tick` redraws it (rate-limited), `line` prints above it, `done` ends it. */
export interface Bar {
  tick(step: number, total: number, fields: Record<string, string | number>, force?: boolean): void;
  line(text: string): void;
  done(): void;
}

/** @internal A progress bar on `stream`; a total ≤ 0 (unknown length) shows the count without a bar. */
export function progressBar(opts: BarOptions): Bar {
  const out = opts.stream, tty = !!out.isTTY, width = opts.width ?? 24;
  const every = (opts.every ?? 2) * 1000;
  let last = tty ? -Infinity : performance.now(), shown = '';
  // The latest state, rendered only when drawn: a tick between draws costs a clock read.
  let step = 0, total = 0, fields: Record<string, string | number> | null = null;
  const render = () => {
    let s: string;
    if (total > 0) {
      const full = Math.round(Math.min(1, step / total) * width);
      s = `[${'#'.repeat(full)}${'-'.repeat(width - full)}] ${String(step).padStart(String(total).length)}/${total}`;
    } else s = `${step}`;
    for (const k in fields) s += `  ${k} ${fields[k]}`;
    return s;
  };
  const draw = (s: string) => {
    if (tty) {
      const cols = out.columns || 100;
      out.write(`\r${s.length > cols - 1 ? s.slice(0, cols - 1) : s}\x1b[K`);
    } else out.write(`${s}\n`);
    shown = s;
  };
  return {
    tick(s, t, f, force = false) {
      step = s; total = t; fields = f;
      const now = performance.now();
      if (force || now - last >= (tty ? 100 : every)) { last = now; draw(render()); fields = null; }
    },
    line(text) {
      if (tty && shown) out.write(`\r\x1b[K${text}\n`), draw(shown);
      else out.write(`${text}\n`);
    },
    done() {
      if (fields) draw(render());
      if (tty && shown) out.write('\n');
      shown = ''; fields = null;
    },
  };
}
