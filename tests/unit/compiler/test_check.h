// Shared helpers for the check and layout unit tests: compile a .defs string through the library
// (no preprocessor) and look at the IR and the recorded diagnostics.
#ifndef MIGC_TEST_CHECK_H
#define MIGC_TEST_CHECK_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver/pipeline.h"
#include "ir/ir.h"
#include "support/diag.h"
#include "support/migc.h"

// Declarations every interface in these tests starts with (a tiny std_types).
#define PRELUDE                                                                                    \
    "subsystem test 1000;\n"                                                                       \
    "type int = MACH_MSG_TYPE_INTEGER_32;\n"                                                       \
    "type char = MACH_MSG_TYPE_CHAR;\n"                                                            \
    "type int64_t = MACH_MSG_TYPE_INTEGER_64;\n"                                                   \
    "type mach_port_t = MACH_MSG_TYPE_COPY_SEND;\n"                                                \
    "type mach_port_move_send_t = MACH_MSG_TYPE_MOVE_SEND;\n"                                      \
    "type mach_port_poly_t = polymorphic;\n"                                                       \
    "type mach_port_send_once_t = MACH_MSG_TYPE_PORT_SEND_ONCE;\n"

struct compiled {
    struct migc *ctx;
    const struct ir_module *ir;
    FILE *diag_out;
    char *diag_text;
    size_t diag_len;
};

// Compiles `text`; the IR is NULL when a step failed. Diagnostics go to a memory stream.
static inline void compile_text(struct compiled *c, const char *text) {
    struct migc_options options = {0};
    c->diag_text = NULL;
    c->diag_len = 0;
    c->diag_out = open_memstream(&c->diag_text, &c->diag_len);
    c->ctx = migc_create(&options, c->diag_out);
    c->ir = NULL;
    migc_compile(c->ctx, "test.defs", text, strlen(text), &c->ir);
}

static inline void compiled_fini(struct compiled *c) {
    migc_destroy(c->ctx);
    fclose(c->diag_out);
    free(c->diag_text);
}

// The first recorded diagnostic with `id`, or NULL.
static inline const struct diag_record *find_diag(const struct compiled *c, unsigned id) {
    for (size_t i = 0; i < diag_record_count(c->ctx->diags); i++) {
        const struct diag_record *r = diag_record_get(c->ctx->diags, i);
        if ((unsigned)r->id == id)
            return r;
    }
    return NULL;
}

#endif
