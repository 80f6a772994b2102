// A non-finite loss stops train before that step's update on every device, and trainStep skips
// the update everywhere: parameters and optimiser state (fused kernels and `assign`ed state
// alike) are exactly what they were after the last finite step. On the GPU nothing is read back
// to decide this: the update kernels read the loss on the device.
import * as assert from 'uvu/assert';
import { tensor, Dense, mse, params, train, trainStep, setup, Adam, RMSProp, Momentum, type Tensor } from '../src/index.js';
import { forEachBackend, type Device } from './_helpers/backends.js';

const X = [[0.5, -1, 2], [1, 0.25, -0.5], [NaN, 1, 1], [0.1, 0.2, 0.3]];
const Y = [[1, 0], [0, 1], [1, 1], [0, 0]];

async function snapshot(ts: Tensor[]): Promise<number[][]> { return Promise.all(ts.map(async (t) => [...(await t.data())])); }
/** Every tensor of an optimiser state tree. */
function stateTensors(st: { state: Map<Tensor, unknown> }): Tensor[] {
  const out: Tensor[] = [];
  const go = (s: unknown) => { if (s && typeof s === 'object' && 'shape' in (s as object)) out.push(s as Tensor); else if (Array.isArray(s)) s.forEach(go); };
  for (const s of st.state.values()) go(s);
  return out;
}

forEachBackend('non-finite loss guard', (test, dev: Device) => {
  for (const [name, rule] of [['Adam (fused)', () => Adam(0.01)], ['RMSProp (assigned state)', () => RMSProp(0.01)],
    ['Momentum (fused)', () => Momentum(0.01)]] as const) {
    test(`train: ${name}: a NaN loss on item 2 stops before its update`, async () => {
      const run = async (items: number) => dev.run(async () => {
        const m = Dense(3, 2), st = setup(rule(), m);
        const w0 = [[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]];
        m.weight.assign(w0.flat());
        const data = X.slice(0, items).map((x, i) => [tensor(x, [3]), tensor(Y[i], [2])]);
        let err: Error | null = null;
        try { await train((mm: typeof m, x: Tensor, y: Tensor) => mse(mm(x), y), m, data, st); } catch (e) { err = e as Error; }
        return { err, ps: await snapshot([...params(m)]), state: await snapshot(stateTensors(st)) };
      });
      const clean = await run(2), nan = await run(4);
      assert.is(clean.err, null);
      assert.match(nan.err?.message ?? '', /train: Loss is NaN on data item 2/);
      assert.equal(nan.ps, clean.ps, 'parameters after the NaN step equal those after step 2');
      assert.equal(nan.state, clean.state, 'optimiser state after the NaN step equals that after step 2');
      assert.ok(nan.ps.flat().every(Number.isFinite));
    });
  }
  test('trainStep: a NaN loss skips the update (parameters and state unchanged), a finite one updates', async () => {
    await dev.run(async () => {
      const m = Dense(3, 2), st = setup(Adam(0.01), m), ps = params(m);
      const loss = (x: Tensor, y: Tensor) => mse(m(x), y);
      trainStep(loss, ps, [tensor(X[0], [3]), tensor(Y[0], [2])], st).dispose();
      const before = await snapshot([...ps]), sbefore = await snapshot(stateTensors(st));
      const l = trainStep(loss, ps, [tensor(X[2], [3]), tensor(Y[2], [2])], st);
      assert.ok(Number.isNaN((await l.data())[0]));
      l.dispose();
      assert.equal(await snapshot([...ps]), before);
      assert.equal(await snapshot(stateTensors(st)), sbefore);
      trainStep(loss, ps, [tensor(X[1], [3]), tensor(Y[1], [2])], st).dispose();
      assert.not.equal(await snapshot([...ps]), before);
    });
  });
}, { ref: false });
