// The parser's entry point (parser.y): preprocessed .defs text to an AST. Nothing is looked up or
// checked here; that is the check steps' business.
#ifndef MIGC_PARSE_H
#define MIGC_PARSE_H

#include <stddef.h>

struct ast_file;
struct migc;

// Lexes and parses preprocessed text into an AST in ctx's arena. `name` is the file name used
// until the first cpp line marker. Never returns NULL: on syntax errors the diagnostics have been reported, ast->syntax_errors > 0, and the AST holds the statements
// that parsed (the pipeline must stop there). The source is registered with the diagnostics
// engine so later stages can point into it. A text longer than MIGC_MAX_INPUT_BYTES is not read:
// E0408 is reported and the AST is empty.
struct ast_file *parse_source(struct migc *ctx, const char *name, const char *text, size_t len);

#endif
