// Generated C names: joining name parts in the arena (cheaper than printf for the thousands of
// names a large interface needs), and the C keywords, which may not name anything that becomes a
// C identifier (routines, arguments, the subsystem). A sorted table and binary search.
#include <stdlib.h>
#include <string.h>

#include "check/check.h"
#include "support/arena.h"

const char *check_cat(struct check_ctx *cx, const char *a, const char *b, const char *c) {
    size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
    char *p = arena_alloc(cx->arena, la + lb + lc + 1);
    memcpy(p, a, la);
    memcpy(p + la, b, lb);
    memcpy(p + la + lb, c, lc);
    p[la + lb + lc] = '\0';
    return p;
}

static const char *const c_keywords[] = {
    "_Alignas",   "_Alignof", "_Atomic",  "_Bool",    "_Complex", "_Generic", "_Imaginary",
    "_Noreturn",  "_Static_assert", "_Thread_local", "asm", "auto",  "bool",   "break",
    "case",       "char",     "const",    "continue", "default",  "do",       "double",
    "else",       "enum",     "extern",   "false",    "float",    "for",      "goto",
    "if",         "inline",   "int",      "long",     "register", "restrict", "return",
    "short",      "signed",   "sizeof",   "static",   "struct",   "switch",   "true",
    "typedef",    "typeof",   "union",    "unsigned", "void",     "volatile", "while",
};

static int compare_keyword(const void *key, const void *elem) {
    return strcmp((const char *)key, *(const char *const *)elem);
}

bool check_is_c_keyword(const char *name) {
    return bsearch(name, c_keywords, sizeof c_keywords / sizeof c_keywords[0],
                   sizeof c_keywords[0], compare_keyword) != NULL;
}
