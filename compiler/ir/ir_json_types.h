// The type table of the JSON dump: every distinct argument type is written once under "types",
// keyed by a reference (its name, "name#2" for a second different type of the same name), and
// arguments name their type by that reference.
#ifndef MIGC_IR_JSON_TYPES_H
#define MIGC_IR_JSON_TYPES_H

struct ir_module;
struct ir_type;
struct json_writer;
struct ir_json_types;

// Collects the distinct types of every written (non-implicit) argument of `ir`, in first-use
// order. Two types are the same when every member of their JSON is. Aborts on out of memory.
struct ir_json_types *ir_json_types_collect(const struct ir_module *ir);

// Writes the member "types": {reference: type object, ...}.
void ir_json_types_write(struct json_writer *w, const struct ir_json_types *types);

// The reference of `t`, which must be the type of an argument that ir_json_types_collect saw.
// The string lives as long as `types`.
const char *ir_json_types_ref(struct ir_json_types *types, const struct ir_type *t);

void ir_json_types_free(struct ir_json_types *types);

#endif
