// A small streaming JSON writer over a strbuf: objects, arrays, strings (escaped), integers and
// booleans, pretty-printed with 2-space indentation so that dumps diff well. Output is
// deterministic: members appear in the order they are written.
#ifndef MIGC_JSON_WRITER_H
#define MIGC_JSON_WRITER_H

#include <stdbool.h>
#include <stdint.h>

struct strbuf;

enum { JSON_MAX_DEPTH = 32 };

struct json_writer {
    struct strbuf *out;
    int depth;
    bool has_items[JSON_MAX_DEPTH]; // whether the container at each depth has a member yet
};

// Starts writing into `out` (appending).
void json_init(struct json_writer *w, struct strbuf *out);

// Containers. `key` is the member name inside an object, NULL inside an array or at top level.
// Nesting deeper than JSON_MAX_DEPTH aborts (a programming error).
void json_begin_object(struct json_writer *w, const char *key);
void json_end_object(struct json_writer *w);
void json_begin_array(struct json_writer *w, const char *key);
void json_end_array(struct json_writer *w);

// Values. A NULL string is written as null.
void json_string(struct json_writer *w, const char *key, const char *value);
void json_int(struct json_writer *w, const char *key, int64_t value);
void json_bool(struct json_writer *w, const char *key, bool value);
void json_null(struct json_writer *w, const char *key);

// Ends the document with a newline (call once, at depth 0).
void json_finish(struct json_writer *w);

#endif
