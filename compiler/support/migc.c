// The compilation context (see migc.h): owns the arena and the diagnostics engine.
#include "support/migc.h"

#include <inttypes.h>
#include <stdlib.h>

#include "support/arena.h"
#include "support/diag.h"
#include "support/xalloc.h"

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

void migc_report_too_large(struct migc *ctx, const char *file, const char *what, uint64_t size) {
    char reason[160];
    snprintf(reason, sizeof reason, "%s %" PRIu64 " bytes, more than the %zu bytes mig can read",
             what, size, MIGC_MAX_INPUT_BYTES);
    diag_report(ctx->diags, DIAG_CANNOT_OPEN_INPUT, SRC_SPAN_NONE, file, reason);
}
