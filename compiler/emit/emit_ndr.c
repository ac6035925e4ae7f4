// `-n`: the NDR conversion hooks Apple's MIG writes into the message checkers. For each inline
// field (and out-of-line data) of a message and each representation (int_rep, char_rep,
// float_rep; counts and return codes only int_rep) the checker declares
// __NDR_convert__<rep>__<Request|Reply>__<rt>_t__<field>, unless the program defined it, from the
// first type-level hook that exists: __NDR_convert__<rep>__<subsys>__<T> then __NDR_convert__<rep>__<T>
// for the field's type, each type it renames, then its elements (through __NDR_convert__ARRAY).
// The checker calls the hook when the sender's NDR record differs from NDR_record.
#include <ctype.h>
#include <string.h>

#include "emit/emit_common.h"

static const char *const rep_names[] = {"int_rep", "char_rep", "float_rep"};

// Message fields that carry data in the sender's representation.
static bool is_ndr_field(const struct ir_field *f) {
    switch (f->kind) {
    case IR_FIELD_DATA:
        return f->maybe_arg != NULL && !f->size_is_native && !f->is_optional_native;
    case IR_FIELD_COUNT:
        return f->maybe_arg != NULL;
    case IR_FIELD_OOL_DESC:
        return true;
    case IR_FIELD_RETCODE:
        return true;
    default:
        return false;
    }
}

// Counts and return codes are integers: only int_rep applies (as in Apple's output).
static bool is_integer_field(const struct ir_field *f) {
    return f->kind == IR_FIELD_COUNT || f->kind == IR_FIELD_RETCODE;
}

// A count converted together with the data it describes (variable inline data or out-of-line
// memory), just before that is checked.
static bool count_goes_with_data(const struct ir_field *f) {
    return f->kind == IR_FIELD_COUNT && f->maybe_data_field != NULL &&
           is_ndr_field(f->maybe_data_field);
}

// The count passed to a hook as its third argument (variable data and out-of-line memory).
static const struct ir_field *hook_count(const struct ir_field *f) {
    if (f->kind == IR_FIELD_OOL_DESC || (f->kind == IR_FIELD_DATA && f->is_variable))
        return f->maybe_count_field;
    return NULL;
}

static bool is_identifier(const char *s) {
    if (s == NULL || !(isalpha((unsigned char)*s) || *s == '_'))
        return false;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '_'))
            return false;
    return true;
}

struct hook_name {
    const char *rep;
    const char *dir; // "Request" / "Reply"
    const char *rt;
    const char *field;
};

static void emit_level(struct emitter *e, const struct ir_module *ir, const struct hook_name *h,
                       const char *type, const char *array_count, bool has_count, bool *first) {
    if (!is_identifier(type))
        return;
    const char *carg = has_count ? ", c" : "";
    for (int generic = 0; generic < 2; generic++) {
        char domain[256];
        snprintf(domain, sizeof domain, "%s%s", generic ? "" : "__", generic ? "" : ir->subsystem);
        em_pp(e, "#%s\tdefined(__NDR_convert__%s%s__%s__defined)", *first ? "if" : "elif", h->rep,
              domain, type);
        *first = false;
        em_pp(e, "#define\t__NDR_convert__%s__%s__%s_t__%s__defined", h->rep, h->dir, h->rt,
              h->field);
        if (array_count)
            em_pp(e, "#define\t__NDR_convert__%s__%s__%s_t__%s(a, f%s) \\\n\t"
                     "__NDR_convert__ARRAY((%s *)(a), f, %s, __NDR_convert__%s%s__%s)",
                  h->rep, h->dir, h->rt, h->field, carg, type, array_count, h->rep, domain, type);
        else
            em_pp(e, "#define\t__NDR_convert__%s__%s__%s_t__%s(a, f%s) \\\n\t"
                     "__NDR_convert__%s%s__%s((%s *)(a), f%s)",
                  h->rep, h->dir, h->rt, h->field, carg, h->rep, domain, type, type, carg);
    }
}

// The type-level hooks of type `t` and every type it renames.
static void emit_alias_levels(struct emitter *e, const struct ir_module *ir,
                              const struct hook_name *h, const struct ir_type *t,
                              const char *array_count, bool has_count, bool *first) {
    for (; t != NULL; t = t->maybe_alias_of)
        emit_level(e, ir, h, t->server_type, array_count, has_count, first);
}

static void emit_hook_decl(struct emitter *e, const struct ir_module *ir, const struct hook_name *h,
                           const struct ir_field *f) {
    em_pp(e, "#ifndef __NDR_convert__%s__%s__%s_t__%s__defined", h->rep, h->dir, h->rt, h->field);
    bool first = true;
    bool has_count = hook_count(f) != NULL;
    if (f->kind == IR_FIELD_COUNT) {
        emit_level(e, ir, h, "mach_msg_type_number_t", NULL, false, &first);
    } else if (f->kind == IR_FIELD_RETCODE) {
        emit_level(e, ir, h, "kern_return_t", NULL, false, &first);
    } else {
        const struct ir_type *t = f->maybe_arg->type;
        emit_alias_levels(e, ir, h, t, NULL, has_count, &first);
        if (t->maybe_element != NULL && !t->is_string &&
            (t->shape == IR_SHAPE_ARRAY || t->shape == IR_SHAPE_STRUCT)) {
            char n[32];
            snprintf(n, sizeof n, "%u", t->count);
            emit_alias_levels(e, ir, h, t->maybe_element, has_count ? "c" : n, has_count,
                              &first);
        }
    }
    if (!first)
        em_pp(e, "#endif /* defined(__NDR_convert__*__defined) */");
    em_pp(e, "#endif /* __NDR_convert__%s__%s__%s_t__%s__defined */", h->rep, h->dir, h->rt,
          h->field);
    em_blank(e);
}

static bool ndr_applies(const struct ir_module *ir, const struct ir_layout *layout) {
    return ir->options.ndr_convert && layout->has_ndr;
}

static struct hook_name hook_of(const struct ir_routine *rt, bool request, int rep,
                                const struct ir_field *f) {
    return (struct hook_name){rep_names[rep], request ? "Request" : "Reply", rt->name, f->name};
}

void emit_ndr_declarations(struct emitter *e, const struct ir_module *ir,
                           const struct ir_routine *rt, bool request) {
    const struct ir_layout *layout = request ? &rt->request : &rt->reply;
    if (!ndr_applies(ir, layout))
        return;
    for (int rep = 0; rep < 3; rep++)
        for (size_t i = 0; i < layout->field_count; i++) {
            const struct ir_field *f = &layout->fields[i];
            if (!is_ndr_field(f) || (rep > 0 && is_integer_field(f)))
                continue;
            struct hook_name h = hook_of(rt, request, rep, f);
            emit_hook_decl(e, ir, &h, f);
        }
}

// `hook(<where>, <P>0P->NDR.<rep>[, count]);` under its #if defined(...).
static void emit_hook_call(struct emitter *e, const struct ir_routine *rt, bool request,
                           const char *p, int rep, const struct ir_field *f, bool test_rep) {
    struct hook_name h = hook_of(rt, request, rep, f);
    em_pp(e, "#if defined(__NDR_convert__%s__%s__%s_t__%s__defined)", h.rep, h.dir, h.rt,
          h.field);
    if (test_rep)
        em_line(e, "if (%s0P->NDR.%s != NDR_record.%s)", p, h.rep, h.rep);
    em_start(e, "%s__NDR_convert__%s__%s__%s_t__%s(", test_rep ? "\t" : "", h.rep, h.dir, h.rt,
             h.field);
    if (f->kind == IR_FIELD_OOL_DESC)
        em_rawf(e, "(%s)(%s0P->%s.address)",
                request ? f->maybe_arg->server_c_type : f->maybe_arg->user_c_type, p, f->name);
    else
        em_rawf(e, "&%s%uP->%s", p, f->shift_index, f->name);
    em_rawf(e, ", %s0P->NDR.%s", p, h.rep);
    const struct ir_field *c = hook_count(f);
    if (c != NULL)
        em_rawf(e, ", %s%uP->%s", p, c->shift_index, c->name);
    em_rawf(e, ");\n");
    em_pp(e, "#endif\t/* __NDR_convert__%s__%s__%s_t__%s__defined */", h.rep, h.dir, h.rt,
          h.field);
}

void emit_ndr_convert_count(struct emitter *e, const struct ir_module *ir,
                            const struct ir_routine *rt, bool request, const char *p,
                            const struct ir_field *count) {
    const struct ir_layout *layout = request ? &rt->request : &rt->reply;
    if (ndr_applies(ir, layout))
        emit_hook_call(e, rt, request, p, 0, count, true);
}

void emit_ndr_convert_block(struct emitter *e, const struct ir_module *ir,
                            const struct ir_routine *rt, bool request, const char *p, int rep) {
    const struct ir_layout *layout = request ? &rt->request : &rt->reply;
    if (!ndr_applies(ir, layout))
        return;
    bool any = false;
    for (size_t i = 0; i < layout->field_count; i++) {
        const struct ir_field *f = &layout->fields[i];
        if (!is_ndr_field(f) || f->kind == IR_FIELD_RETCODE)
            continue;
        struct hook_name h = hook_of(rt, request, rep, f);
        if (rep > 0 && is_integer_field(f))
            em_rawf(e, "%s0", any ? " || \\\n\t" : "#if\t");
        else
            em_rawf(e, "%sdefined(__NDR_convert__%s__%s__%s_t__%s__defined)",
                    any ? " || \\\n\t" : "#if\t", h.rep, h.dir, h.rt, h.field);
        any = true;
    }
    if (!any)
        return;
    em_rawf(e, "\n");
    em_open(e, "if (%s0P->NDR.%s != NDR_record.%s)", p, rep_names[rep], rep_names[rep]);
    for (size_t i = 0; i < layout->field_count; i++) {
        const struct ir_field *f = &layout->fields[i];
        if (!is_ndr_field(f) || f->kind == IR_FIELD_RETCODE || (rep > 0 && is_integer_field(f)))
            continue;
        if (count_goes_with_data(f) && f->maybe_data_field->kind != IR_FIELD_OOL_DESC)
            continue; // converted before the size check used it
        if (f->kind == IR_FIELD_COUNT && count_goes_with_data(f))
            continue; // converted right before its out-of-line data, below
        if (f->kind == IR_FIELD_OOL_DESC && rep == 0 && f->maybe_count_field != NULL &&
            f->maybe_count_field->maybe_data_field == f)
            emit_hook_call(e, rt, request, p, 0, f->maybe_count_field, false);
        emit_hook_call(e, rt, request, p, rep, f, false);
    }
    em_close(e, "");
    em_pp(e, "#endif\t/* defined(__NDR_convert__%s...) */", rep_names[rep]);
    em_blank(e);
}

void emit_ndr_convert_retcode(struct emitter *e, const struct ir_module *ir,
                              const struct ir_routine *rt, const char *p) {
    const struct ir_layout *layout = &rt->reply;
    if (!ndr_applies(ir, layout) || !layout->has_retcode)
        return;
    const struct ir_field *f = ir_layout_find_field(layout, "RetCode");
    if (f != NULL)
        emit_hook_call(e, rt, false, p, 0, f, true);
}
