// The JSON dump of the checked IR (ir_json.h). One function per IR node; the member order is
// fixed, so the output is byte-identical for the same input.
#include "ir/ir_json.h"

#include "ir/ir.h"
#include "ir/ir_json_types.h"
#include "ir/target.h"
#include "support/json_writer.h"

static void write_flags(struct json_writer *w, const struct ir_arg_flags *f) {
    const struct {
        bool on;
        const char *name;
    } named[] = {
        {f->physicalcopy, "physicalcopy"}, {f->overwrite, "overwrite"}, {f->countinout, "countinout"},
        {f->samecount, "samecount"},       {f->retcode, "retcode"},     {f->is_auto, "auto"},
        {f->is_const, "const"},            {f->servercopy, "servercopy"},
    };
    json_begin_array(w, "flags");
    if (f->dealloc != IR_DEALLOC_DEFAULT)
        json_string(w, NULL, ir_dealloc_name(f->dealloc));
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
        if (named[i].on)
            json_string(w, NULL, named[i].name);
    json_end_array(w);
}

static void write_arg(struct json_writer *w, struct ir_json_types *types, const struct ir_arg *a) {
    json_begin_object(w, NULL);
    json_string(w, "name", a->name);
    json_string(w, "role", ir_arg_role_name(a->role));
    json_string(w, "dir", ir_arg_dir_name(a->dir));
    json_bool(w, "implicit", a->is_implicit);
    json_bool(w, "user_side", a->on_user_side);
    json_bool(w, "server_side", a->on_server_side);
    json_bool(w, "user_by_reference", a->user_by_reference);
    json_bool(w, "server_by_reference", a->server_by_reference);
    json_string(w, "user_c_type", a->user_c_type);
    json_string(w, "server_c_type", a->server_c_type);
    json_string(w, "msg_c_type", a->msg_c_type);
    json_string(w, "request", ir_carrier_name(a->request_carrier));
    json_string(w, "reply", ir_carrier_name(a->reply_carrier));
    if (a->trailer != IR_TRAILER_NONE)
        json_string(w, "trailer", ir_trailer_element_name(a->trailer));
    json_bool(w, "out_of_line", a->is_out_of_line);
    if (a->port_desc_count)
        json_int(w, "port_descriptors", a->port_desc_count);
    write_flags(w, &a->flags);
    if (a->maybe_parent)
        json_string(w, "parent", a->maybe_parent->name);
    if (a->maybe_count)
        json_string(w, "count", a->maybe_count->name);
    if (a->maybe_poly)
        json_string(w, "poly", a->maybe_poly->name);
    if (a->maybe_dealloc_arg)
        json_string(w, "dealloc_arg", a->maybe_dealloc_arg->name);
    if (a->maybe_samecount_with)
        json_string(w, "samecount_with", a->maybe_samecount_with->name);
    if (!a->is_implicit)
        json_string(w, "type", ir_json_types_ref(types, a->type));
    json_end_object(w);
}

static void write_field(struct json_writer *w, const struct ir_field *f) {
    json_begin_object(w, NULL);
    json_string(w, "kind", ir_field_kind_name(f->kind));
    json_string(w, "name", f->name);
    json_string(w, "c_type", f->server_c_type);
    if (f->array_count)
        json_int(w, "array", f->array_count);
    json_int(w, "offset", f->offset);
    json_int(w, "size", f->size);
    if (f->is_variable) {
        json_bool(w, "variable", true);
        json_int(w, "elem_size", f->elem_size);
    }
    if (f->offset_varies)
        json_int(w, "shift", f->shift_index);
    if (f->size_is_native)
        json_bool(w, "native_size", true);
    if (f->size_is_c_type)
        json_bool(w, "c_type_size", true);
    if (f->maybe_arg)
        json_string(w, "arg", f->maybe_arg->name);
    if (f->maybe_count_field)
        json_string(w, "count_field", f->maybe_count_field->name);
    json_end_object(w);
}

static void write_layout(struct json_writer *w, const char *key, const struct ir_layout *l) {
    json_begin_object(w, key);
    json_string(w, "typedef", l->typedef_name);
    json_int(w, "size", l->size);
    json_int(w, "min_size", l->min_size);
    json_bool(w, "complex", l->is_complex);
    json_int(w, "descriptors", l->descriptor_count);
    json_bool(w, "ndr", l->has_ndr);
    json_bool(w, "retcode", l->has_retcode);
    json_bool(w, "variable", l->is_variable);
    json_bool(w, "size_exact", l->size_is_exact);
    json_string(w, "trailer", l->trailer_c_type);
    json_int(w, "trailer_size", l->trailer_size);
    json_begin_array(w, "fields");
    for (size_t i = 0; i < l->field_count; i++)
        write_field(w, &l->fields[i]);
    json_end_array(w);
    json_end_object(w);
}

static void write_setting(struct json_writer *w, const char *key, const struct ir_setting *s) {
    if (s->source == IR_SETTING_NONE)
        return;
    json_begin_object(w, key);
    json_string(w, "source", ir_setting_source_name(s->source));
    if (s->expr)
        json_string(w, "expr", s->expr);
    if (s->maybe_arg)
        json_string(w, "arg", s->maybe_arg->name);
    json_end_object(w);
}

static void write_routine(struct json_writer *w, struct ir_json_types *types,
                          const struct ir_routine *rt) {
    json_begin_object(w, NULL);
    json_int(w, "index", rt->index);
    json_string(w, "kind", ir_routine_kind_name(rt->kind));
    if (rt->kind == IR_KIND_SKIP) {
        json_end_object(w);
        return;
    }
    json_string(w, "name", rt->name);
    json_int(w, "line", rt->line);
    json_int(w, "request_id", rt->request_id);
    json_int(w, "reply_id", rt->reply_id);
    json_string(w, "user_name", rt->user_name);
    json_string(w, "server_name", rt->server_name);
    json_string(w, "server_stub", rt->server_stub_name);
    json_begin_object(w, "names");
    json_string(w, "request_checker", rt->request_checker);
    json_string(w, "reply_checker", rt->reply_checker);
    json_string(w, "user_request_member", rt->user_request_union_member);
    json_string(w, "user_reply_member", rt->user_reply_union_member);
    json_string(w, "server_request_member", rt->server_request_union_member);
    json_string(w, "server_reply_member", rt->server_reply_union_member);
    json_string(w, "define_id", rt->define_id_name);
    json_string(w, "define_reply_id", rt->define_reply_id_name);
    json_end_object(w);
    json_string(w, "reply_port", ir_reply_port_kind_name(rt->reply_port_kind));
    json_bool(w, "special_reply_port", rt->uses_special_reply_port);
    json_int(w, "argc", rt->argc);
    json_int(w, "user_args", rt->user_arg_count);
    json_int(w, "server_args", rt->server_arg_count);
    write_setting(w, "waittime", &rt->waittime);
    write_setting(w, "sendtime", &rt->sendtime);
    write_setting(w, "msgoption", &rt->msgoption);
    if (rt->server_trailer_max != IR_TRAILER_NONE)
        json_string(w, "server_trailer", ir_trailer_element_name(rt->server_trailer_max));
    if (rt->user_trailer_max != IR_TRAILER_NONE)
        json_string(w, "user_trailer", ir_trailer_element_name(rt->user_trailer_max));
    json_begin_array(w, "args");
    for (size_t i = 0; i < rt->arg_count; i++)
        write_arg(w, types, &rt->args[i]);
    json_end_array(w);
    write_layout(w, "request", &rt->request);
    write_layout(w, "reply", &rt->reply);
    json_end_object(w);
}

static void write_names(struct json_writer *w, const struct ir_names *n) {
    json_begin_object(w, "names");
    json_string(w, "subsystem_struct", n->subsystem_struct);
    json_string(w, "server_demux", n->server_demux);
    json_string(w, "server_routine", n->server_routine);
    json_string(w, "user_request_union", n->user_request_union);
    json_string(w, "user_reply_union", n->user_reply_union);
    json_string(w, "server_request_union", n->server_request_union);
    json_string(w, "server_reply_union", n->server_reply_union);
    json_string(w, "msg_count", n->msg_count_macro);
    json_string(w, "request_typedefs_guard", n->request_typedefs_guard);
    json_string(w, "reply_typedefs_guard", n->reply_typedefs_guard);
    json_string(w, "request_checkers_guard", n->request_checkers_guard);
    json_string(w, "reply_checkers_guard", n->reply_checkers_guard);
    json_string(w, "user_rcsid", n->user_rcsid);
    json_string(w, "server_rcsid", n->server_rcsid);
    json_string(w, "name_map", n->name_map);
    json_end_object(w);
}

void ir_json_write(const struct ir_module *ir, struct strbuf *out) {
    struct json_writer w;
    json_init(&w, out);
    json_begin_object(&w, NULL);
    json_string(&w, "format", "openmig-ir");
    json_int(&w, "version", 2);
    json_string(&w, "target", ir->target->name);
    json_begin_object(&w, "subsystem");
    json_string(&w, "name", ir->subsystem);
    json_int(&w, "base", ir->base);
    json_int(&w, "end", (int64_t)ir->base + (int64_t)ir->routine_count);
    json_int(&w, "msg_count", (int64_t)ir->msg_count);
    json_bool(&w, "kernel_user", ir->kernel_user);
    json_bool(&w, "kernel_server", ir->kernel_server);
    json_string(&w, "user_prefix", ir->user_prefix);
    json_string(&w, "server_prefix", ir->server_prefix);
    json_string(&w, "rcsid", ir->maybe_rcsid);
    json_bool(&w, "use_special_reply_port", ir->use_special_reply_port);
    json_string(&w, "consume_on_send_error", ir_consume_name(ir->consume_on_send_error));
    json_int(&w, "user_type_limit", ir->user_type_limit);
    json_int(&w, "on_stack_limit", ir->on_stack_limit);
    json_int(&w, "max_request_size", ir->max_request_size);
    json_int(&w, "max_reply_size", ir->max_reply_size);
    json_end_object(&w);
    write_names(&w, &ir->names);
    write_layout(&w, "error_reply", &ir->error_reply);
    json_begin_array(&w, "imports");
    for (size_t i = 0; i < ir->import_count; i++) {
        json_begin_object(&w, NULL);
        json_string(&w, "kind", ir_import_kind_name(ir->imports[i].kind));
        json_string(&w, "file", ir->imports[i].text);
        json_end_object(&w);
    }
    json_end_array(&w);
    struct ir_json_types *types = ir_json_types_collect(ir);
    ir_json_types_write(&w, types);
    json_begin_array(&w, "routines");
    for (size_t i = 0; i < ir->routine_count; i++)
        write_routine(&w, types, &ir->routines[i]);
    json_end_array(&w);
    ir_json_types_free(types);
    json_end_object(&w);
    json_finish(&w);
}
