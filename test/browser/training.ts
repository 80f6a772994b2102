// A short training run through the public API, once with setPolicy('cpu') and once with
// setPolicy('gpu'), from the same initial values: a 5→17→1 sigmoid MLP on 33 observations, mse,
// `withgradient` and a manual SGD step. The two loss trajectories must agree step by step.
// `fx` is the fluxion module under test (in the browser: the built dist/fluxion.js).
type Fluxion = typeof import('../../src/index.js');

export interface TrainingResult {
  steps: number; cpu: number[]; gpu: number[]; maxRel: number; ms: { cpu: number; gpu: number };
  devices: { cpu: string; gpu: string }; failures: string[];
}

const now = () => globalThis.performance?.now() ?? Date.now();

export async function runTraining(fx: Fluxion, steps = 20, rtol = 1e-3): Promise<TrainingResult> {
  let s = 7;
  const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const arr = (n: number, scale: number) => Float32Array.from({ length: n }, () => (rnd() * 2 - 1) * scale);
  const IN = 5, H = 17, B = 33;
  const init = { W1: arr(H * IN, 0.8), b1: arr(H, 0.1), W2: arr(H, 0.8), b2: arr(1, 0.1) };
  const X = arr(IN * B, 2), Y = Float32Array.from({ length: B }, (_, j) => 0.5 + 0.4 * Math.sin(X[j] + X[B + j]));

  async function run(policy: 'cpu' | 'gpu') {
    fx.setPolicy(policy);
    const t0 = now();
    let W1 = fx.tensor(init.W1, [H, IN]), b1 = fx.tensor(init.b1, [H, 1]);
    let W2 = fx.tensor(init.W2, [1, H]), b2 = fx.tensor(init.b2, [1, 1]);
    const x = fx.tensor(X, [IN, B]), y = fx.tensor(Y, [1, B]);
    const losses: number[] = [];
    let device = '';
    for (let step = 0; step < steps; step++) {
      const ps = [W1, b1, W2, b2];
      const { val, grad } = fx.withgradient(() => {
        const h = fx.sigmoid(fx.add(fx.matmul(W1, x), b1));
        const o = fx.sigmoid(fx.add(fx.matmul(W2, h), b2));
        return fx.mean(fx.square(fx.sub(o, y)));
      }, ps);
      device = val.device;
      losses.push(await val.item());
      const next = ps.map((p) => fx.sub(p, fx.mul(grad.get(p)!, 2.0)));   // SGD, η = 2
      val.dispose(); grad.dispose();
      for (const p of ps) p.dispose();
      [W1, b1, W2, b2] = next;
    }
    for (const t of [W1, b1, W2, b2, x, y]) t.dispose();
    return { losses, device, ms: Math.round(now() - t0) };
  }

  const failures: string[] = [];
  const prev = 'auto' as const;
  let cpu: Awaited<ReturnType<typeof run>>, gpu: Awaited<ReturnType<typeof run>>;
  try {
    cpu = await run('cpu');
    gpu = await run('gpu');
  } finally { fx.setPolicy(prev); }
  let maxRel = 0;
  for (let i = 0; i < steps; i++) {
    const a = cpu.losses[i], b = gpu.losses[i], rel = Math.abs(a - b) / Math.max(Math.abs(a), 1e-12);
    maxRel = Math.max(maxRel, Number.isFinite(rel) ? rel : Infinity);
    if (!(rel <= rtol)) failures.push(`training step ${i}: loss cpu ${a} vs gpu ${b} (rel ${rel.toExponential(2)} > ${rtol})`);
  }
  if (cpu.device !== 'wasm') failures.push(`training: setPolicy('cpu') ran the loss on ${cpu.device}, not wasm`);
  if (gpu.device !== 'webgpu') failures.push(`training: setPolicy('gpu') ran the loss on ${gpu.device}, not webgpu`);
  if (!(cpu.losses[steps - 1] < cpu.losses[0])) failures.push(`training: loss did not decrease (${cpu.losses[0]} → ${cpu.losses[steps - 1]})`);
  return { steps, cpu: cpu.losses, gpu: gpu.losses, maxRel, ms: { cpu: cpu.ms, gpu: gpu.ms },
    devices: { cpu: cpu.device, gpu: gpu.device }, failures };
}
