// thread_scratch: not a kernel; the Wasm pool (src/backends/threads.ts) gives every instance it
// runs on a shared memory its own scratch block (assembly/tls.ts) before any kernel runs there.
import { setTls, TLS_BYTES } from "../tls";

/** Points this instance's per-thread scratch at `p` (thread_scratch_bytes() bytes, 16-aligned). */
export function thread_scratch(p: usize): void { setTls(p); }

/** The bytes thread_scratch needs. */
export function thread_scratch_bytes(): i32 { return TLS_BYTES; }
