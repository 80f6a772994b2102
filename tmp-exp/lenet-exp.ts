import { init, setPolicy, seed, scope, tensor, reshape, params, logitcrossentropy, train, DataLoader, Adam, adjust, type Tensor } from '../src/index.ts';
import { loadMnist, accuracy } from '../examples/mnist.ts';
import { lenet5, shifted } from '../examples/lenet.ts';
const [epochs, batch, lr0, decay, shift, plain = 0] = process.argv.slice(2).map(Number);
await init({ gpu: false }); setPolicy('cpu'); seed(1);
const d = loadMnist(), n = d.ltrain.length, host = Float32Array.from(await d.xtrain.data());
const xtest = reshape(d.xtest, [28, 28, 1, -1]).keep();
let r = 2654435761 >>> 0; const rand = () => { r ^= r << 13; r >>>= 0; r ^= r >>> 17; r ^= r << 5; r >>>= 0; return r / 2 ** 32; };
const m = lenet5(); const loss = (x: Tensor, y: Tensor) => logitcrossentropy(m(x), y);
let opt = Adam(lr0); const ps = params(m);
const accs: string[] = [];
for (let e = 1; e <= epochs; e++) {
  const xt = tensor(shift && e <= epochs - plain ? shifted(host, n, shift, rand) : host, [28, 28, 1, n]).keep();
  await train(loss, ps, DataLoader([xt, d.ytrain], { batchsize: batch, shuffle: true }), opt);
  xt.dispose();
  opt = adjust(opt, lr0 * decay ** e);
  accs.push((100 * await accuracy(m, xtest, d.ltest)).toFixed(2));
}
console.log(`epochs ${epochs} batch ${batch} lr ${lr0} decay ${decay} shift ${shift} plain ${plain}: ${accs.join(' ')}`);
