// The type table of the JSON dump (ir_json_types.h): distinct argument types found by their JSON
// text, named in first-use order.
#include "ir/ir_json_types.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ir/ir.h"
#include "support/arena.h"
#include "support/json_writer.h"
#include "support/strbuf.h"
#include "support/xalloc.h"

static void write_type(struct json_writer *w, const char *key, const struct ir_type *t) {
    json_begin_object(w, key);
    json_string(w, "name", t->name);
    json_string(w, "shape", ir_type_shape_name(t->shape));
    json_string(w, "bound", ir_bound_name(t->bound));
    json_int(w, "count", t->count);
    json_int(w, "elem_size", t->elem_size);
    json_int(w, "size", t->size);
    json_bool(w, "out_of_line", t->is_out_of_line);
    json_bool(w, "port", t->is_port);
    json_bool(w, "polymorphic", t->is_polymorphic);
    json_bool(w, "variable", t->is_variable);
    json_string(w, "ipc_in", t->in_name.name);
    json_int(w, "ipc_in_number", t->in_name.number);
    json_string(w, "ipc_out", t->out_name.name);
    json_int(w, "ipc_out_number", t->out_name.number);
    json_string(w, "user_type", t->user_type);
    json_string(w, "server_type", t->server_type);
    json_string(w, "trans_type", t->trans_type);
    if (t->user_elem_type)
        json_string(w, "elem_type", t->server_elem_type);
    if (t->maybe_intran)
        json_string(w, "intran", t->maybe_intran);
    if (t->maybe_outtran)
        json_string(w, "outtran", t->maybe_outtran);
    if (t->maybe_destructor)
        json_string(w, "destructor", t->maybe_destructor);
    if (t->native != IR_NATIVE_NONE) {
        json_string(w, "native", ir_native_kind_name(t->native));
        json_string(w, "native_ctype", t->maybe_native_ctype);
        if (t->maybe_native_bad_value)
            json_string(w, "native_bad_value", t->maybe_native_bad_value);
    }
    json_end_object(w);
}

struct type_entry {
    const struct ir_type *type; // the first argument type with this JSON text
    char *text;                 // its JSON text (the identity of the entry)
    char *ref;                  // "name" or "name#N"
};

// A string-keyed open-addressing index of entries (slot value: entry index + 1, 0 when free).
struct string_index {
    size_t *slots;
    size_t cap; // a power of two, at least twice the number of keys
};

struct ir_json_types {
    struct type_entry *entries;
    size_t count, cap;
    struct string_index by_text; // JSON text -> entry
    struct strbuf scratch;
};

static uint64_t hash_string(const char *s) {
    uint64_t h = 1469598103934665603u; // FNV-1a
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

// The slot holding `text`, or the free slot where it belongs.
static size_t *index_slot(const struct ir_json_types *types, const char *text) {
    const struct string_index *ix = &types->by_text;
    for (size_t i = (size_t)hash_string(text) & (ix->cap - 1);; i = (i + 1) & (ix->cap - 1)) {
        size_t *slot = &ix->slots[i];
        if (*slot == 0 || strcmp(types->entries[*slot - 1].text, text) == 0)
            return slot;
    }
}

static void index_grow(struct ir_json_types *types) {
    struct string_index *ix = &types->by_text;
    free(ix->slots);
    ix->cap = ix->cap ? ix->cap * 2 : 64;
    ix->slots = xcalloc(ix->cap, sizeof *ix->slots);
    for (size_t e = 0; e < types->count; e++)
        *index_slot(types, types->entries[e].text) = e + 1;
}

// The JSON text of `t` (as it is written in the table, without its key) in types->scratch.
static const char *type_text(struct ir_json_types *types, const struct ir_type *t) {
    strbuf_clear(&types->scratch);
    struct json_writer w;
    json_init(&w, &types->scratch);
    write_type(&w, NULL, t);
    return strbuf_cstr(&types->scratch);
}

// A reference for a new entry named `name`: the name, or name#N when N - 1 different types
// of that name came before.
static char *new_ref(const struct ir_json_types *types, const char *name) {
    size_t same = 0;
    for (size_t e = 0; e < types->count; e++)
        same += types->entries[e].type->name && strcmp(types->entries[e].type->name, name) == 0;
    struct strbuf ref = STRBUF_INIT;
    if (same)
        strbuf_printf(&ref, "%s#%zu", name, same + 1);
    else
        strbuf_puts(&ref, name);
    return strbuf_detach(&ref);
}

static struct type_entry *find_or_add(struct ir_json_types *types, const struct ir_type *t) {
    const char *text = type_text(types, t);
    size_t *slot = index_slot(types, text);
    if (*slot)
        return &types->entries[*slot - 1];
    if (2 * (types->count + 1) > types->by_text.cap) {
        index_grow(types);
        slot = index_slot(types, text);
    }
    types->entries = xgrow(types->entries, &types->cap, types->count + 1, sizeof *types->entries);
    struct type_entry *e = &types->entries[types->count];
    e->type = t;
    e->text = xstrdup(text);
    e->ref = new_ref(types, t->name ? t->name : "anonymous");
    *slot = ++types->count;
    return e;
}

struct ir_json_types *ir_json_types_collect(const struct ir_module *ir) {
    struct ir_json_types *types = xcalloc(1, sizeof *types);
    strbuf_init(&types->scratch);
    index_grow(types);
    for (size_t r = 0; r < ir->routine_count; r++)
        for (size_t a = 0; a < ir->routines[r].arg_count; a++)
            if (!ir->routines[r].args[a].is_implicit)
                find_or_add(types, ir->routines[r].args[a].type);
    return types;
}

void ir_json_types_write(struct json_writer *w, const struct ir_json_types *types) {
    json_begin_object(w, "types");
    for (size_t e = 0; e < types->count; e++)
        write_type(w, types->entries[e].ref, types->entries[e].type);
    json_end_object(w);
}

const char *ir_json_types_ref(struct ir_json_types *types, const struct ir_type *t) {
    return find_or_add(types, t)->ref;
}

void ir_json_types_free(struct ir_json_types *types) {
    for (size_t e = 0; e < types->count; e++) {
        free(types->entries[e].text);
        free(types->entries[e].ref);
    }
    free(types->entries);
    free(types->by_text.slots);
    strbuf_fini(&types->scratch);
    free(types);
}
