// The abstract syntax tree: what the user wrote, in source order, with a span on every node and
// names left unresolved. The parser builds it (parser.y); the check steps read it and build the
// IR. All nodes live in the compilation arena. Lists are singly linked through `next`, in source
// order, with their length stored beside the head.
#ifndef MIGC_AST_H
#define MIGC_AST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "support/source.h"

struct strbuf;

// Which MIG lineage a spelling belongs to. The parser accepts both; the checks decide.
enum ast_dialect {
    AST_DIALECT_COMMON, // understood by Apple's and GNU's MIG
    AST_DIALECT_APPLE,  // Apple only (we generate for this one)
    AST_DIALECT_GNU,    // GNU MIG only (servercopy, intranpayload, skip N, struct {...}, islong)
};

// A name as written (identifiers keep their case). `name` is NULL when absent.
struct ast_ident {
    const char *name;
    struct src_span span;
};

// Text copied from the source: C type words ("struct foo *", normalised to single spaces),
// statement values (`waittime 100`), file names and rcsid strings (without their quotes).
struct ast_text {
    const char *text; // NULL when absent
    struct src_span span;
    bool is_string;   // written as a "..." string literal
};

// ---------------------------------------------------------------------------------------------
// Size expressions: `array[2 * (N + 1)] of int`. Folded and range-checked by the checks.

enum ast_expr_kind { AST_EXPR_NUMBER, AST_EXPR_BINARY };

// Deepest expression tree and type nesting the parser builds; deeper input is a syntax error
// (E0008), so recursive walks over the AST are bounded.
#define AST_MAX_DEPTH 256
enum ast_binop { AST_OP_ADD, AST_OP_SUB, AST_OP_MUL, AST_OP_DIV };

struct ast_expr {
    enum ast_expr_kind kind;
    struct src_span span; // parentheses included when written
    unsigned depth;       // 1 for a number; the parser refuses trees deeper than AST_MAX_DEPTH
    union {
        uint64_t number; // NUMBER: the literal value (decimal as Apple reads it, leading zeros
                         // included, or 0x hex)
        struct {
            enum ast_binop op;
            struct ast_expr *lhs, *rhs;
        } binary;
    } u;
};

// ---------------------------------------------------------------------------------------------
// Type expressions: the right-hand side of `type t = ...;` and of `arg : t = ...`.

enum ast_type_kind {
    AST_TYPE_NAME,        // a type name or IPC type name: `int`, `MACH_MSG_TYPE_MOVE_SEND`
    AST_TYPE_NUMBER,      // a bare IPC type number: `type t = 2;`
    AST_TYPE_SPLIT,       // `A | B`: send as A, receive as B (each a NAME, NUMBER or POLYMORPHIC)
    AST_TYPE_POLYMORPHIC, // `polymorphic`
    AST_TYPE_ARRAY,       // `array[N] of T`, `array[*:N] of T`, `array[] of T`, `array[*] of T`
    AST_TYPE_POINTER,     // `^T`
    AST_TYPE_STRUCT,      // `struct[N] of T`
    AST_TYPE_CSTRING,     // `c_string[N]`, `c_string[*:N]`
    AST_TYPE_NATIVE,      // `PointerTo(...)`, `ValueOf(...)`, `PointerToIfNot(..., ...)`
    AST_TYPE_LONG_FORM,   // `(IPCType, size [, flags])`: obsolete, parsed so the checks can refuse it
    AST_TYPE_GNU_STRUCT,  // GNU: `struct { T a; U b; }`
};

enum ast_array_kind {
    AST_ARRAY_FIXED,     // [N]
    AST_ARRAY_BOUNDED,   // [*:N]
    AST_ARRAY_UNBOUNDED, // [] or [*]
};

enum ast_native_kind { AST_NATIVE_POINTER_TO, AST_NATIVE_VALUE_OF, AST_NATIVE_POINTER_TO_IF_NOT };

struct ast_flag;
struct ast_member;

// `PointerTo(...)`, `ValueOf(...)`, `PointerToIfNot(..., ...)`.
struct ast_native {
    enum ast_native_kind kind;
    struct ast_text ctype;           // the C type words, e.g. "struct foo" or "unsigned long"
    struct ast_text maybe_bad_value; // PointerToIfNot's second operand (raw text)
};

struct ast_type_expr {
    enum ast_type_kind kind;
    enum ast_dialect dialect; // GNU for AST_TYPE_GNU_STRUCT, else COMMON or APPLE
    struct src_span span;
    unsigned depth;           // 1 for a leaf; at most AST_MAX_DEPTH
    union {
        struct ast_ident name;  // NAME
        struct ast_expr *number; // NUMBER (always an AST_EXPR_NUMBER)
        struct {
            struct ast_type_expr *in, *out; // NAME, NUMBER or POLYMORPHIC each
        } split;
        struct {
            enum ast_array_kind kind;
            bool star;                  // UNBOUNDED written as [*]
            struct ast_expr *maybe_size; // FIXED: N; BOUNDED: the maximum; UNBOUNDED: NULL
            struct ast_type_expr *element;
        } array;
        struct {
            struct ast_type_expr *target;
        } pointer;
        struct {
            struct ast_expr *count;
            struct ast_type_expr *element;
        } struct_of;
        struct {
            bool is_variable; // [*:N]
            struct ast_expr *size;
        } cstring;
        struct ast_native *native; // NATIVE (out of line: the largest case, and a rare one)
        struct {
            struct ast_type_expr *ipc_type; // NAME, NUMBER or SPLIT
            struct ast_expr *maybe_size;
            struct ast_flag *flags;         // IsLong, Dealloc, ... as written
            size_t n_flags;
        } long_form;
        struct {
            struct ast_member *members;
            size_t n_members;
        } gnu_struct;
    } u;
};

// A member of a GNU `struct { T a; }`: a named type and a member name.
struct ast_member {
    struct ast_member *next;
    struct src_span span;
    struct ast_ident type_name;
    struct ast_ident name;
};

// ---------------------------------------------------------------------------------------------
// Clauses after a type declaration: `ctype: foo_t intran: foo_t conv(mach_port_t) ...`

enum ast_clause_kind {
    AST_CLAUSE_CTYPE,         // ctype: CType
    AST_CLAUSE_CUSERTYPE,     // cusertype: CType
    AST_CLAUSE_CSERVERTYPE,   // cservertype: CType
    AST_CLAUSE_INTRAN,        // intran: TransType fn(ServerType)
    AST_CLAUSE_INTRANPAYLOAD, // GNU: intranpayload: TransType fn
    AST_CLAUSE_OUTTRAN,       // outtran: ServerType fn(TransType)
    AST_CLAUSE_DESTRUCTOR,    // destructor: fn(TransType)
};

struct ast_clause {
    struct ast_clause *next;
    enum ast_clause_kind kind;
    enum ast_dialect dialect;
    struct src_span span;
    struct ast_text ctype;          // C*TYPE: the C type; INTRAN/INTRANPAYLOAD: TransType;
                                    // OUTTRAN: ServerType; DESTRUCTOR: absent
    struct ast_ident function;      // translation function (absent for C*TYPE)
    struct ast_text param_type;     // INTRAN: ServerType; OUTTRAN, DESTRUCTOR: TransType;
                                    // otherwise absent
};

// ---------------------------------------------------------------------------------------------
// Routine arguments: `[kind] name : type [, flag]*`

enum ast_arg_kind {
    AST_ARG_DEFAULT, // no kind written (the first such argument is the request port)
    AST_ARG_IN,
    AST_ARG_OUT,
    AST_ARG_INOUT,
    AST_ARG_REQUESTPORT,
    AST_ARG_REPLYPORT,
    AST_ARG_UREPLYPORT,
    AST_ARG_SREPLYPORT,
    AST_ARG_WAITTIME,
    AST_ARG_SENDTIME,
    AST_ARG_MSGOPTION,
    AST_ARG_MSGSEQNO,
    AST_ARG_SECTOKEN,
    AST_ARG_SERVERSECTOKEN,
    AST_ARG_USERSECTOKEN,
    AST_ARG_AUDITTOKEN,
    AST_ARG_SERVERAUDITTOKEN,
    AST_ARG_USERAUDITTOKEN,
    AST_ARG_SERVERCONTEXTTOKEN,
    AST_ARG_SERVERIMPL,
    AST_ARG_USERIMPL,
};

// How the argument's type was written.
enum ast_arg_type_form {
    AST_ARG_TYPE_NAMED,     // x : foo_t
    AST_ARG_TYPE_INLINE,    // x : foo_t = <type expr> [clauses]  (for this argument only)
    AST_ARG_TYPE_NATIVE,    // x : PointerTo(...) / ValueOf(...) / PointerToIfNot(...)
    AST_ARG_TYPE_ANONYMOUS, // x : ^array[] of int       (a syntax error already reported)
};

enum ast_flag_kind {
    AST_FLAG_DEALLOC,      // dealloc, or dealloc[] (has_brackets)
    AST_FLAG_NOTDEALLOC,
    AST_FLAG_COUNTINOUT,
    AST_FLAG_SAMECOUNT,
    AST_FLAG_PHYSICALCOPY,
    AST_FLAG_OVERWRITE,
    AST_FLAG_RETCODE,
    AST_FLAG_AUTO,
    AST_FLAG_CONST,
    AST_FLAG_SERVERCOPY, // GNU
    AST_FLAG_SAMETYPE,   // GNU lineage
    AST_FLAG_ISLONG,     // GNU long-form flag
    AST_FLAG_ISNOTLONG,  // GNU long-form flag
};

struct ast_flag {
    struct ast_flag *next;
    enum ast_flag_kind kind;
    enum ast_dialect dialect;
    bool has_brackets; // written `flag[]` (only meaningful for dealloc; the checks decide)
    struct src_span span;
};

struct ast_arg {
    struct ast_arg *next;
    struct src_span span;       // from the kind (or name) to the last flag
    enum ast_arg_kind kind;
    struct src_span kind_span;  // the kind keyword; invalid for AST_ARG_DEFAULT
    struct ast_ident name;
    enum ast_arg_type_form type_form;
    struct ast_ident type_name;         // NAMED and INLINE; absent otherwise
    struct ast_type_expr *maybe_type;   // INLINE, NATIVE and ANONYMOUS; NULL for NAMED
    struct ast_clause *clauses;         // INLINE: ctype:, intran: ... after the spec
    size_t n_clauses;
    struct ast_flag *flags;
    size_t n_flags;
};

// ---------------------------------------------------------------------------------------------
// Statements

enum ast_stmt_kind {
    AST_SUBSYSTEM,               // subsystem [KernelUser] [KernelServer] name base;
    AST_SERVERPREFIX,            // serverprefix ident;          u.name
    AST_USERPREFIX,              // userprefix ident;            u.name
    AST_SERVERDEMUX,             // serverdemux ident;           u.name
    AST_IMPORT,                  // [u|s|d|i]import "f.h"; or <f.h>;
    AST_RCSID,                   // rcsid "text";                u.text
    AST_WAITTIME,                // waittime value;              u.text
    AST_NOWAITTIME,              // nowaittime;
    AST_SENDTIME,                // sendtime value;              u.text
    AST_NOSENDTIME,              // nosendtime;
    AST_MSGOPTION,               // msgoption value;             u.text
    AST_ERROR,                   // error ident;                 u.name
    AST_USE_SPECIAL_REPLY_PORT,  // UseSpecialReplyPort n;       u.number
    AST_CONSUME_ON_SEND_ERROR,   // ConsumeOnSendError None|Timeout|Any;   u.name (unchecked)
    AST_USER_TYPE_LIMIT,         // UserTypeLimit n;             u.number
    AST_ON_STACK_LIMIT,          // OnStackLimit n;              u.number
    AST_TYPE_DECL,               // type name = spec clauses;   u.type
    AST_ROUTINE,                 // routine name(args);          u.routine
    AST_SIMPLEROUTINE,           // simpleroutine name(args);    u.routine
    AST_SKIP,                    // skip; (GNU: skip N;)         u.skip
};

enum ast_import_kind { AST_IMPORT_BOTH, AST_IMPORT_USER, AST_IMPORT_SERVER, AST_IMPORT_DEFINES,
                       AST_IMPORT_IMPL };

struct ast_type_decl {
    struct ast_ident name;
    struct ast_type_expr *spec;
    struct ast_clause *clauses;
    size_t n_clauses;
};

struct ast_routine {
    struct ast_ident name;
    struct ast_arg *args;
    size_t n_args;
};

struct ast_subsystem {
    struct ast_ident name;
    struct ast_expr *base;
    bool is_kernel_user, is_kernel_server;
    struct src_span kernel_user_span, kernel_server_span; // valid when set
};

struct ast_stmt {
    struct ast_stmt *next;
    enum ast_stmt_kind kind;
    enum ast_dialect dialect;    // GNU for `skip N`, APPLE for Apple-only statements
    struct src_span span;        // from the keyword to the ';'
    struct src_span keyword_span;
    union {
        struct ast_subsystem *subsystem; // (out of line: the largest case, once per file)
        struct ast_ident name;
        struct {
            enum ast_import_kind kind;
            struct ast_text file; // without the quotes or angle brackets
            bool is_system;       // written <f.h>
        } import;
        struct ast_text text;
        struct ast_expr *number;
        struct ast_type_decl type;
        struct ast_routine routine;
        struct {
            struct ast_expr *maybe_count; // GNU `skip N`
        } skip;
    } u;
};

// A parsed file. Partial when syntax_errors > 0 (statements that failed to parse are left out).
struct ast_file {
    const struct src_file *src;
    struct ast_stmt *stmts;
    size_t n_stmts;
    unsigned syntax_errors; // errors reported by the lexer and parser
};

// Spellings for messages and dumps: "routine", "inout", "dealloc", "array", ...
const char *ast_stmt_kind_name(enum ast_stmt_kind kind);
const char *ast_arg_kind_name(enum ast_arg_kind kind);
const char *ast_flag_kind_name(enum ast_flag_kind kind);
const char *ast_clause_kind_name(enum ast_clause_kind kind);
const char *ast_type_kind_name(enum ast_type_kind kind);
const char *ast_import_kind_name(enum ast_import_kind kind);

// Appends a compact, deterministic S-expression dump of the file (no positions unless
// `with_spans`), one statement per line. Used by parser tests and the fuzzer.
void ast_dump(const struct ast_file *file, bool with_spans, struct strbuf *out);
void ast_dump_type(const struct ast_type_expr *type, struct strbuf *out);
void ast_dump_expr(const struct ast_expr *expr, struct strbuf *out);

#endif
