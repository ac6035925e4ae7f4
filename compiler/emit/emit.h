// The C emitters: IR to the text of one output file. Emitters read only the IR and never
// validate; everything they need was decided by the check steps.
#ifndef MIGC_EMIT_H
#define MIGC_EMIT_H

#include <stddef.h>

struct ir_module;
struct strbuf;

enum emit_kind {
    EMIT_USER_HEADER,     // -header:  <subsystem>.h
    EMIT_USER_SOURCE,     // -user:    <subsystem>User.c
    EMIT_SERVER_HEADER,   // -sheader
    EMIT_SERVER_SOURCE,   // -server:  <subsystem>Server.c
    EMIT_INTERNAL_HEADER, // -iheader (KernelServer only)
    EMIT_DEFINES_HEADER,  // -dheader
};

// Appends the text of output `kind` for module `ir` to `out`. `output_name` is the base name of
// the file being written (for the include guard). Returns 0, or -1 if this kind of output cannot
// be generated yet (the driver reports that and writes nothing).
int emit_file(const struct ir_module *ir, enum emit_kind kind, const char *output_name,
              struct strbuf *out);

// The same, streamed: `buf` is only a buffer; the text goes to sink(ctx, ...) in pieces of about
// 32 KiB as it is produced, the last one before returning.
typedef void (*emit_sink_fn)(void *ctx, const char *data, size_t len);
int emit_file_to(const struct ir_module *ir, enum emit_kind kind, const char *output_name,
                 struct strbuf *buf, emit_sink_fn sink, void *ctx);

#endif
