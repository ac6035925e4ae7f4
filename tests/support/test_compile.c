// Test support for the compiler (see test_compile.h).
#define _POSIX_C_SOURCE 200809L
#include "test_compile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse/ast.h"
#include "support/arena.h"
#include "support/diag.h"
#include "support/strbuf.h"
#include "support/xalloc.h"

struct test_parse *test_parse_bytes(const char *text, size_t len, const struct migc_options *options) {
    struct test_parse *tp = xcalloc(1, sizeof *tp);
    FILE *stream = open_memstream(&tp->diag_text, &tp->diag_len);
    if (!stream)
        abort();
    tp->stream = stream;
    struct migc_options defaults = {0};
    tp->ctx = migc_create(options ? options : &defaults, stream);
    tp->ast = parse_source(tp->ctx, "test.defs", text, len);
    return tp;
}

struct test_parse *test_parse_string(const char *text, const struct migc_options *options) {
    return test_parse_bytes(text, strlen(text), options);
}

const char *test_parse_output(struct test_parse *tp) {
    migc_finish(tp->ctx);
    fflush(tp->stream);
    return tp->diag_text ? tp->diag_text : "";
}

const char *test_parse_dump(struct test_parse *tp) {
    struct strbuf sb = STRBUF_INIT;
    ast_dump(tp->ast, false, &sb);
    char *s = arena_strdup(tp->ctx->arena, strbuf_cstr(&sb));
    strbuf_fini(&sb);
    return s;
}

unsigned test_parse_errors(const struct test_parse *tp) { return migc_error_count(tp->ctx); }

size_t test_parse_diag_count(const struct test_parse *tp) {
    return diag_record_count(tp->ctx->diags);
}

bool test_parse_diag_is(const struct test_parse *tp, size_t index, unsigned id, unsigned line,
                        unsigned col) {
    const struct diag_record *r = diag_record_get(tp->ctx->diags, index);
    if (r && (unsigned)r->id == id && r->span.begin.line == line && r->span.begin.col == col)
        return true;
    if (r)
        fprintf(stderr, "diagnostic %zu: found E%04u at %u:%u (%s), expected E%04u at %u:%u\n",
                index, (unsigned)r->id, (unsigned)r->span.begin.line, (unsigned)r->span.begin.col,
                r->message, id, line, col);
    else
        fprintf(stderr, "diagnostic %zu: none (only %zu), expected E%04u at %u:%u\n", index,
                diag_record_count(tp->ctx->diags), id, line, col);
    return false;
}

void test_parse_free(struct test_parse *tp) {
    if (!tp)
        return;
    migc_destroy(tp->ctx);
    fclose(tp->stream);
    free(tp->diag_text);
    free(tp);
}
