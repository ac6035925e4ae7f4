// The user source (-user, <subsys>User.c): one client stub per routine, each preceded by the
// checker of its reply. A stub packs the request, sends it (and waits for the reply) with
// mach_msg, checks the reply and unpacks it into the caller's out arguments.
#include "emit/emit_common.h"
#include "emit/emitters.h"

// --- small predicates ------------------------------------------------------------------------

// The caller's C expression for the value of an in (or inout) argument.
static const char *deref(const struct ir_arg *a) {
    return a->user_by_reference ? "*" : "";
}

// Whether a field comes after `f` in the layout (a shifted pointer is only needed then).
static bool has_later_fields(const struct ir_layout *layout, const struct ir_field *f) {
    return f + 1 < layout->fields + layout->field_count;
}

static const char *copy_kind(const struct ir_arg *a) {
    return a->flags.physicalcopy ? "MACH_MSG_PHYSICAL_COPY" : "MACH_MSG_VIRTUAL_COPY";
}

// The descriptor's deallocate value as the client writes it.
static void emit_dealloc_value(struct emitter *e, const char *ptr, const struct ir_field *f) {
    const struct ir_arg *a = f->maybe_arg;
    switch (a->flags.dealloc) {
    case IR_DEALLOC_YES:
        em_line(e, "%s->%s.deallocate = TRUE;", ptr, f->name);
        break;
    case IR_DEALLOC_MAYBE:
        em_line(e, "%s->%s.deallocate = %s;", ptr, f->name, a->maybe_dealloc_arg->name);
        break;
    default:
        em_line(e, "%s->%s.deallocate = FALSE;", ptr, f->name);
        break;
    }
}

// The count expression of an argument as the client sees it ("dataCnt", or "*dataCnt").
static void count_expr(const struct ir_arg *a, const char **prefix, const char **name) {
    const struct ir_arg *cnt = a->maybe_count;
    *prefix = cnt && cnt->user_by_reference ? "*" : "";
    *name = cnt ? cnt->name : "0";
}

// Whether a stub keeps its message buffer on the heap (-maxonstack / OnStackLimit): the request
// or the reply with its trailer is larger than the limit. (Never with `overwrite`: its buffers
// are on the stack, as in Apple's MIG.)
static bool stub_on_heap(const struct ir_module *ir, const struct ir_routine *rt) {
    if (rt->has_overwrite)
        return false;
    uint32_t size = rt->request.size;
    if (!emit_routine_is_simple(rt) && rt->reply.size + rt->reply.trailer_size > size)
        size = rt->reply.size + rt->reply.trailer_size;
    return ir->on_stack_limit > 0 && size > ir->on_stack_limit;
}

// `return value;`, releasing a heap message buffer first.
static void emit_return(struct emitter *e, bool heap, const char *value) {
    if (heap) {
        em_block(e);
        em_line(e, "mig_user_deallocate((char *)Mess, (vm_size_t)sizeof(*Mess));");
        em_line(e, "return %s;", value);
        em_close(e, "");
    } else {
        em_line(e, "return %s;", value);
    }
}

// --- request packing --------------------------------------------------------------------------

static void emit_pack_port_desc(struct emitter *e, const struct ir_field *f, bool heap) {
    const struct ir_arg *a = f->maybe_arg;
    const struct ir_arg *poly = emit_poly_arg(a, EMIT_SIDE_USER);
    const char *disp = poly ? poly->name : a->type->in_name.name;
    if (f->array_count > 0) {
        // array[N] of ports: N descriptors. array[*:N]: still N, those past the count empty.
        const struct ir_field *cf = f->maybe_count_field;
        const char *p = "", *n = NULL;
        if (cf != NULL) {
            count_expr(a, &p, &n);
            em_open(e, "if (%s%s > %u)", p, n, f->array_count);
            emit_return(e, heap, "MIG_ARRAY_TOO_LARGE");
            em_close(e, "");
        }
        em_open(e, "for (mach_msg_type_number_t i = 0; i < %u; i++)", f->array_count);
        if (cf != NULL)
            em_line(e, "InP->%s[i].name = i < %s%s ? %s[i] : MACH_PORT_NULL;", f->name, p, n,
                    a->name);
        else
            em_line(e, "InP->%s[i].name = %s[i];", f->name, a->name);
        em_line(e, "InP->%s[i].pad1 = 0;", f->name);
        em_line(e, "InP->%s[i].pad2 = 0;", f->name);
        em_line(e, "InP->%s[i].disposition = %s;", f->name, disp);
        em_line(e, "InP->%s[i].type = MACH_MSG_PORT_DESCRIPTOR;", f->name);
        em_close(e, "");
    } else {
        em_line(e, "InP->%s.name = %s%s;", f->name, deref(a), a->name);
        em_line(e, "InP->%s.pad1 = 0;", f->name);
        em_line(e, "InP->%s.pad2 = 0;", f->name);
        em_line(e, "InP->%s.disposition = %s%s;", f->name,
                poly && poly->user_by_reference ? "*" : "", disp);
        em_line(e, "InP->%s.type = MACH_MSG_PORT_DESCRIPTOR;", f->name);
    }
    em_blank(e);
}

static void emit_pack_ool_desc(struct emitter *e, const struct ir_field *f) {
    const struct ir_arg *a = f->maybe_arg;
    em_line(e, "InP->%s.address = (void *)(%s%s);", f->name, deref(a), a->name);
    if (a->maybe_count) {
        const char *p, *n;
        count_expr(a, &p, &n);
        em_line(e, "InP->%s.size = (mach_msg_size_t)(%u * %s%s);", f->name, a->type->elem_size, p,
                n);
    } else {
        em_line(e, "InP->%s.size = %u;", f->name, a->type->size);
    }
    emit_dealloc_value(e, "InP", f);
    em_line(e, "InP->%s.copy = %s;", f->name, copy_kind(a));
    em_line(e, "InP->%s.type = MACH_MSG_OOL_DESCRIPTOR;", f->name);
    em_blank(e);
}

static void emit_pack_ool_ports_desc(struct emitter *e, const struct ir_field *f) {
    const struct ir_arg *a = f->maybe_arg;
    em_line(e, "InP->%s.address = (void *)(%s%s);", f->name, deref(a), a->name);
    if (a->maybe_count) {
        const char *p, *n;
        count_expr(a, &p, &n);
        em_line(e, "InP->%s.count = %s%s;", f->name, p, n);
    } else {
        em_line(e, "InP->%s.count = %u;", f->name, a->type->count);
    }
    emit_dealloc_value(e, "InP", f);
    em_line(e, "InP->%s.copy = MACH_MSG_PHYSICAL_COPY;", f->name);
    const struct ir_arg *poly = emit_poly_arg(a, EMIT_SIDE_USER);
    em_line(e, "InP->%s.disposition = %s;", f->name, poly ? poly->name : a->type->in_name.name);
    em_line(e, "InP->%s.type = MACH_MSG_OOL_PORTS_DESCRIPTOR;", f->name);
    em_blank(e);
}

// Accounts for a variable field sent with fewer elements than its maximum: zeroes the bytes that
// round it up to 4, grows msgh_size and moves InP so that later fields follow the data.
static void emit_account_variable(struct emitter *e, const struct ir_layout *layout,
                                  const struct ir_field *f, const char *cnt_prefix,
                                  const char *cnt) {
    em_line(e, "msgh_size_delta = _WALIGN_(%u * %s%s);", f->elem_size, cnt_prefix, cnt);
    if (f->elem_size % 4 != 0)
        em_line(e, "(void)memset((char *)InP->%s + %u * %s%s, 0, msgh_size_delta - %u * %s%s);",
                f->name, f->elem_size, cnt_prefix, cnt, f->elem_size, cnt_prefix, cnt);
    em_line(e, "msgh_size += msgh_size_delta;");
    if (has_later_fields(layout, f))
        em_line(e, "InP = (Request *)((pointer_t)InP + msgh_size_delta - %u);", f->padded_size);
    em_blank(e);
}

static void emit_pack_variable_data(struct emitter *e, const struct ir_layout *layout,
                                    const struct ir_field *f, bool heap) {
    const struct ir_arg *a = f->maybe_arg;
    const struct ir_field *cf = f->maybe_count_field;
    if (a->type->is_string) {
        // Zero the whole buffer first: the padding after the string must not carry stack bytes.
        em_line(e, "(void)memset(InP->%s, 0, %u);", f->name, f->array_count);
        em_line(e, "InP->%s = mig_strncpy(InP->%s, %s, %u);", cf->name, f->name, a->name,
                f->array_count);
        emit_account_variable(e, layout, f, "InP->", cf->name);
        return;
    }
    const char *p, *n;
    count_expr(a, &p, &n);
    em_open(e, "if (%s%s > %u)", p, n, f->array_count);
    emit_return(e, heap, "MIG_ARRAY_TOO_LARGE");
    em_close(e, "");
    em_line(e, "(void)memcpy((char *)InP->%s, (const char *)%s, %u * %s%s);", f->name, a->name,
            f->elem_size, p, n);
    if (cf->maybe_data_field == f) // a samecount array has no count of its own
        em_line(e, "InP->%s = %s%s;", cf->name, p, n);
    emit_account_variable(e, layout, f, p, n);
}

static void emit_pack_fixed_data(struct emitter *e, const struct ir_field *f) {
    const struct ir_arg *a = f->maybe_arg;
    const struct ir_type *t = a->type;
    if (f->is_optional_native) { // PointerToIfNot: present unless the caller passed the bad value
        em_line(e, "(void)memset(&InP->%s, 0, sizeof(InP->%s));", f->name, f->name);
        em_line(e, "if (InP->__Present__%s)", f->name);
        em_line(e, "	InP->%s.__Real__%s = *%s;", f->name, f->name, a->name);
    } else if (t->is_string) {
        em_line(e, "(void)memset(InP->%s, 0, %u);", f->name, f->size);
        em_line(e, "(void)mig_strncpy(InP->%s, %s, %u);", f->name, a->name, f->size);
    } else if (t->shape == IR_SHAPE_ARRAY) {
        em_line(e, "(void)memcpy((char *)InP->%s, (const char *)%s, %u);", f->name, a->name,
                f->size);
    } else {
        em_line(e, "InP->%s = %s%s;", f->name, deref(a), a->name);
    }
    em_blank(e);
}

// A count field whose data does not travel in the request: countinout sends the capacity of the
// caller's buffer so that the server can limit its reply to it.
static void emit_pack_capacity(struct emitter *e, const struct ir_field *f) {
    const struct ir_arg *cnt = f->maybe_arg;
    const struct ir_arg *parent = cnt->maybe_parent;
    uint32_t max = parent ? parent->type->count : 0;
    em_line(e, "InP->%s = (%s%s < %u) ? %s%s : %u;", f->name, deref(cnt), cnt->name, max,
            deref(cnt), cnt->name, max);
    em_blank(e);
}

static void emit_pack_request_field(struct emitter *e, const struct ir_layout *layout,
                                    const struct ir_field *f, bool heap) {
    switch (f->kind) {
    case IR_FIELD_HEADER:
    case IR_FIELD_BODY:
        break;
    case IR_FIELD_PORT_DESC:
        emit_pack_port_desc(e, f, heap);
        break;
    case IR_FIELD_OOL_DESC:
        emit_pack_ool_desc(e, f);
        break;
    case IR_FIELD_OOL_PORTS_DESC:
        emit_pack_ool_ports_desc(e, f);
        break;
    case IR_FIELD_NDR:
        em_line(e, "InP->NDR = NDR_record;");
        em_blank(e);
        break;
    case IR_FIELD_RETCODE:
        if (f->maybe_arg) {
            em_line(e, "InP->RetCode = %s;", f->maybe_arg->name);
            em_blank(e);
        }
        break;
    case IR_FIELD_COUNT: {
        const struct ir_field *data = f->maybe_data_field;
        if (data == NULL || data < layout->fields || data >= layout->fields + layout->field_count)
            emit_pack_capacity(e, f);
        else if (!data->is_variable) { // the count of out-of-line data
            const struct ir_arg *a = data->maybe_arg;
            const char *p, *n;
            count_expr(a, &p, &n);
            em_line(e, "InP->%s = %s%s;", f->name, p, n);
            em_blank(e);
        }
        break; // inline variable data writes its own count
    }
    case IR_FIELD_OFFSET:
        em_line(e, "InP->%s = 0;", f->name);
        break;
    case IR_FIELD_DATA:
        if (f->is_variable)
            emit_pack_variable_data(e, layout, f, heap);
        else
            emit_pack_fixed_data(e, f);
        break;
    case IR_FIELD_PAD:
        if (f > layout->fields && f[-1].is_variable)
            break; // the variable data before it zeroed its own rounding bytes
        em_line(e, "(void)memset(InP->%s, 0, sizeof(InP->%s));", f->name, f->name);
        em_blank(e);
        break;
    case IR_FIELD_PRESENT: {
        const struct ir_arg *a = f->maybe_arg;
        em_line(e, "InP->%s = (%s != %s) ? TRUE : FALSE;", f->name, a->name,
                a->type->maybe_native_bad_value ? a->type->maybe_native_bad_value : "0");
        break;
    }
    }
}

static void emit_pack_request(struct emitter *e, const struct ir_routine *rt, bool heap) {
    const struct ir_layout *layout = &rt->request;
    if (layout->is_complex) {
        em_line(e, "InP->msgh_body.msgh_descriptor_count = %u;", layout->descriptor_count);
        em_blank(e);
    }
    if (layout->is_variable) {
        em_line(e, "msgh_size = (mach_msg_size_t)(sizeof(Request) - %u);",
                layout->size - layout->min_size);
        em_blank(e);
    }
    for (size_t i = 0; i < layout->field_count; i++)
        emit_pack_request_field(e, layout, &layout->fields[i], heap);
    if (layout->is_variable && emit_layout_max_shift(layout) > 0) {
        if (rt->has_overwrite)
            em_line(e, "InP = &MessRequest;");
        else
            em_line(e, "InP = &Mess%sIn;", heap ? "->" : ".");
        em_blank(e);
    }
}

// --- the header and the send ------------------------------------------------------------------

static const char *reply_disposition(const struct ir_routine *rt) {
    if (rt->maybe_reply_port && (rt->reply_port_kind == IR_REPLY_PORT_BOTH ||
                                 rt->reply_port_kind == IR_REPLY_PORT_USER))
        return rt->maybe_reply_port->type->in_name.name;
    if (emit_routine_is_simple(rt))
        return "0";
    return "MACH_MSG_TYPE_MAKE_SEND_ONCE";
}

static bool caller_supplies_reply_port(const struct ir_routine *rt) {
    return rt->maybe_reply_port && (rt->reply_port_kind == IR_REPLY_PORT_BOTH ||
                                    rt->reply_port_kind == IR_REPLY_PORT_USER);
}

static void emit_request_header(struct emitter *e, const struct ir_routine *rt) {
    const struct ir_arg *rp = rt->request_port;
    const struct ir_arg *req_poly = emit_poly_arg(rp, EMIT_SIDE_USER);
    const char *req_disp = req_poly ? req_poly->name : rp->type->in_name.name;
    const char *reply_disp = reply_disposition(rt);
    const struct ir_arg *reply_poly =
        rt->maybe_reply_port ? emit_poly_arg(rt->maybe_reply_port, EMIT_SIDE_USER) : NULL;
    if (caller_supplies_reply_port(rt) && reply_poly)
        reply_disp = reply_poly->name;
    em_line(e, "InP->Head.msgh_bits = %sMACH_MSGH_BITS(%s, %s);",
            rt->request.is_complex ? "MACH_MSGH_BITS_COMPLEX | " : "", req_disp, reply_disp);
    em_line(e, "/* msgh_size passed as argument */");
    em_line(e, "InP->Head.msgh_request_port = %s%s;", deref(rp), rp->name);
    if (caller_supplies_reply_port(rt))
        em_line(e, "InP->Head.msgh_reply_port = %s;", rt->maybe_reply_port->name);
    else if (emit_routine_is_simple(rt))
        em_line(e, "InP->Head.msgh_reply_port = MACH_PORT_NULL;");
    else if (rt->uses_special_reply_port)
        em_line(e, "InP->Head.msgh_reply_port = mig_get_special_reply_port();");
    else
        em_line(e, "InP->Head.msgh_reply_port = mig_get_reply_port();");
    em_line(e, "InP->Head.msgh_id = %d;", (int)rt->request_id);
    em_line(e, "InP->Head.msgh_reserved = 0;");
    em_blank(e);
}

static void emit_voucher_call(struct emitter *e, const struct ir_module *ir) {
    if (ir->options.novouchers || ir->kernel_user) // as Apple's: no voucher in kernel stubs
        return;
    em_pp(e, "#ifdef USING_VOUCHERS");
    em_open(e, "if (voucher_mach_msg_set != NULL)");
    em_line(e, "voucher_mach_msg_set(&InP->Head);");
    em_close(e, "");
    em_pp(e, "#endif /* USING_VOUCHERS */");
    em_blank(e);
}

static void emit_setting(struct emitter *e, const struct ir_setting *s) {
    if (s->source == IR_SETTING_ARGUMENT)
        em_rawf(e, "%s", s->maybe_arg->name);
    else
        em_rawf(e, "%s", s->expr);
}

// `overwrite` needs the combined send-and-receive call: not with -R (as Apple's MIG).
static bool uses_overwrite(const struct ir_module *ir, const struct ir_routine *rt) {
    return rt->has_overwrite && !ir->options.rpc_separate;
}

static bool has_timeout(const struct ir_routine *rt) {
    return rt->waittime.source != IR_SETTING_NONE || rt->sendtime.source != IR_SETTING_NONE;
}

static void emit_msgoption(struct emitter *e, const struct ir_routine *rt) {
    if (rt->msgoption.source != IR_SETTING_NONE) {
        em_rawf(e, "|");
        emit_setting(e, &rt->msgoption);
    } else {
        em_rawf(e, "|MACH_MSG_OPTION_NONE");
    }
}

// Receive options after the message option: the trailer the stub reads and the special reply
// port's option.
static void emit_receive_extras(struct emitter *e, const struct ir_routine *rt) {
    if (rt->user_trailer_max != IR_TRAILER_NONE) {
        const char *element = rt->user_trailer_max == IR_TRAILER_AUDIT ? "MACH_RCV_TRAILER_AUDIT"
                                                                       : "MACH_RCV_TRAILER_SENDER";
        em_rawf(e, "|MACH_RCV_TRAILER_TYPE(MACH_MSG_TRAILER_FORMAT_0)|"
                   "MACH_RCV_TRAILER_ELEMENTS(%s)", element);
    }
    if (rt->uses_special_reply_port)
        em_rawf(e, "|__MigSpecialReplyPortMsgOption");
}

static void emit_send_options(struct emitter *e, const struct ir_routine *rt, bool rpc) {
    em_rawf(e, rpc ? "MACH_SEND_MSG|MACH_RCV_MSG" : "MACH_SEND_MSG");
    if (rpc && rt->has_overwrite)
        em_rawf(e, "|MACH_RCV_OVERWRITE");
    if (rt->waittime.source != IR_SETTING_NONE)
        em_rawf(e, rpc ? "|MACH_SEND_TIMEOUT|MACH_RCV_TIMEOUT" : "|MACH_SEND_TIMEOUT");
    else if (rt->sendtime.source != IR_SETTING_NONE)
        em_rawf(e, "|MACH_SEND_TIMEOUT");
    emit_msgoption(e, rt);
    if (rpc)
        emit_receive_extras(e, rt);
}

// -R: the options of the separate receive (a receive timeout for waittime only).
static void emit_receive_options(struct emitter *e, const struct ir_routine *rt) {
    em_rawf(e, "MACH_RCV_MSG");
    if (rt->waittime.source != IR_SETTING_NONE)
        em_rawf(e, "|MACH_RCV_TIMEOUT");
    emit_msgoption(e, rt);
    emit_receive_extras(e, rt);
}

static void emit_timeout(struct emitter *e, const struct ir_routine *rt) {
    if (rt->waittime.source != IR_SETTING_NONE)
        emit_setting(e, &rt->waittime);
    else if (rt->sendtime.source != IR_SETTING_NONE)
        emit_setting(e, &rt->sendtime);
    else
        em_rawf(e, "MACH_MSG_TIMEOUT_NONE");
}

static void emit_msgh_size(struct emitter *e, const struct ir_routine *rt) {
    if (rt->request.is_variable)
        em_rawf(e, "msgh_size");
    else
        em_rawf(e, "(mach_msg_size_t)sizeof(Request)");
}

// ConsumeOnSendError: the sender gives up what the request would have moved even when it could
// not be sent. After MACH_SEND_TIMED_OUT the message came back (pseudo-receive) and is destroyed
// whole; after MACH_SEND_INVALID_DEST (Any) nothing was taken, and only a moved destination right
// is released (destroying the unsent message would free the caller's own buffers).
static void emit_consume_on_send_error(struct emitter *e, const struct ir_module *ir,
                                       const struct ir_routine *rt) {
    if (ir->consume_on_send_error == IR_CONSUME_NONE)
        return;
    em_open(e, "if (msg_result == MACH_SEND_TIMED_OUT)");
    em_line(e, "mach_msg_destroy(&InP->Head);");
    em_close(e, "");
    int32_t disp = rt->request_port->type->in_name.number;
    bool moved = !emit_poly_arg(rt->request_port, EMIT_SIDE_USER) && (disp == 17 || disp == 18); // MOVE_SEND(_ONCE)
    if (ir->consume_on_send_error == IR_CONSUME_ANY && moved) {
        em_open(e, "if (msg_result == MACH_SEND_INVALID_DEST)");
        em_line(e, "(void)mach_port_deallocate(mach_task_self(), %s%s);", deref(rt->request_port),
                rt->request_port->name);
        em_close(e, "");
    }
}

// After the call that sends (`sending`: what the request moved may have to be consumed) or
// receives: on failure the reply port is put back or released and the stub returns.
static void emit_rpc_failure(struct emitter *e, const struct ir_module *ir,
                             const struct ir_routine *rt, bool sending) {
    em_open(e, "if (msg_result != MACH_MSG_SUCCESS)");
    if (sending)
        emit_consume_on_send_error(e, ir, rt);
    if (!caller_supplies_reply_port(rt))
        em_line(e, "__MachMsgError%s(msg_result);", has_timeout(rt) ? "WithTimeout"
                                                                     : "WithoutTimeout");
    emit_return(e, stub_on_heap(ir, rt), "msg_result");
    em_close(e, "");
    em_blank(e);
}

static void emit_send_rpc(struct emitter *e, const struct ir_module *ir,
                          const struct ir_routine *rt) {
    em_line(e, "__BeforeSendRpc(%d, \"%s\")", (int)rt->request_id, rt->name);
    if (ir->kernel_user)
        emit_kernel_rpc_begin(e, rt);
    // `overwrite`: the reply is received over the template, which names the caller's buffers.
    em_start(e, rt->has_overwrite ? "msg_result = mach_msg_overwrite(&InP->Head, "
                                  : "msg_result = mach_msg(&InP->Head, ");
    emit_send_options(e, rt, true);
    em_rawf(e, ", ");
    emit_msgh_size(e, rt);
    em_rawf(e, ", (mach_msg_size_t)sizeof(Reply), InP->Head.msgh_reply_port, ");
    emit_timeout(e, rt);
    if (rt->has_overwrite)
        em_rawf(e, ", MACH_PORT_NULL, &InOvTemplate->Head, "
                   "(mach_msg_size_t)sizeof(OverwriteTemplate));\n");
    else
        em_rawf(e, ", MACH_PORT_NULL);\n");
    if (ir->kernel_user)
        emit_kernel_end(e);
    em_line(e, "__AfterSendRpc(%d, \"%s\")", (int)rt->request_id, rt->name);
    emit_rpc_failure(e, ir, rt, true);
}

// `msg_result = mach_msg(...)` sending the request alone (a simpleroutine, or -R's send).
static void emit_send_only_call(struct emitter *e, const struct ir_routine *rt) {
    em_start(e, "msg_result = mach_msg(&InP->Head, ");
    emit_send_options(e, rt, false);
    em_rawf(e, ", ");
    emit_msgh_size(e, rt);
    em_rawf(e, ", 0, MACH_PORT_NULL, ");
    emit_timeout(e, rt);
    em_rawf(e, ", MACH_PORT_NULL);\n");
}

// -R (Apple's mig without UseMsgRPC): the request is sent by one mach_msg and the reply received
// by another on the reply port. `overwrite` is an RPC feature in Apple's MIG (the receive
// template goes with the combined call), so here such data arrives in new memory. A failed send
// is handled as the combined call's; a failed receive releases the reply port as Apple's does.
static void emit_send_then_receive(struct emitter *e, const struct ir_module *ir,
                                   const struct ir_routine *rt) {
    em_line(e, "__BeforeSendRpc(%d, \"%s\")", (int)rt->request_id, rt->name);
    emit_send_only_call(e, rt);
    emit_rpc_failure(e, ir, rt, true);
    em_start(e, "msg_result = mach_msg(&Out0P->Head, ");
    emit_receive_options(e, rt);
    em_rawf(e, ", 0, (mach_msg_size_t)sizeof(Reply), InP->Head.msgh_reply_port, ");
    if (rt->waittime.source != IR_SETTING_NONE)
        emit_setting(e, &rt->waittime);
    else
        em_rawf(e, "MACH_MSG_TIMEOUT_NONE");
    em_rawf(e, ", MACH_PORT_NULL);\n");
    em_line(e, "__AfterSendRpc(%d, \"%s\")", (int)rt->request_id, rt->name);
    emit_rpc_failure(e, ir, rt, false);
}

static void emit_send_simple(struct emitter *e, const struct ir_module *ir,
                             const struct ir_routine *rt) {
    em_line(e, "__BeforeSendSimple(%d, \"%s\")", (int)rt->request_id, rt->name);
    if (ir->kernel_user)
        emit_kernel_send_begin(e, rt);
    emit_send_only_call(e, rt);
    if (ir->kernel_user)
        emit_kernel_end(e);
    em_line(e, "__AfterSendSimple(%d, \"%s\")", (int)rt->request_id, rt->name);
    if (ir->consume_on_send_error != IR_CONSUME_NONE) {
        em_open(e, "if (msg_result != MACH_MSG_SUCCESS)");
        emit_consume_on_send_error(e, ir, rt);
        em_close(e, "");
    }
    emit_return(e, stub_on_heap(ir, rt), "msg_result");
}

// --- reply unpacking ---------------------------------------------------------------------------

static void emit_unpack_variable_data(struct emitter *e, const struct ir_layout *layout,
                                      const struct ir_field *f, bool heap) {
    const struct ir_arg *a = f->maybe_arg;
    const struct ir_field *cf = f->maybe_count_field;
    unsigned k = f->shift_index, ck = cf->shift_index;
    if (a->type->is_string) {
        em_line(e, "(void)mig_strncpy(%s%s, Out%uP->%s, %u);", deref(a), a->name, k, f->name,
                f->array_count);
    } else {
        const struct ir_arg *cnt = a->maybe_count;
        if (a->flags.countinout && cnt != NULL) {
            // The caller said how much room it has; copy what fits and say how much there was.
            em_open(e, "if (Out%uP->%s > %s%s)", ck, cf->name, deref(cnt), cnt->name);
            em_line(e, "(void)memcpy((char *)%s%s, (const char *)Out%uP->%s, %u * %s%s);",
                    deref(a), a->name, k, f->name, f->elem_size, deref(cnt), cnt->name);
            em_line(e, "%s%s = Out%uP->%s;", deref(cnt), cnt->name, ck, cf->name);
            emit_return(e, heap, "MIG_ARRAY_TOO_LARGE");
            em_close(e, "");
        }
        em_line(e, "(void)memcpy((char *)%s%s, (const char *)Out%uP->%s, %u * Out%uP->%s);",
                deref(a), a->name, k, f->name, f->elem_size, ck, cf->name);
        if (cnt != NULL && cnt->on_user_side && cf->maybe_data_field == f)
            em_line(e, "%s%s = Out%uP->%s;", deref(cnt), cnt->name, ck, cf->name);
    }
    if (has_later_fields(layout, f) && k + 1 <= emit_layout_max_shift(layout))
        em_line(e, "Out%uP = (Reply *)((pointer_t)Out%uP + _WALIGN_(%u * Out%uP->%s) - %u);",
                k + 1, k, f->elem_size, ck, cf->name, f->padded_size);
    em_blank(e);
}

static void emit_unpack_fixed_data(struct emitter *e, const struct ir_field *f) {
    const struct ir_arg *a = f->maybe_arg;
    unsigned k = f->shift_index;
    if (a->type->is_string)
        em_line(e, "(void)mig_strncpy(%s%s, Out%uP->%s, %u);", deref(a), a->name, k, f->name,
                f->size);
    else if (a->type->shape == IR_SHAPE_ARRAY)
        em_line(e, "(void)memcpy((char *)%s%s, (const char *)Out%uP->%s, %u);", deref(a),
                a->name, k, f->name, f->size);
    else
        em_line(e, "*%s = Out%uP->%s;", a->name, k, f->name);
}

static void emit_unpack_reply_field(struct emitter *e, const struct ir_layout *layout,
                                    const struct ir_field *f, bool heap) {
    const struct ir_arg *a = f->maybe_arg;
    if (a == NULL || !a->on_user_side)
        return;
    switch (f->kind) {
    case IR_FIELD_PORT_DESC:
        if (f->array_count > 0) {
            const struct ir_field *cf = f->maybe_count_field;
            if (cf != NULL)
                em_open(e, "for (mach_msg_type_number_t i = 0; i < Out%uP->%s; i++)",
                        cf->shift_index, cf->name);
            else
                em_open(e, "for (mach_msg_type_number_t i = 0; i < %u; i++)", f->array_count);
            em_line(e, "%s%s[i] = Out0P->%s[i].name;", deref(a), a->name, f->name);
            em_close(e, "");
        } else {
            em_line(e, "*%s = Out0P->%s.name;", a->name, f->name);
            if (a->maybe_poly && a->maybe_poly->on_user_side)
                em_line(e, "*%s = Out0P->%s.disposition;", a->maybe_poly->name, f->name);
        }
        break;
    case IR_FIELD_OOL_DESC:
    case IR_FIELD_OOL_PORTS_DESC:
        em_line(e, "*%s = (%s)(Out0P->%s.address);", a->name, a->user_c_type, f->name);
        if (f->kind == IR_FIELD_OOL_PORTS_DESC && a->maybe_poly && a->maybe_poly->on_user_side)
            em_line(e, "*%s = Out0P->%s.disposition;", a->maybe_poly->name, f->name);
        break;
    case IR_FIELD_COUNT: {
        const struct ir_field *data = f->maybe_data_field;
        if (data != NULL && data->is_variable)
            break; // unpacked with its data
        em_line(e, "%s%s = Out%uP->%s;", deref(a), a->name, f->shift_index, f->name);
        break;
    }
    case IR_FIELD_DATA:
        if (f->is_variable)
            emit_unpack_variable_data(e, layout, f, heap);
        else
            emit_unpack_fixed_data(e, f);
        break;
    default:
        break;
    }
}

// A reply the stub refuses is destroyed (its rights and memory are not the caller's).
static void emit_destroy_reply(struct emitter *e, const struct ir_module *ir) {
    if (ir->kernel_user)
        emit_kernel_destroy_reply(e);
    else
        em_line(e, "mach_msg_destroy(&Out0P->Head);");
}

static bool wants_user_trailer(const struct ir_routine *rt) {
    return rt->user_wants_sender || rt->user_wants_audit;
}

static void emit_unpack_trailer(struct emitter *e, const struct ir_module *ir,
                                const struct ir_routine *rt) {
    em_line(e, "TrailerP = (mach_msg_max_trailer_t *)((vm_offset_t)Out0P + "
               "round_msg(Out0P->Head.msgh_size));");
    em_open(e, "if (TrailerP->msgh_trailer_type != MACH_MSG_TRAILER_FORMAT_0 ||\n"
               "\t    TrailerP->msgh_trailer_size < (mach_msg_size_t)%s)",
            rt->user_wants_audit ? "(offsetof(mach_msg_max_trailer_t, msgh_audit) + "
                                   "sizeof(audit_token_t))"
                                 : "(offsetof(mach_msg_max_trailer_t, msgh_sender) + "
                                   "sizeof(security_token_t))");
    emit_destroy_reply(e, ir);
    emit_return(e, stub_on_heap(ir, rt), "MIG_TRAILER_ERROR");
    em_close(e, "");
    for (size_t i = 0; i < rt->arg_count; i++) {
        const struct ir_arg *a = &rt->args[i];
        if (!a->on_user_side)
            continue;
        if (a->role == IR_ROLE_SEC_TOKEN)
            em_line(e, "*%s = TrailerP->msgh_sender;", a->name);
        else if (a->role == IR_ROLE_AUDIT_TOKEN)
            em_line(e, "*%s = TrailerP->msgh_audit;", a->name);
    }
    em_blank(e);
}

static void emit_check_and_unpack_reply(struct emitter *e, const struct ir_module *ir,
                                        const struct ir_routine *rt) {
    bool heap = stub_on_heap(ir, rt);
    em_line(e, "check_result = %s((%s *)Out0P);", rt->reply_checker, rt->reply.typedef_name);
    em_open(e, "if (check_result != MACH_MSG_SUCCESS)");
    if (uses_overwrite(ir, rt))
        emit_overwrite_keep_landed(e, rt);
    emit_destroy_reply(e, ir);
    emit_return(e, heap, "check_result");
    em_close(e, "");
    em_blank(e);
    if (wants_user_trailer(rt))
        emit_unpack_trailer(e, ir, rt);
    const struct ir_layout *layout = &rt->reply;
    for (size_t i = 0; i < layout->field_count; i++)
        emit_unpack_reply_field(e, layout, &layout->fields[i], heap);
    emit_return(e, heap, "KERN_SUCCESS");
}

// --- one stub ------------------------------------------------------------------------------------

// The request and reply buffers: one union, on the stack or from mig_user_allocate.
static void emit_message_buffers(struct emitter *e, const struct ir_routine *rt, bool heap) {
    bool rpc = !emit_routine_is_simple(rt);
    em_open(e, "union __MigMess");
    em_line(e, "Request In;");
    if (rpc)
        em_line(e, "Reply Out;");
    em_close(e, heap ? " *Mess;" : " Mess;");
    em_blank(e);
    const char *sel = heap ? "->" : ".";
    if (heap) { // larger than -maxonstack: the buffer comes from mig_user_allocate
        em_line(e, "Request *InP;");
        if (rpc)
            em_line(e, "Reply *Out0P;");
    } else {
        em_line(e, "Request *InP = &Mess%sIn;", sel);
        if (rpc)
            em_line(e, "Reply *Out0P = &Mess%sOut;", sel);
    }
}

static void emit_stub_locals(struct emitter *e, const struct ir_module *ir,
                             const struct ir_routine *rt, bool heap) {
    bool rpc = !emit_routine_is_simple(rt);
    if (uses_overwrite(ir, rt))
        emit_overwrite_locals(e);
    else
        emit_message_buffers(e, rt, heap);
    if (rpc)
        for (unsigned k = 1; k <= emit_layout_max_shift(&rt->reply); k++)
            em_line(e, "Reply *Out%uP;", k);
    em_line(e, "mach_msg_return_t msg_result;");
    if (rt->request.is_variable)
        em_line(e, "mach_msg_size_t msgh_size, msgh_size_delta;");
    if (rpc)
        em_line(e, "kern_return_t check_result;");
    if (rpc && wants_user_trailer(rt))
        em_line(e, "mach_msg_max_trailer_t *TrailerP;");
    em_blank(e);
    if (heap) {
        em_line(e, "Mess = (union __MigMess *)mig_user_allocate((vm_size_t)sizeof(*Mess));");
        em_line(e, "if (Mess == NULL)");
        em_line(e, "\treturn KERN_RESOURCE_SHORTAGE;");
        em_line(e, "InP = &Mess->In;");
        if (rpc)
            em_line(e, "Out0P = &Mess->Out;");
        em_blank(e);
    }
}

static void emit_user_stub(struct emitter *e, const struct ir_module *ir,
                           const struct ir_routine *rt) {
    bool rpc = !emit_routine_is_simple(rt);
    if (rpc)
        emit_reply_checker(e, ir, rt);
    emit_routine_comment(e, rt);
    em_line(e, "mig_external kern_return_t %s", rt->user_name);
    emit_param_list(e, rt, EMIT_SIDE_USER, "");
    em_block(e);
    emit_message_typedef(e, &rt->request, EMIT_SIDE_USER, "Request", false);
    if (rpc)
        emit_message_typedef(e, &rt->reply, EMIT_SIDE_USER, "Reply", true);
    if (uses_overwrite(ir, rt))
        emit_overwrite_typedef(e, rt);
    em_blank(e);
    bool heap = stub_on_heap(ir, rt);
    emit_stub_locals(e, ir, rt, heap);
    em_line(e, "__DeclareSend%s(%d, \"%s\")", rpc ? "Rpc" : "Simple", (int)rt->request_id,
            rt->name);
    em_blank(e);
    emit_pack_request(e, rt, heap);
    emit_request_header(e, rt);
    emit_voucher_call(e, ir);
    if (rpc) {
        if (uses_overwrite(ir, rt))
            emit_overwrite_template(e, rt);
        if (ir->options.rpc_separate)
            emit_send_then_receive(e, ir, rt);
        else
            emit_send_rpc(e, ir, rt);
        emit_check_and_unpack_reply(e, ir, rt);
    } else {
        emit_send_simple(e, ir, rt);
    }
    em_close(e, "");
    em_blank(e);
}

// -maxonstack: the buffers of large stubs come from these, which the program supplies (Apple's MIG
// declares them only for the kernel; user space must define them, e.g. over malloc).
static void emit_heap_declarations(struct emitter *e, const struct ir_module *ir) {
    bool any = false;
    for (size_t i = 0; i < ir->routine_count; i++)
        any |= emit_routine_is_real(&ir->routines[i]) && stub_on_heap(ir, &ir->routines[i]);
    if (!any)
        return;
    emit_extern_c_begin(e);
    em_line(e, "extern vm_offset_t mig_user_allocate(vm_size_t size);");
    em_line(e, "extern void mig_user_deallocate(char *data, vm_size_t size);");
    emit_extern_c_end(e);
}

// --- the file --------------------------------------------------------------------------------

void emit_user_source(struct emitter *e, const struct ir_module *ir) {
    emit_banner(e, ir, "Client stubs (user source)");
    em_pp(e, "#define\t%s 1", ir->names.reply_checkers_guard);
    em_blank(e);
    // Self-contained: the stubs do not depend on the name the user header was written under.
    emit_std_includes(e);
    if (!ir->options.novouchers && !ir->kernel_user)
        emit_voucher_decls(e);
    emit_std_type_includes(e);
    if (ir->consume_on_send_error == IR_CONSUME_ANY) {
        // The cleanup after MACH_SEND_INVALID_DEST releases a moved destination right.
        em_pp(e, "#include <mach/mach_init.h>");
        em_pp(e, "#include <mach/mach_port.h>");
    }
    emit_imports(e, ir,
                 EMIT_IMPORTS(IR_IMPORT) | EMIT_IMPORTS(IR_UIMPORT) | EMIT_IMPORTS(IR_DIMPORT) |
                     EMIT_IMPORTS(IR_IIMPORT));
    em_blank(e);
    emit_user_prolog_macros(e);
    emit_heap_declarations(e, ir);
    emit_rcsid(e, ir, ir->names.user_rcsid);
    emit_static_assert_macro(e);
    emit_request_typedefs(e, ir, EMIT_SIDE_USER);
    emit_reply_typedefs(e, ir, EMIT_SIDE_USER);
    emit_extern_c_begin(e);
    for (size_t i = 0; i < ir->routine_count; i++)
        if (emit_routine_is_real(&ir->routines[i]))
            emit_routine_declaration(e, &ir->routines[i], EMIT_SIDE_USER);
    emit_extern_c_end(e);
    for (size_t i = 0; i < ir->routine_count; i++)
        if (emit_routine_is_real(&ir->routines[i]))
            emit_user_stub(e, ir, &ir->routines[i]);
}
