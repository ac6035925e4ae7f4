// The check steps: AST in, checked IR out. pipeline.c runs them in order (collect, types,
// routines, implicit, ids, layout, verify); each reports every error it finds through the diag
// engine and returns false if it reported any, and the pipeline stops after that step.
// This header is private to the check steps.
#ifndef MIGC_CHECK_H
#define MIGC_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ir/ir.h"
#include "parse/ast.h"
#include "support/diag.h"

struct arena;
struct target_abi;

// ---------------------------------------------------------------------------------------------
// A string-keyed hash table (open addressing, linear probing) for names: types, routines,
// arguments, generated identifiers. Keys are not copied (they live in the arena).

struct symtab_entry {
    const char *key;
    void *value;
};

struct symtab {
    struct symtab_entry *slots; // heap; power-of-two capacity
    size_t cap;
    size_t count;
};

void symtab_init(struct symtab *t);
void symtab_fini(struct symtab *t);
// The value stored under `key`, or NULL.
void *symtab_get(const struct symtab *t, const char *key);
// Stores `value` under `key`, replacing any previous value; returns the previous value or NULL.
void *symtab_put(struct symtab *t, const char *key, void *value);

// ---------------------------------------------------------------------------------------------
// Per-routine working state shared by the steps (indexed like ir->routines).

// One written argument: its AST node, its resolved type (check_types) and the role, direction
// and flags decided by check_routines.
struct check_arg {
    const struct ast_arg *ast;
    const struct ir_type *type;   // NULL when it could not be resolved
    enum ir_arg_role role;
    enum ir_arg_dir dir;
    bool on_user_side, on_server_side;
    bool c_const;                 // declared `const T` (check_flags; see ir_arg.c_const)
    struct ir_arg_flags flags;
};

struct check_routine {
    const struct ast_stmt *stmt;  // AST_ROUTINE / AST_SIMPLEROUTINE / AST_SKIP
    struct ir_routine *ir;        // its slot in ir->routines
    struct check_arg *args;       // the written arguments, in order
    size_t n_args;
    struct ir_setting waittime, sendtime, msgoption; // statements in force (check_collect)
};

struct check_ctx {
    struct arena *arena;
    struct diag_engine *diags;
    const struct migc_options *options;
    const struct ast_file *ast;
    const struct target_abi *target;
    struct ir_module *ir;

    struct symtab types;                 // type name -> const struct ir_type * (in force now)
    struct check_routine *routines;      // one per slot
    size_t routine_count;
    struct src_span subsystem_span;
};

// Initialises the context for one compilation; ir is allocated in the arena.
void check_ctx_init(struct check_ctx *cx, struct arena *arena, struct diag_engine *diags,
                    const struct migc_options *options, const struct ast_file *ast);
void check_ctx_fini(struct check_ctx *cx);

// The steps, in pipeline order. Each returns true when it reported no error.
bool check_collect(struct check_ctx *cx);   // statements: subsystem, prefixes, imports, slots
bool check_types(struct check_ctx *cx);     // type declarations and argument types, in order
bool check_routines(struct check_ctx *cx);  // argument kinds, flags, names
bool check_implicit(struct check_ctx *cx);  // IR arguments, implicit Cnt/Poly/Dealloc/RetCode
bool check_ids(struct check_ctx *cx);       // message ids and their ranges
bool check_layout(struct check_ctx *cx);    // LP64 request/reply layouts (layout.c)
bool check_verify(struct check_ctx *cx);    // limits and generated-identifier collisions

// ---------------------------------------------------------------------------------------------
// Helpers shared by the steps.

// Errors reported so far (to compute a step's result).
unsigned check_error_count(const struct check_ctx *cx);

// Folds a size expression. Reports overflow, division by zero and negative results; returns
// false then. The value is at most UINT32_MAX (larger values are reported as too large).
bool check_eval_size(struct check_ctx *cx, const struct ast_expr *expr, uint32_t *out);

// Decimal spelling of a number, in the arena (for diagnostic arguments).
const char *check_num(struct check_ctx *cx, uint64_t value);

// The concatenation a + b + c, in the arena (for generated names).
const char *check_cat(struct check_ctx *cx, const char *a, const char *b, const char *c);

// True when `name` is a C keyword (C11 and the common extensions); used for every name that
// becomes a C identifier.
bool check_is_c_keyword(const char *name);

// Built-in IPC types (ipc_types.def): the resolved type for a MACH_MSG_TYPE_* name, or NULL.
const struct ir_type *check_builtin_ipc_type(struct check_ctx *cx, const char *name);

// The name for a bare IPC type number ({NULL, n} when the number is unknown).
struct ir_ipc_name check_ipc_number_name(struct check_ctx *cx, int32_t number);

// A built-in C scalar used for implicit arguments ("mach_msg_type_number_t", 4 bytes...).
const struct ir_type *check_implicit_scalar(struct check_ctx *cx, const char *ctype,
                                            uint32_t size);

#endif
