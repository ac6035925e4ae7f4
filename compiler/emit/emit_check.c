// The message checkers: __MIG_check__Request__<rt>_t (server side: is this request well formed?)
// and __MIG_check__Reply__<rt>_t (client side: is this the reply we wait for?). Both check the
// complex bit, the size, every descriptor's type and disposition, out-of-line sizes against their
// counts, counts against their bounds and, for requests, string termination.
#include "emit/emit_common.h"

// What differs between the two checkers.
struct check_style {
    bool request;
    const char *ptr;        // "In" or "Out": In0P, In1P, ...
    const char *type;       // "__Request" or "__Reply"
    const char *bad_size;   // MIG_BAD_ARGUMENTS or MIG_TYPE_ERROR
    const char *bad_type;   // MIG_TYPE_ERROR
};

static const struct check_style request_style = {true, "In", "__Request", "MIG_BAD_ARGUMENTS",
                                                  "MIG_TYPE_ERROR"};
static const struct check_style reply_style = {false, "Out", "__Reply", "MIG_TYPE_ERROR",
                                               "MIG_TYPE_ERROR"};

unsigned emit_layout_max_shift(const struct ir_layout *layout) {
    unsigned k = 0;
    for (size_t i = 0; i < layout->field_count; i++)
        if (layout->fields[i].shift_index > k)
            k = layout->fields[i].shift_index;
    return k;
}

// The highest In<k>P / Out<k>P the checker itself reads through: counts of variable data, counts
// of out-of-line data and strings. A request checker hands all of them back to its stub.
static unsigned pointers_needed(const struct ir_layout *layout, const struct check_style *st) {
    if (st->request)
        return emit_layout_max_shift(layout);
    unsigned k = 0;
    for (size_t i = 0; i < layout->field_count; i++) {
        const struct ir_field *f = &layout->fields[i];
        const struct ir_field *cf = f->maybe_count_field;
        bool read = (f->kind == IR_FIELD_DATA && f->is_variable) ||
                    ((f->kind == IR_FIELD_OOL_DESC || f->kind == IR_FIELD_OOL_PORTS_DESC ||
                      f->kind == IR_FIELD_PORT_DESC) &&
                     cf);
        unsigned shift = cf ? cf->shift_index : f->shift_index;
        if (read && shift > k)
            k = shift;
    }
    return k;
}

static uint32_t variable_bytes(const struct ir_layout *layout) {
    return layout->size - layout->min_size;
}

// The received disposition a port descriptor must carry (-1: polymorphic, any right). A type
// that is polymorphic only on the sending side (MACH_MSG_TYPE_PORT_SEND_ONCE and friends: the
// sender picks the disposition through <arg>Poly) still arrives as one fixed right, and the
// receiver checks it, as Apple's stubs do.
static int32_t expected_disposition(const struct ir_field *f) {
    const struct ir_arg *a = f->maybe_arg;
    const struct ir_type *t = a->type->maybe_element ? a->type->maybe_element : a->type;
    return t->out_name.number;
}

static void emit_disposition_test(struct emitter *e, const char *lvalue, const struct ir_field *f) {
    int32_t d = expected_disposition(f);
    if (d < 0)
        em_rawf(e, " ||\n\t    !MACH_MSG_TYPE_PORT_ANY_RIGHT(%s.disposition)", lvalue);
    else
        em_rawf(e, " ||\n\t    %s.disposition != %d", lvalue, (int)d);
}

static void emit_descriptor_checks(struct emitter *e, const struct ir_layout *layout,
                                   const struct check_style *st) {
    for (size_t i = 0; i < layout->field_count; i++) {
        const struct ir_field *f = &layout->fields[i];
        char lvalue[256];
        switch (f->kind) {
        case IR_FIELD_PORT_DESC:
            if (f->array_count > 0) {
                em_open(e, "for (mach_msg_type_number_t i = 0; i < %u; i++)", f->array_count);
                snprintf(lvalue, sizeof lvalue, "%s0P->%s[i]", st->ptr, f->name);
                em_start(e, "if (%s.type != MACH_MSG_PORT_DESCRIPTOR", lvalue);
                emit_disposition_test(e, lvalue, f);
                em_rawf(e, ")\n");
                em_line(e, "\treturn %s;", st->bad_type);
                em_close(e, "");
            } else {
                snprintf(lvalue, sizeof lvalue, "%s0P->%s", st->ptr, f->name);
                em_start(e, "if (%s.type != MACH_MSG_PORT_DESCRIPTOR", lvalue);
                emit_disposition_test(e, lvalue, f);
                em_rawf(e, ")\n");
                em_line(e, "\treturn %s;", st->bad_type);
            }
            break;
        case IR_FIELD_OOL_DESC:
            em_line(e, "if (%s0P->%s.type != MACH_MSG_OOL_DESCRIPTOR)", st->ptr, f->name);
            em_line(e, "\treturn %s;", st->bad_type);
            break;
        case IR_FIELD_OOL_PORTS_DESC:
            snprintf(lvalue, sizeof lvalue, "%s0P->%s", st->ptr, f->name);
            em_start(e, "if (%s.type != MACH_MSG_OOL_PORTS_DESCRIPTOR", lvalue);
            emit_disposition_test(e, lvalue, f);
            em_rawf(e, ")\n");
            em_line(e, "\treturn %s;", st->bad_type);
            break;
        default:
            break;
        }
    }
}

// The header: complex bit, descriptor count and size (exact, or between the bounds when some
// inline data is variable). A reply may instead be a mig_reply_error_t carrying an error.
static void emit_header_checks(struct emitter *e, const struct ir_module *ir,
                               const struct ir_routine *rt, const struct ir_layout *layout,
                               const struct check_style *st) {
    const char *p = st->ptr;
    if (layout->is_variable || !st->request)
        em_line(e, "msgh_size = %s0P->Head.msgh_size;", p);
    if (!st->request) {
        // A simple error reply replaces any reply: header, NDR and a nonzero RetCode.
        em_open(e, "if (!(%s0P->Head.msgh_bits & MACH_MSGH_BITS_COMPLEX) &&\n"
                   "\t    msgh_size == (mach_msg_size_t)sizeof(mig_reply_error_t) &&\n"
                   "\t    ((mig_reply_error_t *)%s0P)->RetCode != KERN_SUCCESS)",
                p, p);
        emit_ndr_convert_retcode(e, ir, rt, p);
        em_line(e, "return ((mig_reply_error_t *)%s0P)->RetCode;", p);
        em_close(e, "");
    }
    em_start(e, "if (%s(%s0P->Head.msgh_bits & MACH_MSGH_BITS_COMPLEX)",
             layout->is_complex ? "!" : "", p);
    if (layout->is_variable)
        em_rawf(e, " ||\n\t    msgh_size < (mach_msg_size_t)(sizeof(%s) - %u) ||\n"
                   "\t    msgh_size > (mach_msg_size_t)sizeof(%s)",
                st->type, variable_bytes(layout), st->type);
    else
        em_rawf(e, " ||\n\t    %s0P->Head.msgh_size != (mach_msg_size_t)sizeof(%s)", p, st->type);
    if (layout->is_complex)
        em_rawf(e, " ||\n\t    %s0P->msgh_body.msgh_descriptor_count != %u", p,
                layout->descriptor_count);
    em_rawf(e, ")\n");
    em_line(e, "\treturn %s;", st->bad_size);
    if (!st->request) {
        // The reply's own reply port must be empty: a reply carries no right in its header.
        em_line(e, "if (%s0P->Head.msgh_request_port != MACH_PORT_NULL)", p);
        em_line(e, "\treturn MIG_TYPE_ERROR;");
        if (layout->has_retcode) {
            emit_ndr_convert_retcode(e, ir, rt, p);
            em_line(e, "if (%s0P->RetCode != KERN_SUCCESS)", p);
            em_line(e, "\treturn %s0P->RetCode;", p);
        }
    }
}

// Walks the variable inline fields in order: each count within its bound and the size exactly
// what the counts say. Sets In<k>P (and *In<k>PP for requests) for the fields that follow.
static void emit_variable_walk(struct emitter *e, const struct ir_module *ir,
                               const struct ir_routine *rt, const struct ir_layout *layout,
                               const struct check_style *st) {
    const char *p = st->ptr;
    em_line(e, "expected = (mach_msg_size_t)(sizeof(%s) - %u);", st->type, variable_bytes(layout));
    for (size_t i = 0; i < layout->field_count; i++) {
        const struct ir_field *f = &layout->fields[i];
        if (f->kind != IR_FIELD_DATA || !f->is_variable)
            continue;
        const struct ir_field *cf = f->maybe_count_field; // a samecount array shares another's
        unsigned k = f->shift_index, ck = cf->shift_index;
        if (cf->maybe_data_field == f) // -n: the sender's count in our representation first
            emit_ndr_convert_count(e, ir, rt, st->request, p, cf);
        em_line(e, "if (%s%uP->%s > %u)", p, ck, cf->name, f->array_count);
        em_line(e, "\treturn %s;", st->bad_size);
        em_line(e, "delta = _WALIGN_(%u * %s%uP->%s);", f->elem_size, p, ck, cf->name);
        em_line(e, "expected += delta;");
        em_line(e, "if (msgh_size < expected)");
        em_line(e, "\treturn %s;", st->bad_size);
        if (k + 1 <= pointers_needed(layout, st)) {
            if (st->request)
                em_line(e, "*%s%uPP = %s%uP = (%s *)((pointer_t)%s%uP + delta - %u);", p, k + 1,
                        p, k + 1, st->type, p, k, f->padded_size);
            else
                em_line(e, "%s%uP = (%s *)((pointer_t)%s%uP + delta - %u);", p, k + 1, st->type,
                        p, k, f->padded_size);
        }
    }
    em_line(e, "if (msgh_size != expected)");
    em_line(e, "\treturn %s;", st->bad_size);
}

// Out-of-line sizes must match their counts, so the work function never reads past the memory.
static void emit_ool_count_checks(struct emitter *e, const struct ir_layout *layout,
                                  const struct check_style *st) {
    const char *p = st->ptr;
    for (size_t i = 0; i < layout->field_count; i++) {
        const struct ir_field *f = &layout->fields[i];
        const struct ir_field *cf = f->maybe_count_field;
        if (f->kind == IR_FIELD_PORT_DESC && cf != NULL) { // array[*:N] of ports
            em_line(e, "if (%s%uP->%s > %u)", p, cf->shift_index, cf->name, f->array_count);
            em_line(e, "\treturn %s;", st->bad_size);
            continue;
        }
        if (f->kind != IR_FIELD_OOL_DESC && f->kind != IR_FIELD_OOL_PORTS_DESC)
            continue;
        const struct ir_arg *a = f->maybe_arg;
        if (cf != NULL && a->type->bound == IR_BOUND_VARIABLE) {
            em_line(e, "if (%s%uP->%s > %u)", p, cf->shift_index, cf->name, a->type->count);
            em_line(e, "\treturn %s;", st->bad_size);
        }
        if (f->kind == IR_FIELD_OOL_PORTS_DESC) {
            if (cf != NULL)
                em_line(e, "if (%s0P->%s.count != %s%uP->%s)", p, f->name, p, cf->shift_index,
                        cf->name);
            else
                em_line(e, "if (%s0P->%s.count != %u)", p, f->name, a->type->count);
        } else if (cf != NULL) {
            uint32_t elem = a->type->elem_size ? a->type->elem_size : 1;
            em_line(e, "if (%s0P->%s.size / %u != %s%uP->%s || %s0P->%s.size %% %u != 0)", p,
                    f->name, elem, p, cf->shift_index, cf->name, p, f->name, elem);
        } else {
            em_line(e, "if (%s0P->%s.size != %u)", p, f->name, a->type->size);
        }
        em_line(e, "\treturn %s;", st->bad_type);
    }
}

// Strings the work function receives must be terminated inside their field.
static void emit_string_checks(struct emitter *e, const struct ir_module *ir,
                               const struct ir_layout *layout, const struct check_style *st) {
    const char *p = st->ptr;
    for (size_t i = 0; i < layout->field_count; i++) {
        const struct ir_field *f = &layout->fields[i];
        if (f->kind != IR_FIELD_DATA || f->maybe_arg == NULL || !f->maybe_arg->type->is_string)
            continue;
        char ptr[256], length[256];
        snprintf(ptr, sizeof ptr, "%s%uP->%s", p, f->shift_index, f->name);
        if (f->is_variable)
            snprintf(length, sizeof length, "%s%uP->%s", p, f->maybe_count_field->shift_index,
                     f->maybe_count_field->name);
        else
            snprintf(length, sizeof length, "%u", f->size);
        emit_string_terminated_check(e, ir->kernel_server, ptr, length, st->bad_size);
    }
}

static void emit_checker(struct emitter *e, const struct ir_module *ir,
                         const struct ir_routine *rt, const struct check_style *st) {
    const struct ir_layout *layout = st->request ? &rt->request : &rt->reply;
    const char *name = st->request ? rt->request_checker : rt->reply_checker;
    const char *group = st->request ? ir->names.request_checkers_guard
                                    : ir->names.reply_checkers_guard;
    const char *p = st->ptr;
    unsigned shifts = pointers_needed(layout, st);

    em_pp(e, "#if %s", group);
    em_pp(e, "#if !defined(%s__defined)", name);
    em_pp(e, "#define %s__defined", name);
    emit_ndr_declarations(e, ir, rt, st->request);
    em_blank(e);
    em_start(e, "mig_internal kern_return_t %s(__attribute__((__unused__)) %s *%s0P", name,
             layout->typedef_name, p);
    if (st->request)
        for (unsigned k = 1; k <= shifts; k++)
            em_rawf(e, ", __attribute__((__unused__)) %s **%s%uPP", layout->typedef_name, p, k);
    em_rawf(e, ")\n");
    em_block(e);
    em_line(e, "typedef %s %s __attribute__((unused));", layout->typedef_name, st->type);
    for (unsigned k = 1; k <= shifts; k++)
        em_line(e, "%s *%s%uP;", st->type, p, k);
    if (layout->is_variable || !st->request)
        em_line(e, "mach_msg_size_t msgh_size;");
    if (layout->is_variable)
        em_line(e, "mach_msg_size_t expected, delta;");
    em_blank(e);
    if (!st->request) {
        em_open(e, "if (%s0P->Head.msgh_id != %d)", p, (int)rt->reply_id);
        em_line(e, "if (%s0P->Head.msgh_id == MACH_NOTIFY_SEND_ONCE)", p);
        em_line(e, "\treturn MIG_SERVER_DIED;");
        em_line(e, "return MIG_REPLY_MISMATCH;");
        em_close(e, "");
    }
    emit_header_checks(e, ir, rt, layout, st);
    emit_descriptor_checks(e, layout, st);
    if (layout->is_variable)
        emit_variable_walk(e, ir, rt, layout, st);
    emit_ndr_convert_block(e, ir, rt, st->request, p, 0);
    emit_ool_count_checks(e, layout, st);
    emit_ndr_convert_block(e, ir, rt, st->request, p, 1);
    emit_ndr_convert_block(e, ir, rt, st->request, p, 2);
    if (st->request)
        emit_string_checks(e, ir, layout, st);
    em_line(e, "return MACH_MSG_SUCCESS;");
    em_close(e, "");
    em_pp(e, "#endif /* !defined(%s__defined) */", name);
    em_pp(e, "#endif /* %s */", group);
    em_blank(e);
}

void emit_request_checker(struct emitter *e, const struct ir_module *ir,
                          const struct ir_routine *rt) {
    emit_checker(e, ir, rt, &request_style);
}

void emit_reply_checker(struct emitter *e, const struct ir_module *ir,
                        const struct ir_routine *rt) {
    emit_checker(e, ir, rt, &reply_style);
}
