// The checked IR: names of its enum values (for --emit-json and messages) and small lookups.
// The IR itself is built by the check steps (check_*.c, layout.c) and read by the emitters.
#include "ir/ir.h"

#include <string.h>

const char *ir_import_kind_name(enum ir_import_kind kind) {
    static const char *const names[] = {"import", "uimport", "simport", "dimport", "iimport"};
    return names[kind];
}

const char *ir_type_shape_name(enum ir_type_shape shape) {
    static const char *const names[] = {"scalar", "port", "struct", "array", "c_string", "native"};
    return names[shape];
}

const char *ir_bound_name(enum ir_bound bound) {
    static const char *const names[] = {"none", "fixed", "variable", "unbounded"};
    return names[bound];
}

const char *ir_arg_role_name(enum ir_arg_role role) {
    static const char *const names[] = {
        "request_port", "reply_port",  "data",        "waittime",      "sendtime",
        "msgoption",    "msgseqno",    "sec_token",   "audit_token",   "context_token",
        "return_code",  "count",       "poly",        "dealloc",
    };
    return names[role];
}

const char *ir_arg_dir_name(enum ir_arg_dir dir) {
    static const char *const names[] = {"none", "in", "out", "inout"};
    return names[dir];
}

const char *ir_carrier_name(enum ir_carrier carrier) {
    static const char *const names[] = {
        "none",      "header_remote", "header_local",    "inline", "port_desc",
        "ool_desc",  "ool_ports_desc", "trailer",        "mach_msg",
    };
    return names[carrier];
}

const char *ir_trailer_element_name(enum ir_trailer_element element) {
    static const char *const names[] = {"none", "seqno", "sender", "audit", "context"};
    return names[element];
}

const char *ir_dealloc_name(enum ir_dealloc dealloc) {
    static const char *const names[] = {"default", "dealloc", "notdealloc", "dealloc[]"};
    return names[dealloc];
}

const char *ir_field_kind_name(enum ir_field_kind kind) {
    static const char *const names[] = {
        "header", "body", "port_desc", "ool_desc", "ool_ports_desc",
        "ndr",    "retcode", "count",  "offset",   "data",  "pad", "present",
    };
    return names[kind];
}

const char *ir_routine_kind_name(enum ir_routine_kind kind) {
    static const char *const names[] = {"routine", "simpleroutine", "skip"};
    return names[kind];
}

const char *ir_reply_port_kind_name(enum ir_reply_port_kind kind) {
    static const char *const names[] = {"mig", "replyport", "ureplyport", "sreplyport", "none"};
    return names[kind];
}

const char *ir_setting_source_name(enum ir_setting_source source) {
    static const char *const names[] = {"none", "statement", "argument"};
    return names[source];
}

const char *ir_consume_name(enum ir_consume_on_send_error consume) {
    static const char *const names[] = {"None", "Timeout", "Any"};
    return names[consume];
}

const char *ir_native_kind_name(enum ir_native_kind kind) {
    static const char *const names[] = {"none", "PointerTo", "ValueOf", "PointerToIfNot"};
    return names[kind];
}

const struct ir_routine *ir_module_find_routine(const struct ir_module *ir, const char *name) {
    for (size_t i = 0; i < ir->routine_count; i++) {
        const struct ir_routine *rt = &ir->routines[i];
        if (rt->kind != IR_KIND_SKIP && strcmp(rt->name, name) == 0)
            return rt;
    }
    return NULL;
}

const struct ir_arg *ir_routine_find_arg(const struct ir_routine *rt, const char *name) {
    for (size_t i = 0; i < rt->arg_count; i++)
        if (strcmp(rt->args[i].name, name) == 0)
            return &rt->args[i];
    return NULL;
}

const struct ir_field *ir_layout_find_field(const struct ir_layout *layout, const char *name) {
    for (size_t i = 0; i < layout->field_count; i++)
        if (strcmp(layout->fields[i].name, name) == 0)
            return &layout->fields[i];
    return NULL;
}
