// copyIf: y = x for n floats if guard[0] (the step's loss) is finite: an optimiser's state
// update that a non-finite loss cancels, as the update kernels do. O(n).
import { finiteAt } from "../simd";

/** y[i] = x[i] for n elements, only if guard[0] is finite. */
export function copyIf(x: usize, y: usize, guard: usize, n: i32): void {
  if (finiteAt(guard)) memory.copy(y, x, <usize>n << 2);
}
