// binop: each binary op's vector body b_NAME(a, b) on four lanes, NAME as in BINARY_OPS
// (src/ops/codes.ts); the generated binary kernel (scripts/asbuild.mjs) calls them by name, so a
// table row without its function here is a compile error. All @inline, so each op's body lands
// in its own loop (assembly/map.ts binaryMap).
import { vlog, vpow, sel } from "./simd";

@inline export function b_add(a: v128, b: v128): v128 { return f32x4.add(a, b); }
@inline export function b_sub(a: v128, b: v128): v128 { return f32x4.sub(a, b); }
@inline export function b_mul(a: v128, b: v128): v128 { return f32x4.mul(a, b); }
@inline export function b_div(a: v128, b: v128): v128 { return f32x4.div(a, b); }
@inline export function b_pow(a: v128, b: v128): v128 { return vpow(a, b); }
@inline export function b_maximum(a: v128, b: v128): v128 { return f32x4.max(a, b); }
@inline export function b_minimum(a: v128, b: v128): v128 { return f32x4.min(a, b); }
@inline export function b_greater(a: v128, b: v128): v128 { return v128.and(f32x4.gt(a, b), f32x4.splat(1)); }
@inline export function b_xlogy(a: v128, b: v128): v128 { return sel(f32x4.eq(a, f32x4.splat(0)), f32x4.splat(0), f32x4.mul(a, vlog(b))); }
@inline export function b_equal(a: v128, b: v128): v128 { return v128.and(f32x4.eq(a, b), f32x4.splat(1)); }
