// Check step 5, ids: msgh_id = base + slot index (skips count), reply id = request id + 100.
// Ids must fit in a mach_msg_id_t; more than 100 slots makes reply ids collide with request ids
// of later routines, which Apple's MIG accepts silently: a warning here.
#include "check/check.h"
#include "support/arena.h"

bool check_ids(struct check_ctx *cx) {
    unsigned errors = check_error_count(cx);
    struct ir_module *ir = cx->ir;
    for (size_t i = 0; i < ir->routine_count; i++) {
        struct ir_routine *rt = &ir->routines[i];
        int64_t id = (int64_t)ir->base + (int64_t)i;
        int64_t reply = id + 100;
        if (rt->kind == IR_KIND_SKIP)
            continue;
        if (id > INT32_MAX || (rt->kind == IR_KIND_ROUTINE && reply > INT32_MAX)) {
            const struct ast_stmt *s = cx->routines[i].stmt;
            diag_report(cx->diags, DIAG_ID_OVERFLOW, s->u.routine.name.span, rt->name,
                        check_num(cx, (uint64_t)(id > INT32_MAX ? id : reply)));
            continue;
        }
        rt->request_id = (int32_t)id;
        rt->reply_id = (int32_t)reply;
    }
    if (ir->routine_count > 100) {
        diag_report(cx->diags, DIAG_TOO_MANY_SLOTS, cx->subsystem_span, ir->subsystem,
                    check_num(cx, ir->routine_count));
        // Name one concrete collision: the reply of a routine and the request of the routine
        // 100 slots later.
        for (size_t i = 0; i + 100 < ir->routine_count; i++) {
            const struct ir_routine *a = &ir->routines[i], *b = &ir->routines[i + 100];
            if (a->kind == IR_KIND_ROUTINE && b->kind != IR_KIND_SKIP) {
                diag_report(cx->diags, DIAG_NOTE_ID_COLLISION, cx->routines[i + 100].stmt->span,
                            a->name, b->name, check_num(cx, (uint64_t)b->request_id));
                break;
            }
        }
    }
    return check_error_count(cx) == errors;
}
