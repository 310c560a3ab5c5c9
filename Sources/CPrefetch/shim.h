// A cache hint for the matrix products of Jacobians: the compiler's prefetch builtin, which
// Swift cannot name, as an inline function (no library, nothing to link).
#ifndef JACOBIANS_CPREFETCH_SHIM_H
#define JACOBIANS_CPREFETCH_SHIM_H

/// Asks for the cache line holding `p` to be brought into the caches, for reading (a hint:
/// no fault, no effect on any value).
static inline __attribute__((always_inline)) void jacobians_prefetch_read(const void *p) {
  __builtin_prefetch(p, 0, 3);
}

#endif
