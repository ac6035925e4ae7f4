// The context the check steps share (see check.h): one per compilation, made by the pipeline.
#include "check/check.h"

#include <string.h>

#include "ir/target.h"
#include "support/arena.h"
#include "support/diag.h"

void check_ctx_init(struct check_ctx *cx, struct arena *arena, struct diag_engine *diags,
                    const struct migc_options *options, const struct ast_file *ast) {
    memset(cx, 0, sizeof *cx);
    cx->arena = arena;
    cx->diags = diags;
    cx->options = options;
    cx->ast = ast;
    cx->target = target_lp64();
    cx->ir = ARENA_NEW(arena, struct ir_module);
    cx->ir->target = cx->target;
    symtab_init(&cx->types);
}

void check_ctx_fini(struct check_ctx *cx) { symtab_fini(&cx->types); }

unsigned check_error_count(const struct check_ctx *cx) { return diag_error_count(cx->diags); }
