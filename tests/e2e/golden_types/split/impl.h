/* Stand-in for the iimport of tests/golden/split.defs: only the .c files include it. */
#define SPLIT_IMPL 1
