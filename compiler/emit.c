// Placeholder for the C emitters until issue #4 lands them: every C output is refused, so the
// driver reports a clear error and writes nothing. The backend replaces this file.
#include "emit.h"

int emit_file(const struct ir_module *ir, enum emit_kind kind, const char *output_name,
              struct strbuf *out) {
    (void)ir;
    (void)kind;
    (void)output_name;
    (void)out;
    return -1; // TODO(#4): generate C.
}
