// `npm run example -- --model NAME [options]`: runs examples/NAME.ts (MNIST when no --model is
// given). Each example exports `main(argv)`, which trains, prints what the model learned and how
// long it took, and returns the figures (the tests call it). Adding one (LeNet, the names model):
// a file examples/NAME.ts exporting `main` and `usage`, and its row in EXAMPLES below.
//   npm run example                          # the seed model on MNIST, on the CPU
//   npm run example -- --model xor           # XOR
//   npm run example -- --model regression    # y = sin(x)
//   npm run example -- --model lenet         # LeNet-5 on MNIST
//   npm run example -- --model xor --help    # that example's options

import { pathToFileURL } from 'node:url';
import { cli, UsageError } from './cli.ts';

export interface Example { main(argv: string[]): Promise<unknown>; usage: string }

/** The examples by name, with one line each for the list; the first is the default. */
export const EXAMPLES: Record<string, { about: string; load(): Promise<Example> }> = {
  mnist: { about: 'the seed model, Chain(Dense(784, 32, σ), Dense(32, 10), softmax), on 10,000 MNIST digits (the default)', load: () => import('./mnist.ts') },
  xor: { about: 'XOR, the smallest problem that needs a hidden layer', load: () => import('./xor.ts') },
  regression: { about: 'a 1-D regression, y = sin(x) from noisy samples, with an MLP', load: () => import('./regression.ts') },
  lenet: { about: 'LeNet-5 (Flux\'s model zoo: two Conv + MaxPool, three Dense) on the same MNIST digits', load: () => import('./lenet.ts') },
  names: { about: 'a small causal transformer (Embedding, MultiHeadAttention) over the letters of 8,403 first names: held-out loss vs n-grams, 20 samples', load: () => import('./names.ts') },
};
const DEFAULT = Object.keys(EXAMPLES)[0];

/** Splits `--model NAME` (or `--model=NAME`) off the arguments; an unknown name lists the examples. */
export function pick(argv: readonly string[]): { name: string; rest: string[] } {
  let name = DEFAULT;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--model' || a.startsWith('--model=')) {
      const v = a === '--model' ? argv[++i] : a.slice('--model='.length);
      if (v === undefined || v.startsWith('-')) throw new UsageError(`--model needs a name: ${Object.keys(EXAMPLES).join(', ')}`);
      name = v;
    } else rest.push(a);
  }
  if (!Object.hasOwn(EXAMPLES, name)) {
    throw new UsageError(`unknown model '${name}'; the examples are:\n${list()}`);
  }
  return { name, rest };
}
const list = () => Object.entries(EXAMPLES).map(([n, e]) => `  ${n.padEnd(11)} ${e.about}`).join('\n');

/** `main(['--model', 'xor', '--epochs', '200'])`: runs that example and returns what its main returns. */
export async function main(argv: string[]): Promise<unknown> {
  const { name, rest } = pick(argv);
  if (rest.includes('--help') || rest.includes('-h')) console.log(`examples (npm run example -- --model NAME):\n${list()}\n`);
  return (await EXAMPLES[name].load()).main(rest);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await cli('example', main);
