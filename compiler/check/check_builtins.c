// Built-in types of the checks: the MACH_MSG_TYPE_* IPC types (ipc_types.def) and the C scalars
// of implicit arguments (counts, poly dispositions, dealloc flags, RetCode).
#include <string.h>

#include "check/check.h"
#include "support/arena.h"

enum ipc_class { IPC_SCALAR, IPC_PORT, IPC_NOSIZE, IPC_GNU };

struct ipc_builtin {
    const char *name; // without MACH_MSG_TYPE_
    int32_t in_number, out_number;
    uint32_t bits;
    enum ipc_class cls;
};

static const struct ipc_builtin ipc_builtins[] = {
#define IPC_TYPE(name, in, out, bits, cls) {#name, in, out, bits, IPC_##cls},
#include "check/ipc_types.def"
#undef IPC_TYPE
};

// Default C type of a built-in used directly as an argument type.
static const char *builtin_ctype(const struct ipc_builtin *b) {
    static const struct {
        const char *ipc, *ctype;
    } ctypes[] = {
        {"BIT", "unsigned"},         {"BOOLEAN", "boolean_t"},   {"INTEGER_8", "int8_t"},
        {"INTEGER_16", "int16_t"},   {"INTEGER_32", "int32_t"},  {"INTEGER_64", "int64_t"},
        {"CHAR", "char"},            {"BYTE", "uint8_t"},        {"REAL_32", "float"},
        {"REAL_64", "double"},       {"PORT_NAME", "mach_port_name_t"},
    };
    for (size_t i = 0; i < sizeof ctypes / sizeof ctypes[0]; i++)
        if (strcmp(ctypes[i].ipc, b->name) == 0)
            return ctypes[i].ctype;
    return "mach_port_t";
}

// The canonical name of an IPC type number (bare numbers in split types).
struct ir_ipc_name check_ipc_number_name(struct check_ctx *cx, int32_t number) {
    static const char *const by_number[] = {
        [0] = "BOOLEAN",       [1] = "INTEGER_16",   [2] = "INTEGER_32",    [3] = "INTEGER_64",
        [8] = "CHAR",          [9] = "INTEGER_8",    [10] = "REAL_32",      [11] = "REAL_64",
        [12] = "STRING",       [15] = "PORT_NAME",   [16] = "MOVE_RECEIVE", [17] = "MOVE_SEND",
        [18] = "MOVE_SEND_ONCE", [19] = "COPY_SEND", [20] = "MAKE_SEND",    [21] = "MAKE_SEND_ONCE",
    };
    struct ir_ipc_name n = {NULL, number};
    if (number == -1)
        n.name = "MACH_MSG_TYPE_POLYMORPHIC";
    else if (number >= 0 && (size_t)number < sizeof by_number / sizeof by_number[0] &&
             by_number[number])
        n.name = arena_printf(cx->arena, "MACH_MSG_TYPE_%s", by_number[number]);
    return n;
}

// Received-as names of ports: MOVE_SEND is received as PORT_SEND and so on.
static const char *received_name(int32_t number) {
    switch (number) {
    case 16: return "MACH_MSG_TYPE_PORT_RECEIVE";
    case 17: return "MACH_MSG_TYPE_PORT_SEND";
    case 18: return "MACH_MSG_TYPE_PORT_SEND_ONCE";
    default: return NULL;
    }
}

const struct ir_type *check_builtin_ipc_type(struct check_ctx *cx, const char *name) {
    static const char prefix[] = "MACH_MSG_TYPE_";
    if (strncmp(name, prefix, sizeof prefix - 1) != 0)
        return NULL;
    const char *rest = name + sizeof prefix - 1;
    for (size_t i = 0; i < sizeof ipc_builtins / sizeof ipc_builtins[0]; i++) {
        const struct ipc_builtin *b = &ipc_builtins[i];
        if (strcmp(b->name, rest) != 0)
            continue;
        struct ir_type *t = ARENA_NEW(cx->arena, struct ir_type);
        t->name = arena_strdup(cx->arena, name);
        t->bound = IR_BOUND_NONE;
        t->elem_bits = b->bits;
        t->elem_size = b->bits / 8;
        t->count = 1;
        t->size = t->elem_size;
        t->align = t->size ? t->size : 1;
        t->in_name.number = b->in_number;
        t->in_name.name = b->in_number == -1 ? "MACH_MSG_TYPE_POLYMORPHIC"
                                             : arena_strdup(cx->arena, name);
        t->out_name = t->in_name;
        if (b->cls == IPC_PORT) {
            t->shape = IR_SHAPE_PORT;
            t->is_port = true;
            t->is_polymorphic = b->in_number == -1 || b->out_number == -1;
            t->out_name.number = b->out_number;
            t->out_name.name = b->out_number == -1 ? "MACH_MSG_TYPE_POLYMORPHIC"
                                                   : received_name(b->out_number);
            t->align = 4;
        } else {
            t->shape = IR_SHAPE_SCALAR;
        }
        t->user_type = t->server_type = t->trans_type = builtin_ctype(b);
        if (b->cls == IPC_NOSIZE)
            t->elem_bits = t->elem_size = t->size = 0;
        if (b->cls == IPC_GNU)
            t->name = NULL; // marks "GNU-only name" for the caller
        return t;
    }
    return NULL;
}

const struct ir_type *check_implicit_scalar(struct check_ctx *cx, const char *ctype,
                                            uint32_t size) {
    struct ir_type *t = ARENA_NEW(cx->arena, struct ir_type);
    t->name = ctype;
    t->shape = IR_SHAPE_SCALAR;
    t->bound = IR_BOUND_NONE;
    t->elem_bits = size * 8;
    t->elem_size = size;
    t->count = 1;
    t->size = size;
    t->align = size;
    t->in_name = t->out_name = (struct ir_ipc_name){"MACH_MSG_TYPE_INTEGER_32", 2};
    t->user_type = t->server_type = t->trans_type = ctype;
    return t;
}
