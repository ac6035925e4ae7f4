/* C types of bench_stubs.defs. */
#ifndef BENCH_STUBS_TYPES_H
#define BENCH_STUBS_TYPES_H
typedef char *bytes4k_t;
typedef char *blob_t;
#endif
