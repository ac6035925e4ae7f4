// Check step 2, types: resolves type declarations and argument types in source order (a type is
// visible from its declaration onward; a redefinition applies from there on). Built-in IPC
// types, aliases, split in/out types, arrays, pointers (out of line), structs, c_string, native
// types and translations. Every type becomes a const struct ir_type in the arena.
#include <stdlib.h>
#include <string.h>

#include "check/check.h"
#include "ir/target.h"
#include "support/arena.h"
#include "support/xalloc.h"

// What the type table stores: the type and where it was declared (for "previous definition").
struct type_entry {
    const struct ir_type *type;
    struct src_span span;
};

static struct ir_type *copy_type(struct check_ctx *cx, const struct ir_type *t) {
    struct ir_type *c = ARENA_NEW(cx->arena, struct ir_type);
    *c = *t;
    return c;
}

// Gives a resolved shape its declared name: the C types become the name, translations reset
// (an alias does not inherit them).
static struct ir_type *named_copy(struct check_ctx *cx, const struct ir_type *t, const char *name,
                                  unsigned line) {
    struct ir_type *c = copy_type(cx, t);
    c->maybe_alias_of = NULL;
    c->name = name;
    c->user_type = c->server_type = c->trans_type = name;
    c->maybe_intran = c->maybe_outtran = c->maybe_destructor = NULL;
    c->line = line;
    return c;
}

static const struct ir_type *lookup_type(struct check_ctx *cx, const struct ast_ident *id) {
    if (!id->name)
        return NULL;
    const struct type_entry *e = symtab_get(&cx->types, id->name);
    if (e)
        return e->type;
    const struct ir_type *b = check_builtin_ipc_type(cx, id->name);
    if (b && !b->name) {
        diag_report(cx->diags, DIAG_GNU_IPC_TYPE, id->span, id->name);
        return NULL;
    }
    if (b)
        return b;
    diag_report(cx->diags, DIAG_UNKNOWN_TYPE, id->span, id->name);
    diag_report(cx->diags, DIAG_NOTE_DECLARE_TYPES_FIRST, id->span);
    return NULL;
}

static bool is_fixed_inline(const struct ir_type *t) {
    return !t->is_out_of_line && t->bound != IR_BOUND_VARIABLE &&
           t->bound != IR_BOUND_UNBOUNDED && t->shape != IR_SHAPE_NATIVE;
}

static const struct ir_type *resolve(struct check_ctx *cx, const struct ast_type_expr *e,
                                     const char *name);

// Total size of count elements; reports types too large for a message.
static bool sized(struct check_ctx *cx, struct ir_type *t, struct src_span span, const char *name) {
    uint64_t bits = (uint64_t)t->elem_bits * (t->count ? t->count : 1);
    if (bits % 8 != 0) {
        diag_report(cx->diags, DIAG_PARTIAL_BYTE_SIZE, span, name, check_num(cx, bits));
        return false;
    }
    if (bits / 8 > INT32_MAX) {
        diag_report(cx->diags, DIAG_TYPE_TOO_LARGE, span, name, check_num(cx, bits / 8));
        return false;
    }
    t->size = (uint32_t)(bits / 8);
    return true;
}

static const struct ir_type *resolve_split_side(struct check_ctx *cx,
                                                const struct ast_type_expr *e) {
    if (e->kind == AST_TYPE_NUMBER) {
        uint64_t n = e->u.number->u.number;
        struct ir_ipc_name in = check_ipc_number_name(cx, n <= INT32_MAX ? (int32_t)n : -2);
        if (!in.name) {
            diag_report(cx->diags, DIAG_UNKNOWN_IPC_NUMBER, e->span, check_num(cx, n));
            return NULL;
        }
        const struct ir_type *b = check_builtin_ipc_type(cx, in.name);
        if (!b) {
            diag_report(cx->diags, DIAG_UNKNOWN_IPC_NUMBER, e->span, check_num(cx, n));
            return NULL;
        }
        return b;
    }
    if (e->kind == AST_TYPE_POLYMORPHIC)
        return check_builtin_ipc_type(cx, "MACH_MSG_TYPE_POLYMORPHIC");
    return lookup_type(cx, &e->u.name);
}

static const char *side_name(const struct ast_type_expr *e) {
    if (e->kind == AST_TYPE_NAME && e->u.name.name)
        return e->u.name.name;
    return e->kind == AST_TYPE_POLYMORPHIC ? "polymorphic" : "<number>";
}

static const struct ir_type *resolve_split(struct check_ctx *cx, const struct ast_type_expr *e,
                                           const char *name) {
    const struct ir_type *in = resolve_split_side(cx, e->u.split.in);
    const struct ir_type *out = resolve_split_side(cx, e->u.split.out);
    if (!in || !out)
        return NULL;
    const char *a = side_name(e->u.split.in), *b = side_name(e->u.split.out);
    if (in->is_port != out->is_port) {
        diag_report(cx->diags, DIAG_SPLIT_PORT_MISMATCH, e->span, a, b);
        return NULL;
    }
    if (in->size != out->size) {
        diag_report(cx->diags, DIAG_SPLIT_SIZE_MISMATCH, e->span, a, b,
                    check_num(cx, (uint64_t)in->elem_bits * in->count),
                    check_num(cx, (uint64_t)out->elem_bits * out->count));
        return NULL;
    }
    struct ir_type *t = named_copy(cx, in, name, e->span.begin.line);
    t->out_name = out->out_name;
    t->is_polymorphic = in->in_name.number == -1 || out->out_name.number == -1;
    return t;
}

// An element of an array or struct must be fixed-size, inline and sized.
static bool check_element(struct check_ctx *cx, const struct ir_type *elem, struct src_span span,
                          const char *what) {
    if (elem->shape == IR_SHAPE_SCALAR && elem->elem_bits == 0) {
        diag_report(cx->diags, DIAG_NEEDS_FULL_TYPE_DECL, span, elem->name);
        return false;
    }
    if (!is_fixed_inline(elem)) {
        diag_report(cx->diags, DIAG_BAD_ELEMENT_TYPE, span, what, elem->name);
        return false;
    }
    return true;
}

static const struct ir_type *resolve_array(struct check_ctx *cx, const struct ast_type_expr *e,
                                           const char *name) {
    const struct ir_type *elem = resolve(cx, e->u.array.element, NULL);
    uint32_t n = 0;
    bool size_ok = true;
    if (e->u.array.maybe_size) {
        size_ok = check_eval_size(cx, e->u.array.maybe_size, &n);
        if (size_ok && n == 0) {
            diag_report(cx->diags, DIAG_ZERO_SIZE, e->u.array.maybe_size->span,
                        arena_printf(cx->arena, "array '%s'", name));
            size_ok = false;
        }
    }
    if (!elem || !size_ok)
        return NULL;
    if (!check_element(cx, elem, e->u.array.element->span, "array"))
        return NULL;
    struct ir_type *t = named_copy(cx, elem, name, e->span.begin.line);
    t->shape = IR_SHAPE_ARRAY;
    t->maybe_element = elem;
    t->elem_bits = (uint32_t)((uint64_t)elem->elem_bits * elem->count);
    t->elem_size = elem->size;
    t->align = elem->align;
    t->is_port = elem->is_port;
    t->is_polymorphic = elem->is_polymorphic;
    t->is_string = t->is_struct = false;
    t->user_elem_type = elem->user_type;
    t->server_elem_type = elem->server_type;
    switch (e->u.array.kind) {
    case AST_ARRAY_FIXED:
        t->bound = IR_BOUND_FIXED;
        t->count = n;
        break;
    case AST_ARRAY_BOUNDED:
        // Ports travel as descriptors, declared at the maximum count: they shift nothing.
        t->bound = IR_BOUND_VARIABLE;
        t->count = n;
        t->is_variable = !elem->is_port;
        break;
    case AST_ARRAY_UNBOUNDED:
        t->bound = IR_BOUND_UNBOUNDED;
        t->count = 0;
        t->is_out_of_line = true;
        break;
    }
    if (!sized(cx, t, e->span, name))
        return NULL;
    return t;
}

static const struct ir_type *resolve_pointer(struct check_ctx *cx, const struct ast_type_expr *e,
                                             const char *name) {
    const struct ir_type *target = resolve(cx, e->u.pointer.target, name);
    if (!target)
        return NULL;
    bool written_array = e->u.pointer.target->kind == AST_TYPE_ARRAY;
    if (target->is_out_of_line && !written_array) {
        diag_report(cx->diags, DIAG_POINTER_TO_OOL, e->span, target->name);
        return NULL;
    }
    if (target->shape == IR_SHAPE_NATIVE || target->shape == IR_SHAPE_C_STRING ||
        (target->shape == IR_SHAPE_SCALAR && target->elem_bits == 0)) {
        diag_report(cx->diags, DIAG_BAD_ELEMENT_TYPE, e->u.pointer.target->span, "'^'",
                    target->name);
        return NULL;
    }
    struct ir_type *t = named_copy(cx, target, name, e->span.begin.line);
    if (t->shape != IR_SHAPE_ARRAY) {
        // ^T: one element of T out of line, seen as an array of one element.
        t->maybe_element = target;
        t->shape = IR_SHAPE_ARRAY;
        t->bound = IR_BOUND_FIXED;
        t->elem_bits = (uint32_t)((uint64_t)target->elem_bits * target->count);
        t->elem_size = target->size;
        t->count = 1;
        t->user_elem_type = target->user_type;
        t->server_elem_type = target->server_type;
        t->is_struct = false;
    }
    t->is_out_of_line = true;
    t->is_explicit_pointer = true;
    t->is_variable = false;
    return t;
}

static const struct ir_type *resolve_struct(struct check_ctx *cx, const struct ast_type_expr *e,
                                            const char *name) {
    const struct ir_type *elem = resolve(cx, e->u.struct_of.element, NULL);
    uint32_t n = 0;
    bool size_ok = check_eval_size(cx, e->u.struct_of.count, &n);
    if (size_ok && n == 0) {
        diag_report(cx->diags, DIAG_ZERO_SIZE, e->u.struct_of.count->span,
                    arena_printf(cx->arena, "struct '%s'", name));
        size_ok = false;
    }
    if (!elem || !size_ok || !check_element(cx, elem, e->u.struct_of.element->span, "struct"))
        return NULL;
    if (elem->is_port) {
        diag_report(cx->diags, DIAG_STRUCT_OF_PORTS, e->span, name);
        return NULL;
    }
    struct ir_type *t = named_copy(cx, elem, name, e->span.begin.line);
    t->shape = IR_SHAPE_STRUCT;
    t->bound = IR_BOUND_FIXED;
    t->is_struct = true;
    t->is_string = false;
    t->maybe_element = elem;
    t->elem_bits = (uint32_t)((uint64_t)elem->elem_bits * elem->count);
    t->elem_size = elem->size;
    t->count = n;
    t->user_elem_type = elem->user_type;
    t->server_elem_type = elem->server_type;
    return sized(cx, t, e->span, name) ? t : NULL;
}

static const struct ir_type *resolve_cstring(struct check_ctx *cx, const struct ast_type_expr *e,
                                             const char *name) {
    uint32_t n;
    if (!check_eval_size(cx, e->u.cstring.size, &n))
        return NULL;
    if (n == 0) {
        diag_report(cx->diags, DIAG_ZERO_SIZE, e->u.cstring.size->span,
                    arena_printf(cx->arena, "c_string '%s'", name));
        return NULL;
    }
    struct ir_type *t = ARENA_NEW(cx->arena, struct ir_type);
    t->name = name;
    t->shape = IR_SHAPE_C_STRING;
    t->is_string = true;
    t->bound = e->u.cstring.is_variable ? IR_BOUND_VARIABLE : IR_BOUND_FIXED;
    t->is_variable = e->u.cstring.is_variable;
    t->maybe_element = check_builtin_ipc_type(cx, "MACH_MSG_TYPE_CHAR");
    t->in_name = t->out_name = t->maybe_element->in_name;
    t->elem_bits = 8;
    t->elem_size = 1;
    t->count = n;
    t->size = n;
    t->align = 1;
    t->user_type = t->server_type = t->trans_type = name;
    t->user_elem_type = t->server_elem_type = "char";
    t->line = e->span.begin.line;
    return t;
}

static const struct ir_type *resolve_native(struct check_ctx *cx, const struct ast_type_expr *e,
                                            const char *name) {
    static const enum ir_native_kind kinds[] = {
        [AST_NATIVE_POINTER_TO] = IR_NATIVE_POINTER_TO,
        [AST_NATIVE_VALUE_OF] = IR_NATIVE_VALUE_OF,
        [AST_NATIVE_POINTER_TO_IF_NOT] = IR_NATIVE_POINTER_TO_IF_NOT,
    };
    const char *ctype = e->u.native->ctype.text ? e->u.native->ctype.text : "";
    struct ir_type *t = ARENA_NEW(cx->arena, struct ir_type);
    uint32_t assumed = cx->ir->user_type_limit ? cx->ir->user_type_limit
                                               : cx->target->native_type_size;
    t->name = name ? name : ctype;
    t->shape = IR_SHAPE_NATIVE;
    t->is_native = true;
    t->bound = IR_BOUND_NONE;
    t->native = kinds[e->u.native->kind];
    t->maybe_native_ctype = ctype;
    t->maybe_native_bad_value = e->u.native->maybe_bad_value.text;
    t->in_name = t->out_name = (struct ir_ipc_name){"MACH_MSG_TYPE_BYTE", 9};
    t->elem_bits = 8;
    t->elem_size = 1;
    t->count = assumed;
    t->size = assumed;
    t->align = 4;
    t->user_type = t->server_type = t->trans_type = ctype;
    t->line = e->span.begin.line;
    return t;
}

// Resolves a type expression. `name` is the declared name (NULL for an element type, which keeps
// the name of the type it refers to).
static const struct ir_type *resolve(struct check_ctx *cx, const struct ast_type_expr *e,
                                     const char *name) {
    const struct ir_type *t = NULL;
    switch (e->kind) {
    case AST_TYPE_NAME:
        t = lookup_type(cx, &e->u.name);
        if (t && t->shape == IR_SHAPE_SCALAR && t->elem_bits == 0) {
            diag_report(cx->diags, DIAG_NEEDS_FULL_TYPE_DECL, e->span, t->name);
            return NULL;
        }
        if (t && name) {
            struct ir_type *alias = named_copy(cx, t, name, e->span.begin.line);
            alias->maybe_alias_of = t->line != 0 ? t : NULL; // a declared type, not a built-in
            return alias;
        }
        return t;
    case AST_TYPE_NUMBER:
        diag_report(cx->diags, DIAG_NEEDS_FULL_TYPE_DECL, e->span,
                    check_num(cx, e->u.number->u.number));
        return NULL;
    case AST_TYPE_SPLIT: return resolve_split(cx, e, name ? name : "<split>");
    case AST_TYPE_POLYMORPHIC:
        t = check_builtin_ipc_type(cx, "MACH_MSG_TYPE_POLYMORPHIC");
        return name ? named_copy(cx, t, name, e->span.begin.line) : t;
    case AST_TYPE_ARRAY: return resolve_array(cx, e, name ? name : "<array>");
    case AST_TYPE_POINTER: return resolve_pointer(cx, e, name ? name : "<pointer>");
    case AST_TYPE_STRUCT: return resolve_struct(cx, e, name ? name : "<struct>");
    case AST_TYPE_CSTRING: return resolve_cstring(cx, e, name ? name : "<c_string>");
    case AST_TYPE_NATIVE: return resolve_native(cx, e, name);
    case AST_TYPE_LONG_FORM: diag_report(cx->diags, DIAG_LONG_FORM_TYPE, e->span); return NULL;
    case AST_TYPE_GNU_STRUCT: diag_report(cx->diags, DIAG_GNU_STRUCT_TYPE, e->span); return NULL;
    }
    return NULL;
}

// Resolves the type expression of a declaration (or of an inline argument type) named `name`:
// with a name, every path of resolve() returns a type made for this declaration alone, which the
// caller may then change (its clauses) without copying it again.
static struct ir_type *resolve_declared(struct check_ctx *cx, const struct ast_type_expr *e,
                                        const char *name) {
    return (struct ir_type *)resolve(cx, e, name);
}

// Applies ctype/cusertype/cservertype/intran/outtran/destructor in order (the last one wins).
static void apply_clauses(struct check_ctx *cx, struct ir_type *t,
                          const struct ast_clause *clauses) {
    bool seen[AST_CLAUSE_DESTRUCTOR + 1] = {false};
    for (const struct ast_clause *c = clauses; c; c = c->next) {
        if (seen[c->kind])
            diag_report(cx->diags, DIAG_DUPLICATE_CLAUSE, c->span, ast_clause_kind_name(c->kind),
                        t->name);
        seen[c->kind] = true;
        const char *ctype = c->ctype.text, *param = c->param_type.text, *fn = c->function.name;
        bool translation = c->kind == AST_CLAUSE_INTRAN || c->kind == AST_CLAUSE_OUTTRAN ||
                           c->kind == AST_CLAUSE_DESTRUCTOR;
        if (translation && (t->is_variable || t->bound == IR_BOUND_UNBOUNDED)) {
            diag_report(cx->diags, DIAG_TRANSLATION_ON_VARIABLE, c->span,
                        ast_clause_kind_name(c->kind), t->name);
            continue;
        }
        switch (c->kind) {
        case AST_CLAUSE_CTYPE:
            if (ctype)
                t->user_type = t->server_type = t->trans_type = ctype;
            break;
        case AST_CLAUSE_CUSERTYPE:
            if (ctype)
                t->user_type = ctype;
            break;
        case AST_CLAUSE_CSERVERTYPE:
            if (ctype)
                t->server_type = t->trans_type = ctype;
            break;
        case AST_CLAUSE_INTRAN: // intran: TransType fn(ServerType)
            if (ctype)
                t->trans_type = ctype;
            if (param)
                t->server_type = param;
            t->maybe_intran = fn;
            break;
        case AST_CLAUSE_INTRANPAYLOAD:
            diag_report(cx->diags, DIAG_GNU_INTRANPAYLOAD, c->span);
            break;
        case AST_CLAUSE_OUTTRAN: // outtran: ServerType fn(TransType)
            if (ctype)
                t->server_type = ctype;
            if (param)
                t->trans_type = param;
            t->maybe_outtran = fn;
            break;
        case AST_CLAUSE_DESTRUCTOR: // destructor: fn(TransType)
            if (param)
                t->trans_type = param;
            t->maybe_destructor = fn;
            break;
        }
    }
}

static void declare(struct check_ctx *cx, const char *name, const struct ir_type *t,
                    struct src_span span, const struct ir_type ***decls, size_t *n, size_t *cap) {
    struct type_entry *e = ARENA_NEW(cx->arena, struct type_entry);
    e->type = t;
    e->span = span;
    struct type_entry *old = symtab_put(&cx->types, name, e);
    if (old) {
        diag_report(cx->diags, DIAG_TYPE_REDEFINED, span, name);
        diag_report(cx->diags, DIAG_NOTE_PREVIOUS, old->span, name);
    }
    *decls = xgrow(*decls, cap, *n + 1, sizeof **decls);
    (*decls)[(*n)++] = t;
}

static void resolve_routine_args(struct check_ctx *cx, struct check_routine *cr) {
    const struct ast_routine *r = &cr->stmt->u.routine;
    cr->args = arena_array(cx->arena, r->n_args, sizeof *cr->args);
    cr->n_args = 0;
    for (const struct ast_arg *a = r->args; a; a = a->next) {
        struct check_arg *ca = &cr->args[cr->n_args++];
        ca->ast = a;
        switch (a->type_form) {
        case AST_ARG_TYPE_NAMED: {
            const struct ir_type *t = lookup_type(cx, &a->type_name);
            if (t && t->shape == IR_SHAPE_SCALAR && t->elem_bits == 0) {
                diag_report(cx->diags, DIAG_NEEDS_FULL_TYPE_DECL, a->type_name.span, t->name);
                t = NULL;
            }
            ca->type = t;
            break;
        }
        case AST_ARG_TYPE_INLINE:
            // `x : foo_t = spec [clauses]` types this argument only: as in Apple's and GNU's
            // mig, foo_t is not declared for what follows (an existing foo_t is untouched).
            if (a->maybe_type && a->type_name.name) {
                struct ir_type *t = resolve_declared(cx, a->maybe_type, a->type_name.name);
                if (t) {
                    apply_clauses(cx, t, a->clauses);
                    ca->type = t;
                }
            }
            break;
        case AST_ARG_TYPE_NATIVE:
            if (a->maybe_type)
                ca->type = resolve(cx, a->maybe_type, NULL);
            break;
        case AST_ARG_TYPE_ANONYMOUS: break; // a syntax error was reported
        }
    }
}

bool check_types(struct check_ctx *cx) {
    unsigned errors = check_error_count(cx);
    const struct ir_type **decls = NULL;
    size_t n = 0, cap = 0, slot = 0;
    for (const struct ast_stmt *s = cx->ast->stmts; s; s = s->next) {
        if (s->kind == AST_TYPE_DECL) {
            const struct ast_type_decl *d = &s->u.type;
            if (!d->name.name || !d->spec)
                continue;
            struct ir_type *t = resolve_declared(cx, d->spec, d->name.name);
            if (!t)
                continue;
            apply_clauses(cx, t, d->clauses);
            declare(cx, d->name.name, t, d->name.span, &decls, &n, &cap);
        } else if (s->kind == AST_ROUTINE || s->kind == AST_SIMPLEROUTINE) {
            while (slot < cx->routine_count && cx->routines[slot].stmt != s)
                slot++;
            if (slot < cx->routine_count)
                resolve_routine_args(cx, &cx->routines[slot]);
        }
    }
    cx->ir->types = arena_array(cx->arena, n, sizeof *cx->ir->types);
    if (n)
        memcpy(cx->ir->types, decls, n * sizeof *decls);
    cx->ir->type_count = n;
    free(decls);
    return check_error_count(cx) == errors;
}
