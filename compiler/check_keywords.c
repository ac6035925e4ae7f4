// C keywords, which may not name anything that becomes a C identifier in the generated code
// (routines, arguments, types used as C types, prefixes). A sorted table and binary search.
#include <stdlib.h>
#include <string.h>

#include "check.h"

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
