// The scheduler: the only place that knows device speeds. For every op it picks a device:
// kernel availability first (a device without the op's kernels is no candidate), then the
// policy, then residency (an op runs where its inputs live).

import type { Backend } from './backends/backend.js';
import type { OpDef } from './ops/registry.js';
import type { Tensor, Shape } from './tensor.js';
import { runtime, type Policy } from './runtime.js';

/** Hook set by `trace()`; null when nobody is tracing, so the hot path pays one check. */
export let traceOp: ((def: OpDef, ins: readonly Tensor[], p: unknown, out: Shape, b: Backend, ms: number) => void) | null = null;
export function setTraceHook(h: typeof traceOp) { traceOp = h; }

function can(b: Backend | null, def: OpDef): b is Backend {
  if (!b) return false;
  for (const k of def.kernels) if (!b.has(k)) return false;
  return true;
}

/** The device `def` runs on for these inputs. */
export function place(def: OpDef, ins: readonly Tensor[], _p: unknown, _out: Shape): Backend {
  const pol = runtime.policy;
  if (pol === 'ref') return runtime.ref;
  // Residency: the reference device is only ever chosen explicitly, and it is contagious so a
  // float64 computation never silently drops to f32.
  let home: Backend | null = null;
  for (let i = 0; i < ins.length; i++) {
    const b = ins[i].backend;
    if (b === runtime.ref) return runtime.ref;
    if (!home) home = b;
  }
  if (pol === 'gpu' && can(runtime.gpu, def)) return runtime.gpu;
  if (pol === 'cpu') return runtime.cpu!;
  if (home && can(home, def)) return home;
  return runtime.cpu!;
}

/** Sets the placement policy: 'auto' (default), 'cpu' or 'gpu'. */
export function setPolicy(p: Policy): void {
  if (p !== 'auto' && p !== 'cpu' && p !== 'gpu' && p !== 'ref')
    throw new RangeError(`setPolicy: policy must be 'auto', 'cpu' or 'gpu', got ${JSON.stringify(p)}`);
  if (p === 'gpu' && !runtime.gpu) throw new Error("setPolicy('gpu'): no WebGPU device; see devices()");
  runtime.policy = p;
}

/**
 * Runs `fn` with a placement policy, restoring the previous one afterwards (awaits promises).
 * @example const y = withPolicy('cpu', () => m(x));
 */
export function withPolicy<T>(p: Policy, fn: () => T): T {
  const prev = runtime.policy;
  setPolicy(p);
  let out: T;
  try { out = fn(); } catch (e) { runtime.policy = prev; throw e; }
  if (out instanceof Promise) return out.finally(() => { runtime.policy = prev; }) as T;
  runtime.policy = prev;
  return out;
}
