/* Stand-in for the uimport of tests/golden/split.defs: the client side only. */
#ifdef SPLIT_SERVER_SIDE
#error "uimport reached the server side"
#endif
#define SPLIT_USER_SIDE 1
