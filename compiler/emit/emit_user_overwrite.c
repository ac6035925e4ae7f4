// `overwrite` out arguments on the client side: the stub hands the kernel a receive template
// whose out-of-line descriptors name the caller's buffers (MACH_MSG_OVERWRITE), and receives with
// mach_msg_overwrite into a buffer shared by the template and the reply, as Apple's MIG does.
#include "emit/emit_common.h"

static bool is_ool_descriptor(const struct ir_field *f) {
    return f->kind == IR_FIELD_OOL_DESC || f->kind == IR_FIELD_OOL_PORTS_DESC;
}

// The reply field of the last `overwrite` argument (the template ends there), or NULL.
static const struct ir_field *last_overwrite_field(const struct ir_routine *rt) {
    const struct ir_field *last = NULL;
    for (size_t i = 0; i < rt->reply.field_count; i++) {
        const struct ir_field *f = &rt->reply.fields[i];
        if (is_ool_descriptor(f) && f->maybe_arg && f->maybe_arg->flags.overwrite)
            last = f;
    }
    return last;
}

bool emit_overwrite_in_template(const struct ir_routine *rt, const struct ir_field *f) {
    const struct ir_field *last = last_overwrite_field(rt);
    return last != NULL && is_ool_descriptor(f) && f <= last;
}

static unsigned template_descriptor_count(const struct ir_routine *rt) {
    unsigned n = 0;
    for (size_t i = 0; i < rt->reply.field_count; i++)
        n += emit_overwrite_in_template(rt, &rt->reply.fields[i]);
    return n;
}

void emit_overwrite_typedef(struct emitter *e, const struct ir_routine *rt) {
    em_pp(e, "#ifdef  __MigPackStructs");
    em_pp(e, "#pragma pack(push, 4)");
    em_pp(e, "#endif");
    em_open(e, "typedef struct");
    em_line(e, "mach_msg_header_t Head;");
    em_line(e, "/* start of the kernel processed data */");
    em_line(e, "mach_msg_body_t msgh_body;");
    for (size_t i = 0; i < rt->reply.field_count; i++) {
        const struct ir_field *f = &rt->reply.fields[i];
        if (emit_overwrite_in_template(rt, f))
            em_line(e, "%s %s;", emit_field_type(f, EMIT_SIDE_USER), f->name);
    }
    em_line(e, "/* end of the kernel processed data */");
    em_close(e, " OverwriteTemplate __attribute__((unused));");
    em_pp(e, "#ifdef  __MigPackStructs");
    em_pp(e, "#pragma pack(pop)");
    em_pp(e, "#endif");
}

void emit_overwrite_locals(struct emitter *e) {
    em_line(e, "Request MessRequest;");
    em_open(e, "union __MigMessReply");
    em_line(e, "OverwriteTemplate In;");
    em_line(e, "Reply Out;");
    em_close(e, " MessReply;");
    em_blank(e);
    em_line(e, "Request *InP = &MessRequest;");
    em_line(e, "OverwriteTemplate *InOvTemplate = &MessReply.In;");
    em_line(e, "Reply *Out0P = &MessReply.Out;");
}

// The landing buffer of one overwrite argument: its address and capacity come from the caller
// (*data and *dataCnt on entry).
static void emit_landing_buffer(struct emitter *e, const struct ir_field *f) {
    const struct ir_arg *a = f->maybe_arg;
    const struct ir_arg *cnt = a->maybe_count;
    const char *ref = a->user_by_reference ? "*" : "";
    const char *cref = cnt && cnt->user_by_reference ? "*" : "";
    em_line(e, "InOvTemplate->%s.address = (void *)(%s%s);", f->name, ref, a->name);
    if (f->kind == IR_FIELD_OOL_PORTS_DESC) {
        if (cnt)
            em_line(e, "InOvTemplate->%s.count = %s%s;", f->name, cref, cnt->name);
        else
            em_line(e, "InOvTemplate->%s.count = %u;", f->name, a->type->count);
    } else if (cnt) {
        em_line(e, "InOvTemplate->%s.size = (mach_msg_size_t)(%u * %s%s);", f->name,
                a->type->elem_size, cref, cnt->name);
    } else {
        em_line(e, "InOvTemplate->%s.size = %u;", f->name, a->type->size);
    }
    em_line(e, "InOvTemplate->%s.copy = MACH_MSG_OVERWRITE;", f->name);
}

void emit_overwrite_template(struct emitter *e, const struct ir_routine *rt) {
    em_line(e, "/* Initialize the template for overwrite */");
    em_line(e, "(void)memset(InOvTemplate, 0, sizeof(*InOvTemplate));");
    em_line(e, "InOvTemplate->msgh_body.msgh_descriptor_count = %u;",
            template_descriptor_count(rt));
    for (size_t i = 0; i < rt->reply.field_count; i++) {
        const struct ir_field *f = &rt->reply.fields[i];
        if (!emit_overwrite_in_template(rt, f))
            continue;
        if (f->maybe_arg->flags.overwrite)
            emit_landing_buffer(e, f);
        else // a placeholder: this one arrives in new memory as usual
            em_line(e, "InOvTemplate->%s.copy = MACH_MSG_ALLOCATE;", f->name);
        em_line(e, "InOvTemplate->%s.type = %s;", f->name,
                f->kind == IR_FIELD_OOL_PORTS_DESC ? "MACH_MSG_OOL_PORTS_DESCRIPTOR"
                                                   : "MACH_MSG_OOL_DESCRIPTOR");
    }
    em_blank(e);
}

static const char *descriptor_type(enum ir_field_kind kind) {
    switch (kind) {
    case IR_FIELD_PORT_DESC: return "MACH_MSG_PORT_DESCRIPTOR";
    case IR_FIELD_OOL_DESC: return "MACH_MSG_OOL_DESCRIPTOR";
    default: return "MACH_MSG_OOL_PORTS_DESCRIPTOR";
    }
}

// Starts `if (...)`: the reply is complex and its descriptors up to `last` have the expected
// types, one by one. Then `last` is a descriptor the kernel wrote (its address, count and
// disposition are true), not inline data of a reply shaped otherwise.
static void open_if_descriptors_genuine(struct emitter *e, const struct ir_routine *rt,
                                        const struct ir_field *last) {
    unsigned count = 0;
    for (const struct ir_field *f = rt->reply.fields; f <= last; f++)
        if (f->kind == IR_FIELD_PORT_DESC || is_ool_descriptor(f))
            count += f->array_count > 0 ? f->array_count : 1;
    em_start(e, "if ((Out0P->Head.msgh_bits & MACH_MSGH_BITS_COMPLEX) &&\n");
    em_start(e, "    Out0P->msgh_body.msgh_descriptor_count >= %u", count);
    for (const struct ir_field *f = rt->reply.fields; f <= last; f++) {
        if (f->kind != IR_FIELD_PORT_DESC && !is_ool_descriptor(f))
            continue;
        uint32_t n = f->array_count > 0 ? f->array_count : 1;
        for (uint32_t i = 0; i < n; i++) {
            em_raw(e, " &&\n");
            if (f->array_count > 0)
                em_start(e, "    Out0P->%s[%u].type == %s", f->name, i, descriptor_type(f->kind));
            else
                em_start(e, "    Out0P->%s.type == %s", f->name, descriptor_type(f->kind));
        }
    }
    em_raw(e, ") {\n");
    em_indent(e, 1);
}

// The rights in the caller's array, each destroyed by its disposition through a header
// (mach_msg_destroy is all the stub may count on from <mach/message.h>).
static void emit_release_landed_rights(struct emitter *e, const struct ir_routine *rt,
                                       const struct ir_field *f) {
    open_if_descriptors_genuine(e, rt, f);
    em_line(e, "/* the rights that landed in the caller's array are released */");
    em_line(e, "mach_port_t *landed = (mach_port_t *)Out0P->%s.address;", f->name);
    em_line(e, "mach_msg_header_t Release;");
    em_line(e, "mach_msg_type_number_t i;");
    em_open(e, "for (i = 0; i < Out0P->%s.count; i++)", f->name);
    em_line(e, "(void)memset(&Release, 0, sizeof(Release));");
    em_line(e, "Release.msgh_bits = MACH_MSGH_BITS(Out0P->%s.disposition, 0);", f->name);
    em_line(e, "Release.msgh_remote_port = landed[i];");
    em_line(e, "mach_msg_destroy(&Release);");
    em_line(e, "landed[i] = MACH_PORT_NULL;");
    em_close(e, "");
    em_close(e, "");
}

void emit_overwrite_keep_landed(struct emitter *e, const struct ir_routine *rt) {
    for (size_t i = 0; i < rt->reply.field_count; i++) {
        const struct ir_field *f = &rt->reply.fields[i];
        if (!is_ool_descriptor(f) || !f->maybe_arg || !f->maybe_arg->flags.overwrite)
            continue;
        const struct ir_arg *a = f->maybe_arg;
        bool ports = f->kind == IR_FIELD_OOL_PORTS_DESC;
        em_open(e, "if (Out0P->%s.address == (void *)(%s%s))", f->name,
                a->user_by_reference ? "*" : "", a->name);
        if (ports)
            emit_release_landed_rights(e, rt, f);
        em_line(e, "Out0P->%s.address = NULL; /* the caller's buffer: not ours to free */",
                f->name);
        em_line(e, "Out0P->%s.%s = 0;", f->name, ports ? "count" : "size");
        em_close(e, "");
    }
}
