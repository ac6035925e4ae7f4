// The compilation context (see migc.h): owns the arena and the diagnostics engine.
#include "migc.h"

#include <stdlib.h>

#include "arena.h"
#include "diag.h"

enum { MIGC_DEFAULT_ERROR_LIMIT = 20 };

struct migc *migc_create(const struct migc_options *options, FILE *diag_out) {
    struct migc *ctx = xcalloc(1, sizeof *ctx);
    if (options)
        ctx->options = *options;
    ctx->arena = arena_create();
    struct diag_options d = {
        .color = ctx->options.color,
        .json = ctx->options.json_diagnostics,
        .quiet = ctx->options.quiet,
        .werror = ctx->options.werror,
        .error_limit =
            ctx->options.error_limit ? ctx->options.error_limit : MIGC_DEFAULT_ERROR_LIMIT,
    };
    ctx->diags = diag_engine_create(&d, diag_out);
    return ctx;
}

void migc_destroy(struct migc *ctx) {
    if (!ctx)
        return;
    diag_engine_destroy(ctx->diags);
    arena_destroy(ctx->arena);
    free(ctx);
}

unsigned migc_error_count(const struct migc *ctx) { return diag_error_count(ctx->diags); }

void migc_finish(struct migc *ctx) { diag_engine_finish(ctx->diags); }
