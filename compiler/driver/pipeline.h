// The compiler as a library: the pipeline (pipeline.c) runs the parser and then the check steps
// on one context (migc.h). main.c parses the command line and calls the driver, which calls
// this; tests and fuzzers call it directly.
#ifndef MIGC_PIPELINE_H
#define MIGC_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>

struct ir_module;
struct migc;

// Compiles preprocessed .defs text (with cpp line markers; `name` is the file name used until the
// first marker). On success stores the checked module in *out and returns true; its storage lives
// as long as ctx. On failure the diagnostics have been reported and *out is NULL.
bool migc_compile(struct migc *ctx, const char *name, const char *text, size_t len,
                  const struct ir_module **out);

#endif
