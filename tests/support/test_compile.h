// Test support for the compiler: parse a string through the library with diagnostics captured
// in memory, then assert on the AST dump and on diagnostics by id, line and column.
#ifndef OPENMIG_TEST_COMPILE_H
#define OPENMIG_TEST_COMPILE_H

#include <stdbool.h>
#include <stddef.h>

#include "driver/pipeline.h"
#include "parse/parse.h"
#include "support/migc.h"

struct test_parse {
    struct migc *ctx;
    struct ast_file *ast;
    char *diag_text; // everything the diagnostics engine printed (after test_parse_finish)
    size_t diag_len;
    void *stream;    // FILE * of the memstream
};

// Parses `text` (named "test.defs") with `options` (NULL for defaults). Never fails.
struct test_parse *test_parse_string(const char *text, const struct migc_options *options);

// Same, for `len` bytes that may contain NUL bytes.
struct test_parse *test_parse_bytes(const char *text, size_t len, const struct migc_options *options);

// Runs migc_finish and returns what the engine printed.
const char *test_parse_output(struct test_parse *tp);

// The S-expression dump of the AST (ast_dump, no spans); the string lives as long as tp.
const char *test_parse_dump(struct test_parse *tp);

// Number of errors / of recorded diagnostics (notes included).
unsigned test_parse_errors(const struct test_parse *tp);
size_t test_parse_diag_count(const struct test_parse *tp);

// True when diagnostic number `index` (0-based, notes included) has this id, line and column.
// On mismatch prints what it found to stderr.
bool test_parse_diag_is(const struct test_parse *tp, size_t index, unsigned id, unsigned line,
                        unsigned col);

void test_parse_free(struct test_parse *tp);

#endif
