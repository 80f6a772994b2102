import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export async function load(url, context, nextLoad) {
  if (url.endsWith('.wgsl')) {
    const text = await readFile(fileURLToPath(url), 'utf8');
    return { format: 'module', shortCircuit: true, source: `export default ${JSON.stringify(text)};` };
  }
  if (url.endsWith('.wasm')) {
    const b64 = (await readFile(fileURLToPath(url))).toString('base64');
    return {
      format: 'module', shortCircuit: true,
      source: `export default Uint8Array.from(atob(${JSON.stringify(b64)}), (c) => c.charCodeAt(0));`,
    };
  }
  return nextLoad(url, context);
}
