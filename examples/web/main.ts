// The demo page: trains the seed model (or LeNet-5) on MNIST, or the names transformer of
// examples/names.ts on first names, in a module Web Worker (worker.ts, through
// TrainingWorker) while a live chart shows training and held-out loss and accuracy and a table
// shows where each op of a training step ran; then the trained weights come back (a transferred
// safetensors buffer), load into the same model on this thread, and classify what you draw.
// The page's own fluxion runs on the CPU only (one forward pass per drawing). The names model's
// weights come back the same way and the page samples 20 names from them, one character per
// forward pass: the worker only trains, and a "sample more" costs no round trip or retraining.
// URL parameters preset the controls: ?opt=adam&batch=32&policy=gpu&epochs=1&ntrain=1000&steps=200&evalEvery=25
// State for tests and curious readers: globalThis.__demo. Each run records `mainThreadOps`: the
// fluxion ops this page's own runtime ran while the worker trained (fx.trace sees every op this
// thread dispatches), which is the page's claim that training never runs here: it must be 0.
// `started` settles when the page is ready (or failed); a 'demo:runend' event ends each run.
import * as fx from '../../src/index.ts';   // built as an import of ./fluxion.js, the bundle (scripts/demo.mjs)
import { chart, emptyChart, type ChartData } from './chart.ts';
import { decodeMnist, split, image, type Digits } from './mnist-data.ts';
import { makeModel, LR, LENET_LR, type MnistConfig } from './job.ts';
import { namesShape, namesData, NAMES_LR, type NamesConfig } from './names-job.ts';
import { namesModel, masks, sample, stream, batches, evaluate, type NamesModel } from '../names.ts';

type DemoConfig = MnistConfig | NamesConfig;

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const params = new URLSearchParams(location.search);

interface RunRecord {
  config: Omit<DemoConfig, 'data'>; reports: number; evals: fx.Metrics[]; placement?: fx.Placement;
  /** Fluxion ops run on this (the page's) thread from Train until the worker's result arrived, and their names. */
  mainThreadOps?: number; mainThreadOpNames?: string[];
  result?: Omit<fx.TrainingResult, 'weights'> & { weightBytes: number }; error?: string;
}
const demo = {
  ready: false, error: '', webgpu: 'unknown', training: false, runs: [] as RunRecord[],
  chartPoints: 0,
  /** The last classification; `ops`: the fluxion ops its forward pass ran on this thread. */
  prediction: null as null | { digit: number; probs: number[]; source: string; label?: number; ops: number },
  /** The names sampled on this page from the last names run's weights. */
  names: [] as string[],
  /** Settles when start() is done: ready, or with the error. */
  started: null as null | Promise<void>,
};
(globalThis as any).__demo = demo;

const plot = chart($<HTMLCanvasElement>('chart'));
let data: ChartData = emptyChart();
let digits: Digits | null = null, testIdx: Int32Array | null = null;
let model: ReturnType<typeof makeModel>['m'], probsOf: ReturnType<typeof makeModel>['probs'], modelName: MnistConfig['model'] = 'seed';
let trained = false;
/** The names model of the last names run, with the worker's weights, and its causal masks. */
let names: { m: NamesModel; mk: ReturnType<typeof masks>; config: NamesConfig; draws: number } | null = null;
let run: fx.TrainingRun | null = null;
const tw = new fx.TrainingWorker<DemoConfig>(new Worker(new URL('./worker.js', import.meta.url), { type: 'module' }));

function status(text: string, error = false) { const s = $('status'); s.textContent = text; s.className = error ? 'error' : ''; }

// ---- controls ----
for (const [k, id] of [['model', 'model'], ['opt', 'opt'], ['batch', 'batch'], ['policy', 'policy'], ['epochs', 'epochs'], ['ntrain', 'ntrain'], ['lr', 'lr']] as const) {
  const v = params.get(k);
  if (v === null) continue;
  const el = $<HTMLInputElement | HTMLSelectElement>(id);
  if (el instanceof HTMLSelectElement && ![...el.options].some((o) => o.value === v)) el.add(new Option(v, v));
  el.value = v;
}
const isNames = () => $<HTMLSelectElement>('model').value === 'names';
function config(): DemoConfig {
  const lr = Number($<HTMLInputElement>('lr').value);
  const steps = Number(params.get('steps'));
  if (isNames()) return {
    model: 'names',
    lr: lr > 0 ? lr : undefined,
    batch: Number($<HTMLSelectElement>('batch').value),
    policy: $<HTMLSelectElement>('policy').value as NamesConfig['policy'],
    epochs: Math.max(1, Math.floor(Number($<HTMLInputElement>('epochs').value) || 1)),
    maxSteps: steps > 0 ? steps : undefined,
    evalEvery: Number(params.get('evalEvery') ?? 50),
    dataUrl: new URL('./names.json', location.href).href,
  };
  return {
    model: $<HTMLSelectElement>('model').value as MnistConfig['model'],
    opt: $<HTMLSelectElement>('opt').value as MnistConfig['opt'],
    lr: lr > 0 ? lr : undefined,
    batch: Number($<HTMLSelectElement>('batch').value),
    policy: $<HTMLSelectElement>('policy').value as MnistConfig['policy'],
    epochs: Math.max(1, Math.floor(Number($<HTMLInputElement>('epochs').value) || 1)),
    maxSteps: steps > 0 ? steps : undefined,
    ntrain: Number($<HTMLSelectElement>('ntrain').value),
    ntest: Number(params.get('ntest') ?? 2000),
    evalEvery: Number(params.get('evalEvery') ?? 50),
    dataUrl: new URL('./mnist.bin', location.href).href,
  };
}

// ---- training ----
async function startTraining() {
  if (run) return;
  const c = config();
  const rec: RunRecord = { config: { ...c }, reports: 0, evals: [] };
  demo.runs.push(rec);
  demo.training = true;
  data = emptyChart(); plot.set(data); demo.chartPoints = 0;
  $<HTMLButtonElement>('train').disabled = true; $<HTMLButtonElement>('stop').disabled = false;
  if (c.model === 'names') {
    const sh = namesShape(c);
    status(`starting: the names transformer (dim ${sh.dim}, ${sh.layers} blocks, ${sh.heads} heads), Adam (η = ${c.lr ?? NAMES_LR}, decaying to a tenth), batch ${c.batch}, policy ${c.policy}…`);
  } else status(`starting: ${c.model === 'lenet' ? 'LeNet-5' : 'the seed model'}, ${c.opt} (η = ${c.lr ?? (c.model === 'lenet' ? LENET_LR : LR)[c.opt]}), batch ${c.batch}, policy ${c.policy}…`);
  run = tw.train(c, { onProgress: (p) => progress(rec, p) });
  try {
    // Everything this thread does until the worker's result arrives (progress, chart, controls)
    // runs under trace(): any fluxion op dispatched here meanwhile is recorded.
    const { result: r, records } = await fx.trace(() => run!.result);
    rec.mainThreadOps = records.length;
    rec.mainThreadOpNames = records.slice(0, 20).map((o) => `${o.op}@${o.device}`);
    const { weights, ...rest } = r;
    rec.result = { ...rest, weightBytes: weights.byteLength };
    if (c.model === 'names') { await namesDone(c, r, weights); return; }
    if (c.model !== modelName) useModel(c.model);   // this thread's model has the run's architecture
    fx.loadModel(model, weights);             // the worker's weights, now on this thread
    trained = true;
    const gpu = (r.devices as { gpu?: { available: boolean; info?: { description?: string; vendor?: string } } }).gpu;
    const acc = r.eval ? `held-out accuracy ${(r.eval.accuracy * 100).toFixed(1)}%` : '';
    status(`${r.cancelled ? 'stopped' : 'done'}: ${r.steps} steps, ${r.samples} samples in ${(r.ms / 1000).toFixed(1)} s · ${acc} · ` +
      `policy ${r.policy}; worker WebGPU: ${gpu?.available ? (gpu.info?.description || gpu.info?.vendor || 'yes') : 'none'} · weights ${(weights.byteLength / 1024).toFixed(0)} KB`);
    $('modelNote').textContent = `Trained model loaded from the worker (${r.steps} steps${r.eval ? `, ${(r.eval.accuracy * 100).toFixed(1)}% held out` : ''}).`;
    classifyPad();
  } catch (e) {
    rec.error = (e as Error).message;
    status(`error: ${rec.error}`, true);
  } finally {
    run = null; demo.training = false;
    $<HTMLButtonElement>('train').disabled = false; $<HTMLButtonElement>('stop').disabled = true;
    dispatchEvent(new Event('demo:runend'));
  }
}

function progress(rec: RunRecord, p: fx.TrainingProgress) {
  rec.reports++;
  data.trainLoss.x.push(p.step); data.trainLoss.y.push(p.meanLoss);
  if (p.eval) {
    rec.evals.push(p.eval);
    data.testLoss.x.push(p.step); data.testLoss.y.push(p.eval.loss);
    if (p.eval.accuracy !== undefined) { data.testAcc.x.push(p.step); data.testAcc.y.push(p.eval.accuracy); }
  }
  demo.chartPoints = data.trainLoss.x.length + data.testLoss.x.length;
  plot.set(data);
  if (p.placement) { rec.placement = p.placement; showPlacement(p.placement); }
  const ev = rec.evals[rec.evals.length - 1];
  const acc = !ev ? '' : ev.accuracy !== undefined ? ` · held-out ${(ev.accuracy * 100).toFixed(1)}%`
    : ` · held-out ${ev.loss.toFixed(3)} nats/char (add-one bigram ${ev.bigram.toFixed(3)})`;
  status(`epoch ${p.epoch} · step ${p.step} · loss ${p.loss.toFixed(4)} · ${Math.round(p.samplesPerSec).toLocaleString()} ${rec.config.model === 'names' ? 'batches' : 'samples'}/s${acc} · ${(p.elapsedMs / 1000).toFixed(1)} s`);
}

function showPlacement(pl: fx.Placement) {
  $('traceNote').textContent = `(policy ${pl.policy}; one traced step)`;
  $('traceSummary').textContent = Object.entries(pl.summary)
    .map(([d, s]) => `${d}: ${s.ops} ops, ${s.ms.toFixed(2)} ms${s.transferBytes ? `, ${s.transferBytes} bytes moved in` : ''}`).join(' · ');
  const rows = pl.ops.map((o, i) => `<tr><td>${i}</td><td>${o.op}</td><td class="${o.device}">${o.device}</td><td>[${o.output.join(', ')}]</td><td class="why">${o.why}</td></tr>`);
  $('traceBox').innerHTML = `<table><thead><tr><th>#</th><th>op</th><th>device</th><th>output</th><th>why</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

// ---- names ----
/** A names run's end: its weights into the same architecture on this thread, then 20 samples. */
async function namesDone(c: NamesConfig, r: fx.TrainingResult, weights: Uint8Array | ArrayBuffer) {
  names?.mk.dispose();
  names = { m: namesModel(namesShape(c)), mk: masks(), config: c, draws: 0 };
  fx.loadModel(names.m, weights);
  const gpu = (r.devices as { gpu?: { available: boolean; info?: { description?: string; vendor?: string } } }).gpu;
  status(`${r.cancelled ? 'stopped' : 'done'}: ${r.steps} steps, ${r.samples} batches in ${(r.ms / 1000).toFixed(1)} s · ` +
    (r.eval ? `held-out ${r.eval.loss.toFixed(3)} nats per character (add-one bigram ${r.eval.bigram.toFixed(3)}, uniform ${Math.log(27).toFixed(3)}) · ` : '') +
    `policy ${r.policy}; worker WebGPU: ${gpu?.available ? (gpu.info?.description || gpu.info?.vendor || 'yes') : 'none'} · weights ${(weights.byteLength / 1024).toFixed(0)} KB`);
  $('namesNote').textContent = `Sampled on this page from the worker's weights (${r.steps} steps${r.eval ? `, held-out ${r.eval.loss.toFixed(3)} nats per character` : ''}).`;
  await sampleNames();
}
async function sampleNames() {
  if (!names) return;
  const seed = (names.config.seed ?? 1) + 2 + names.draws++;   // the first draw is the command line's (its seed + 2)
  demo.names = await sample(names.m, 20, names.mk.get, stream(seed));
  $('names').innerHTML = demo.names.map((n) => `<li>${n}</li>`).join('');
  $<HTMLButtonElement>('resample').disabled = false;
}
/** Held-out loss of this page's names model (the worker's weights, loaded here) on the same split. */
async function namesHeldOutHere(): Promise<number> {
  if (!names) throw new Error('no names run has finished yet');
  const c = names.config, seed = c.seed ?? 1, { test } = await namesData(c.dataUrl, seed);
  return evaluate(names.m, batches(test, 256, stream(seed + 1)), names.mk.get);
}
Object.assign(demo, { namesHeldOutHere });
/** The aside and the controls that fit the chosen model: the drawing pad for digits, the samples for names. */
function showModelKind() {
  const n = isNames();
  $('digitBox').hidden = n; $('namesBox').hidden = !n; $('accLegend').hidden = n;
  $('lossUnit').textContent = n ? 'losses in nats per character' : '';
  for (const id of ['opt', 'ntrain']) $<HTMLSelectElement>(id).disabled = n;
}

// ---- drawing and classifying ----
const pad = $<HTMLCanvasElement>('pad');
const pg = pad.getContext('2d', { willReadFrequently: true })!;
function clearPad() { pg.fillStyle = '#000'; pg.fillRect(0, 0, 280, 280); demo.prediction = null; $('verdict').textContent = ''; $('bars').innerHTML = ''; }
let drawing = false, lastPt: [number, number] | null = null;
const pt = (e: PointerEvent): [number, number] => { const r = pad.getBoundingClientRect(); return [(e.clientX - r.left) * 280 / r.width, (e.clientY - r.top) * 280 / r.height]; };
pad.addEventListener('pointerdown', (e) => { drawing = true; lastPt = pt(e); pad.setPointerCapture(e.pointerId); stroke(lastPt, lastPt); });
pad.addEventListener('pointermove', (e) => { if (!drawing) return; const p = pt(e); stroke(lastPt!, p); lastPt = p; });
pad.addEventListener('pointerup', () => { drawing = false; classifyPad(); });
function stroke(a: [number, number], b: [number, number]) {
  pg.strokeStyle = '#fff'; pg.lineWidth = 20; pg.lineCap = 'round'; pg.lineJoin = 'round';
  pg.beginPath(); pg.moveTo(a[0], a[1]); pg.lineTo(b[0], b[1]); pg.stroke();
}

/** MNIST-style preprocessing: crop to the ink, fit in 20×20, centre by mass in 28×28. */
function padPixels(): Float32Array | null {
  const img = pg.getImageData(0, 0, 280, 280).data;
  let x0 = 280, y0 = 280, x1 = -1, y1 = -1;
  for (let y = 0; y < 280; y++) for (let x = 0; x < 280; x++) if (img[(y * 280 + x) * 4] > 20) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
  if (x1 < 0) return null;
  const bw = x1 - x0 + 1, bh = y1 - y0 + 1, s = 20 / Math.max(bw, bh);
  const small = document.createElement('canvas'); small.width = small.height = 28;
  const sg = small.getContext('2d', { willReadFrequently: true })!;
  sg.fillStyle = '#000'; sg.fillRect(0, 0, 28, 28);
  sg.imageSmoothingQuality = 'high';
  sg.drawImage(pad, x0, y0, bw, bh, (28 - bw * s) / 2, (28 - bh * s) / 2, bw * s, bh * s);
  const px = sg.getImageData(0, 0, 28, 28).data;
  const v = new Float32Array(784);
  let m = 0, cx = 0, cy = 0;
  for (let i = 0; i < 784; i++) { v[i] = px[i * 4] / 255; m += v[i]; cx += v[i] * (i % 28); cy += v[i] * Math.floor(i / 28); }
  const dx = Math.round(13.5 - cx / m), dy = Math.round(13.5 - cy / m);
  const out = new Float32Array(784);
  for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) {
    const sx = x - dx, sy = y - dy;
    if (sx >= 0 && sx < 28 && sy >= 0 && sy < 28) out[y * 28 + x] = v[sy * 28 + sx];
  }
  return out;
}

function classify(px: Float32Array, source: string, label?: number) {
  const t = fx.trace(() => fx.scope(() => probsOf(fx.tensor(px, [784, 1])))), out = t.result;
  const probs = Array.from(out.dataSync());
  out.dispose();
  const digit = probs.indexOf(Math.max(...probs));
  demo.prediction = { digit, probs, source, ...(label !== undefined ? { label } : {}), ops: t.records.length };
  $('verdict').innerHTML = `${trained ? '' : '<span class="muted">(untrained) </span>'}it's a <b>${digit}</b>` +
    (label !== undefined ? ` <span class="muted">(label ${label}${label === digit ? ', right' : ', wrong'})</span>` : '');
  $('bars').innerHTML = probs.map((p, k) => `<span>${k}</span><div class="bar${k === digit ? ' top' : ''}"><span style="width:${(p * 100).toFixed(1)}%"></span></div><span>${(p * 100).toFixed(1)}%</span>`).join('');
}
function classifyPad() { const px = padPixels(); if (px) classify(px, 'drawn'); }

function pickTestDigit() {
  if (!digits || !testIdx) return;
  const i = testIdx[Math.floor(Math.random() * testIdx.length)], px = image(digits, i);
  const small = document.createElement('canvas'); small.width = small.height = 28;
  const sg = small.getContext('2d')!, id = sg.createImageData(28, 28);
  for (let k = 0; k < 784; k++) { const v = Math.round(px[k] * 255); id.data.set([v, v, v, 255], k * 4); }
  sg.putImageData(id, 0, 0);
  pg.imageSmoothingEnabled = false; pg.drawImage(small, 0, 0, 280, 280); pg.imageSmoothingEnabled = true;
  classify(px, 'test', digits.labels[i]);
}

/** Accuracy of this page's model (the worker's weights, loaded here) on the first `n` held-out digits. */
function evaluateHere(n = 500): number {
  if (!digits || !testIdx) throw new Error('the digits are not loaded yet');
  const idx = testIdx.subarray(0, n);
  const x = new Float32Array(784 * idx.length);
  idx.forEach((i, j) => { for (let f = 0; f < 784; f++) x[f * idx.length + j] = digits!.pixels[i * 784 + f] / 255; });
  const out = fx.scope(() => model(fx.tensor(x, [784, idx.length]))), y = out.dataSync();
  out.dispose();
  let ok = 0;
  idx.forEach((i, j) => {
    let best = 0;
    for (let k = 1; k < 10; k++) if (y[k * idx.length + j] > y[best * idx.length + j]) best = k;
    if (best === digits!.labels[i]) ok++;
  });
  return ok / idx.length;
}
Object.assign(demo, { evaluateHere });

function useModel(name: MnistConfig['model']) {

  ({ m: model, probs: probsOf } = makeModel(fx as never, name));
  modelName = name; trained = false;
}

// ---- start ----
async function start() {
  clearPad();
  $('clear').onclick = clearPad;
  $('pick').onclick = pickTestDigit;
  $('train').onclick = startTraining;
  $('stop').onclick = () => run?.cancel();
  $('resample').onclick = () => void sampleNames();
  $('model').onchange = showModelKind;
  showModelKind();
  try {
    const adapter = (navigator as any).gpu ? await (navigator as any).gpu.requestAdapter().catch(() => null) : null;
    demo.webgpu = adapter ? 'available' : (navigator as any).gpu ? 'no adapter' : 'not in this browser';
    $('env').textContent = `WebGPU here: ${demo.webgpu}.`;
    if (!adapter) { const o = $<HTMLSelectElement>('policy').querySelector('option[value=gpu]') as HTMLOptionElement; o.textContent += ' — unavailable'; }
    await fx.init({ gpu: false });
    useModel(isNames() ? 'seed' : $<HTMLSelectElement>('model').value as MnistConfig['model']);
    const [bin] = await Promise.all([fetch('./mnist.bin').then((r) => { if (!r.ok) throw new Error(`mnist.bin: HTTP ${r.status}`); return r.arrayBuffer(); }), tw.ready]);
    digits = decodeMnist(bin);
    testIdx = split(digits, 8000, 2000, 1).test;
    $<HTMLButtonElement>('pick').disabled = false;
    $<HTMLButtonElement>('train').disabled = false;
    status('ready: press Train, draw a digit, or pick one from the held-out set.');
    demo.ready = true;
    plot.set(data);
  } catch (e) {
    demo.error = String((e as Error)?.stack ?? e);
    status(`error: ${(e as Error).message}`, true);
  }
}
demo.started = start();
