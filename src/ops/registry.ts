// The op registry: one OpDef per op holds its shape rule (with the argument checks), how it
// runs on any device (in terms of the kernels of backend.ts), its gradient rule (in tensor
// ops) and its cost for the scheduler. `apply` is the single dispatch path every op takes:
// check shapes once, pick a device, allocate the output, run, record on the tape.

import type { Backend, KernelName } from '../backends/backend.js';
import { Tensor, empty, invalidate, viewOf, converted, moveTo, type Shape } from '../tensor.js';
import { place, checkLost } from '../scheduler.js';
import { record, recording } from '../autograd.js';
import { runtime } from '../runtime.js';
import { fail, isPlain } from '../check.js';

export interface Cost { flops: number; bytes: number }

/**
 * One op: its kernels, output shape, how to run it on a device, its gradient and its cost (the scheduler's input).
 * @example const def: OpDef<UnaryP> = unaryDef;
 *          def.shape([x], p); def.cost([x], p, x.shape)   // what the scheduler asks
 */
export interface OpDef<P = any> {
  readonly name: string;
  /** Kernels a device must have to run this op (the scheduler's hard constraint). */
  readonly kernels: readonly KernelName[];
  /** The output is a view of input 0's storage (reshape): nothing is allocated or run. */
  readonly alias?: boolean;
  /** For an alias op: makes the view (default: a reshape of input 0; transpose makes a lazy transpose). */
  view?(x: Tensor, shape: Shape, p: P): Tensor;
  /** The output shape; throws a RangeError naming the op, the argument and the shapes. */
  shape(ins: readonly Tensor[], p: P): Shape;
  /** Computes `out` from `ins` on backend `b` (all of them already resident there). */
  run(b: Backend, out: Tensor, ins: readonly Tensor[], p: P): void;
  /** Vector-Jacobian product in tensor ops; entries for inputs with needs[i] false may be null. */
  grad?(dy: Tensor, ins: readonly Tensor[], out: Tensor, p: P, needs: readonly boolean[]): (Tensor | null)[];
  cost(ins: readonly Tensor[], p: P, out: Shape): Cost;
}

/**
 * Declares an op (each op file calls this once per op and exports the result); it registers
 * nothing, so importing an op file only defines its ops. ops/index.ts lists them all.
 * @example export const negDef = defineOp<{}>({ name: 'neg', kernels: ['unary'], shape: ([x]) => x.shape,
 *            run: (b, out, [x]) => b.unary(Unary.neg, x.buf, out.buf, x.size, 0, 0), cost: ([x]) => ({ flops: 0, bytes: 8 * x.size }) });
 */
export function defineOp<P>(def: OpDef<P>): OpDef<P> {
  return checkDef('defineOp', def);
}

function checkDef<P>(fn: string, def: OpDef<P>): OpDef<P> {
  if (!isPlain(def)) fail(fn, 'def must be an op definition { name, kernels, shape, run, cost }', def);
  if (typeof def.name !== 'string' || !def.name) fail(fn, 'def.name must be a non-empty string', def.name);
  if (!Array.isArray(def.kernels) || !def.kernels.every((k) => typeof k === 'string'))
    fail(fn, `${def.name}: kernels must be an array of kernel names`, def.kernels);
  for (const k of ['shape', 'run', 'cost'] as const) if (typeof def[k] !== 'function') fail(fn, `${def.name}: ${k} must be a function`, def[k]);
  if (def.grad !== undefined && typeof def.grad !== 'function') fail(fn, `${def.name}: grad must be a function`, def.grad);
  if (def.view !== undefined && typeof def.view !== 'function') fail(fn, `${def.name}: view must be a function`, def.view);
  return def;
}

/**
 * Runs `def` on `ins`: the one path every op takes. As exported it first checks the definition
 * and the inputs (ops defined outside fluxion).
 * @example apply(unaryDef, [x], { code: Unary.exp, alpha: 0, beta: 0 })   // as exp(x): placed, run, recorded on the tape
 */
export function applyChecked<P>(def: OpDef<P>, ins: readonly Tensor[], p: P): Tensor {
  checkDef('apply', def);
  if (!Array.isArray(ins) || ins.length === 0) fail('apply', `${def.name}: ins must be a non-empty array of tensors`, ins);
  ins.forEach((t, i) => { if (!(t instanceof Tensor) || t.disposed) fail('apply', `${def.name}: ins[${i}] must be a live tensor`, t); });
  return apply(def, ins, p);
}

/**
 * Runs `def` on `ins`: the one path every op takes.
 * @example apply(unaryDef, [x], { code: Unary.exp, alpha: 0, beta: 0 })   // as exp(x): placed, run, recorded on the tape
 */
export function apply<P>(def: OpDef<P>, ins: readonly Tensor[], p: P): Tensor {
  let shape: Shape;
  try { shape = def.shape(ins, p); } catch (e) {
    for (const t of ins) if (converted.has(t)) t.dispose();   // bad input leaks nothing
    throw e;
  }
  if (def.alias) {                       // a view stays where its storage is: no placement, no copy
    if (runtime.lostGpu) checkLost(def, ins);
    const out = def.view ? def.view(ins[0], shape, p) : viewOf(ins[0], shape);   // unrecorded: recorded just below
    if (recording()) record(def, ins, out, p);
    return out;
  }
  const b = place(def, ins, p, shape);
  const out = empty(shape, b);
  if (out.size) runOn(def, b, out, ins, p);
  if (recording()) record(def, ins, out, p);
  return out;
}

/** Runs `def` on `b` with its inputs made resident there; the copies made for it die with it. */
function runOn<P>(def: OpDef<P>, b: Backend, out: Tensor, ins: readonly Tensor[], p: P): void {
  const moved = residentOn(ins, b);
  const tr = runtime.tracer;
  const t0 = tr ? performance.now() : 0;
  def.run(b, out, moved, p);
  if (tr) tr.op(def, ins, out.shape, b, performance.now() - t0);
  if (moved !== ins) for (let i = 0; i < ins.length; i++) if (moved[i] !== ins[i]) moved[i].dispose();
}

/**
 * Runs an in-place op (optimiser updates) that writes ins[0] and any other kept inputs (state).
 * It runs where the gradient forces it: on the GPU when any input lives only there, moving the
 * parameter and its state with it (the same tensor objects), else where the parameter lives.
 */
export function applyInPlace<P>(def: OpDef<P>, ins: readonly Tensor[], p: P): void {
  def.shape(ins, p);
  if (runtime.lostGpu) checkLost(def, ins);
  let b = ins[0].backend;
  const gpu = runtime.gpu;
  if (gpu && b !== gpu && runtime.policy !== 'ref') {
    for (let i = 1; i < ins.length; i++) if (ins[i].backend === gpu) { b = gpu; break; }
  }
  if (b !== ins[0].backend) for (const t of ins) if (t.kept) t.migrate(b);
  if (ins[0].size) runOn(def, b, ins[0], ins, p);
  for (let i = 0; i < ins.length; i++) if (ins[i].kept) invalidate(ins[i].storage);
}

function residentOn(ins: readonly Tensor[], b: Backend): readonly Tensor[] {
  for (let i = 0; i < ins.length; i++) {
    if (ins[i].backend !== b) return ins.map((t) => moveTo(t, b));
  }
  return ins;
}
