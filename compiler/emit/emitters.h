// The emitters of whole files, one per output kind: what emit.c (the driver of the emitters)
// calls. They share their pieces through emit_common.h, never through emit.c or each other.
#ifndef MIGC_EMITTERS_H
#define MIGC_EMITTERS_H

struct emitter;
struct ir_module;

// The text of one whole output file for module `ir`, through `e`.
void emit_user_header(struct emitter *e, const struct ir_module *ir);
void emit_user_source(struct emitter *e, const struct ir_module *ir);
void emit_server_header(struct emitter *e, const struct ir_module *ir);
void emit_server_source(struct emitter *e, const struct ir_module *ir);
void emit_internal_header(struct emitter *e, const struct ir_module *ir);
void emit_defines_header(struct emitter *e, const struct ir_module *ir);

#endif
