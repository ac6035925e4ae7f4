// Helpers shared by the C emitters (emit_*.c). Each emits one construct from the IR; none of
// them validates anything.
#ifndef MIGC_EMIT_COMMON_H
#define MIGC_EMIT_COMMON_H

#include <stdbool.h>

#include "emit/emitter.h"
#include "ir/ir.h"

// Which program a piece of text is for: the C types and names differ between the two.
enum emit_side { EMIT_SIDE_USER, EMIT_SIDE_SERVER };

// Bit set of import kinds (1u << enum ir_import_kind).
#define EMIT_IMPORTS(kind) (1u << (kind))

// --- emit_prolog.c: fixed text ---------------------------------------------------------------
void emit_std_includes(struct emitter *e);
void emit_std_type_includes(struct emitter *e);
void emit_voucher_decls(struct emitter *e);
void emit_user_prolog_macros(struct emitter *e);
void emit_server_prolog_macros(struct emitter *e, bool kernel_server);
void emit_static_assert_macro(struct emitter *e);
void emit_walign(struct emitter *e);

// --- emit_common.c: pieces every file shares ---------------------------------------------------
// The first comment of a file: what it is and that it is generated (no dates, paths, versions).
void emit_banner(struct emitter *e, const struct ir_module *ir, const char *what);
// The import statements of the selected kinds, in source order.
void emit_imports(struct emitter *e, const struct ir_module *ir, unsigned kinds);
// `<subsys>_MSG_COUNT`.
void emit_msg_count(struct emitter *e, const struct ir_module *ir);
// `typedef struct { ... } <type_name>;` for a message layout, wrapped in the pack(4) guards.
// With `trailer` the receive trailer is appended (the buffer a stub receives into).
void emit_message_typedef(struct emitter *e, const struct ir_layout *layout, enum emit_side side,
                          const char *type_name, bool trailer);
// _Static_asserts on the size and member offsets of a header typedef. An offset after a struct
// member (and the size) is asserted only for the C type having the .defs size: the message
// takes sizeof(<C type>) there, whatever the .defs says, as Apple's MIG has it.
void emit_layout_asserts(struct emitter *e, const struct ir_layout *layout, enum emit_side side);
// All __Request__/__Reply__ typedefs (guarded) and the request/reply unions of one side.
void emit_request_typedefs(struct emitter *e, const struct ir_module *ir, enum emit_side side);
void emit_reply_typedefs(struct emitter *e, const struct ir_module *ir, enum emit_side side);
void emit_request_union(struct emitter *e, const struct ir_module *ir, enum emit_side side);
void emit_reply_union(struct emitter *e, const struct ir_module *ir, enum emit_side side);
// "(\n\tT a,\n\tT *b\n)<suffix>" parameter list of the client stub or the server work function.
void emit_param_list(struct emitter *e, const struct ir_routine *rt, enum emit_side side,
                     const char *suffix);
// The declaration of a client stub or server work function (`mig_external` form).
void emit_routine_declaration(struct emitter *e, const struct ir_routine *rt, enum emit_side side);
// "/* Routine x */" or "/* SimpleRoutine x */".
void emit_routine_comment(struct emitter *e, const struct ir_routine *rt);
// The rcsid string of the interface (`rcsid` statement), static unless UseExternRCSId.
void emit_rcsid(struct emitter *e, const struct ir_module *ir, const char *extern_name);
// subsystem_to_name_map_<subsys>.
void emit_name_map(struct emitter *e, const struct ir_module *ir);
// `#ifdef HOOK / HOOK / #endif` for the __Before/__AfterMig*Header hooks.
void emit_hook(struct emitter *e, const char *hook);
// The top of a header: banner, include guard _<subsys>_<guard_kind>_ (Apple's), module comment,
// standard includes, MSG_COUNT.
void emit_header_top(struct emitter *e, const struct ir_module *ir, const char *guard_kind,
                     const char *what);
// The bottom half of a header: caution banner, typedefs with assertions, unions, name map.
void emit_header_messages(struct emitter *e, const struct ir_module *ir, enum emit_side side);
// `extern "C"` opening / closing for headers.
void emit_extern_c_begin(struct emitter *e);
void emit_extern_c_end(struct emitter *e);

// The members of `struct <sp><subsys>_subsystem` (the declaration and the server's definition).
void emit_subsystem_members(struct emitter *e, const struct ir_module *ir);
// Prototypes of <demux> and <demux>_routine.
void emit_demux_declarations(struct emitter *e, const struct ir_module *ir);
// `extern const struct <sp><subsys>_subsystem { ... } <sp><subsys>_subsystem;`
void emit_subsystem_declaration(struct emitter *e, const struct ir_module *ir);

// True for routine and simpleroutine slots (not skips).
bool emit_routine_is_real(const struct ir_routine *rt);
bool emit_routine_is_simple(const struct ir_routine *rt);

// The C type of a message field or argument on one side.
const char *emit_field_type(const struct ir_field *f, enum emit_side side);
const char *emit_arg_type(const struct ir_arg *a, enum emit_side side);
// The <arg>Poly parameter of a polymorphic argument when that side has one, else NULL (then the
// disposition is the type's fixed one: `MACH_MSG_TYPE_MAKE_SEND_ONCE|polymorphic` is fixed for
// the sender and seen by the receiver).
const struct ir_arg *emit_poly_arg(const struct ir_arg *a, enum emit_side side);

// --- emit_check.c: the message checkers ------------------------------------------------------
// __MIG_check__Request__<rt>_t / __MIG_check__Reply__<rt>_t, guarded as Apple's are.
void emit_request_checker(struct emitter *e, const struct ir_module *ir,
                          const struct ir_routine *rt);
void emit_reply_checker(struct emitter *e, const struct ir_module *ir,
                        const struct ir_routine *rt);
// The largest shift_index of a layout: how many In<k>P / Out<k>P pointers a stub needs.
unsigned emit_layout_max_shift(const struct ir_layout *layout);

// --- emit_user_overwrite.c: `overwrite` out arguments (client stubs) ---------------------------
// Whether a reply field has a descriptor in the overwrite template: the reply's out-of-line
// (memory or ports) descriptors up to the last `overwrite` argument, as in Apple's MIG.
bool emit_overwrite_in_template(const struct ir_routine *rt, const struct ir_field *f);
// `typedef struct { Head; msgh_body; descriptors } OverwriteTemplate;` inside a stub.
void emit_overwrite_typedef(struct emitter *e, const struct ir_routine *rt);
// The stub's buffers: the request, and a union of the template and the reply (MessReply).
void emit_overwrite_locals(struct emitter *e);
// Fills the template before the RPC: MACH_MSG_OVERWRITE with the caller's buffer (*arg, and
// *argCnt elements) for each `overwrite` argument, MACH_MSG_ALLOCATE for the others.
void emit_overwrite_template(struct emitter *e, const struct ir_routine *rt);
// Before a reply that failed its check is destroyed: a descriptor that landed in the caller's
// buffer is emptied, so that mach_msg_destroy does not free the caller's memory; the port rights
// that landed in a caller's array are released first (the array keeps MACH_PORT_NULL).
void emit_overwrite_keep_landed(struct emitter *e, const struct ir_routine *rt);

// --- emit_user_kernel.c: KernelUser client stubs --------------------------------------------
// `#if __MigKernelSpecificCode` + the kernel's call (mach_msg_rpc_from_kernel for a routine,
// mach_msg_send_from_kernel for a simpleroutine) + `#else`: the user-space mach_msg follows, then
// emit_kernel_end closes the #if.
void emit_kernel_rpc_begin(struct emitter *e, const struct ir_routine *rt);
void emit_kernel_send_begin(struct emitter *e, const struct ir_routine *rt);
void emit_kernel_end(struct emitter *e);
// Destroys the reply Out0P with mach_msg_destroy_from_kernel in the kernel, else mach_msg_destroy.
void emit_kernel_destroy_reply(struct emitter *e);

// --- emit_kernel.c: the KernelServer pieces (under #if __MigKernelSpecificCode) ---------------
// The msgh_request_port / msgh_reply_port macros of a server file; a KernelServer gets the
// kernel's view (request = remote port) first.
void emit_server_port_macros(struct emitter *e, bool kernel_server);
// `<lvalue>.disposition = ...;` of a reply descriptor whose element type is `t`: the sent form,
// and for a KernelServer the received form under __MigKernelSpecificCode.
void emit_reply_disposition(struct emitter *e, bool kernel_server, const char *lvalue,
                            const struct ir_type *t);
// Frees the out-of-line memory of request field `field` (vm_map_copy_discard in the kernel).
void emit_ool_discard(struct emitter *e, bool kernel_server, const char *field);
// True when a KernelServer stub releases translated send rights after the call.
bool emit_kernel_releases_ports(const struct ir_module *ir, const struct ir_routine *rt);
// ipc_port_release_send of every translated send right of the request (KernelServer only),
// guarded by RetCode == KERN_SUCCESS when `only_on_success`.
void emit_kernel_port_release(struct emitter *e, const struct ir_module *ir,
                              const struct ir_routine *rt, bool only_on_success);
// After packing reply port field `f`: the kernel's circularity check for a receive right.
void emit_kernel_circularity(struct emitter *e, const struct ir_module *ir,
                             const struct ir_field *f);
// `return <bad>` unless the string at `ptr` has a NUL within `length` bytes.
void emit_string_terminated_check(struct emitter *e, bool kernel_server, const char *ptr,
                                  const char *length, const char *bad);

// --- emit_symtab.c: -s ----------------------------------------------------------------------
// `mig_symtab_t _<subsys>SymTab[]` with _<subsys>SymTabBase and _<subsys>SymTabEnd.
void emit_symtab(struct emitter *e, const struct ir_module *ir);

// --- emit_ndr.c: -n ------------------------------------------------------------------------
// Nothing is written unless -n was given and the message has an NDR record.
// The __NDR_convert__<rep>__<Request|Reply>__<rt>_t__<field> hook declarations of a checker.
void emit_ndr_declarations(struct emitter *e, const struct ir_module *ir,
                           const struct ir_routine *rt, bool request);
// The int_rep conversion of count field `count` (through pointer prefix `p`: "In"/"Out"),
// before a check reads it.
void emit_ndr_convert_count(struct emitter *e, const struct ir_module *ir,
                            const struct ir_routine *rt, bool request, const char *p,
                            const struct ir_field *count);
// The conversion block of representation `rep` (0 int_rep, 1 char_rep, 2 float_rep).
void emit_ndr_convert_block(struct emitter *e, const struct ir_module *ir,
                            const struct ir_routine *rt, bool request, const char *p, int rep);
// The int_rep conversion of a reply's RetCode, before the checker returns or tests it.
void emit_ndr_convert_retcode(struct emitter *e, const struct ir_module *ir,
                              const struct ir_routine *rt, const char *p);

#endif
