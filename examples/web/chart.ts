// A tiny canvas chart: training loss, held-out loss (left axis) and held-out accuracy (right
// axis, 0–100%) against the step. Redraws at most once per animation frame.

export interface Series { x: number[]; y: number[] }
export interface ChartData { trainLoss: Series; testLoss: Series; testAcc: Series }

export const emptyChart = (): ChartData => ({ trainLoss: { x: [], y: [] }, testLoss: { x: [], y: [] }, testAcc: { x: [], y: [] } });

export function chart(canvas: HTMLCanvasElement) {
  let data = emptyChart(), queued = false;
  const css = getComputedStyle(document.documentElement);
  const color = (v: string) => css.getPropertyValue(v).trim() || '#333';
  const draw = () => {
    queued = false;
    const dpr = window.devicePixelRatio || 1, W = canvas.clientWidth, H = canvas.clientHeight;
    if (canvas.width !== Math.round(W * dpr)) { canvas.width = Math.round(W * dpr); canvas.height = Math.round(H * dpr); }
    const g = canvas.getContext('2d')!;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, W, H);
    const L = 48, R = 44, T = 10, B = 26, w = W - L - R, h = H - T - B;
    const xs = [...data.trainLoss.x, ...data.testLoss.x];
    const xmax = Math.max(10, ...xs);
    const ymax = niceMax(Math.max(1e-3, ...data.trainLoss.y, ...data.testLoss.y));
    const X = (x: number) => L + (x / xmax) * w, Y = (y: number) => T + h - (y / ymax) * h, A = (a: number) => T + h - a * h;
    g.font = '11px system-ui, sans-serif'; g.fillStyle = '#5b6475'; g.strokeStyle = '#e3e6ec'; g.lineWidth = 1;
    for (let i = 0; i <= 4; i++) {
      const yy = T + (h * i) / 4;
      g.beginPath(); g.moveTo(L, yy); g.lineTo(L + w, yy); g.stroke();
      g.textAlign = 'right'; g.fillText((ymax * (1 - i / 4)).toPrecision(2), L - 6, yy + 4);
      g.textAlign = 'left'; g.fillText(`${100 - 25 * i}%`, L + w + 6, yy + 4);
    }
    g.textAlign = 'center';
    for (let i = 0; i <= 5; i++) g.fillText(String(Math.round((xmax * i) / 5)), X((xmax * i) / 5), H - 8);
    g.textAlign = 'left'; g.fillText('step', 4, H - 8);
    line(g, data.trainLoss, X, Y, color('--train'), 1.5);
    line(g, data.testLoss, X, Y, color('--test'), 2, true);
    line(g, data.testAcc, X, A, color('--acc'), 2, true);
  };
  return {
    set(d: ChartData) { data = d; if (!queued) { queued = true; requestAnimationFrame(draw); } },
    draw,
  };
}

function niceMax(v: number): number {
  const p = 10 ** Math.floor(Math.log10(v)), m = v / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

function line(g: CanvasRenderingContext2D, s: Series, X: (x: number) => number, Y: (y: number) => number, c: string, lw: number, dots = false) {
  if (!s.x.length) return;
  g.strokeStyle = c; g.fillStyle = c; g.lineWidth = lw;
  g.beginPath();
  s.x.forEach((x, i) => (i ? g.lineTo(X(x), Y(s.y[i])) : g.moveTo(X(x), Y(s.y[i]))));
  g.stroke();
  if (dots) for (let i = 0; i < s.x.length; i++) { g.beginPath(); g.arc(X(s.x[i]), Y(s.y[i]), 2.5, 0, 7); g.fill(); }
}
