// WGSL derived from the two tables, so a kernel's signature and an op code are written once:
// - each kernel's storage bindings, uniform struct and override constants come from its row in
//   KERNELS (src/backends/kernels.ts); gpu/NAME.wgsl holds only the entry point(s) and reads
//   its arguments by name (`x[i]`, `p.n`, `OP`, flags in capitals);
// - the op-code constants (U_RELU, B_ADD, R_SUM), the shared CONSTANTS and the code switches
//   (unary_f, unary_df, binop) come from src/ops/codes.ts; every switch's default yields NaN,
//   and the backend refuses a code outside the table before it dispatches.

import { KERNELS, type KernelName, type ArgKind } from './kernels.js';
import { UNARY_OPS, BINARY_OPS, REDUCE_OPS, CONSTANTS } from '../ops/codes.js';

/** The uniform and override layout of a kernel: which argument goes where. */
export interface Layout {
  /** Argument indices of the buffers, in binding order. */
  buffers: number[];
  /** 'r' (read-only storage) or 'w' (read_write) per buffer. */
  access: string;
  /** Argument indices written to the uniform slot, in order, and whether each is a float. */
  uniforms: number[];
  floats: boolean[];
  /** Argument index of each override constant, with its WGSL name. */
  overrides: [index: number, name: string][];
  /** Argument index of an op code and the length of its table (for the range check), or -1. */
  code: number;
  codeCount: number;
}

const TABLES = { 'code:unary': UNARY_OPS, 'code:binary': BINARY_OPS, 'code:reduce': REDUCE_OPS } as const;
const isCode = (k: ArgKind): k is keyof typeof TABLES => k.startsWith('code:');

/** The binding layout of kernel `name`, from its row in KERNELS. */
export function layoutOf(name: KernelName): Layout {
  const l: Layout = { buffers: [], access: '', uniforms: [], floats: [], overrides: [], code: -1, codeCount: 0 };
  KERNELS[name].args.forEach(([arg, kind], i) => {
    if (kind === 'in' || kind === 'out' || kind === 'inout') { l.buffers.push(i); l.access += kind === 'in' ? 'r' : 'w'; }
    else if (kind === 'int' || kind === 'float') { l.uniforms.push(i); l.floats.push(kind === 'float'); }
    else if (kind === 'flag') l.overrides.push([i, arg.toUpperCase()]);
    else if (isCode(kind)) { l.overrides.push([i, 'OP']); l.code = i; l.codeCount = TABLES[kind].length; }
  });
  return l;
}

/** The declarations a kernel's entry point reads: overrides, the Params uniform, the buffers. */
export function header(name: KernelName): string {
  const args = KERNELS[name].args, l = layoutOf(name);
  const out: string[] = [];
  for (const [i, o] of l.overrides) out.push(args[i][1] === 'flag' ? `override ${o}: bool = false;` : `override ${o}: u32 = 0u;`);
  const fields = l.uniforms.map((i, j) => `${args[i][0]}: ${l.floats[j] ? 'f32' : 'u32'}`);
  out.push(`struct Params { ${fields.length ? fields.join(', ') : '_unused: u32'} }`);
  out.push('@group(1) @binding(0) var<uniform> p: Params;');
  l.buffers.forEach((i, b) => {
    out.push(`@group(0) @binding(${b}) var<storage, ${l.access[b] === 'r' ? 'read' : 'read_write'}> ${args[i][0]}: array<f32>;`);
  });
  return out.join('\n') + '\n';
}

const f32Lit = (v: number) => (Number.isInteger(v) ? v.toFixed(1) : String(v));

/** Op-code constants and shared constants, named as in assembly/ (U_RELU, B_ADD, R_SUM, SELU_L). */
export function codeConstants(): string {
  const out: string[] = [];
  const put = (prefix: string, rows: readonly { name: string }[]) =>
    rows.forEach((r, i) => out.push(`const ${prefix}${r.name.toUpperCase()}: u32 = ${i}u;`));
  put('U_', UNARY_OPS); put('B_', BINARY_OPS); put('R_', REDUCE_OPS);
  for (const [k, v] of Object.entries(CONSTANTS)) out.push(`const ${k}: f32 = ${f32Lit(v)};`);
  return out.join('\n') + '\n';
}

/**
 * `fn NAME(op: u32, ARGS) -> f32`: a switch over `rows` calling PREFIX_row(CALL); NaN by default.
 * `nanIn` is the statement that handles a NaN first argument (WGSL's builtins need not propagate it).
 */
function dispatch(fn: string, params: string, call: string, prefix: string, rows: readonly { name: string }[], nanIn = ''): string {
  const cases = rows.map((r, i) => `    case ${i}u: { r = ${prefix}${r.name}(${call}); }`);
  return `fn ${fn}(op: u32, ${params}) -> f32 {\n${nanIn}  var r: f32;\n  switch op {\n${cases.join('\n')}\n` +
    `    default: { r = nan(); }\n  }\n  return r;\n}\n`;
}

/**
 * The unary code switches over f_NAME/df_NAME of gpu/act.wgsl. NaN propagates through every
 * unary op (x^0 = 1 even for NaN, as IEEE pow) and poisons every derivative, as in ref.ts.
 */
export function unarySwitches(): string {
  return dispatch('unary_f', 'x: f32, a: f32, b: f32', 'x, a, b', 'f_', UNARY_OPS,
    '  if (isnan_(x)) { return select(x, 1.0, op == U_POWSCALAR && a == 0.0); }\n') +
    dispatch('unary_df', 'x: f32, y: f32, a: f32, b: f32', 'x, y, a, b', 'df_', UNARY_OPS, '  if (isnan_(x)) { return x; }\n');
}
/** The binary code switch over b_NAME of gpu/binary.wgsl. */
export function binarySwitch(): string {
  return dispatch('binop', 'u: f32, v: f32', 'u, v', 'b_', BINARY_OPS);
}
