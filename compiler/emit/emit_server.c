// The server source (-server, <subsys>Server.c): per routine a request checker and a server
// stub _X<rt> (check, unpack, call the work function, pack the reply), then the subsystem table,
// the demux <subsys>_server and its lookup <subsys>_server_routine.
#include "emit/emit_common.h"
#include "emit/emitters.h"
#include "ir/target.h"

// --- where values live --------------------------------------------------------------------------

static bool has_intran(const struct ir_arg *a) {
    return a->type->maybe_intran != NULL && a->dir != IR_DIR_OUT;
}

static bool has_outtran(const struct ir_arg *a) {
    return a->type->maybe_outtran != NULL && a->dir != IR_DIR_IN;
}

// An out value the work function writes straight into the reply (it sits at a fixed place).
static bool out_is_direct(const struct ir_arg *a) {
    const struct ir_field *f = a->maybe_reply_field;
    if (f == NULL || has_outtran(a))
        return false;
    if (f->kind == IR_FIELD_PORT_DESC)
        return f->array_count == 0;
    if (f->kind == IR_FIELD_OOL_DESC || f->kind == IR_FIELD_OOL_PORTS_DESC)
        return false;
    if (a->type->is_string && f->is_variable)
        return false;
    return f->shift_index == 0;
}

static bool is_ool(const struct ir_field *f) {
    return f != NULL && (f->kind == IR_FIELD_OOL_DESC || f->kind == IR_FIELD_OOL_PORTS_DESC);
}

// An inout out-of-line argument: the work function gets the request's region and count and
// may replace both; the reply sends what it leaves there.
static bool is_inout_ool(const struct ir_arg *a) {
    return a != NULL && a->dir == IR_DIR_INOUT && is_ool(a->maybe_request_field);
}

// A count the work function sets (it travels in the reply; with countinout the request carries
// the caller's capacity as well).
static bool is_out_count(const struct ir_arg *cnt) {
    return cnt->maybe_reply_field != NULL && (cnt->dir == IR_DIR_OUT || cnt->dir == IR_DIR_INOUT);
}

// The reply field of a count argument's data is variable inline data written directly.
static bool count_is_direct(const struct ir_arg *cnt) {
    const struct ir_arg *parent = cnt->maybe_parent;
    const struct ir_field *f = cnt->maybe_reply_field;
    return parent != NULL && f != NULL && parent->maybe_reply_field != NULL &&
           parent->maybe_reply_field->is_variable && out_is_direct(parent);
}

// Arguments whose value the stub keeps in a local variable around the call.
static bool needs_local(const struct ir_arg *a) {
    if (!a->on_server_side)
        return false;
    switch (a->role) {
    case IR_ROLE_REQUEST_PORT:
    case IR_ROLE_REPLY_PORT:
        return has_intran(a);
    case IR_ROLE_DATA:
        if (a->dir == IR_DIR_IN)
            return has_intran(a) || (a->maybe_request_field != NULL &&
                                     a->maybe_request_field->kind == IR_FIELD_PORT_DESC &&
                                     a->maybe_request_field->array_count > 0);
        if (a->dir == IR_DIR_INOUT)
            return has_intran(a) || has_outtran(a) || is_ool(a->maybe_request_field);
        return !out_is_direct(a);
    case IR_ROLE_COUNT:
        return is_out_count(a) && !count_is_direct(a);
    case IR_ROLE_POLY:
    case IR_ROLE_DEALLOC:
        return a->dir == IR_DIR_OUT;
    default:
        return false;
    }
}

static void emit_local_decl(struct emitter *e, const struct ir_arg *a) {
    const struct ir_field *f = a->dir == IR_DIR_IN ? a->maybe_request_field : a->maybe_reply_field;
    if (a->role == IR_ROLE_DATA && f != NULL && f->kind == IR_FIELD_DATA &&
        (f->is_variable || a->type->is_string || a->type->shape == IR_SHAPE_ARRAY) &&
        !has_outtran(a)) {
        const char *elem = a->type->server_elem_type ? a->type->server_elem_type : "char";
        if (a->type->is_string)
            em_line(e, "char %s[%u];", a->name, f->array_count ? f->array_count : f->size);
        else
            em_line(e, "%s %s[%u];", elem, a->name, f->array_count);
    } else if (a->role == IR_ROLE_DATA && f != NULL && f->kind == IR_FIELD_PORT_DESC &&
               f->array_count > 0) {
        em_line(e, "mach_port_t %s[%u];", a->name, f->array_count);
    } else {
        em_line(e, "%s %s;", a->server_c_type, a->name);
    }
}

// The request field value of an in argument (before translation).
static void emit_request_value(struct emitter *e, const struct ir_arg *a) {
    if (a->role == IR_ROLE_REQUEST_PORT) {
        em_rawf(e, "In0P->Head.msgh_request_port");
        return;
    }
    if (a->role == IR_ROLE_REPLY_PORT) {
        em_rawf(e, "In0P->Head.msgh_reply_port");
        return;
    }
    const struct ir_field *f = a->maybe_request_field;
    switch (f->kind) {
    case IR_FIELD_PORT_DESC:
        em_rawf(e, "In0P->%s.name", f->name);
        break;
    case IR_FIELD_OOL_DESC:
    case IR_FIELD_OOL_PORTS_DESC:
        em_rawf(e, "(%s)(In0P->%s.address)", a->server_c_type, f->name);
        break;
    default:
        em_rawf(e, "In%uP->%s", f->shift_index, f->name);
        break;
    }
}

// The trailer element an argument receives.
static const char *trailer_member(const struct ir_arg *a) {
    switch (a->role) {
    case IR_ROLE_MSGSEQNO:
        return "msgh_seqno";
    case IR_ROLE_SEC_TOKEN:
        return "msgh_sender";
    case IR_ROLE_AUDIT_TOKEN:
        return "msgh_audit";
    default:
        return "msgh_context";
    }
}

// One argument of the call to the work function.
static void emit_call_arg(struct emitter *e, const struct ir_arg *a) {
    const char *amp = a->server_by_reference ? "&" : "";
    switch (a->role) {
    case IR_ROLE_MSGSEQNO:
    case IR_ROLE_SEC_TOKEN:
    case IR_ROLE_AUDIT_TOKEN:
    case IR_ROLE_CONTEXT_TOKEN:
        em_rawf(e, "TrailerP->%s", trailer_member(a));
        return;
    case IR_ROLE_POLY: {
        const struct ir_arg *parent = a->maybe_parent;
        if (a->dir == IR_DIR_OUT)
            em_rawf(e, "&%s", a->name);
        else if (parent->role == IR_ROLE_REQUEST_PORT)
            em_rawf(e, "MACH_MSGH_BITS_REQUEST(In0P->Head.msgh_bits)");
        else if (parent->role == IR_ROLE_REPLY_PORT)
            em_rawf(e, "MACH_MSGH_BITS_REPLY(In0P->Head.msgh_bits)");
        else
            em_rawf(e, "In0P->%s.disposition", parent->maybe_request_field->name);
        return;
    }
    case IR_ROLE_DEALLOC: // dealloc[] on an out argument: the work function decides
        em_rawf(e, "&%s", a->name);
        return;
    case IR_ROLE_COUNT:
        if (is_out_count(a)) {
            if (count_is_direct(a))
                em_rawf(e, "&Out0P->%s", a->maybe_reply_field->name);
            else
                em_rawf(e, "&%s", a->name);
        } else {
            em_rawf(e, "In%uP->%s", a->maybe_request_field->shift_index,
                    a->maybe_request_field->name);
        }
        return;
    default:
        break;
    }
    if (needs_local(a)) {
        const struct ir_field *f =
            a->dir == IR_DIR_IN ? a->maybe_request_field : a->maybe_reply_field;
        bool is_buffer = f != NULL && f->kind != IR_FIELD_PORT_DESC && !has_outtran(a) &&
                         (f->kind == IR_FIELD_DATA) &&
                         (f->is_variable || a->type->is_string || a->type->shape == IR_SHAPE_ARRAY);
        bool is_port_array = f != NULL && f->kind == IR_FIELD_PORT_DESC && f->array_count > 0;
        em_rawf(e, "%s%s", is_buffer || is_port_array ? "" : amp, a->name);
        return;
    }
    if (a->dir == IR_DIR_OUT) {
        const struct ir_field *f = a->maybe_reply_field;
        if (f->kind == IR_FIELD_PORT_DESC)
            em_rawf(e, "&Out0P->%s.name", f->name);
        else if (a->type->is_string || a->type->shape == IR_SHAPE_ARRAY)
            em_rawf(e, "Out0P->%s", f->name);
        else
            em_rawf(e, "&Out0P->%s", f->name);
        return;
    }
    if (a->dir == IR_DIR_INOUT) {
        const struct ir_field *f = a->maybe_request_field;
        if (f->kind == IR_FIELD_PORT_DESC)
            em_rawf(e, "&In%uP->%s.name", f->shift_index, f->name);
        else if (a->type->is_string || a->type->shape == IR_SHAPE_ARRAY)
            em_rawf(e, "In%uP->%s", f->shift_index, f->name);
        else
            em_rawf(e, "&In%uP->%s", f->shift_index, f->name);
        return;
    }
    const struct ir_field *in = a->maybe_request_field;
    if (in != NULL && in->is_optional_native) {
        em_rawf(e, "(In%uP->__Present__%s ? &In%uP->%s.__Real__%s : %s)", in->shift_index,
                in->name, in->shift_index, in->name, in->name,
                a->type->maybe_native_bad_value ? a->type->maybe_native_bad_value : "0");
        return;
    }
    if (a->server_by_reference && a->maybe_request_field &&
        a->maybe_request_field->kind == IR_FIELD_DATA && !a->type->is_string &&
        a->type->shape != IR_SHAPE_ARRAY) {
        em_rawf(e, "&");
    }
    emit_request_value(e, a);
}

// --- before the call --------------------------------------------------------------------------

static void emit_locals(struct emitter *e, const struct ir_routine *rt) {
    for (size_t i = 0; i < rt->arg_count; i++)
        if (needs_local(&rt->args[i]))
            emit_local_decl(e, &rt->args[i]);
}

static void emit_trailer_check(struct emitter *e, const struct ir_module *ir,
                               const struct ir_routine *rt) {
    const struct target_abi *abi = ir->target;
    uint32_t need = 0;
    const char *what = "";
    switch (rt->server_trailer_max) {
    case IR_TRAILER_SEQNO:
        need = abi->seqno_trailer_offset + 4;
        what = "msgh_seqno";
        break;
    case IR_TRAILER_SENDER:
        need = abi->sender_trailer_offset + abi->security_token_size;
        what = "msgh_sender";
        break;
    case IR_TRAILER_AUDIT:
        need = abi->audit_trailer_offset + abi->audit_token_size;
        what = "msgh_audit";
        break;
    case IR_TRAILER_CONTEXT:
        need = abi->context_trailer_offset + abi->context_size;
        what = "msgh_context";
        break;
    case IR_TRAILER_NONE:
        return;
    }
    em_line(e, "TrailerP = (mach_msg_max_trailer_t *)((vm_offset_t)In0P + "
               "round_msg(In0P->Head.msgh_size));");
    em_line(e, "if (TrailerP->msgh_trailer_type != MACH_MSG_TRAILER_FORMAT_0)");
    em_line(e, "\t{ MIG_RETURN_ERROR(Out0P, MIG_TRAILER_ERROR); }");
    em_line(e, "if (TrailerP->msgh_trailer_size < %u) /* up to and including %s */", need, what);
    em_line(e, "\t{ MIG_RETURN_ERROR(Out0P, MIG_TRAILER_ERROR); }");
    em_blank(e);
}

static void emit_before_call(struct emitter *e, const struct ir_routine *rt) {
    for (size_t i = 0; i < rt->arg_count; i++) {
        const struct ir_arg *a = &rt->args[i];
        if (!a->on_server_side)
            continue;
        if (has_intran(a)) {
            em_start(e, "%s = %s(", a->name, a->type->maybe_intran);
            emit_request_value(e, a);
            em_rawf(e, ");\n");
            continue;
        }
        const struct ir_field *in = a->maybe_request_field;
        if (a->role == IR_ROLE_DATA && is_inout_ool(a)) {
            em_start(e, "%s = ", a->name);
            emit_request_value(e, a);
            em_rawf(e, ";\n");
            continue;
        }
        if (a->role == IR_ROLE_COUNT && is_inout_ool(a->maybe_parent) && in != NULL &&
            !a->maybe_parent->flags.countinout) {
            em_line(e, "%s = In%uP->%s;", a->name, in->shift_index, in->name);
            continue;
        }
        if (a->role == IR_ROLE_DATA && a->dir == IR_DIR_IN && in != NULL &&
            in->kind == IR_FIELD_PORT_DESC && in->array_count > 0) {
            em_line(e, "for (mach_msg_type_number_t i = 0; i < %u; i++)", in->array_count);
            em_line(e, "\t%s[i] = In0P->%s[i].name;", a->name, in->name);
            continue;
        }
        const struct ir_field *out = a->maybe_reply_field;
        if (a->role == IR_ROLE_DATA && a->dir == IR_DIR_OUT && out != NULL &&
            out->kind == IR_FIELD_PORT_DESC && out->array_count > 0) {
            // Entries the work function does not set must not send whatever the stack held.
            em_line(e, "for (mach_msg_type_number_t i = 0; i < %u; i++)", out->array_count);
            em_line(e, "\t%s[i] = MACH_PORT_NULL;", a->name);
        }
        if (a->role == IR_ROLE_DATA && a->dir == IR_DIR_OUT && out != NULL &&
            out->kind == IR_FIELD_DATA) {
            // Out buffers start zeroed: whatever the work function leaves is sent as zeros,
            // never as bytes of an earlier reply.
            if (out_is_direct(a) && (a->type->is_string || a->type->shape == IR_SHAPE_ARRAY))
                em_line(e, "(void)memset(Out0P->%s, 0, sizeof(Out0P->%s));", out->name, out->name);
            else if (!out_is_direct(a) && (a->type->is_string || out->is_variable))
                em_line(e, "(void)memset(%s, 0, sizeof(%s));", a->name, a->name);
        }
        if (a->role == IR_ROLE_DEALLOC && a->dir == IR_DIR_OUT)
            em_line(e, "%s = FALSE;", a->name);
        if (a->role == IR_ROLE_COUNT && is_out_count(a)) {
            const struct ir_arg *parent = a->maybe_parent;
            uint32_t max = parent ? parent->type->count : 0;
            const char *target = count_is_direct(a) ? "Out0P->" : "";
            const char *name = count_is_direct(a) ? a->maybe_reply_field->name : a->name;
            em_line(e, "%s%s = %u;", target, name, max);
            if (parent && parent->flags.countinout && a->maybe_request_field) {
                const struct ir_field *cap = a->maybe_request_field;
                em_line(e, "if (In%uP->%s < %s%s)", cap->shift_index, cap->name, target, name);
                em_line(e, "\t%s%s = In%uP->%s;", target, name, cap->shift_index, cap->name);
            }
        }
    }
}

static void emit_call(struct emitter *e, const struct ir_routine *rt) {
    em_start(e, "RetCode = %s(", rt->server_name);
    bool first = true;
    for (size_t i = 0; i < rt->arg_count; i++) {
        const struct ir_arg *a = &rt->args[i];
        if (!a->on_server_side)
            continue;
        if (!first)
            em_rawf(e, ", ");
        first = false;
        emit_call_arg(e, a);
    }
    em_rawf(e, ");\n");
}

// After the call, whatever its result: destructors, and the out-of-line memory of unbounded
// arrays the caller sent "inline" (array[]) or marked `auto`, which the stub frees itself. The
// descriptor is emptied so that the server loop's destroy of a failed request cannot free twice.
static void emit_after_call_cleanup(struct emitter *e, const struct ir_module *ir,
                                    const struct ir_routine *rt) {
    for (size_t i = 0; i < rt->arg_count; i++) {
        const struct ir_arg *a = &rt->args[i];
        if (!a->on_server_side || a->dir == IR_DIR_OUT)
            continue;
        if (a->type->maybe_destructor)
            em_line(e, "%s(%s);", a->type->maybe_destructor, a->name);
        const struct ir_field *f = a->maybe_request_field;
        if (f != NULL && f->kind == IR_FIELD_OOL_DESC &&
            (!a->type->is_explicit_pointer || a->flags.is_auto)) {
            emit_ool_discard(e, ir->kernel_server, f->name);
            em_line(e, "In0P->%s.address = (void *)0;", f->name);
            em_line(e, "In0P->%s.size = (mach_msg_size_t)0;", f->name);
        }
    }
}

// --- the reply -----------------------------------------------------------------------------------

static const char *server_dealloc(const struct ir_arg *a) {
    if (a->flags.dealloc == IR_DEALLOC_MAYBE && a->maybe_dealloc_arg &&
        a->maybe_dealloc_arg->on_server_side)
        return a->maybe_dealloc_arg->name;
    return a->flags.dealloc == IR_DEALLOC_YES ? "TRUE" : "FALSE";
}

// `<lvalue>.disposition = ...;` of a reply port or OOL-ports descriptor.
static void emit_pack_disposition(struct emitter *e, const struct ir_module *ir,
                                  const char *lvalue, const struct ir_arg *a) {
    const struct ir_arg *poly = emit_poly_arg(a, EMIT_SIDE_SERVER);
    if (poly)
        em_line(e, "%s.disposition = %s;", lvalue, poly->name);
    else
        emit_reply_disposition(e, ir->kernel_server, lvalue, a->type);
}

static void emit_pack_reply_port(struct emitter *e, const struct ir_module *ir,
                                 const struct ir_field *f) {
    const struct ir_arg *a = f->maybe_arg;
    char lvalue[256];
    if (f->array_count > 0) {
        // array[*:N] of ports (or samecount): entries past the count go out empty.
        const struct ir_arg *cnt = a->maybe_count;
        const char *where = cnt && count_is_direct(cnt) ? "Out0P->" : "";
        const char *cname = cnt && count_is_direct(cnt) ? cnt->maybe_reply_field->name
                            : cnt                       ? cnt->name
                                                        : NULL;
        if (cnt != NULL) {
            em_line(e, "if (%s%s > %u)", where, cname, f->array_count);
            em_line(e, "\t{ MIG_RETURN_ERROR(Out0P, MIG_ARRAY_TOO_LARGE); }");
        }
        em_open(e, "for (mach_msg_type_number_t i = 0; i < %u; i++)", f->array_count);
        if (cnt != NULL)
            em_line(e, "Out0P->%s[i].name = i < %s%s ? %s[i] : MACH_PORT_NULL;", f->name, where,
                    cname, a->name);
        else
            em_line(e, "Out0P->%s[i].name = %s[i];", f->name, a->name);
        em_line(e, "Out0P->%s[i].pad1 = 0;", f->name);
        em_line(e, "Out0P->%s[i].pad2 = 0;", f->name);
        snprintf(lvalue, sizeof lvalue, "Out0P->%s[i]", f->name);
        emit_pack_disposition(e, ir, lvalue, a);
        em_line(e, "Out0P->%s[i].type = MACH_MSG_PORT_DESCRIPTOR;", f->name);
        em_close(e, "");
        return;
    }
    if (has_outtran(a))
        em_line(e, "Out0P->%s.name = %s(%s);", f->name, a->type->maybe_outtran, a->name);
    else if (!out_is_direct(a) && a->dir == IR_DIR_OUT)
        em_line(e, "Out0P->%s.name = %s;", f->name, a->name);
    else if (a->dir == IR_DIR_INOUT)
        em_line(e, "Out0P->%s.name = In0P->%s.name;", f->name, a->maybe_request_field->name);
    em_line(e, "Out0P->%s.pad1 = 0;", f->name);
    em_line(e, "Out0P->%s.pad2 = 0;", f->name);
    snprintf(lvalue, sizeof lvalue, "Out0P->%s", f->name);
    emit_pack_disposition(e, ir, lvalue, a);
    em_line(e, "Out0P->%s.type = MACH_MSG_PORT_DESCRIPTOR;", f->name);
    emit_kernel_circularity(e, ir, f);
}

static void emit_pack_reply_ool(struct emitter *e, const struct ir_module *ir,
                                const struct ir_field *f) {
    const struct ir_arg *a = f->maybe_arg;
    const struct ir_arg *cnt = a->maybe_count;
    em_line(e, "Out0P->%s.address = (void *)(%s);", f->name, a->name);
    if (f->kind == IR_FIELD_OOL_DESC) {
        if (cnt)
            em_line(e, "Out0P->%s.size = (mach_msg_size_t)(%u * %s);", f->name,
                    a->type->elem_size, cnt->name);
        else
            em_line(e, "Out0P->%s.size = %u;", f->name, a->type->size);
        em_line(e, "Out0P->%s.deallocate = %s;", f->name, server_dealloc(a));
        em_line(e, "Out0P->%s.copy = %s;", f->name,
                a->flags.physicalcopy ? "MACH_MSG_PHYSICAL_COPY" : "MACH_MSG_VIRTUAL_COPY");
        em_line(e, "Out0P->%s.type = MACH_MSG_OOL_DESCRIPTOR;", f->name);
    } else {
        if (cnt)
            em_line(e, "Out0P->%s.count = %s;", f->name, cnt->name);
        else
            em_line(e, "Out0P->%s.count = %u;", f->name, a->type->count);
        em_line(e, "Out0P->%s.deallocate = %s;", f->name, server_dealloc(a));
        em_line(e, "Out0P->%s.copy = MACH_MSG_PHYSICAL_COPY;", f->name);
        char lvalue[256];
        snprintf(lvalue, sizeof lvalue, "Out0P->%s", f->name);
        emit_pack_disposition(e, ir, lvalue, a);
        em_line(e, "Out0P->%s.type = MACH_MSG_OOL_PORTS_DESCRIPTOR;", f->name);
    }
}

static bool later_fields(const struct ir_layout *layout, const struct ir_field *f) {
    return f + 1 < layout->fields + layout->field_count;
}

static void emit_pack_reply_variable(struct emitter *e, const struct ir_layout *layout,
                                     const struct ir_field *f) {
    const struct ir_arg *a = f->maybe_arg;
    const struct ir_field *cf = f->maybe_count_field;
    unsigned k = f->shift_index, ck = cf->shift_index;
    bool own_count = cf->maybe_data_field == f; // a samecount array shares another's count
    if (a->type->is_string) {
        em_line(e, "(void)memset(Out%uP->%s, 0, %u);", k, f->name, f->array_count);
        em_line(e, "Out%uP->%s = mig_strncpy(Out%uP->%s, %s, %u);", k, cf->name, k, f->name,
                a->name, f->array_count);
    } else if (out_is_direct(a)) {
        em_line(e, "if (Out%uP->%s > %u)", ck, cf->name, f->array_count);
        em_line(e, "\t{ MIG_RETURN_ERROR(Out0P, MIG_ARRAY_TOO_LARGE); }");
    } else {
        const struct ir_arg *cnt = a->maybe_count;
        // The count the work function set: a local, or the reply field it wrote directly.
        const char *where = count_is_direct(cnt) ? "Out0P->" : "";
        const char *cname = count_is_direct(cnt) ? cnt->maybe_reply_field->name : cnt->name;
        em_line(e, "if (%s%s > %u)", where, cname, f->array_count);
        em_line(e, "\t{ MIG_RETURN_ERROR(Out0P, MIG_ARRAY_TOO_LARGE); }");
        em_line(e, "(void)memcpy((char *)Out%uP->%s, (const char *)%s, %u * %s%s);", k, f->name,
                a->name, f->elem_size, where, cname);
        if (own_count)
            em_line(e, "Out%uP->%s = %s;", k, cf->name, cnt->name);
    }
    em_line(e, "msgh_size_delta = _WALIGN_(%u * Out%uP->%s);", f->elem_size, ck, cf->name);
    if (f->elem_size % 4 != 0) // the rounding bytes go out as zeros, not as an old reply's bytes
        em_line(e, "(void)memset((char *)Out%uP->%s + %u * Out%uP->%s, 0, msgh_size_delta - %u * "
                   "Out%uP->%s);",
                k, f->name, f->elem_size, ck, cf->name, f->elem_size, ck, cf->name);
    em_line(e, "msgh_size += msgh_size_delta;");
    if (later_fields(layout, f) && k + 1 <= emit_layout_max_shift(layout))
        em_line(e, "Out%uP = (Reply *)((pointer_t)Out%uP + msgh_size_delta - %u);", k + 1, k,
                f->padded_size);
}

static void emit_pack_reply_fixed(struct emitter *e, const struct ir_field *f) {
    const struct ir_arg *a = f->maybe_arg;
    unsigned k = f->shift_index;
    bool buffer = a->type->is_string || a->type->shape == IR_SHAPE_ARRAY;
    if (has_outtran(a)) {
        em_line(e, "Out%uP->%s = %s(%s);", k, f->name, a->type->maybe_outtran, a->name);
    } else if (a->dir == IR_DIR_INOUT) {
        const struct ir_field *in = a->maybe_request_field;
        if (buffer)
            em_line(e, "(void)memcpy((char *)Out%uP->%s, (const char *)In%uP->%s, %u);", k,
                    f->name, in->shift_index, in->name, f->size);
        else
            em_line(e, "Out%uP->%s = In%uP->%s;", k, f->name, in->shift_index, in->name);
    } else if (!out_is_direct(a)) {
        if (buffer)
            em_line(e, "(void)memcpy((char *)Out%uP->%s, (const char *)%s, %u);", k, f->name,
                    a->name, f->size);
        else
            em_line(e, "Out%uP->%s = %s;", k, f->name, a->name);
    }
}

static void emit_pack_reply_field(struct emitter *e, const struct ir_module *ir,
                                  const struct ir_layout *layout, const struct ir_field *f) {
    switch (f->kind) {
    case IR_FIELD_PORT_DESC:
        emit_pack_reply_port(e, ir, f);
        break;
    case IR_FIELD_OOL_DESC:
    case IR_FIELD_OOL_PORTS_DESC:
        emit_pack_reply_ool(e, ir, f);
        break;
    case IR_FIELD_NDR:
        em_line(e, "Out0P->NDR = NDR_record;");
        break;
    case IR_FIELD_RETCODE:
        em_line(e, "Out0P->RetCode = KERN_SUCCESS;");
        break;
    case IR_FIELD_COUNT: {
        const struct ir_field *data = f->maybe_data_field;
        if (data != NULL && data->is_variable)
            break; // written with its data
        if (f->maybe_arg && needs_local(f->maybe_arg))
            em_line(e, "Out%uP->%s = %s;", f->shift_index, f->name, f->maybe_arg->name);
        break;
    }
    case IR_FIELD_OFFSET:
        em_line(e, "Out%uP->%s = 0;", f->shift_index, f->name);
        break;
    case IR_FIELD_DATA:
        if (f->is_variable)
            emit_pack_reply_variable(e, layout, f);
        else
            emit_pack_reply_fixed(e, f);
        break;
    case IR_FIELD_PAD:
        if (f > layout->fields && f[-1].is_variable)
            break; // zeroed with the variable data before it
        em_line(e, "(void)memset(Out%uP->%s, 0, sizeof(Out%uP->%s));", f->shift_index, f->name,
                f->shift_index, f->name);
        break;
    default:
        break;
    }
}

static void emit_pack_reply(struct emitter *e, const struct ir_module *ir,
                            const struct ir_routine *rt) {
    const struct ir_layout *layout = &rt->reply;
    if (layout->is_variable)
        em_line(e, "msgh_size = (mach_msg_size_t)(sizeof(Reply) - %u);",
                layout->size - layout->min_size);
    for (size_t i = 0; i < layout->field_count; i++)
        emit_pack_reply_field(e, ir, layout, &layout->fields[i]);
    if (layout->is_variable)
        em_line(e, "Out0P->Head.msgh_size = msgh_size;");
    else
        em_line(e, "Out0P->Head.msgh_size = (mach_msg_size_t)(sizeof(Reply));");
    if (layout->is_complex) {
        em_line(e, "Out0P->Head.msgh_bits |= MACH_MSGH_BITS_COMPLEX;");
        em_line(e, "Out0P->msgh_body.msgh_descriptor_count = %u;", layout->descriptor_count);
    }
}

// --- one server stub -------------------------------------------------------------------------------

static void emit_server_stub(struct emitter *e, const struct ir_module *ir,
                             const struct ir_routine *rt) {
    bool rpc = !emit_routine_is_simple(rt);
    const char *kind = rpc ? "Rpc" : "Simple";
    unsigned in_shifts = emit_layout_max_shift(&rt->request);
    unsigned out_shifts = emit_layout_max_shift(&rt->reply);

    emit_request_checker(e, ir, rt);
    emit_routine_comment(e, rt);
    em_line(e, "mig_internal novalue %s", rt->server_stub_name);
    em_line(e, "\t(mach_msg_header_t *InHeadP, mach_msg_header_t *OutHeadP)");
    em_block(e);
    emit_message_typedef(e, &rt->request, EMIT_SIDE_SERVER, "Request", true);
    em_line(e, "typedef %s __Request __attribute__((unused));", rt->request.typedef_name);
    em_line(e, "typedef %s Reply __attribute__((unused));", rt->reply.typedef_name);
    em_blank(e);
    em_line(e, "Request *In0P = (Request *) InHeadP;");
    for (unsigned k = 1; k <= in_shifts; k++)
        em_line(e, "Request *In%uP;", k);
    em_line(e, "Reply *Out0P = (Reply *) OutHeadP;");
    for (unsigned k = 1; k <= out_shifts; k++)
        em_line(e, "Reply *Out%uP;", k);
    if (rt->server_trailer_max != IR_TRAILER_NONE)
        em_line(e, "mach_msg_max_trailer_t *TrailerP;");
    if (rpc && rt->reply.is_variable)
        em_line(e, "mach_msg_size_t msgh_size, msgh_size_delta;");
    em_line(e, "kern_return_t check_result;");
    em_line(e, "kern_return_t RetCode;");
    emit_locals(e, rt);
    em_blank(e);
    em_line(e, "__DeclareRcv%s(%d, \"%s\")", kind, (int)rt->request_id, rt->name);
    em_line(e, "__BeforeRcv%s(%d, \"%s\")", kind, (int)rt->request_id, rt->name);
    em_blank(e);
    em_start(e, "check_result = %s((__Request *)In0P", rt->request_checker);
    for (unsigned k = 1; k <= in_shifts; k++)
        em_rawf(e, ", (__Request **)&In%uP", k);
    em_rawf(e, ");\n");
    em_line(e, "if (check_result != MACH_MSG_SUCCESS)");
    em_line(e, "\t{ MIG_RETURN_ERROR(Out0P, check_result); }");
    em_blank(e);
    emit_trailer_check(e, ir, rt);
    emit_before_call(e, rt);
    emit_call(e, rt);
    emit_after_call_cleanup(e, ir, rt);
    if (!rpc) {
        emit_kernel_port_release(e, ir, rt, true);
        em_line(e, "Out0P->NDR = NDR_record;");
        em_line(e, "Out0P->RetCode = RetCode;");
    } else {
        em_line(e, "if (RetCode != KERN_SUCCESS)");
        em_line(e, "\t{ MIG_RETURN_ERROR(Out0P, RetCode); }");
        em_blank(e);
        emit_kernel_port_release(e, ir, rt, false);
        for (unsigned k = 1; k <= out_shifts; k++)
            em_line(e, "Out%uP = Out0P;", k);
        emit_pack_reply(e, ir, rt);
    }
    em_line(e, "__AfterRcv%s(%d, \"%s\")", kind, (int)rt->request_id, rt->name);
    em_close(e, "");
    em_blank(e);
}

// --- the subsystem table and the demux ---------------------------------------------------------

static void emit_subsystem_definition(struct emitter *e, const struct ir_module *ir) {
    const char *s = ir->names.subsystem_struct;
    em_line(e, "/* Description of this subsystem, for use in direct RPC */");
    em_open(e, "const struct %s", s);
    emit_subsystem_members(e, ir);
    em_closef(e, " %s = {", s);
    em_indent(e, 1);
    em_line(e, "%s,", ir->names.server_routine);
    em_line(e, "%d,", (int)ir->base);
    em_line(e, "%d,", (int)(ir->base + (int32_t)ir->routine_count));
    em_line(e, "(mach_msg_size_t)sizeof(union %s),", ir->names.server_reply_union);
    em_line(e, "(vm_address_t)0,");
    em_block(e);
    for (size_t i = 0; i < ir->routine_count; i++) {
        const struct ir_routine *rt = &ir->routines[i];
        if (!emit_routine_is_real(rt)) {
            em_line(e, "{ 0, 0, 0, 0, 0, 0 },");
            continue;
        }
        em_line(e, "{ (mig_impl_routine_t) 0,");
        em_line(e, "  (mig_stub_routine_t) %s, %u, 0, (routine_arg_descriptor_t)0, "
                   "(mach_msg_size_t)sizeof(%s) },",
                rt->server_stub_name, rt->argc, rt->reply.typedef_name);
    }
    if (ir->routine_count == 0)
        em_line(e, "{ 0, 0, 0, 0, 0, 0 },");
    em_close(e, "");
    em_indent(e, -1);
    em_line(e, "};");
    em_blank(e);
}

static void emit_id_range_test(struct emitter *e, const struct ir_module *ir) {
    em_rawf(e, "(InHeadP->msgh_id > %d) || (InHeadP->msgh_id < %d)",
            (int)(ir->base + (int32_t)ir->routine_count - 1), (int)ir->base);
}

static void emit_demux(struct emitter *e, const struct ir_module *ir) {
    const char *s = ir->names.subsystem_struct;
    em_line(e, "mig_external boolean_t %s", ir->names.server_demux);
    em_line(e, "\t(mach_msg_header_t *InHeadP, mach_msg_header_t *OutHeadP)");
    em_block(e);
    bool empty = ir->routine_count == 0; // every id is unknown (and a range test is tautological)
    if (!empty) {
        em_line(e, "mig_routine_t routine;");
        em_blank(e);
    }
    em_line(e, "OutHeadP->msgh_bits = MACH_MSGH_BITS(MACH_MSGH_BITS_REPLY(InHeadP->msgh_bits), 0);");
    em_line(e, "OutHeadP->msgh_remote_port = InHeadP->msgh_reply_port;");
    em_line(e, "/* Minimal size: routine() will update it if different */");
    em_line(e, "OutHeadP->msgh_size = (mach_msg_size_t)sizeof(mig_reply_error_t);");
    em_line(e, "OutHeadP->msgh_local_port = MACH_PORT_NULL;");
    em_line(e, "OutHeadP->msgh_id = (mach_msg_id_t)((natural_t)InHeadP->msgh_id + 100);");
    em_line(e, "OutHeadP->msgh_reserved = 0;");
    em_blank(e);
    if (empty) {
        em_line(e, "/* No routines: every id is unknown. */");
        em_line(e, "((mig_reply_error_t *)OutHeadP)->NDR = NDR_record;");
        em_line(e, "((mig_reply_error_t *)OutHeadP)->RetCode = MIG_BAD_ID;");
        em_line(e, "return FALSE;");
        em_close(e, "");
    } else {
        em_start(e, "if (");
        emit_id_range_test(e, ir);
        em_rawf(e, " ||\n\t    ((routine = %s.routine[InHeadP->msgh_id - %d].stub_routine) == 0)) {\n",
                s, (int)ir->base);
        em_indent(e, 1);
        em_line(e, "((mig_reply_error_t *)OutHeadP)->NDR = NDR_record;");
        em_line(e, "((mig_reply_error_t *)OutHeadP)->RetCode = MIG_BAD_ID;");
        em_line(e, "return FALSE;");
        em_close(e, "");
        em_line(e, "(*routine) (InHeadP, OutHeadP);");
        em_line(e, "return TRUE;");
        em_close(e, "");
    }
    em_blank(e);

    em_line(e, "mig_external mig_routine_t %s", ir->names.server_routine);
    em_line(e, "\t(mach_msg_header_t *InHeadP)");
    em_block(e);
    if (empty) {
        em_line(e, "(void)InHeadP; /* no routines: the table's one empty slot */");
        em_line(e, "return %s.routine[0].stub_routine;", s);
    } else {
        em_start(e, "if (");
        emit_id_range_test(e, ir);
        em_rawf(e, ")\n");
        em_line(e, "\treturn 0;");
        em_line(e, "return %s.routine[InHeadP->msgh_id - %d].stub_routine;", s, (int)ir->base);
    }
    em_close(e, "");
}

// --- the file --------------------------------------------------------------------------------

void emit_server_source(struct emitter *e, const struct ir_module *ir) {
    emit_banner(e, ir, "Server stubs and demux (server source)");
    em_line(e, "/* Module %s */", ir->subsystem);
    em_blank(e);
    em_pp(e, "#define\t%s 1", ir->names.request_checkers_guard);
    em_blank(e);
    // Self-contained: it does not depend on whether or under which name -sheader was written.
    emit_std_includes(e);
    emit_std_type_includes(e);
    emit_imports(e, ir,
                 EMIT_IMPORTS(IR_IMPORT) | EMIT_IMPORTS(IR_SIMPORT) | EMIT_IMPORTS(IR_DIMPORT) |
                     EMIT_IMPORTS(IR_IIMPORT));
    em_blank(e);
    emit_server_prolog_macros(e, ir->kernel_server);
    emit_rcsid(e, ir, ir->names.server_rcsid);
    emit_static_assert_macro(e);
    emit_request_typedefs(e, ir, EMIT_SIDE_SERVER);
    emit_reply_typedefs(e, ir, EMIT_SIDE_SERVER);
    emit_reply_union(e, ir, EMIT_SIDE_SERVER);
    emit_extern_c_begin(e);
    for (size_t i = 0; i < ir->routine_count; i++)
        if (emit_routine_is_real(&ir->routines[i]))
            emit_routine_declaration(e, &ir->routines[i], EMIT_SIDE_SERVER);
    emit_demux_declarations(e, ir);
    emit_extern_c_end(e);
    em_line(e, "/* Forward Declarations */");
    em_blank(e);
    for (size_t i = 0; i < ir->routine_count; i++)
        if (emit_routine_is_real(&ir->routines[i])) {
            em_line(e, "mig_internal novalue %s", ir->routines[i].server_stub_name);
            em_line(e, "\t(mach_msg_header_t *InHeadP, mach_msg_header_t *OutHeadP);");
            em_blank(e);
        }
    for (size_t i = 0; i < ir->routine_count; i++)
        if (emit_routine_is_real(&ir->routines[i]))
            emit_server_stub(e, ir, &ir->routines[i]);
    emit_subsystem_definition(e, ir);
    emit_demux(e, ir);
    if (ir->options.symtab)
        emit_symtab(e, ir);
}
