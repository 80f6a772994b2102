// The demo's module Web Worker: serves training runs of the seed model or LeNet-5 on MNIST (job.ts),
// or of the names transformer (names-job.ts), with the fluxion bundle. serveTraining attaches its message listener synchronously, when this
// module runs, and answers the page's hello with ready (DESIGN.md: module workers drop messages
// that arrive during a pending top-level await; there is none here).
import * as fx from '../../src/index.ts';   // built as an import of ./fluxion.js, the bundle (scripts/demo.mjs)
import { mnistJob, type MnistConfig } from './job.ts';
import { namesJob, type NamesConfig } from './names-job.ts';

fx.serveTraining<MnistConfig | NamesConfig>((c) => (c.model === 'names' ? namesJob(fx as never, c) : mnistJob(fx as never, c)));
