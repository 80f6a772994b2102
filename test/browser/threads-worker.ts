// The module worker of the browser threads check: runs runThreads when the page asks (the
// listener is attached before anything awaits, as DESIGN.md says module workers need).
import { runThreads } from './threads-page.ts';

addEventListener('message', async () => {
  try { postMessage(await runThreads('module worker')); } catch (e) { postMessage({ error: String((e as Error)?.stack ?? e) }); }
});
