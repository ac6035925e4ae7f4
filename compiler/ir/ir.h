// The checked IR: the single model that the check steps build from the AST and that every emitter
// (user/server headers and stubs, -iheader, -dheader, JSON) reads, const, without computing or
// validating anything. Everything is decided here: names, ids, types, implicit arguments, and the
// LP64 message layouts (field names as Apple's MIG spells them, offsets, sizes).
#ifndef MIGC_IR_H
#define MIGC_IR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "support/migc.h"

struct target_abi;
struct ir_arg;
struct ir_field;

// ---------------------------------------------------------------------------------------------
// Module-level enums
// ---------------------------------------------------------------------------------------------

enum ir_import_kind {
    IR_IMPORT,  // import:  user header, server header (and .c files with -split)
    IR_UIMPORT, // uimport: user side only
    IR_SIMPORT, // simport: server side only
    IR_DIMPORT, // dimport: user header and server header
    IR_IIMPORT, // iimport: only .c files that carry their own includes
};

enum ir_consume_on_send_error {
    IR_CONSUME_NONE,    // default (also "ConsumeOnSendError None")
    IR_CONSUME_TIMEOUT, // ConsumeOnSendError Timeout
    IR_CONSUME_ANY,     // ConsumeOnSendError Any
};

// ---------------------------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------------------------

// The shape of a (resolved) type, i.e. how a value of it looks in C and in the message.
enum ir_type_shape {
    IR_SHAPE_SCALAR,    // one inline element of a basic IPC type (int, boolean, char, PORT_NAME...)
    IR_SHAPE_PORT,      // one port right (a port descriptor); dispositions below
    IR_SHAPE_STRUCT,    // struct[N] of T: N elements, passed by value, inline
    IR_SHAPE_ARRAY,     // array[N] / array[*:N] / array[] of T (bound below)
    IR_SHAPE_C_STRING,  // c_string[N] / c_string[*:N]
    IR_SHAPE_NATIVE,    // PointerTo(...) / ValueOf(...) / PointerToIfNot(..., bad)
};

// Element count of arrays and strings.
enum ir_bound {
    IR_BOUND_NONE,      // not an array (scalar, port, struct, native)
    IR_BOUND_FIXED,     // array[N], c_string[N], struct[N]: exactly `count` elements
    IR_BOUND_VARIABLE,  // array[*:N], c_string[*:N]: at most `count` elements, Cnt travels first
    IR_BOUND_UNBOUNDED, // array[] / array[*]: no maximum (always out of line)
};

enum ir_native_kind {
    IR_NATIVE_NONE,
    IR_NATIVE_POINTER_TO,          // PointerTo(<ctype>)
    IR_NATIVE_VALUE_OF,            // ValueOf(<ctype>): in only
    IR_NATIVE_POINTER_TO_IF_NOT,   // PointerToIfNot(<ctype>, <bad value>)
};

// IPC type name as carried in the message. For ports these are the dispositions of section 6.5.
struct ir_ipc_name {
    const char *name;   // "MACH_MSG_TYPE_INTEGER_32", "MACH_MSG_TYPE_MOVE_SEND", "MACH_MSG_TYPE_POLYMORPHIC"
    int32_t number;     // 2, 17, -1 (polymorphic)
};

struct ir_type {
    const char *name;            // declared name ("mach_port_t"), or the argument's inline name
    enum ir_type_shape shape;
    enum ir_bound bound;
    bool is_out_of_line;         // ^T, ^array, array[] (OOL or OOL-ports descriptor)
    bool is_explicit_pointer;    // written with ^ (dealloc etc. apply; receiver owns memory)
    bool is_port;                // the element is a port right (shape PORT, or array of ports)
    bool is_polymorphic;         // disposition chosen at run time (adds <arg>Poly)
    bool is_string;              // c_string
    bool is_struct;              // struct[N]
    bool is_native;              // shape NATIVE
    bool is_variable;            // inline size depends on a count (bound VARIABLE and inline)

    struct ir_ipc_name in_name;  // as sent (in disposition for ports)
    struct ir_ipc_name out_name; // as received (PORT_SEND etc. for ports)

    // Sizes in bytes. For an element of MACH_MSG_TYPE_BIT, elem_bits is 1 and elem_size 0.
    uint32_t elem_bits;          // size of one element in bits (as declared)
    uint32_t elem_size;          // size of one element in bytes
    uint32_t count;              // elements (maximum for VARIABLE, 0 for UNBOUNDED, 1 for scalars)
    uint32_t size;               // inline size in bytes (at maximum count), unpadded
    uint32_t align;              // natural alignment of the element in the message (1, 2, 4, 8)
    const struct ir_type *maybe_element; // element type of arrays, structs and strings
    const struct ir_type *maybe_alias_of; // `type a = b;`: b, when b is a declared type (not a
                                          // built-in IPC type); the NDR hooks (-n) follow it

    // C types. user_type/server_type name the whole value; element types name one element (used
    // for variable arrays, which are declared as element[max] in the message structs).
    const char *user_type;       // cusertype or ctype or the type name
    const char *server_type;     // cservertype or ctype or the type name
    const char *user_elem_type;  // element C type (NULL when not an array/struct/string)
    const char *server_elem_type;
    const char *trans_type;      // intran/outtran TransType, else server_type: what the server fn sees

    // Translations (server side). NULL when absent.
    const char *maybe_intran;     // intran function name
    const char *maybe_outtran;    // outtran function name
    const char *maybe_destructor; // destructor function name

    enum ir_native_kind native;
    const char *maybe_native_ctype;   // the C type words inside PointerTo(...)/ValueOf(...)
    const char *maybe_native_bad_value; // PointerToIfNot's second operand, spelled

    unsigned line;               // where declared (0 for built-ins)
};

// ---------------------------------------------------------------------------------------------
// Arguments
// ---------------------------------------------------------------------------------------------

enum ir_arg_role {
    IR_ROLE_REQUEST_PORT,  // first kind-less argument or `requestport`: header remote port
    IR_ROLE_REPLY_PORT,    // replyport / ureplyport / sreplyport: header local port (sides below)
    IR_ROLE_DATA,          // in / out / inout (and kind-less after the first)
    IR_ROLE_WAITTIME,      // per-call receive timeout (user only)
    IR_ROLE_SENDTIME,      // per-call send timeout (user only)
    IR_ROLE_MSGOPTION,     // per-call mach_msg options (user only)
    IR_ROLE_MSGSEQNO,      // trailer msgh_seqno (server only)
    IR_ROLE_SEC_TOKEN,     // trailer msgh_sender (SecToken/ServerSecToken/UserSecToken)
    IR_ROLE_AUDIT_TOKEN,   // trailer msgh_audit (AuditToken/ServerAuditToken/UserAuditToken)
    IR_ROLE_CONTEXT_TOKEN, // trailer msgh_context (ServerContextToken)
    IR_ROLE_RETURN_CODE,   // implicit: kern_return_t RetCode of the reply (the stub's result)
    IR_ROLE_COUNT,         // implicit: mach_msg_type_number_t <parent>Cnt
    IR_ROLE_POLY,          // implicit: mach_msg_type_name_t <parent>Poly
    IR_ROLE_DEALLOC,       // implicit: boolean_t <parent>Dealloc (dealloc[])
};

enum ir_arg_dir {
    IR_DIR_NONE,  // not carried as data (trailer tokens, waittime...)
    IR_DIR_IN,    // request only
    IR_DIR_OUT,   // reply only
    IR_DIR_INOUT, // request and reply
};

// How the argument's value travels in one message.
enum ir_carrier {
    IR_CARRY_NONE,           // not in this message
    IR_CARRY_HEADER_REMOTE,  // msgh_remote_port (request port; server reads msgh_local_port... see note)
    IR_CARRY_HEADER_LOCAL,   // msgh_local_port (reply port)
    IR_CARRY_INLINE,         // untyped inline data after NDR
    IR_CARRY_PORT_DESC,      // mach_msg_port_descriptor_t (one per element for array[N] of ports)
    IR_CARRY_OOL_DESC,       // mach_msg_ool_descriptor_t
    IR_CARRY_OOL_PORTS_DESC, // mach_msg_ool_ports_descriptor_t
    IR_CARRY_TRAILER,        // an element of the receive trailer
    IR_CARRY_MACH_MSG,       // an argument of mach_msg itself (timeout, options)
};
// Note: as Apple's stubs do, the request port is written to msgh_remote_port by the client and
// read from msgh_local_port by the server (MIG's msgh_request_port macro); likewise the reply port.

enum ir_trailer_element {
    IR_TRAILER_NONE,
    IR_TRAILER_SEQNO,    // msgh_seqno   (mach_port_seqno_t, 4 bytes)
    IR_TRAILER_SENDER,   // msgh_sender  (security_token_t, 8 bytes)
    IR_TRAILER_AUDIT,    // msgh_audit   (audit_token_t, 32 bytes)
    IR_TRAILER_CONTEXT,  // msgh_context (mach_port_context_t, 8 bytes)
};

enum ir_dealloc {
    IR_DEALLOC_DEFAULT,  // neither flag: descriptor deallocate = FALSE
    IR_DEALLOC_YES,      // dealloc
    IR_DEALLOC_NO,       // notdealloc
    IR_DEALLOC_MAYBE,    // dealloc[]: decided at run time by the <arg>Dealloc argument
};

// Flags as written (after the checks: ignored flags are cleared, with a warning).
struct ir_arg_flags {
    enum ir_dealloc dealloc;
    bool physicalcopy;   // OOL copy = MACH_MSG_PHYSICAL_COPY (else VIRTUAL_COPY)
    bool overwrite;      // out OOL landing buffer supplied by the caller (mach_msg_overwrite)
    bool countinout;     // out variable array: caller's capacity travels in the request
    bool samecount;      // shares the count of maybe_samecount_with
    bool retcode;        // simpleroutine: this argument is sent as the RetCode field
    bool is_auto;        // `auto`: server frees the buffer after the call
    bool is_const;       // `const`: see ir_arg.c_const
    bool servercopy;     // GNU `servercopy`: accepted, no effect in the Apple message format
};

struct ir_arg {
    const char *name;            // C parameter name (e.g. "data", "dataCnt", "RetCode")
    unsigned index;              // position in ir_routine.args
    unsigned line, column;       // where written (the parent's for implicit arguments)
    enum ir_arg_role role;
    enum ir_arg_dir dir;
    bool is_implicit;            // added by the checks (Cnt, Poly, Dealloc, RetCode)
    bool on_user_side;           // a parameter of the client stub
    bool on_server_side;         // a parameter of the server work function
    bool user_by_reference;      // client passes a pointer (out / inout / out Cnt...)
    bool server_by_reference;    // server work function receives a pointer
    bool c_const;                // parameter declared `const <type>` on both sides (Apple's
                                 // rule: the `const` flag on a c_string or inline variable-sized
                                 // data; here only when the argument is not written back)
    const struct ir_type *type;  // for implicit arguments: a built-in type (mach_msg_type_number_t...)
    struct ir_arg_flags flags;

    // How it travels. request_carrier is NONE for out-only arguments, reply_carrier for in-only.
    enum ir_carrier request_carrier;
    enum ir_carrier reply_carrier;
    enum ir_trailer_element trailer; // for IR_CARRY_TRAILER
    bool is_out_of_line;             // carried by an OOL or OOL-ports descriptor
    unsigned port_desc_count;        // descriptors used (N for array[N] of ports, else 0 or 1)

    // The C view.
    const char *user_c_type;     // parameter type in the client stub, without '*' for by-reference
    const char *server_c_type;   // parameter type in the server work function (trans type)
    const char *msg_c_type;      // type of the data in the message (server side, before intran)

    // Links. Implicit arguments point to their parent; parents to their implicit arguments.
    const struct ir_arg *maybe_parent;       // for COUNT/POLY/DEALLOC
    const struct ir_arg *maybe_count;        // <arg>Cnt (shared one for samecount)
    const struct ir_arg *maybe_poly;         // <arg>Poly
    const struct ir_arg *maybe_dealloc_arg;  // <arg>Dealloc
    const struct ir_arg *maybe_samecount_with; // the earlier argument whose count is shared

    // Message fields carrying the value (NULL when not in that message).
    const struct ir_field *maybe_request_field;
    const struct ir_field *maybe_reply_field;
};

// ---------------------------------------------------------------------------------------------
// Message layouts (LP64)
// ---------------------------------------------------------------------------------------------

enum ir_field_kind {
    IR_FIELD_HEADER,          // mach_msg_header_t Head
    IR_FIELD_BODY,            // mach_msg_body_t msgh_body (complex messages)
    IR_FIELD_PORT_DESC,       // mach_msg_port_descriptor_t <arg>  (count > 1: <arg>[N])
    IR_FIELD_OOL_DESC,        // mach_msg_ool_descriptor_t <arg>
    IR_FIELD_OOL_PORTS_DESC,  // mach_msg_ool_ports_descriptor_t <arg>
    IR_FIELD_NDR,             // NDR_record_t NDR
    IR_FIELD_RETCODE,         // kern_return_t RetCode
    IR_FIELD_COUNT,           // mach_msg_type_number_t <arg>Cnt
    IR_FIELD_OFFSET,          // mach_msg_type_number_t <arg>Offset (variable c_string; always 0)
    IR_FIELD_DATA,            // inline data of an argument
    IR_FIELD_PAD,             // char <arg>Pad[n]: pads fixed inline data to 4 bytes (after DATA)
    IR_FIELD_PRESENT,         // boolean_t __Present__<arg> (PointerToIfNot, before its DATA)
};

struct ir_field {
    enum ir_field_kind kind;
    const char *name;            // member name exactly as Apple's MIG spells it
    // Member type. Apple's MIG declares body members with the *server* C type in both the user
    // header and the server (descriptors with their descriptor type), so both are the same today;
    // they are kept apart so that a future option can differ.
    const char *user_c_type;
    const char *server_c_type;
    uint32_t array_count;        // 0: not an array member; else the declared dimension
                                 // (maximum for variable data, N for array[N] of ports)
    uint32_t offset;             // byte offset with every earlier variable field at its maximum
    uint32_t size;               // bytes in the typedef (maximum for variable data), before padding
    uint32_t padded_size;        // size rounded up to inline_align (what the typedef occupies)
    uint32_t elem_size;          // bytes of one element of variable data (else = size)
    bool is_variable;            // its actual size is elem_size * count field (inline variable)
    bool offset_varies;          // an earlier variable field shifts it (reached via In<k>P/Out<k>P)
    unsigned shift_index;        // number of earlier variable fields: k in In<k>P / Out<k>P
    bool size_is_native;         // PointerTo/ValueOf data: size is sizeof(<ctype>), not known here
    bool size_is_c_type;         // struct[N] data: declared with its C type and moved by assignment,
                                 // it occupies sizeof(<C type>), which `size` (the .defs size)
                                 // only describes when the C declaration agrees (Apple's rule)
    bool is_optional_native;     // PointerToIfNot data: declared as union { T __Real__<f>;
                                 // char __Phony__<f>[_WALIGNSZ_(T)]; } <f>, after __Present__<f>
    const struct ir_arg *maybe_arg;          // the argument carried (NULL: Head, body, NDR, RetCode)
    const struct ir_field *maybe_count_field;// for variable data and OOL: the count field
    const struct ir_field *maybe_data_field; // for count/offset fields: the data they describe
};

struct ir_layout {
    const char *typedef_name;    // __Request__<rt>_t / __Reply__<rt>_t
    struct ir_field *fields;     // in message order (pads and counts included)
    size_t field_count;
    bool is_complex;             // MACH_MSGH_BITS_COMPLEX
    unsigned descriptor_count;   // msgh_descriptor_count
    bool has_ndr;
    bool has_retcode;
    bool is_variable;            // some inline field is variable: size computed at run time
    unsigned variable_field_count; // number of variable inline fields (In1P... pointers needed)
    bool size_is_exact;          // false when a native (sizeof-sized) field is present
    uint32_t size;               // sizeof(typedef) without trailer: every variable field at max
    uint32_t min_size;           // every variable field empty
    // The receive buffer adds a trailer: the server's Request, the client's Reply.
    const char *trailer_c_type;  // "mach_msg_trailer_t" or "mach_msg_max_trailer_t"
    uint32_t trailer_size;       // 8 or 68 on LP64
};

// ---------------------------------------------------------------------------------------------
// Routines
// ---------------------------------------------------------------------------------------------

enum ir_routine_kind {
    IR_KIND_ROUTINE,       // request/reply RPC
    IR_KIND_SIMPLEROUTINE, // one-way
    IR_KIND_SKIP,          // an empty slot reserving one id
};

enum ir_reply_port_kind {
    IR_REPLY_PORT_MIG,     // MIG's own (mig_get_reply_port / special reply port)
    IR_REPLY_PORT_BOTH,    // replyport: caller supplies it, server sees it
    IR_REPLY_PORT_USER,    // ureplyport: caller supplies it, server does not see it
    IR_REPLY_PORT_SERVER,  // sreplyport: server sees it, client uses MIG's own
    IR_REPLY_PORT_NONE,    // simpleroutine without a reply port argument (MACH_PORT_NULL)
};

// waittime / sendtime / msgoption in force for one routine.
enum ir_setting_source {
    IR_SETTING_NONE,       // not set
    IR_SETTING_STATEMENT,  // from a statement in force (text in `expr`)
    IR_SETTING_ARGUMENT,   // from an argument of the routine (maybe_arg)
};

struct ir_setting {
    enum ir_setting_source source;
    const char *expr;               // the statement's spelled token (e.g. "MACH_MSG_TIMEOUT_NONE")
    const struct ir_arg *maybe_arg; // the argument supplying it
};

struct ir_routine {
    enum ir_routine_kind kind;
    const char *name;              // NULL for a skip slot
    unsigned index;                // slot number (0-based, skips counted)
    unsigned line;
    int32_t request_id;            // base + index
    int32_t reply_id;              // request_id + 100

    // Generated identifiers.
    const char *user_name;         // <userprefix><name>: client stub
    const char *server_name;       // <serverprefix><name>: server work function
    const char *server_stub_name;  // _X<name>
    const char *request_checker;   // __MIG_check__Request__<name>_t
    const char *reply_checker;     // __MIG_check__Reply__<name>_t
    const char *user_request_union_member;   // Request_<userprefix><name>
    const char *user_reply_union_member;     // Reply_<userprefix><name>
    const char *server_request_union_member; // Request_<serverprefix><name>
    const char *server_reply_union_member;   // Reply_<serverprefix><name>
    const char *define_id_name;    // -dheader: MACH_ID_<NAME> (upper case)
    const char *define_reply_id_name; // MACH_ID_<NAME>_REPLY

    struct ir_setting waittime;
    struct ir_setting sendtime;
    struct ir_setting msgoption;

    struct ir_arg *args;           // C-parameter order: declared order, implicit args after parent
    size_t arg_count;
    const struct ir_arg *request_port;     // never NULL for routines and simpleroutines
    const struct ir_arg *maybe_reply_port; // the replyport/ureplyport/sreplyport argument
    enum ir_reply_port_kind reply_port_kind;
    const struct ir_arg *maybe_return_code; // the implicit RetCode (routines) or retcode arg
    unsigned user_arg_count;       // parameters of the client stub
    unsigned server_arg_count;     // parameters of the server work function
    unsigned argc;                 // routine_descriptor argc (= server_arg_count)

    // Trailer elements requested (the receive side decides which trailer type it needs).
    bool server_wants_seqno, server_wants_sender, server_wants_audit, server_wants_context;
    bool user_wants_sender, user_wants_audit;
    enum ir_trailer_element user_trailer_max; // largest element the client requests
    enum ir_trailer_element server_trailer_max;

    bool uses_special_reply_port;  // module UseSpecialReplyPort and routine (not simple) and
                                   // no caller-supplied reply port
    bool has_overwrite;            // some out argument is `overwrite`
    bool has_variable_request;     // request has variable inline data
    bool has_variable_reply;

    struct ir_layout request;
    struct ir_layout reply;        // a simpleroutine has one too (header + NDR + RetCode)
};

// ---------------------------------------------------------------------------------------------
// The module
// ---------------------------------------------------------------------------------------------

struct ir_import {
    enum ir_import_kind kind;
    const char *text;      // as spelled, with its delimiters: "\"f.h\"" or "<f.h>"
    unsigned line;
};

struct ir_names {
    const char *subsystem_struct;    // <serverprefix><subsys>_subsystem (struct type and object)
    const char *server_demux;        // serverdemux or <subsys>_server
    const char *server_routine;      // <demux>_routine
    const char *user_request_union;  // __RequestUnion__<userprefix><subsys>_subsystem
    const char *user_reply_union;    // __ReplyUnion__<userprefix><subsys>_subsystem
    const char *server_request_union;// __RequestUnion__<serverprefix><subsys>_subsystem
    const char *server_reply_union;  // __ReplyUnion__<serverprefix><subsys>_subsystem
    const char *msg_count_macro;     // <subsys>_MSG_COUNT
    const char *request_typedefs_guard; // __Request__<subsys>_subsystem__defined
    const char *reply_typedefs_guard;   // __Reply__<subsys>_subsystem__defined
    const char *request_checkers_guard; // __MIG_check__Request__<subsys>_subsystem__
    const char *reply_checkers_guard;   // __MIG_check__Reply__<subsys>_subsystem__
    const char *user_rcsid;          // <subsys>_user_rcsid
    const char *server_rcsid;        // <subsys>_server_rcsid
    const char *name_map;            // subsystem_to_name_map_<subsys>
};

struct ir_module {
    const char *subsystem;          // name
    int32_t base;                   // first msgh_id
    bool kernel_user;
    bool kernel_server;
    const char *user_prefix;        // "" when none
    const char *server_prefix;      // "" when none
    const char *maybe_rcsid;        // the string's contents (without quotes), NULL when none
    bool use_special_reply_port;
    enum ir_consume_on_send_error consume_on_send_error;
    uint32_t user_type_limit;       // UserTypeLimit (0: not given)
    uint32_t on_stack_limit;        // OnStackLimit, else -maxonstack (0: no limit)
    struct migc_options options;    // generation options as given

    struct ir_names names;

    struct ir_import *imports;      // in source order
    size_t import_count;

    struct ir_routine *routines;    // slots in id order, skips included
    size_t routine_count;           // number of slots (base + routine_count = end id)
    size_t real_routine_count;      // slots that are not skips
    size_t msg_count;               // value of <subsys>_MSG_COUNT: every slot, skips included
                                    // (Apple's MIG counts skips; = routine_count)

    const struct ir_type **types;   // declared types in declaration order (redefinitions: last)
    size_t type_count;

    const struct target_abi *target;
    uint32_t max_request_size;      // largest request layout size (server receive buffer w/o trailer)
    uint32_t max_reply_size;        // largest reply layout size, at least error_reply_size
    struct ir_layout error_reply;   // mig_reply_error_t: Head, NDR, RetCode (36 bytes on LP64),
                                    // what a server sends for any nonzero return code
};

// Name of an enum value as used in --emit-json and diagnostics ("in", "port_desc", ...).
const char *ir_import_kind_name(enum ir_import_kind kind);
const char *ir_type_shape_name(enum ir_type_shape shape);
const char *ir_bound_name(enum ir_bound bound);
const char *ir_arg_role_name(enum ir_arg_role role);
const char *ir_arg_dir_name(enum ir_arg_dir dir);
const char *ir_carrier_name(enum ir_carrier carrier);
const char *ir_trailer_element_name(enum ir_trailer_element element);
const char *ir_dealloc_name(enum ir_dealloc dealloc);
const char *ir_field_kind_name(enum ir_field_kind kind);
const char *ir_routine_kind_name(enum ir_routine_kind kind);
const char *ir_reply_port_kind_name(enum ir_reply_port_kind kind);
const char *ir_setting_source_name(enum ir_setting_source source);
const char *ir_consume_name(enum ir_consume_on_send_error consume);
const char *ir_native_kind_name(enum ir_native_kind kind);

// Looks up a routine slot by name (NULL if absent or a skip). Linear; for tests and tools.
const struct ir_routine *ir_module_find_routine(const struct ir_module *ir, const char *name);

// Looks up an argument of a routine by its C name (NULL if absent).
const struct ir_arg *ir_routine_find_arg(const struct ir_routine *rt, const char *name);

// Looks up a field of a layout by member name (NULL if absent).
const struct ir_field *ir_layout_find_field(const struct ir_layout *layout, const char *name);

#endif
