/* C types of machd_ool_mig.defs, and the byte pattern both sides check. */
#ifndef MACHD_OOL_MIG_TYPES_H
#define MACHD_OOL_MIG_TYPES_H

#include <stddef.h>
#include <stdint.h>

typedef char *blob_t;
typedef int *ints_t;

/* Byte i of the pattern of `seed` (not periodic with any power of two below 2^32). */
static inline char ool_mig_pattern(int seed, size_t i) {
    uint32_t x = (uint32_t)seed * 2654435761u + (uint32_t)i * 40503u;
    x ^= x >> 13;
    return (char)(x * 0x9e3779b1u >> 24);
}

#endif
