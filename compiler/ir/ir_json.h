// --emit-json: a deterministic JSON dump of the checked IR (subsystem, names, imports, types,
// every routine slot with its ids, arguments and LP64 message layouts). Golden-tested; the
// format is documented in docs/language.md ("The JSON dump").
#ifndef MIGC_IR_JSON_H
#define MIGC_IR_JSON_H

struct ir_module;
struct strbuf;

// Appends the JSON document for `ir` to `out` (ends with a newline). Never fails.
void ir_json_write(const struct ir_module *ir, struct strbuf *out);

#endif
