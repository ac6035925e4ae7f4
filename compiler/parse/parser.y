/* The parser: tokens to the AST (ast.h). Pure bison with locations; it builds nodes only (no
 * lookups, no checks). Syntax errors go through the diagnostics table with the expected tokens;
 * recovery is at ';' (statements) and at ';' or ')' (arguments), so one mistake gives one error. */
%code requires {
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parse/ast.h"
#include "support/source.h"

struct arena;
struct diag_engine;
typedef void *yyscan_t;

// Open addressing over the keywords (lexer.l): slot[h] is 1 + the index in keywords.def of a
// keyword whose search passes h, 0 for an empty slot. Spellings are shorter than KEYWORD_MAX_LEN
// and made of identifier bytes only.
enum { KEYWORD_SLOTS = 256, KEYWORD_MAX_LEN = 32 };
struct keyword_index {
    unsigned char slot[KEYWORD_SLOTS];
};

// State shared by the lexer and the parser during one parse_source call.
struct parse_ctx {
    struct arena *arena;
    struct diag_engine *diags;
    struct src_file *src;
    struct ast_file *file;
    struct ast_stmt *last_stmt;
    size_t offset;                   // lexer position in the buffer
    size_t match_begin;              // where the lexer's current match starts
    unsigned errors;                 // syntax errors reported by the lexer and the parser
    int prev_token, cur_token;       // the last two tokens handed to the parser
    struct src_span prev_span, cur_span;
    bool lex_error_pending;          // the lexer reported an error since the last token
    bool lex_error_before_cur;       // ... before (or on) the current token
    bool lex_error_before_prev;
    bool lexer_stopped;              // unterminated comment: the rest of the input is lost
    bool depth_reported;             // E0008 already said
    struct keyword_index keywords;
};

struct arg_list { struct ast_arg *head, *tail; size_t n; };
struct flag_list { struct ast_flag *head, *tail; size_t n; };
struct clause_list { struct ast_clause *head, *tail; size_t n; };
struct member_list { struct ast_member *head, *tail; size_t n; };
struct subsystem_mods { bool user, server; struct src_span user_span, server_span; };
struct arg_type_val {
    enum ast_arg_type_form form;
    struct ast_ident name;
    struct ast_type_expr *type;
    struct ast_clause *clauses;      // INLINE: ctype:, intran: ... written after the spec
    size_t n_clauses;
};

// Keyword table (lexer.l, keywords.def): the token for an identifier spelled in any case, or 0.
// The lexer finds keywords through a hash index built once per parse (keyword_index_init);
// lex_keyword_lookup builds one for each call (for tests).
int lex_keyword_lookup(const char *text, size_t len);
void keyword_index_init(struct keyword_index *index);
int keyword_index_find(const struct keyword_index *index, const char *text, size_t len);
// The index-th keyword's lower-case spelling and token; NULL past the end.
const char *lex_keyword_spelling(size_t index, int *token);
}

%define api.pure full
%define api.location.type {struct src_span}
%locations
%define parse.error custom
%lex-param {yyscan_t scanner}
%parse-param {yyscan_t scanner} {struct parse_ctx *pc}

%union {
    uint64_t number;
    const char *str;
    int kind;
    struct ast_expr *expr;
    struct ast_type_expr *type;
    struct ast_stmt *stmt;
    struct ast_arg *arg;
    struct ast_flag *flag;
    struct ast_clause *clause;
    struct ast_member *member;
    struct arg_list args;
    struct flag_list flags;
    struct clause_list clauses;
    struct member_list members;
    struct subsystem_mods mods;
    struct arg_type_val arg_type;
}

%code {
#include <stdio.h>
#include <string.h>

#include "support/arena.h"
#include "support/diag.h"
#include "support/strbuf.h"

int yylex(YYSTYPE *lval, YYLTYPE *lloc, yyscan_t scanner);
static void yyerror(YYLTYPE *loc, yyscan_t scanner, struct parse_ctx *pc, const char *msg);

// A node's span runs from its first to its last symbol; an empty rule sits where it was reduced.
#define YYLLOC_DEFAULT(cur, rhs, n)                                \
    do {                                                           \
        if (n) {                                                   \
            (cur).begin = YYRHSLOC(rhs, 1).begin;                  \
            (cur).end = YYRHSLOC(rhs, n).end;                      \
        } else {                                                   \
            (cur).begin = (cur).end = YYRHSLOC(rhs, 0).end;        \
        }                                                          \
    } while (0)

// Nesting is bounded so every recursive walk over the AST is (AST_MAX_DEPTH).
#define YYMAXDEPTH 2000
#define YYINITDEPTH 200

static struct ast_ident mk_ident(const char *name, struct src_span span);
static struct ast_text mk_text(struct parse_ctx *pc, struct src_span span);
static struct ast_text mk_string(const char *s, struct src_span span);
static struct ast_stmt *mk_stmt(struct parse_ctx *pc, enum ast_stmt_kind kind, struct src_span span);
static struct ast_expr *mk_number(struct parse_ctx *pc, uint64_t value, struct src_span span);
static struct ast_expr *mk_binary(struct parse_ctx *pc, enum ast_binop op, struct ast_expr *lhs,
                                  struct ast_expr *rhs, struct src_span span);
static struct ast_type_expr *mk_type(struct parse_ctx *pc, enum ast_type_kind kind,
                                     struct src_span span, const struct ast_type_expr *inner);
static struct ast_type_expr *mk_array(struct parse_ctx *pc, enum ast_array_kind kind, bool star,
                                      struct ast_expr *size, struct ast_type_expr *element,
                                      struct src_span span);
static struct ast_clause *mk_clause(struct parse_ctx *pc, enum ast_clause_kind kind,
                                    struct src_span span);
static struct ast_flag *mk_flag(struct parse_ctx *pc, int kind, struct src_span span);
static void append_stmt(struct parse_ctx *pc, struct ast_stmt *stmt, struct src_span span);
static void report_anonymous_type(struct parse_ctx *pc, struct ast_ident name,
                                  struct ast_type_expr *type);

#define LIST_APPEND(list, node)            \
    do {                                   \
        if ((list).tail)                   \
            (list).tail->next = (node);    \
        else                               \
            (list).head = (node);          \
        (list).tail = (node);              \
        (list).n++;                        \
    } while (0)
}

%token END 0 "end of file"
%token <str> IDENT "identifier"
%token <number> NUMBER "number"
%token <str> STRING "string"
%token <str> SYSFILE "<file name>"

/* KEEP IN SYNC: keywords.def */
%token KW_ARRAY "'array'" KW_AUDITTOKEN "'AuditToken'" KW_AUTO "'auto'" KW_CSTRING "'c_string'"
%token KW_CONST "'const'" KW_CONSUMEONSENDERROR "'ConsumeOnSendError'"
%token KW_COUNTINOUT "'CountInOut'" KW_CSERVERTYPE "'cservertype'" KW_CTYPE "'ctype'"
%token KW_CUSERTYPE "'cusertype'" KW_DEALLOC "'dealloc'" KW_DESTRUCTOR "'destructor'"
%token KW_DIMPORT "'dimport'" KW_ERROR "'error'" KW_IIMPORT "'iimport'" KW_IMPORT "'import'"
%token KW_IN "'in'" KW_INOUT "'inout'" KW_INTRAN "'intran'" KW_INTRANPAYLOAD "'intranpayload'"
%token KW_ISLONG "'IsLong'" KW_ISNOTLONG "'IsNotLong'" KW_KERNELSERVER "'KernelServer'"
%token KW_KERNELUSER "'KernelUser'" KW_MSGOPTION "'msgoption'" KW_MSGSEQNO "'msgseqno'"
%token KW_NOSENDTIME "'nosendtime'" KW_NOTDEALLOC "'notdealloc'" KW_NOWAITTIME "'nowaittime'"
%token KW_OF "'of'" KW_ONSTACKLIMIT "'OnStackLimit'" KW_OUT "'out'" KW_OUTTRAN "'outtran'"
%token KW_OVERWRITE "'overwrite'" KW_PHYSICALCOPY "'physicalcopy'" KW_POINTERTO "'PointerTo'"
%token KW_POINTERTOIFNOT "'PointerToIfNot'" KW_POLYMORPHIC "'polymorphic'" KW_RCSID "'rcsid'"
%token KW_REPLYPORT "'replyport'" KW_REQUESTPORT "'requestport'" KW_RETCODE "'retcode'"
%token KW_ROUTINE "'routine'" KW_SAMECOUNT "'samecount'" KW_SAMETYPE "'sametype'"
%token KW_SECTOKEN "'SecToken'" KW_SENDTIME "'sendtime'" KW_SERVERAUDITTOKEN "'ServerAuditToken'"
%token KW_SERVERCONTEXTTOKEN "'ServerContextToken'" KW_SERVERCOPY "'servercopy'"
%token KW_SERVERDEMUX "'serverdemux'" KW_SERVERIMPL "'ServerImpl'" KW_SERVERPREFIX "'serverprefix'"
%token KW_SERVERSECTOKEN "'ServerSecToken'" KW_SIMPLEROUTINE "'simpleroutine'" KW_SIMPORT "'simport'"
%token KW_SKIP "'skip'" KW_SREPLYPORT "'sreplyport'" KW_STRUCT "'struct'" KW_SUBSYSTEM "'subsystem'"
%token KW_TYPE "'type'" KW_UIMPORT "'uimport'" KW_UREPLYPORT "'ureplyport'"
%token KW_USERAUDITTOKEN "'UserAuditToken'" KW_USERIMPL "'UserImpl'" KW_USERPREFIX "'userprefix'"
%token KW_USERSECTOKEN "'UserSecToken'" KW_USESPECIALREPLYPORT "'UseSpecialReplyPort'"
%token KW_USERTYPELIMIT "'UserTypeLimit'" KW_VALUEOF "'ValueOf'" KW_WAITTIME "'waittime'"

%type <stmt> stmt_body
%type <expr> expr
%type <type> type_spec compound_spec native_spec prim
%type <arg> arg
%type <args> arg_list args
%type <flag> flag
%type <flags> arg_flags long_flags
%type <clause> clause
%type <clauses> clauses
%type <member> member
%type <members> members
%type <mods> subsystem_mods
%type <arg_type> arg_type
%type <kind> arg_kind flag_word import_kw

%left '+' '-'
%left '*' '/'

%%

file
    : %empty
    | file statement
    ;

statement
    : stmt_body ';'   { append_stmt(pc, $1, @$); }
    | stmt_body error { append_stmt(pc, $1, @1); }
    | ';'
    | error ';'
    ;

/* subsystem [KernelUser] [KernelServer] name base */
stmt_body
    : KW_SUBSYSTEM subsystem_mods IDENT expr {
          $$ = mk_stmt(pc, AST_SUBSYSTEM, @$);
          $$->u.subsystem = ARENA_NEW(pc->arena, struct ast_subsystem);
          $$->u.subsystem->name = mk_ident($3, @3);
          $$->u.subsystem->base = $4;
          $$->u.subsystem->is_kernel_user = $2.user;
          $$->u.subsystem->is_kernel_server = $2.server;
          $$->u.subsystem->kernel_user_span = $2.user_span;
          $$->u.subsystem->kernel_server_span = $2.server_span;
      }
    | KW_SERVERPREFIX IDENT { $$ = mk_stmt(pc, AST_SERVERPREFIX, @$); $$->u.name = mk_ident($2, @2); }
    | KW_USERPREFIX IDENT   { $$ = mk_stmt(pc, AST_USERPREFIX, @$); $$->u.name = mk_ident($2, @2); }
    | KW_SERVERDEMUX IDENT  { $$ = mk_stmt(pc, AST_SERVERDEMUX, @$); $$->u.name = mk_ident($2, @2); }
    | import_kw STRING {
          $$ = mk_stmt(pc, AST_IMPORT, @$);
          $$->u.import.kind = (enum ast_import_kind)$1;
          $$->u.import.file = mk_string($2, @2);
          if ($1 == AST_IMPORT_DEFINES || $1 == AST_IMPORT_IMPL)
              $$->dialect = AST_DIALECT_APPLE;
      }
    | import_kw SYSFILE {
          $$ = mk_stmt(pc, AST_IMPORT, @$);
          $$->u.import.kind = (enum ast_import_kind)$1;
          $$->u.import.file = mk_string($2, @2);
          $$->u.import.is_system = true;
          if ($1 == AST_IMPORT_DEFINES || $1 == AST_IMPORT_IMPL)
              $$->dialect = AST_DIALECT_APPLE;
      }
    | KW_RCSID STRING      { $$ = mk_stmt(pc, AST_RCSID, @$); $$->u.text = mk_string($2, @2); }
    | KW_WAITTIME STRING   { $$ = mk_stmt(pc, AST_WAITTIME, @$); $$->u.text = mk_string($2, @2); }
    | KW_WAITTIME vwords   { $$ = mk_stmt(pc, AST_WAITTIME, @$); $$->u.text = mk_text(pc, @2); }
    | KW_NOWAITTIME        { $$ = mk_stmt(pc, AST_NOWAITTIME, @$); }
    | KW_SENDTIME STRING   { $$ = mk_stmt(pc, AST_SENDTIME, @$); $$->u.text = mk_string($2, @2); }
    | KW_SENDTIME vwords   { $$ = mk_stmt(pc, AST_SENDTIME, @$); $$->u.text = mk_text(pc, @2); }
    | KW_NOSENDTIME        { $$ = mk_stmt(pc, AST_NOSENDTIME, @$); }
    | KW_MSGOPTION STRING  { $$ = mk_stmt(pc, AST_MSGOPTION, @$); $$->u.text = mk_string($2, @2); }
    | KW_MSGOPTION vwords  { $$ = mk_stmt(pc, AST_MSGOPTION, @$); $$->u.text = mk_text(pc, @2); }
    | KW_ERROR IDENT       { $$ = mk_stmt(pc, AST_ERROR, @$); $$->u.name = mk_ident($2, @2); }
    | KW_USESPECIALREPLYPORT expr {
          $$ = mk_stmt(pc, AST_USE_SPECIAL_REPLY_PORT, @$);
          $$->u.number = $2;
      }
    | KW_CONSUMEONSENDERROR IDENT {
          $$ = mk_stmt(pc, AST_CONSUME_ON_SEND_ERROR, @$);
          $$->u.name = mk_ident($2, @2);
      }
    | KW_USERTYPELIMIT expr { $$ = mk_stmt(pc, AST_USER_TYPE_LIMIT, @$); $$->u.number = $2; }
    | KW_ONSTACKLIMIT expr  { $$ = mk_stmt(pc, AST_ON_STACK_LIMIT, @$); $$->u.number = $2; }
    | KW_TYPE IDENT '=' type_spec clauses {
          $$ = mk_stmt(pc, AST_TYPE_DECL, @$);
          $$->u.type.name = mk_ident($2, @2);
          $$->u.type.spec = $4;
          $$->u.type.clauses = $5.head;
          $$->u.type.n_clauses = $5.n;
      }
    | KW_ROUTINE IDENT args {
          $$ = mk_stmt(pc, AST_ROUTINE, @$);
          $$->u.routine.name = mk_ident($2, @2);
          $$->u.routine.args = $3.head;
          $$->u.routine.n_args = $3.n;
      }
    | KW_SIMPLEROUTINE IDENT args {
          $$ = mk_stmt(pc, AST_SIMPLEROUTINE, @$);
          $$->u.routine.name = mk_ident($2, @2);
          $$->u.routine.args = $3.head;
          $$->u.routine.n_args = $3.n;
      }
    | KW_SKIP { $$ = mk_stmt(pc, AST_SKIP, @$); }
    | KW_SKIP expr {
          $$ = mk_stmt(pc, AST_SKIP, @$);
          $$->dialect = AST_DIALECT_GNU;
          $$->u.skip.maybe_count = $2;
      }
    ;

subsystem_mods
    : %empty                       { $$ = (struct subsystem_mods){0}; }
    | subsystem_mods KW_KERNELUSER   { $$ = $1; $$.user = true; $$.user_span = @2; }
    | subsystem_mods KW_KERNELSERVER { $$ = $1; $$.server = true; $$.server_span = @2; }
    ;

import_kw
    : KW_IMPORT  { $$ = AST_IMPORT_BOTH; }
    | KW_UIMPORT { $$ = AST_IMPORT_USER; }
    | KW_SIMPORT { $$ = AST_IMPORT_SERVER; }
    | KW_DIMPORT { $$ = AST_IMPORT_DEFINES; }
    | KW_IIMPORT { $$ = AST_IMPORT_IMPL; }
    ;

/* Statement values (waittime, sendtime, msgoption): C expression text, kept as written. */
vwords
    : vword
    | vwords vword
    ;

vword: IDENT | NUMBER | '|' | '+' | '-' | '*' | '/' | '(' | ')' ;

/* Size expressions: + - * / and parentheses over integer literals. */
expr
    : NUMBER           { $$ = mk_number(pc, $1, @$); }
    | '(' expr ')'     { $$ = $2; $$->span = @$; }
    | expr '+' expr    { $$ = mk_binary(pc, AST_OP_ADD, $1, $3, @$); }
    | expr '-' expr    { $$ = mk_binary(pc, AST_OP_SUB, $1, $3, @$); }
    | expr '*' expr    { $$ = mk_binary(pc, AST_OP_MUL, $1, $3, @$); }
    | expr '/' expr    { $$ = mk_binary(pc, AST_OP_DIV, $1, $3, @$); }
    ;

/* type_spec: name | A | B | number | polymorphic | array... | ^T | struct... | c_string... |
 * native | long form */
type_spec
    : IDENT               { $$ = mk_type(pc, AST_TYPE_NAME, @$, NULL); $$->u.name = mk_ident($1, @1); }
    | NUMBER              { $$ = mk_type(pc, AST_TYPE_NUMBER, @$, NULL); $$->u.number = mk_number(pc, $1, @1); }
    | prim '|' prim {
          $$ = mk_type(pc, AST_TYPE_SPLIT, @$, NULL);
          $$->u.split.in = $1;
          $$->u.split.out = $3;
          $$->depth = 2;
      }
    | compound_spec
    | native_spec
    ;

/* One side of `A | B`: an IPC type name, a number, or polymorphic (Darwin's clock_types.defs:
 * `polymorphic|MACH_MSG_TYPE_MAKE_SEND_ONCE`). */
prim
    : IDENT  { $$ = mk_type(pc, AST_TYPE_NAME, @$, NULL); $$->u.name = mk_ident($1, @1); }
    | NUMBER { $$ = mk_type(pc, AST_TYPE_NUMBER, @$, NULL); $$->u.number = mk_number(pc, $1, @1); }
    | KW_POLYMORPHIC { $$ = mk_type(pc, AST_TYPE_POLYMORPHIC, @$, NULL); }
    ;

compound_spec
    : KW_POLYMORPHIC { $$ = mk_type(pc, AST_TYPE_POLYMORPHIC, @$, NULL); }
    | KW_ARRAY '[' ']' KW_OF type_spec {
          $$ = mk_array(pc, AST_ARRAY_UNBOUNDED, false, NULL, $5, @$);
      }
    | KW_ARRAY '[' '*' ']' KW_OF type_spec {
          $$ = mk_array(pc, AST_ARRAY_UNBOUNDED, true, NULL, $6, @$);
      }
    | KW_ARRAY '[' expr ']' KW_OF type_spec {
          $$ = mk_array(pc, AST_ARRAY_FIXED, false, $3, $6, @$);
      }
    | KW_ARRAY '[' '*' ':' expr ']' KW_OF type_spec {
          $$ = mk_array(pc, AST_ARRAY_BOUNDED, true, $5, $8, @$);
      }
    | '^' type_spec {
          $$ = mk_type(pc, AST_TYPE_POINTER, @$, $2);
          $$->u.pointer.target = $2;
      }
    | KW_STRUCT '[' expr ']' KW_OF type_spec {
          $$ = mk_type(pc, AST_TYPE_STRUCT, @$, $6);
          $$->u.struct_of.count = $3;
          $$->u.struct_of.element = $6;
      }
    | KW_STRUCT '{' members '}' {
          $$ = mk_type(pc, AST_TYPE_GNU_STRUCT, @$, NULL);
          $$->dialect = AST_DIALECT_GNU;
          $$->u.gnu_struct.members = $3.head;
          $$->u.gnu_struct.n_members = $3.n;
      }
    | KW_CSTRING '[' expr ']' {
          $$ = mk_type(pc, AST_TYPE_CSTRING, @$, NULL);
          $$->u.cstring.size = $3;
      }
    | KW_CSTRING '[' '*' ':' expr ']' {
          $$ = mk_type(pc, AST_TYPE_CSTRING, @$, NULL);
          $$->u.cstring.is_variable = true;
          $$->u.cstring.size = $5;
      }
    | '(' prim ',' expr long_flags ')' {
          $$ = mk_type(pc, AST_TYPE_LONG_FORM, @$, NULL);
          $$->u.long_form.ipc_type = $2;
          $$->u.long_form.maybe_size = $4;
          $$->u.long_form.flags = $5.head;
          $$->u.long_form.n_flags = $5.n;
      }
    | '(' prim '|' prim ',' expr long_flags ')' {
          $$ = mk_type(pc, AST_TYPE_LONG_FORM, @$, NULL);
          struct ast_type_expr *split = mk_type(pc, AST_TYPE_SPLIT, src_span_join(@2, @4), NULL);
          split->u.split.in = $2;
          split->u.split.out = $4;
          $$->u.long_form.ipc_type = split;
          $$->u.long_form.maybe_size = $6;
          $$->u.long_form.flags = $7.head;
          $$->u.long_form.n_flags = $7.n;
      }
    ;

long_flags
    : %empty               { $$ = (struct flag_list){0}; }
    | long_flags ',' flag  { $$ = $1; LIST_APPEND($$, $3); }
    ;

members
    : %empty          { $$ = (struct member_list){0}; }
    | members member  { $$ = $1; LIST_APPEND($$, $2); }
    ;

member
    : IDENT IDENT ';' {
          $$ = ARENA_NEW(pc->arena, struct ast_member);
          $$->span = @$;
          $$->type_name = mk_ident($1, @1);
          $$->name = mk_ident($2, @2);
      }
    ;

/* PointerTo(C type words), ValueOf(...), PointerToIfNot(C type words, value) */
native_spec
    : KW_POINTERTO '(' cwords ')' {
          $$ = mk_type(pc, AST_TYPE_NATIVE, @$, NULL);
          $$->u.native = ARENA_NEW(pc->arena, struct ast_native);
          $$->u.native->kind = AST_NATIVE_POINTER_TO;
          $$->u.native->ctype = mk_text(pc, @3);
      }
    | KW_VALUEOF '(' cwords ')' {
          $$ = mk_type(pc, AST_TYPE_NATIVE, @$, NULL);
          $$->u.native = ARENA_NEW(pc->arena, struct ast_native);
          $$->u.native->kind = AST_NATIVE_VALUE_OF;
          $$->u.native->ctype = mk_text(pc, @3);
      }
    | KW_POINTERTOIFNOT '(' cwords ',' pwords ')' {
          $$ = mk_type(pc, AST_TYPE_NATIVE, @$, NULL);
          $$->u.native = ARENA_NEW(pc->arena, struct ast_native);
          $$->u.native->kind = AST_NATIVE_POINTER_TO_IF_NOT;
          $$->u.native->ctype = mk_text(pc, @3);
          $$->u.native->maybe_bad_value = mk_text(pc, @5);
      }
    ;

/* Inside the parentheses anything word-like is C, keywords included (`struct foo`, `const`). */
cwords: cword | cwords cword ;
cword: IDENT | NUMBER | '*' | '[' | ']' | any_keyword ;
pwords: pword | pwords pword ;
pword: IDENT | NUMBER | '-' | '+' | '*' | '/' | '|' ;

any_keyword
    : KW_ARRAY | KW_AUDITTOKEN | KW_AUTO | KW_CSTRING | KW_CONST | KW_CONSUMEONSENDERROR
    | KW_COUNTINOUT | KW_CSERVERTYPE | KW_CTYPE | KW_CUSERTYPE | KW_DEALLOC | KW_DESTRUCTOR
    | KW_DIMPORT | KW_ERROR | KW_IIMPORT | KW_IMPORT | KW_IN | KW_INOUT | KW_INTRAN
    | KW_INTRANPAYLOAD | KW_ISLONG | KW_ISNOTLONG | KW_KERNELSERVER | KW_KERNELUSER
    | KW_MSGOPTION | KW_MSGSEQNO | KW_NOSENDTIME | KW_NOTDEALLOC | KW_NOWAITTIME | KW_OF
    | KW_ONSTACKLIMIT | KW_OUT | KW_OUTTRAN | KW_OVERWRITE | KW_PHYSICALCOPY | KW_POINTERTO
    | KW_POINTERTOIFNOT | KW_POLYMORPHIC | KW_RCSID | KW_REPLYPORT | KW_REQUESTPORT | KW_RETCODE
    | KW_ROUTINE | KW_SAMECOUNT | KW_SAMETYPE | KW_SECTOKEN | KW_SENDTIME | KW_SERVERAUDITTOKEN
    | KW_SERVERCONTEXTTOKEN | KW_SERVERCOPY | KW_SERVERDEMUX | KW_SERVERIMPL | KW_SERVERPREFIX
    | KW_SERVERSECTOKEN | KW_SIMPLEROUTINE | KW_SIMPORT | KW_SKIP | KW_SREPLYPORT | KW_STRUCT
    | KW_SUBSYSTEM | KW_TYPE | KW_UIMPORT | KW_UREPLYPORT | KW_USERAUDITTOKEN | KW_USERIMPL
    | KW_USERPREFIX | KW_USERSECTOKEN | KW_USESPECIALREPLYPORT | KW_USERTYPELIMIT | KW_VALUEOF
    | KW_WAITTIME
    ;

/* ctype: T, cusertype: T, cservertype: T, intran: T f(S), outtran: S f(T), destructor: f(T),
 * GNU intranpayload: T f */
clauses
    : %empty          { $$ = (struct clause_list){0}; }
    | clauses clause  { $$ = $1; LIST_APPEND($$, $2); }
    ;

clause
    : KW_CTYPE ':' ctwords {
          $$ = mk_clause(pc, AST_CLAUSE_CTYPE, @$);
          $$->ctype = mk_text(pc, @3);
      }
    | KW_CUSERTYPE ':' ctwords {
          $$ = mk_clause(pc, AST_CLAUSE_CUSERTYPE, @$);
          $$->ctype = mk_text(pc, @3);
      }
    | KW_CSERVERTYPE ':' ctwords {
          $$ = mk_clause(pc, AST_CLAUSE_CSERVERTYPE, @$);
          $$->ctype = mk_text(pc, @3);
      }
    | KW_INTRAN ':' ctwords IDENT '(' ctwords ')' {
          $$ = mk_clause(pc, AST_CLAUSE_INTRAN, @$);
          $$->ctype = mk_text(pc, @3);
          $$->function = mk_ident($4, @4);
          $$->param_type = mk_text(pc, @6);
      }
    | KW_OUTTRAN ':' ctwords IDENT '(' ctwords ')' {
          $$ = mk_clause(pc, AST_CLAUSE_OUTTRAN, @$);
          $$->ctype = mk_text(pc, @3);
          $$->function = mk_ident($4, @4);
          $$->param_type = mk_text(pc, @6);
      }
    | KW_DESTRUCTOR ':' IDENT '(' ctwords ')' {
          $$ = mk_clause(pc, AST_CLAUSE_DESTRUCTOR, @$);
          $$->function = mk_ident($3, @3);
          $$->param_type = mk_text(pc, @5);
      }
    | KW_INTRANPAYLOAD ':' IDENT IDENT {
          $$ = mk_clause(pc, AST_CLAUSE_INTRANPAYLOAD, @$);
          $$->dialect = AST_DIALECT_GNU;
          $$->ctype = mk_text(pc, @3);
          $$->function = mk_ident($4, @4);
      }
    ;

ctwords: ctword | ctwords ctword ;
ctword: IDENT | '*' | KW_STRUCT | KW_CONST ;

/* (args): arguments separated by ';' (a trailing ';' is accepted) */
args
    : '(' ')'                  { $$ = (struct arg_list){0}; }
    | '(' arg_list ')'         { $$ = $2; }
    | '(' arg_list ';' ')'     { $$ = $2; }
    | '(' arg_list error ')'   { $$ = $2; }
    ;

arg_list
    : arg                      { $$ = (struct arg_list){0}; LIST_APPEND($$, $1); }
    | error                    { $$ = (struct arg_list){0}; }
    | arg_list ';' arg         { $$ = $1; LIST_APPEND($$, $3); }
    | arg_list ';' error       { $$ = $1; }
    ;

/* [kind] name : type [, flag]* */
arg
    : arg_kind IDENT ':' arg_type arg_flags {
          $$ = ARENA_NEW(pc->arena, struct ast_arg);
          $$->span = @$;
          $$->kind = (enum ast_arg_kind)$1;
          $$->kind_span = @1;
          $$->name = mk_ident($2, @2);
          $$->type_form = $4.form;
          $$->type_name = $4.name;
          $$->maybe_type = $4.type;
          $$->clauses = $4.clauses;
          $$->n_clauses = $4.n_clauses;
          $$->flags = $5.head;
          $$->n_flags = $5.n;
          if ($4.form == AST_ARG_TYPE_ANONYMOUS)
              report_anonymous_type(pc, $$->name, $4.type);
      }
    | IDENT ':' arg_type arg_flags {
          $$ = ARENA_NEW(pc->arena, struct ast_arg);
          $$->span = @$;
          $$->kind = AST_ARG_DEFAULT;
          $$->name = mk_ident($1, @1);
          $$->type_form = $3.form;
          $$->type_name = $3.name;
          $$->maybe_type = $3.type;
          $$->clauses = $3.clauses;
          $$->n_clauses = $3.n_clauses;
          $$->flags = $4.head;
          $$->n_flags = $4.n;
          if ($3.form == AST_ARG_TYPE_ANONYMOUS)
              report_anonymous_type(pc, $$->name, $3.type);
      }
    ;

arg_kind
    : KW_IN                 { $$ = AST_ARG_IN; }
    | KW_OUT                { $$ = AST_ARG_OUT; }
    | KW_INOUT              { $$ = AST_ARG_INOUT; }
    | KW_REQUESTPORT        { $$ = AST_ARG_REQUESTPORT; }
    | KW_REPLYPORT          { $$ = AST_ARG_REPLYPORT; }
    | KW_UREPLYPORT         { $$ = AST_ARG_UREPLYPORT; }
    | KW_SREPLYPORT         { $$ = AST_ARG_SREPLYPORT; }
    | KW_WAITTIME           { $$ = AST_ARG_WAITTIME; }
    | KW_SENDTIME           { $$ = AST_ARG_SENDTIME; }
    | KW_MSGOPTION          { $$ = AST_ARG_MSGOPTION; }
    | KW_MSGSEQNO           { $$ = AST_ARG_MSGSEQNO; }
    | KW_SECTOKEN           { $$ = AST_ARG_SECTOKEN; }
    | KW_SERVERSECTOKEN     { $$ = AST_ARG_SERVERSECTOKEN; }
    | KW_USERSECTOKEN       { $$ = AST_ARG_USERSECTOKEN; }
    | KW_AUDITTOKEN         { $$ = AST_ARG_AUDITTOKEN; }
    | KW_SERVERAUDITTOKEN   { $$ = AST_ARG_SERVERAUDITTOKEN; }
    | KW_USERAUDITTOKEN     { $$ = AST_ARG_USERAUDITTOKEN; }
    | KW_SERVERCONTEXTTOKEN { $$ = AST_ARG_SERVERCONTEXTTOKEN; }
    | KW_SERVERIMPL         { $$ = AST_ARG_SERVERIMPL; }
    | KW_USERIMPL           { $$ = AST_ARG_USERIMPL; }
    ;

arg_type
    : IDENT {
          $$ = (struct arg_type_val){AST_ARG_TYPE_NAMED, mk_ident($1, @1), NULL, NULL, 0};
      }
    | IDENT '=' type_spec clauses {
          // As in a `type` statement: `= MACH_MSG_TYPE_MOVE_SEND ctype: mach_port_t`.
          $$ = (struct arg_type_val){AST_ARG_TYPE_INLINE, mk_ident($1, @1), $3, $4.head, $4.n};
      }
    | native_spec {
          $$ = (struct arg_type_val){AST_ARG_TYPE_NATIVE, mk_ident(NULL, @1), $1, NULL, 0};
      }
    | compound_spec {
          $$ = (struct arg_type_val){AST_ARG_TYPE_ANONYMOUS, mk_ident(NULL, @1), $1, NULL, 0};
      }
    | NUMBER {
          struct ast_type_expr *t = mk_type(pc, AST_TYPE_NUMBER, @1, NULL);
          t->u.number = mk_number(pc, $1, @1);
          $$ = (struct arg_type_val){AST_ARG_TYPE_ANONYMOUS, mk_ident(NULL, @1), t, NULL, 0};
      }
    ;

arg_flags
    : %empty               { $$ = (struct flag_list){0}; }
    | arg_flags ',' flag   { $$ = $1; LIST_APPEND($$, $3); }
    ;

flag
    : flag_word          { $$ = mk_flag(pc, $1, @$); }
    | flag_word '[' ']'  { $$ = mk_flag(pc, $1, @$); $$->has_brackets = true; }
    ;

flag_word
    : KW_DEALLOC      { $$ = AST_FLAG_DEALLOC; }
    | KW_NOTDEALLOC   { $$ = AST_FLAG_NOTDEALLOC; }
    | KW_COUNTINOUT   { $$ = AST_FLAG_COUNTINOUT; }
    | KW_SAMECOUNT    { $$ = AST_FLAG_SAMECOUNT; }
    | KW_PHYSICALCOPY { $$ = AST_FLAG_PHYSICALCOPY; }
    | KW_OVERWRITE    { $$ = AST_FLAG_OVERWRITE; }
    | KW_RETCODE      { $$ = AST_FLAG_RETCODE; }
    | KW_AUTO         { $$ = AST_FLAG_AUTO; }
    | KW_CONST        { $$ = AST_FLAG_CONST; }
    | KW_SERVERCOPY   { $$ = AST_FLAG_SERVERCOPY; }
    | KW_SAMETYPE     { $$ = AST_FLAG_SAMETYPE; }
    | KW_ISLONG       { $$ = AST_FLAG_ISLONG; }
    | KW_ISNOTLONG    { $$ = AST_FLAG_ISNOTLONG; }
    ;

%%

// ---------------------------------------------------------------------------------------------
// Node construction

static struct ast_ident mk_ident(const char *name, struct src_span span) {
    struct ast_ident id = {name, span};
    return id;
}

static struct ast_text mk_string(const char *s, struct src_span span) {
    struct ast_text t = {s, span, true};
    return t;
}

// The source text of `span` with every run of white space made one space.
static struct ast_text mk_text(struct parse_ctx *pc, struct src_span span) {
    size_t begin = span.begin.offset, end = span.end.offset;
    if (end > pc->src->len)
        end = pc->src->len;
    if (begin > end)
        begin = end;
    char *out = arena_alloc(pc->arena, end - begin + 1);
    size_t n = 0;
    bool space = false;
    for (size_t i = begin; i < end; i++) {
        char c = pc->src->text[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
            space = true;
            continue;
        }
        if (space && n)
            out[n++] = ' ';
        space = false;
        out[n++] = c;
    }
    out[n] = '\0';
    struct ast_text t = {out, span, false};
    return t;
}

static struct ast_stmt *mk_stmt(struct parse_ctx *pc, enum ast_stmt_kind kind, struct src_span span) {
    struct ast_stmt *s = ARENA_NEW(pc->arena, struct ast_stmt);
    s->kind = kind;
    s->span = span;
    s->keyword_span = span;
    switch (kind) { // statements GNU MIG does not have
    case AST_SENDTIME:
    case AST_NOSENDTIME:
    case AST_ERROR:
    case AST_USE_SPECIAL_REPLY_PORT:
    case AST_CONSUME_ON_SEND_ERROR:
    case AST_USER_TYPE_LIMIT:
    case AST_ON_STACK_LIMIT:
        s->dialect = AST_DIALECT_APPLE;
        break;
    default:
        break;
    }
    return s;
}

static void report_too_deep(struct parse_ctx *pc, struct src_span span) {
    if (pc->depth_reported)
        return;
    pc->depth_reported = true;
    pc->errors++;
    diag_report(pc->diags, DIAG_NESTING_TOO_DEEP, span);
}

static struct ast_expr *mk_number(struct parse_ctx *pc, uint64_t value, struct src_span span) {
    struct ast_expr *e = ARENA_NEW(pc->arena, struct ast_expr);
    e->kind = AST_EXPR_NUMBER;
    e->span = span;
    e->depth = 1;
    e->u.number = value;
    return e;
}

static struct ast_expr *mk_binary(struct parse_ctx *pc, enum ast_binop op, struct ast_expr *lhs,
                                  struct ast_expr *rhs, struct src_span span) {
    unsigned depth = (lhs->depth > rhs->depth ? lhs->depth : rhs->depth) + 1;
    if (depth > AST_MAX_DEPTH) {
        report_too_deep(pc, span);
        return lhs;
    }
    struct ast_expr *e = ARENA_NEW(pc->arena, struct ast_expr);
    e->kind = AST_EXPR_BINARY;
    e->span = span;
    e->depth = depth;
    e->u.binary.op = op;
    e->u.binary.lhs = lhs;
    e->u.binary.rhs = rhs;
    return e;
}

static struct ast_type_expr *mk_type(struct parse_ctx *pc, enum ast_type_kind kind,
                                     struct src_span span, const struct ast_type_expr *inner) {
    struct ast_type_expr *t = ARENA_NEW(pc->arena, struct ast_type_expr);
    t->kind = kind;
    t->span = span;
    t->depth = inner ? inner->depth + 1 : 1;
    if (t->depth > AST_MAX_DEPTH) {
        // Keep the tree bounded: the error stops the compilation, the node stands in for it.
        report_too_deep(pc, span);
        t->depth = AST_MAX_DEPTH;
    }
    if (kind == AST_TYPE_NATIVE)
        t->dialect = AST_DIALECT_APPLE;
    return t;
}

static struct ast_type_expr *mk_array(struct parse_ctx *pc, enum ast_array_kind kind, bool star,
                                      struct ast_expr *size, struct ast_type_expr *element,
                                      struct src_span span) {
    struct ast_type_expr *t = mk_type(pc, AST_TYPE_ARRAY, span, element);
    t->u.array.kind = kind;
    t->u.array.star = star;
    t->u.array.maybe_size = size;
    t->u.array.element = element;
    return t;
}

static struct ast_clause *mk_clause(struct parse_ctx *pc, enum ast_clause_kind kind,
                                    struct src_span span) {
    struct ast_clause *c = ARENA_NEW(pc->arena, struct ast_clause);
    c->kind = kind;
    c->span = span;
    return c;
}

static struct ast_flag *mk_flag(struct parse_ctx *pc, int kind, struct src_span span) {
    struct ast_flag *f = ARENA_NEW(pc->arena, struct ast_flag);
    f->kind = (enum ast_flag_kind)kind;
    f->span = span;
    switch (f->kind) {
    case AST_FLAG_SERVERCOPY:
    case AST_FLAG_SAMETYPE:
    case AST_FLAG_ISLONG:
    case AST_FLAG_ISNOTLONG:
        f->dialect = AST_DIALECT_GNU;
        break;
    case AST_FLAG_SAMECOUNT:
    case AST_FLAG_PHYSICALCOPY:
    case AST_FLAG_OVERWRITE:
    case AST_FLAG_AUTO:
    case AST_FLAG_CONST:
        f->dialect = AST_DIALECT_APPLE;
        break;
    default:
        f->dialect = AST_DIALECT_COMMON;
        break;
    }
    return f;
}

static void append_stmt(struct parse_ctx *pc, struct ast_stmt *stmt, struct src_span span) {
    struct src_span keyword = stmt->span;
    stmt->span = span;
    stmt->keyword_span = keyword;
    // The keyword span is the first token of the body: shorten it to its end.
    size_t end = keyword.begin.offset;
    while (end < pc->src->len && end < keyword.end.offset) {
        char c = pc->src->text[end];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_'))
            break;
        end++;
    }
    stmt->keyword_span = src_file_span(pc->src, keyword.begin.offset, end);
    if (pc->last_stmt)
        pc->last_stmt->next = stmt;
    else
        pc->file->stmts = stmt;
    pc->last_stmt = stmt;
    pc->file->n_stmts++;
}

// ---------------------------------------------------------------------------------------------
// Syntax errors

// A token as the user wrote it, quoted, shortened and with unprintable bytes escaped.
static const char *token_text(struct parse_ctx *pc, struct src_span span) {
    size_t begin = span.begin.offset, end = span.end.offset;
    if (end > pc->src->len)
        end = pc->src->len;
    if (begin >= end)
        return "end of file";
    struct strbuf sb = STRBUF_INIT;
    strbuf_putc(&sb, '\'');
    for (size_t i = begin; i < end; i++) {
        unsigned char c = (unsigned char)pc->src->text[i];
        if (i - begin >= 40) {
            strbuf_puts(&sb, "...");
            break;
        }
        if (c >= 0x20 && c < 0x7f)
            strbuf_putc(&sb, (char)c);
        else
            strbuf_printf(&sb, "\\x%02x", c);
    }
    strbuf_putc(&sb, '\'');
    const char *s = arena_strndup(pc->arena, strbuf_cstr(&sb), sb.len);
    strbuf_fini(&sb);
    return s;
}

static bool symbol_is_keyword(yysymbol_kind_t sym) {
    return sym >= YYSYMBOL_KW_ARRAY && sym <= YYSYMBOL_KW_WAITTIME;
}

static bool token_is_keyword(int token) { return token >= KW_ARRAY && token <= KW_WAITTIME; }

static bool symbol_starts_statement(yysymbol_kind_t sym) {
    switch (sym) {
    case YYSYMBOL_KW_SUBSYSTEM: case YYSYMBOL_KW_ROUTINE: case YYSYMBOL_KW_SIMPLEROUTINE:
    case YYSYMBOL_KW_TYPE: case YYSYMBOL_KW_IMPORT: case YYSYMBOL_KW_UIMPORT:
    case YYSYMBOL_KW_SIMPORT: case YYSYMBOL_KW_DIMPORT: case YYSYMBOL_KW_IIMPORT:
    case YYSYMBOL_KW_SKIP: case YYSYMBOL_KW_SERVERPREFIX: case YYSYMBOL_KW_USERPREFIX:
    case YYSYMBOL_KW_SERVERDEMUX: case YYSYMBOL_KW_RCSID:
        return true;
    default:
        return false;
    }
}

// How an expected token is named in a message: "';'", "identifier", "'routine'".
static const char *symbol_display(yysymbol_kind_t sym) {
    switch (sym) {
    case YYSYMBOL_YYEOF: return "end of file";
    case YYSYMBOL_IDENT: return "identifier";
    case YYSYMBOL_NUMBER: return "number";
    case YYSYMBOL_STRING: return "string";
    case YYSYMBOL_SYSFILE: return "<file name>";
    default: return yysymbol_name(sym);
    }
}

static bool src_loc_same_line(struct src_loc a, struct src_loc b) {
    return a.file == b.file && a.line == b.line;
}

enum { MAX_EXPECTED_LISTED = 6 };

static int yyreport_syntax_error(const yypcontext_t *yyctx, yyscan_t scanner, struct parse_ctx *pc) {
    (void)scanner;
    yysymbol_kind_t la = yypcontext_token(yyctx);
    struct src_span where = *yypcontext_location(yyctx);
    // One error per mistake: the lexer already reported this token or the one before (an
    // unterminated string swallows the ';'), or the input ended inside a comment it reported.
    if (pc->lex_error_before_cur || pc->lex_error_before_prev ||
        (pc->lexer_stopped && la == YYSYMBOL_YYEOF))
        return 0;
    pc->errors++;

    yysymbol_kind_t expected[YYNTOKENS];
    int n = yypcontext_expected_tokens(yyctx, expected, YYNTOKENS);
    if (n < 0)
        n = 0;
    bool want_ident = false, want_semicolon = false, want_statement = false, want_rparen = false;
    bool want_type = false, want_flag = false;
    for (int i = 0; i < n; i++) {
        want_ident |= expected[i] == YYSYMBOL_IDENT;
        want_semicolon |= expected[i] == YYTRANSLATE(';');
        want_rparen |= expected[i] == YYTRANSLATE(')');
        want_statement |= expected[i] == YYSYMBOL_KW_ROUTINE;
        want_type |= expected[i] == YYSYMBOL_KW_ARRAY;
        want_flag |= expected[i] == YYSYMBOL_KW_DEALLOC;
    }
    bool new_line = la == YYSYMBOL_YYEOF || !src_loc_same_line(pc->prev_span.end, where.begin);

    if (want_ident && symbol_is_keyword(la) && !(new_line && symbol_starts_statement(la))) {
        diag_report(pc->diags, DIAG_KEYWORD_AS_NAME, where,
                    arena_strndup(pc->arena, pc->src->text + where.begin.offset,
                                  where.end.offset - where.begin.offset));
        diag_report(pc->diags, DIAG_NOTE_KEYWORD_RENAME, where);
        return 0;
    }
    if (want_ident && la == YYTRANSLATE(':') && token_is_keyword(pc->prev_token)) {
        struct src_span kw = pc->prev_span;
        diag_report(pc->diags, DIAG_KEYWORD_AS_NAME, kw,
                    arena_strndup(pc->arena, pc->src->text + kw.begin.offset,
                                  kw.end.offset - kw.begin.offset));
        diag_report(pc->diags, DIAG_NOTE_KEYWORD_RENAME, kw);
        return 0;
    }
    const char *found = la == YYSYMBOL_YYEOF ? "end of file" : token_text(pc, where);
    if (want_statement && want_ident) {
        // Only inside PointerTo(...) and friends is every keyword acceptable next to a name.
        diag_report(pc->diags, DIAG_EXPECTED_BEFORE, where, "a C type", found);
        return 0;
    }
    if (want_statement) {
        diag_report(pc->diags, DIAG_EXPECTED_STATEMENT, where, found);
        return 0;
    }
    if (want_semicolon && !want_rparen && new_line && pc->prev_token) {
        struct src_span after = {pc->prev_span.end, pc->prev_span.end};
        diag_report_fixit(pc->diags, DIAG_MISSING_SEMICOLON, after, ";",
                          token_text(pc, pc->prev_span));
        return 0;
    }
    if (want_rparen && new_line && (la == YYSYMBOL_YYEOF || symbol_starts_statement(la))) {
        diag_report(pc->diags, DIAG_EXPECTED_BEFORE, where, "')'", found);
        return 0;
    }
    if (want_type) {
        diag_report(pc->diags, DIAG_EXPECTED_TYPE, where, found);
        return 0;
    }
    if (want_flag) {
        diag_report(pc->diags, DIAG_EXPECTED_FLAG, where, found);
        return 0;
    }
    if (n > MAX_EXPECTED_LISTED && want_semicolon) {
        diag_report(pc->diags, DIAG_EXPECTED_BEFORE, where, "';'", found);
        return 0;
    }
    if (n == 0 || n > MAX_EXPECTED_LISTED) {
        diag_report(pc->diags, DIAG_UNEXPECTED_TOKEN, where, found);
        return 0;
    }
    struct strbuf list = STRBUF_INIT;
    for (int i = 0; i < n; i++) {
        if (i)
            strbuf_puts(&list, i == n - 1 ? " or " : ", ");
        strbuf_puts(&list, symbol_display(expected[i]));
    }
    const char *expected_text = arena_strndup(pc->arena, strbuf_cstr(&list), list.len);
    strbuf_fini(&list);
    diag_report(pc->diags, DIAG_EXPECTED_BEFORE, where, expected_text, found);
    return 0;
}

// Bison calls this only when its stack is exhausted (input nested too deeply).
static void yyerror(YYLTYPE *loc, yyscan_t scanner, struct parse_ctx *pc, const char *msg) {
    (void)scanner;
    (void)msg;
    pc->depth_reported = false;
    report_too_deep(pc, *loc);
}

static void report_anonymous_type(struct parse_ctx *pc, struct ast_ident name,
                                  struct ast_type_expr *type) {
    pc->errors++;
    diag_report(pc->diags, DIAG_ANONYMOUS_ARG_TYPE, type->span, name.name);
    struct ast_text spelled = mk_text(pc, type->span);
    const char *fix = arena_printf(pc->arena, "%s_t = %s", name.name, spelled.text);
    diag_report(pc->diags, DIAG_NOTE_NAME_THE_TYPE, type->span, name.name, fix);
}

// ---------------------------------------------------------------------------------------------
// Entry point

#include "parse/lexer.h"
#include "parse/parse.h"
#include "support/migc.h"

struct ast_file *parse_source(struct migc *ctx, const char *name, const char *text, size_t len) {
    struct parse_ctx pc = {0};
    pc.arena = ctx->arena;
    pc.diags = ctx->diags;
    pc.file = ARENA_NEW(ctx->arena, struct ast_file);
    if (len > MIGC_MAX_INPUT_BYTES) { // flex would cut it short: refuse it whole
        migc_report_too_large(ctx, name ? name : "<input>", "it is", len);
        pc.file->src = src_file_create(ctx->arena, name, "", 0);
        pc.file->syntax_errors = 1;
        return pc.file;
    }
    pc.src = src_file_create(ctx->arena, name, text, len);
    pc.file->src = pc.src;
    keyword_index_init(&pc.keywords);
    diag_engine_set_source(ctx->diags, pc.src);

    yyscan_t scanner;
    if (yylex_init_extra(&pc, &scanner) != 0) {
        fprintf(stderr, "mig: out of memory\n");
        abort();
    }
    // flex scans in place and writes into its buffer while it works, so it gets its own copy
    // (with the two end-of-buffer bytes it needs), from the pre-faulted arena.
    char *scan = arena_alloc(ctx->arena, pc.src->len + 2);
    memcpy(scan, pc.src->text, pc.src->len);
    YY_BUFFER_STATE buffer = yy_scan_buffer(scan, pc.src->len + 2, scanner);
    yyparse(scanner, &pc);
    yy_delete_buffer(buffer, scanner);
    yylex_destroy(scanner);
    pc.file->syntax_errors = pc.errors;
    return pc.file;
}
