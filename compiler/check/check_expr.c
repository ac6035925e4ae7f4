// Size expressions (`array[2 * (N + 1)] of int`): constant folding with 64-bit checked
// arithmetic, reporting overflow, division by zero and negative results at the operator.
#include <inttypes.h>
#include <stdio.h>

#include "check/check.h"
#include "support/arena.h"

// Folds `e` into a signed value; returns false after reporting an error.
static bool fold(struct check_ctx *cx, const struct ast_expr *e, int64_t *out) {
    if (e->kind == AST_EXPR_NUMBER) {
        if (e->u.number > (uint64_t)INT64_MAX) {
            diag_report(cx->diags, DIAG_SIZE_OVERFLOW, e->span);
            return false;
        }
        *out = (int64_t)e->u.number;
        return true;
    }
    int64_t a = 0, b = 0; /* gcc 12 -O2 sees a path where they are unset (there is none) */
    bool ok_a = fold(cx, e->u.binary.lhs, &a);
    bool ok_b = fold(cx, e->u.binary.rhs, &b);
    if (!ok_a || !ok_b)
        return false;
    int64_t r = 0;
    bool overflow = false;
    switch (e->u.binary.op) {
    case AST_OP_ADD: overflow = __builtin_add_overflow(a, b, &r); break;
    case AST_OP_SUB: overflow = __builtin_sub_overflow(a, b, &r); break;
    case AST_OP_MUL: overflow = __builtin_mul_overflow(a, b, &r); break;
    case AST_OP_DIV:
        if (b == 0) {
            diag_report(cx->diags, DIAG_DIVISION_BY_ZERO, e->span);
            return false;
        }
        if (a == INT64_MIN && b == -1)
            overflow = true;
        else
            r = a / b;
        break;
    }
    if (overflow) {
        diag_report(cx->diags, DIAG_SIZE_OVERFLOW, e->span);
        return false;
    }
    *out = r;
    return true;
}

bool check_eval_size(struct check_ctx *cx, const struct ast_expr *expr, uint32_t *out) {
    int64_t v;
    if (!fold(cx, expr, &v))
        return false;
    if (v < 0) {
        diag_report(cx->diags, DIAG_NEGATIVE_SIZE, expr->span);
        return false;
    }
    if (v > (int64_t)UINT32_MAX) {
        diag_report(cx->diags, DIAG_SIZE_TOO_LARGE, expr->span, check_num(cx, (uint64_t)v));
        return false;
    }
    *out = (uint32_t)v;
    return true;
}

const char *check_num(struct check_ctx *cx, uint64_t value) {
    return arena_printf(cx->arena, "%" PRIu64, value);
}
