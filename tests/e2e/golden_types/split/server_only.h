/* Stand-in for the simport of tests/golden/split.defs: the server side only. */
#ifdef SPLIT_USER_SIDE
#error "simport reached the client side"
#endif
#define SPLIT_SERVER_SIDE 1
