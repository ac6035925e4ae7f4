// The compiler pipeline (migc_compile): parse, then the check steps in order, stopping after the
// first step that reported an error. The result is the checked IR that emitters read.
#include "driver/pipeline.h"

#include "check/check.h"
#include "parse/ast.h"
#include "parse/parse.h"
#include "support/diag.h"
#include "support/migc.h"

typedef bool (*check_step)(struct check_ctx *cx);

bool migc_compile(struct migc *ctx, const char *name, const char *text, size_t len,
                  const struct ir_module **out) {
    static const check_step steps[] = {
        check_collect, check_types,  check_routines, check_implicit,
        check_ids,     check_layout, check_verify,
    };
    *out = NULL;
    struct ast_file *ast = parse_source(ctx, name, text, len);
    if (ast->syntax_errors > 0 || diag_error_count(ctx->diags) > 0)
        return false;
    struct check_ctx cx;
    check_ctx_init(&cx, ctx->arena, ctx->diags, &ctx->options, ast);
    bool ok = true;
    for (size_t i = 0; ok && i < sizeof steps / sizeof steps[0]; i++)
        ok = steps[i](&cx);
    check_ctx_fini(&cx);
    if (ok)
        *out = cx.ir;
    return ok;
}
