/* C types of bench_machd_mig.defs. */
#ifndef BENCH_MACHD_TYPES_H
#define BENCH_MACHD_TYPES_H
typedef char *bytes4k_t;
typedef char *bytes1m_t;
typedef char *blob_t;
#endif
