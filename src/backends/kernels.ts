// The one description of every kernel: its name and its arguments in order, each with a kind.
// Everything else follows from it:
// - `Kernels<B>`, the interface every device implements (the types below);
// - the Wasm binding: assembly/ exports each kernel under this name with these arguments
//   (pointers for buffers), and src/backends/wasm.ts binds the exports by name;
// - the WebGPU binding: src/backends/wgsl.ts writes each program's storage bindings (buffers
//   in order: `in` read-only, `out`/`inout` read_write), its uniform struct (the int and float
//   arguments in order, u32/f32, 4 bytes each) and override constants (`code` → OP, `flag` →
//   the argument's name in capitals), and gpu/NAME.wgsl holds only the entry point;
// - docs/KERNELS.md (scripts/kernels-doc.mjs, checked by `npm test`).
// A device declares the kernels it has (`has`); an op whose kernels a device lacks never runs
// there (src/scheduler.ts).

/**
 * Argument kinds. Buffers: `in` (read), `out` (written, may be read when accumulating), `inout`
 * (read and written in place). Scalars: `int` (i32/u32), `float` (f32), `flag` (0 or 1: a
 * specialisation constant on the GPU), `code` (an op code of src/ops/codes.ts: the table named).
 */
export type ArgKind = 'in' | 'out' | 'inout' | 'int' | 'float' | 'flag' | 'code:unary' | 'code:binary' | 'code:reduce';
type Arg = readonly [name: string, kind: ArgKind];
export interface KernelSpec { readonly args: readonly Arg[]; readonly doc: string }

export const KERNELS = {
  matmul: {
    args: [['a', 'in'], ['b', 'in'], ['c', 'out'], ['m', 'int'], ['k', 'int'], ['n', 'int'], ['ta', 'flag'], ['tb', 'flag'], ['acc', 'int']],
    doc: 'C[m×n] = op(A)·op(B) (acc=1: C += …). op(A) is m×k: ta=0 → A stored [m,k], ta=1 → A stored [k,m]. ' +
      'op(B) is k×n: tb=0 → B stored [k,n], tb=1 → B stored [n,k].',
  },
  bmm: {
    args: [['a', 'in'], ['b', 'in'], ['c', 'out'], ['m', 'int'], ['k', 'int'], ['n', 'int'], ['batch', 'int'],
      ['sab', 'int'], ['sam', 'int'], ['sak', 'int'], ['sbb', 'int'], ['sbk', 'int'], ['sbn', 'int'], ['scb', 'int'], ['scm', 'int'], ['scn', 'int']],
    doc: 'c[z·scb + i·scm + j·scn] = Σ_p a[z·sab + i·sam + p·sak]·b[z·sbb + p·sbk + j·sbn] for z < batch: a batch of ' +
      'm×k by k×n products through element strides (a transpose swaps two, batch stride 0 broadcasts). Fast for ' +
      'fluxion\'s [m, k, batch], where the batch is the contiguous axis (assembly/kernels/bmm.ts, gpu/bmm.wgsl say how).',
  },
  unary: {
    args: [['op', 'code:unary'], ['x', 'in'], ['y', 'out'], ['n', 'int'], ['alpha', 'float'], ['beta', 'float']],
    doc: 'y[i] = f_op(x[i]); y may equal x.',
  },
  unaryGrad: {
    args: [['op', 'code:unary'], ['x', 'in'], ['y', 'in'], ['dy', 'in'], ['dx', 'out'], ['n', 'int'], ['alpha', 'float'], ['beta', 'float']],
    doc: 'dx[i] = dy[i]·f_op′(x[i]); y = f_op(x) is given so rules may use it.',
  },
  binary: {
    args: [['op', 'code:binary'], ['a', 'in'], ['b', 'in'], ['c', 'out'], ['d0', 'int'], ['d1', 'int'], ['d2', 'int'],
      ['as0', 'int'], ['as1', 'int'], ['as2', 'int'], ['bs0', 'int'], ['bs1', 'int'], ['bs2', 'int']],
    doc: 'c[i0,i1,i2] = a[i0·as0+i1·as1+i2·as2] op b[…bs…]; c contiguous [d0,d1,d2]; strides in elements (0 = broadcast).',
  },
  reduce: {
    args: [['op', 'code:reduce'], ['x', 'in'], ['y', 'out'], ['outer', 'int'], ['len', 'int'], ['inner', 'int']],
    doc: 'y[o,i] = reduce_l x[o,l,i] (x viewed [outer,len,inner], y [outer,inner]).',
  },
  softmax: {
    args: [['x', 'in'], ['y', 'out'], ['outer', 'int'], ['len', 'int'], ['inner', 'int'], ['log', 'flag']],
    doc: 'softmax (log=0) or logsoftmax (log=1) along the middle axis of [outer,len,inner].',
  },
  softmaxGrad: {
    args: [['y', 'in'], ['dy', 'in'], ['dx', 'out'], ['outer', 'int'], ['len', 'int'], ['inner', 'int'], ['log', 'flag']],
    doc: 'softmax: dx = y·(dy − Σ dy·y); logsoftmax: dx = dy − exp(y)·Σ dy.',
  },
  biasAct: {
    args: [['x', 'in'], ['b', 'in'], ['y', 'out'], ['rows', 'int'], ['cols', 'int'], ['act', 'code:unary'], ['alpha', 'float']],
    doc: 'y[r,c] = f_act(x[r,c] + b[r]) with beta = +Inf (the fused Dense epilogue; y may equal x).',
  },
  transpose: {
    args: [['x', 'in'], ['y', 'out'], ['rows', 'int'], ['cols', 'int']],
    doc: 'y[c,r] = x[r,c].',
  },
  strided: {
    args: [['x', 'in'], ['y', 'out'], ['n', 'int'], ['off', 'int'],
      ['d0', 'int'], ['d1', 'int'], ['d2', 'int'], ['d3', 'int'], ['d4', 'int'], ['d5', 'int'],
      ['s0', 'int'], ['s1', 'int'], ['s2', 'int'], ['s3', 'int'], ['s4', 'int'], ['s5', 'int']],
    doc: 'y[i0,…,i5] = x[off + Σ ik·sk] for y contiguous [d0,…,d5] (n = Πdk elements; unused leading dims are 1). ' +
      'Strides in elements; 0 broadcasts. permutedims, slices and broadcasts are this copy.',
  },
  stridedWrite: {
    args: [['x', 'in'], ['y', 'inout'], ['n', 'int'], ['off', 'int'],
      ['d0', 'int'], ['d1', 'int'], ['d2', 'int'], ['d3', 'int'], ['d4', 'int'], ['d5', 'int'],
      ['s0', 'int'], ['s1', 'int'], ['s2', 'int'], ['s3', 'int'], ['s4', 'int'], ['s5', 'int']],
    doc: 'strided\'s transpose: y[off + Σ ik·sk] = x[i0,…,i5] for x contiguous [d0,…,d5]; the rest of y is kept. ' +
      'Distinct positions only (cat, a slice\'s gradient).',
  },
  gather: {
    args: [['x', 'in'], ['idx', 'in'], ['y', 'out'], ['n', 'int'], ['k', 'int'], ['len', 'int']],
    doc: 'y[o,j] = x[o, idx[j]], x [outer,len], y [outer,k] (n elements). idx: f32 integers in [0, len), else NaN.',
  },
  scatter: {
    args: [['x', 'in'], ['order', 'in'], ['offs', 'in'], ['y', 'out'], ['n', 'int'], ['k', 'int'], ['len', 'int']],
    doc: 'gather\'s adjoint as a gather (no atomics, one order): y[o,v] = the sum over t in [offs[v], offs[v+1]) of ' +
      'x[o, order[t]] in that order, x [outer,k], y [outer,len] (n elements); order: the positions j grouped by index ' +
      'value, ascending; empty: 0.',
  },
  im2col: {
    args: [['x', 'in'], ['col', 'out'], ['n', 'int'], ['c', 'int'], ['c0', 'int'], ['cg', 'int'],
      ['w1', 'int'], ['w2', 'int'], ['w3', 'int'], ['k1', 'int'], ['k2', 'int'], ['k3', 'int'], ['o1', 'int'], ['o2', 'int'], ['o3', 'int'],
      ['s1', 'int'], ['s2', 'int'], ['s3', 'int'], ['d1', 'int'], ['d2', 'int'], ['d3', 'int'], ['p1', 'int'], ['p2', 'int'], ['p3', 'int'], ['flip', 'flag']],
    doc: 'Convolution patches. x is [w1,w2,w3,c,n] (n fastest); col is [k1,k2,k3,cg, o1,o2,o3,n]: ' +
      'col[(k,cc),(o,m)] = x[o·s + k′·d − p, c0+cc, m] per spatial dim (k′ = k−1−k when flip, else k), 0 outside x. ' +
      'p is the low-side padding; o (the output size) implies the high side. Unused spatial dims are 1 (k 1, s 1, d 1, p 0).',
  },
  col2im: {
    args: [['col', 'in'], ['x', 'out'], ['n', 'int'], ['c', 'int'], ['c0', 'int'], ['cg', 'int'],
      ['w1', 'int'], ['w2', 'int'], ['w3', 'int'], ['k1', 'int'], ['k2', 'int'], ['k3', 'int'], ['o1', 'int'], ['o2', 'int'], ['o3', 'int'],
      ['s1', 'int'], ['s2', 'int'], ['s3', 'int'], ['d1', 'int'], ['d2', 'int'], ['d3', 'int'], ['p1', 'int'], ['p2', 'int'], ['p3', 'int'], ['flip', 'flag']],
    doc: 'The adjoint of im2col: x[i, c0+cc, m] = Σ col[(k,cc),(o,m)] over every (k, o) with o·s + k′·d − p = i. ' +
      'Writes channels c0 … c0+cg−1 of x (all of them, zeros where nothing lands) and leaves the others as they are.',
  },
  pool: {
    args: [['x', 'in'], ['y', 'out'], ['cn', 'int'],
      ['w1', 'int'], ['w2', 'int'], ['w3', 'int'], ['k1', 'int'], ['k2', 'int'], ['k3', 'int'], ['o1', 'int'], ['o2', 'int'], ['o3', 'int'],
      ['s1', 'int'], ['s2', 'int'], ['s3', 'int'], ['d1', 'int'], ['d2', 'int'], ['d3', 'int'], ['p1', 'int'], ['p2', 'int'], ['p3', 'int'], ['mean', 'flag']],
    doc: 'Pooling over windows of x [w1,w2,w3,cn] into y [o1,o2,o3,cn] (cn = channels·batch, fastest): the window of o ' +
      'is x[o·s + k·d − p] for k < (k1,k2,k3). mean=0: the maximum over the positions inside x (padding ignored); ' +
      'mean=1: the sum over the positions inside x divided by k1·k2·k3 (NNlib\'s meanpool, padding counts as 0).',
  },
  poolGrad: {
    args: [['x', 'in'], ['y', 'in'], ['dy', 'in'], ['dx', 'out'], ['cn', 'int'],
      ['w1', 'int'], ['w2', 'int'], ['w3', 'int'], ['k1', 'int'], ['k2', 'int'], ['k3', 'int'], ['o1', 'int'], ['o2', 'int'], ['o3', 'int'],
      ['s1', 'int'], ['s2', 'int'], ['s3', 'int'], ['d1', 'int'], ['d2', 'int'], ['d3', 'int'], ['p1', 'int'], ['p2', 'int'], ['p3', 'int'], ['mean', 'flag']],
    doc: 'dx of pool: mean=1 spreads dy/(k1·k2·k3) over each window; mean=0 gives each window\'s dy to the first ' +
      'position (k1 fastest, as NNlib iterates) where x equals y. dx is written whole.',
  },
  fill: {
    args: [['y', 'out'], ['n', 'int'], ['value', 'float']],
    doc: 'y[i] = value.',
  },
  copy: {
    args: [['x', 'in'], ['xOff', 'int'], ['y', 'out'], ['yOff', 'int'], ['n', 'int']],
    doc: 'y[yOff + i] = x[xOff + i] for n elements (slicing, concatenation, copies). Runs on the host side of each ' +
      'device: Float32Array.copyWithin on Wasm, copyBufferToBuffer on WebGPU.',
  },
  copyIf: {
    args: [['x', 'in'], ['y', 'inout'], ['guard', 'in'], ['n', 'int']],
    doc: 'y[i] = x[i] for n elements, only if guard[0] is finite (an optimiser\'s state update under the step\'s loss).',
  },
  descent: {
    args: [['x', 'inout'], ['g', 'in'], ['guard', 'in'], ['n', 'int'], ['eta', 'float']],
    doc: 'x −= eta·g. Every update kernel does nothing unless guard[0] (the step\'s loss) is finite.',
  },
  momentum: {
    args: [['x', 'inout'], ['g', 'in'], ['v', 'inout'], ['guard', 'in'], ['n', 'int'], ['eta', 'float'], ['rho', 'float']],
    doc: 'v = rho·v + eta·g; x −= v (if guard[0] is finite).',
  },
  adam: {
    args: [['x', 'inout'], ['g', 'in'], ['m', 'inout'], ['v', 'inout'], ['guard', 'in'], ['n', 'int'], ['eta', 'float'], ['b1', 'float'],
      ['b2', 'float'], ['eps', 'float'], ['b1t', 'float'], ['b2t', 'float']],
    doc: 'm = b1·m+(1−b1)g; v = b2·v+(1−b2)g²; x −= eta·(m/(1−b1t)) / (√(v/(1−b2t)) + eps) (if guard[0] is finite). ' +
      'b1t, b2t are β^t for this step.',
  },
  adamw: {
    args: [['x', 'inout'], ['g', 'in'], ['m', 'inout'], ['v', 'inout'], ['guard', 'in'], ['n', 'int'], ['eta', 'float'], ['b1', 'float'],
      ['b2', 'float'], ['eps', 'float'], ['b1t', 'float'], ['b2t', 'float'], ['lambda', 'float']],
    doc: 'as adam, with the decay inside the step: x −= eta·(adam direction + lambda·x) (if guard[0] is finite).',
  },
  // Recurrent steps (src/ops/rnn.ts), one kernel per direction for every layer kind.
  rnnStep: {
    args: [['g', 'inout'], ['z', 'in'], ['bias', 'in'], ['h', 'inout'], ['c', 'inout'], ['y', 'out'], ['hp', 'out'], ['cp', 'out'],
      ['hid', 'int'], ['b', 'int'], ['ld', 'int'], ['off', 'int'], ['kind', 'int'], ['act', 'code:unary'], ['alpha', 'float']],
    doc: 'For r < hid, j < b: k = r·b+j in state buffers [rows, b], a = r·ld+off+j in sequence buffers [rows, ld] (ld = len·b, ' +
      'step t at off = t·b; gate q is row block q; z is [gates·hid, b]); hp[a] = h[k] (kinds 0, 1, 2, 4). kind 0 (RNN): g[a] = u = ' +
      'g[a] + z[k] + bias[r]; h[k] = y[a] = f_act(u). 1 (LSTM): gates i, f, c̃, o = σ, σ, tanh, σ of g + z + bias (g keeps them); ' +
      'cp[a] = c[k]; c = f·c + i·c̃; h = y = o·tanh c. 2 (GRU v1): r, u = σ(g + z + bias), n = tanh(g₂ + r·z₂ + bias₂) (g keeps ' +
      'r, u, n); cp[a] = z₂; h = y = (1−u)·n + u·h. 3 (GRUv3, first half): g₀, g₁ = r, u = σ(g + z + bias); c[k] = cp[a] = r·h. ' +
      '4 (GRUv3, second half; z is zn [hid, b]): g₂ = n = tanh(g₂ + z + bias₂); h = y = (1−u)·n + u·h. Buffers a kind does ' +
      'not name are not touched.',
  },
  rnnStepGrad: {
    args: [['g', 'inout'], ['s', 'in'], ['e', 'inout'], ['dy', 'in'], ['dh', 'inout'], ['dz', 'out'],
      ['hid', 'int'], ['b', 'int'], ['ld', 'int'], ['off', 'int'], ['kind', 'int'], ['act', 'code:unary'], ['alpha', 'float']],
    doc: 'Backward of rnnStep\'s kind (dh′ = dy + dh; dz [gates·hid, b] gets the recurrent side). 0: s = y; dz[k] = g[a] = ' +
      'dh′·f_act′(g[a], y[a]). 1: s = cp, e = dc; the gates\' pre-activation gradients to g and dz; dc = dc′·f. 2: s = hp, e = zn; ' +
      'g = (dr, du, dn), zn = dn·r, dz = (dr, du, dn·r); dh = dh′·u. 3 (dy unused): s = hp, e = drh; g₀ = dz₀ = drh·hp·r(1−r); ' +
      'dh += drh·r; dz₁ = g₁. 4: s = hp; g₂ = dz = dn = dh′(1−u)(1−n²), g₁ = dh′(hp−n)·u(1−u); dh = dh′·u.',
  },
} as const satisfies Record<string, KernelSpec>;

export type KernelName = keyof typeof KERNELS;
/** Every kernel name, in table order. */
export const KERNEL_NAMES = Object.keys(KERNELS) as KernelName[];

const BUFFER_KINDS: readonly ArgKind[] = ['in', 'out', 'inout'];
/** True for buffer arguments. */
export const isBuffer = (k: ArgKind): boolean => BUFFER_KINDS.includes(k);

type ArgType<A, B> = A extends readonly [string, 'in' | 'out' | 'inout'] ? B : number;
type ArgTypes<A extends readonly Arg[], B> = { -readonly [I in keyof A]: ArgType<A[I], B> };
type Signature<S extends KernelSpec, B> = (...args: ArgTypes<S['args'], B>) => void;

/** The kernel set a device implements, derived from KERNELS; `B` is the device's buffer type. */
export type Kernels<B> = { [K in KernelName]: Signature<(typeof KERNELS)[K], B> };
