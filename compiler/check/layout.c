// Check step 6, layout: the LP64 request and reply messages of every routine, as Apple's MIG
// declares them in __Request__<rt>_t / __Reply__<rt>_t (pack(4)): header, then for a complex
// message the body and the descriptors in argument order, then NDR when there is untyped data,
// then RetCode (simple replies only) and the inline fields, each padded to 4 bytes; a variable
// array is declared at its maximum, preceded by its count, and shifts everything after it.
// Offsets and sizes are computed from the .defs sizes; a struct[N] member is declared with its C
// type, so in C it takes sizeof(<C type>), which the .defs size normally equals (see
// ir_field.size_is_c_type and docs/generated-code.md, "Message layouts").
#include <string.h>

#include "check/check.h"
#include "ir/target.h"
#include "support/arena.h"

#define KERNEL_MESSAGE_LIMIT (64u * 1024u * 1024u)

struct layout_builder {
    struct check_ctx *cx;
    struct ir_layout *layout;
    size_t cap;
    uint64_t offset;        // running offset (maximum sizes)
    uint64_t variable_max;  // bytes of variable data at maximum (data + its pad)
    unsigned variable_seen; // variable inline fields so far
};

static struct ir_field *add_field(struct layout_builder *b, enum ir_field_kind kind,
                                  const char *name, const char *ctype, uint64_t size) {
    struct ir_layout *l = b->layout;
    struct ir_field *f = &l->fields[l->field_count++];
    f->kind = kind;
    f->name = name;
    f->user_c_type = f->server_c_type = ctype;
    f->offset = (uint32_t)(b->offset > UINT32_MAX ? UINT32_MAX : b->offset);
    f->size = (uint32_t)(size > UINT32_MAX ? UINT32_MAX : size);
    f->padded_size = f->size;
    f->elem_size = f->size;
    f->shift_index = b->variable_seen;
    f->offset_varies = b->variable_seen > 0;
    b->offset += size;
    return f;
}

static enum ir_carrier carrier(const struct ir_arg *a, bool request) {
    return request ? a->request_carrier : a->reply_carrier;
}

static void set_field(struct ir_arg *a, bool request, const struct ir_field *f) {
    if (request)
        a->maybe_request_field = f;
    else
        a->maybe_reply_field = f;
}

static void add_descriptors(struct layout_builder *b, struct ir_routine *rt, bool request) {
    const struct target_abi *abi = b->cx->target;
    for (size_t i = 0; i < rt->arg_count; i++) {
        struct ir_arg *a = &rt->args[i];
        enum ir_carrier c = carrier(a, request);
        enum ir_field_kind kind;
        const char *ctype;
        uint32_t each;
        if (c == IR_CARRY_PORT_DESC) {
            kind = IR_FIELD_PORT_DESC, ctype = "mach_msg_port_descriptor_t", each = abi->port_desc_size;
        } else if (c == IR_CARRY_OOL_DESC) {
            kind = IR_FIELD_OOL_DESC, ctype = "mach_msg_ool_descriptor_t", each = abi->ool_desc_size;
        } else if (c == IR_CARRY_OOL_PORTS_DESC) {
            kind = IR_FIELD_OOL_PORTS_DESC, ctype = "mach_msg_ool_ports_descriptor_t";
            each = abi->ool_ports_desc_size;
        } else {
            continue;
        }
        uint32_t n = c == IR_CARRY_PORT_DESC && a->type->shape == IR_SHAPE_ARRAY ? a->type->count : 1;
        struct ir_field *f = add_field(b, kind, a->name, ctype, (uint64_t)each * n);
        f->array_count = a->type->shape == IR_SHAPE_ARRAY && c == IR_CARRY_PORT_DESC ? n : 0;
        f->elem_size = each;
        f->maybe_arg = a;
        b->layout->descriptor_count += n;
        set_field(a, request, f);
    }
}

static void add_pad(struct layout_builder *b, struct ir_field *data) {
    uint32_t align = b->cx->target->inline_align;
    uint32_t pad = (align - data->size % align) % align;
    data->padded_size = data->size + pad;
    if (pad == 0)
        return;
    struct ir_field *f = add_field(b, IR_FIELD_PAD, check_cat(b->cx, data->name, "Pad", ""),
                                   "char", pad);
    f->array_count = pad;
    f->elem_size = 1;
    f->maybe_arg = data->maybe_arg;
    f->maybe_data_field = data;
    if (data->is_variable)
        b->variable_max += pad;
}

static struct ir_field *add_count_field(struct layout_builder *b, struct ir_arg *count,
                                        bool request) {
    struct ir_field *f = add_field(b, IR_FIELD_COUNT, count->name, "mach_msg_type_number_t",
                                   b->cx->target->count_size);
    f->maybe_arg = count;
    set_field(count, request, f);
    return f;
}

// Inline data of one argument: [Offset] [Cnt] data [pad] for variable data, else data [pad].
static void add_inline_data(struct layout_builder *b, struct ir_arg *a, bool request) {
    const struct ir_type *t = a->type;
    struct ir_field *count_field = NULL;
    if (t->is_variable) {
        if (t->is_string) {
            struct ir_field *off = add_field(b, IR_FIELD_OFFSET,
                                             check_cat(b->cx, a->name, "Offset", ""),
                                             "mach_msg_type_number_t", b->cx->target->count_size);
            off->maybe_arg = a;
        }
        if (a->maybe_count && !a->flags.samecount)
            count_field = add_count_field(b, (struct ir_arg *)a->maybe_count, request);
        else if (a->maybe_count)
            count_field = (struct ir_field *)(request ? a->maybe_count->maybe_request_field
                                                      : a->maybe_count->maybe_reply_field);
        struct ir_field *f = add_field(b, IR_FIELD_DATA, a->name, t->server_elem_type,
                                       (uint64_t)t->elem_size * t->count);
        f->array_count = t->count;
        f->elem_size = t->elem_size;
        f->is_variable = true;
        f->maybe_arg = a;
        f->maybe_count_field = count_field;
        if (count_field && count_field->maybe_data_field == NULL)
            count_field->maybe_data_field = f;
        b->variable_max += f->size;
        set_field(a, request, f);
        add_pad(b, f);
        b->variable_seen++;
        b->layout->variable_field_count++;
        b->layout->is_variable = true;
        return;
    }
    if (t->native == IR_NATIVE_POINTER_TO_IF_NOT) {
        struct ir_field *p = add_field(b, IR_FIELD_PRESENT,
                                       check_cat(b->cx, "__Present__", a->name, ""), "boolean_t", 4);
        p->maybe_arg = a;
    }
    struct ir_field *f = add_field(b, IR_FIELD_DATA, a->name, t->server_type, t->size);
    f->maybe_arg = a;
    f->size_is_native = t->shape == IR_SHAPE_NATIVE;
    f->is_optional_native = t->native == IR_NATIVE_POINTER_TO_IF_NOT;
    f->size_is_c_type = t->shape == IR_SHAPE_STRUCT;
    if (f->size_is_native)
        b->layout->size_is_exact = false;
    set_field(a, request, f);
    add_pad(b, f);
}

// True when the argument's value is untyped inline data in this message.
static bool is_body_data(const struct ir_arg *a, bool request) {
    if (carrier(a, request) != IR_CARRY_INLINE || a->role == IR_ROLE_RETURN_CODE)
        return false;
    // A count of inline variable data is declared with its data.
    if (a->role == IR_ROLE_COUNT && a->maybe_parent &&
        carrier(a->maybe_parent, request) == IR_CARRY_INLINE && a->maybe_parent->type->is_variable)
        return false;
    return true;
}

// An upper bound of the fields of one message: Head, body, NDR, RetCode, then per argument in it
// one descriptor or up to four inline fields (Offset, Cnt, data, pad).
static size_t field_bound(const struct ir_routine *rt, bool request) {
    size_t n = 4;
    for (size_t i = 0; i < rt->arg_count; i++) {
        enum ir_carrier c = carrier(&rt->args[i], request);
        if (c == IR_CARRY_INLINE)
            n += 4;
        else if (c == IR_CARRY_PORT_DESC || c == IR_CARRY_OOL_DESC || c == IR_CARRY_OOL_PORTS_DESC)
            n += 1;
    }
    return n;
}

static void build_layout(struct check_ctx *cx, struct ir_routine *rt, bool request) {
    const struct target_abi *abi = cx->target;
    struct ir_layout *l = request ? &rt->request : &rt->reply;
    size_t cap = field_bound(rt, request);
    l->fields = arena_array(cx->arena, cap, sizeof *l->fields);
    l->size_is_exact = true;
    struct layout_builder b = {cx, l, cap, 0, 0, 0};
    add_field(&b, IR_FIELD_HEADER, "Head", "mach_msg_header_t", abi->header_size);

    bool one_way_reply = !request && rt->kind == IR_KIND_SIMPLEROUTINE;
    bool any_desc = false;
    for (size_t i = 0; i < rt->arg_count && !one_way_reply; i++) {
        enum ir_carrier c = carrier(&rt->args[i], request);
        any_desc |= c == IR_CARRY_PORT_DESC || c == IR_CARRY_OOL_DESC || c == IR_CARRY_OOL_PORTS_DESC;
    }
    if (any_desc) {
        l->is_complex = true;
        add_field(&b, IR_FIELD_BODY, "msgh_body", "mach_msg_body_t", abi->body_size);
        add_descriptors(&b, rt, request);
    }

    bool has_retcode = !request && (one_way_reply || (rt->maybe_return_code &&
                                                      rt->maybe_return_code->reply_carrier ==
                                                          IR_CARRY_INLINE));
    bool any_data = has_retcode;
    for (size_t i = 0; i < rt->arg_count && !one_way_reply; i++)
        any_data |= is_body_data(&rt->args[i], request);
    if (any_data) {
        l->has_ndr = true;
        add_field(&b, IR_FIELD_NDR, "NDR", "NDR_record_t", abi->ndr_size);
    }
    if (has_retcode) {
        l->has_retcode = true;
        struct ir_field *f = add_field(&b, IR_FIELD_RETCODE, "RetCode", "kern_return_t",
                                       abi->retcode_size);
        if (rt->maybe_return_code && rt->kind == IR_KIND_ROUTINE) {
            f->maybe_arg = rt->maybe_return_code;
            rt->args[rt->maybe_return_code->index].maybe_reply_field = f;
        }
    }
    for (size_t i = 0; i < rt->arg_count && !one_way_reply; i++) {
        struct ir_arg *a = &rt->args[i];
        if (!is_body_data(a, request))
            continue;
        if (a->role == IR_ROLE_COUNT) {
            struct ir_field *f = add_count_field(&b, a, request);
            struct ir_field *parent_field =
                a->maybe_parent ? (struct ir_field *)(request ? a->maybe_parent->maybe_request_field
                                                              : a->maybe_parent->maybe_reply_field)
                                : NULL;
            f->maybe_data_field = parent_field;
            if (parent_field)
                parent_field->maybe_count_field = f;
        } else
            add_inline_data(&b, a, request);
    }
    uint64_t size = b.offset;
    if (size > INT32_MAX) {
        diag_report(cx->diags, DIAG_MESSAGE_TOO_LARGE, cx->routines[rt->index].stmt->span,
                    request ? "request" : "reply", rt->name, check_num(cx, size));
    } else if (size > KERNEL_MESSAGE_LIMIT) {
        diag_report(cx->diags, DIAG_MESSAGE_OVER_KERNEL_LIMIT, cx->routines[rt->index].stmt->span,
                    request ? "request" : "reply", rt->name, check_num(cx, size));
    }
    l->size = (uint32_t)(size > UINT32_MAX ? UINT32_MAX : size);
    l->min_size = (uint32_t)(size - b.variable_max > UINT32_MAX ? UINT32_MAX
                                                                 : size - b.variable_max);
    bool tokens = request ? rt->server_trailer_max != IR_TRAILER_NONE
                          : rt->user_trailer_max != IR_TRAILER_NONE;
    l->trailer_c_type = tokens ? "mach_msg_max_trailer_t" : "mach_msg_trailer_t";
    l->trailer_size = tokens ? abi->max_trailer_size : abi->trailer_size;
}

// mig_reply_error_t, the reply for every nonzero return code.
static void build_error_reply(struct check_ctx *cx) {
    const struct target_abi *abi = cx->target;
    struct ir_layout *l = &cx->ir->error_reply;
    l->fields = arena_array(cx->arena, 3, sizeof *l->fields);
    l->typedef_name = "mig_reply_error_t";
    l->size_is_exact = true;
    l->has_ndr = l->has_retcode = true;
    struct layout_builder b = {cx, l, 3, 0, 0, 0};
    add_field(&b, IR_FIELD_HEADER, "Head", "mach_msg_header_t", abi->header_size);
    add_field(&b, IR_FIELD_NDR, "NDR", "NDR_record_t", abi->ndr_size);
    add_field(&b, IR_FIELD_RETCODE, "RetCode", "kern_return_t", abi->retcode_size);
    l->size = l->min_size = (uint32_t)b.offset;
    l->trailer_c_type = "mach_msg_trailer_t";
    l->trailer_size = abi->trailer_size;
}

bool check_layout(struct check_ctx *cx) {
    unsigned errors = check_error_count(cx);
    struct ir_module *ir = cx->ir;
    build_error_reply(cx);
    ir->target = cx->target;
    ir->max_reply_size = cx->target->error_reply_size;
    for (size_t r = 0; r < ir->routine_count; r++) {
        struct ir_routine *rt = &ir->routines[r];
        if (rt->kind == IR_KIND_SKIP)
            continue;
        build_layout(cx, rt, true);
        build_layout(cx, rt, false);
        rt->has_variable_request = rt->request.is_variable;
        rt->has_variable_reply = rt->reply.is_variable;
        if (rt->request.size > ir->max_request_size)
            ir->max_request_size = rt->request.size;
        if (rt->reply.size > ir->max_reply_size)
            ir->max_reply_size = rt->reply.size;
    }
    return check_error_count(cx) == errors;
}
