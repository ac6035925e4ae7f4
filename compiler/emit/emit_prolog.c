// Fixed text shared by the generated files: the standard includes, the voucher hook, and the
// configuration macros users may predefine (mig-language 6.9). No IR is read here.
#include "emit/emit_common.h"

void emit_std_includes(struct emitter *e) {
    static const char *const headers[] = {
        "string.h",          "mach/ndr.h",      "mach/boolean.h",     "mach/kern_return.h",
        "mach/notify.h",     "mach/mach_types.h", "mach/message.h",   "mach/mig_errors.h",
        "mach/port.h",
    };
    for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++)
        em_pp(e, "#include <%s>", headers[i]);
}

void emit_std_type_includes(struct emitter *e) {
    em_pp(e, "#include <mach/std_types.h>");
    em_pp(e, "#include <mach/mig.h>");
    em_pp(e, "#include <mach/mach_types.h>");
}

// Apple's user stubs hand each request to voucher_mach_msg_set() when libdispatch provides it.
// The declaration is only made when the SDK has the support header, so elsewhere it is inert.
void emit_voucher_decls(struct emitter *e) {
    em_raw(e,
           "\n/* BEGIN VOUCHER CODE */\n\n"
           "#ifndef KERNEL\n"
           "#if defined(__has_include)\n"
           "#if __has_include(<mach/mig_voucher_support.h>)\n"
           "#ifndef USING_VOUCHERS\n"
           "#define USING_VOUCHERS\n"
           "#endif\n"
           "#ifndef __VOUCHER_FORWARD_TYPE_DECLS__\n"
           "#define __VOUCHER_FORWARD_TYPE_DECLS__\n"
           "#ifdef __cplusplus\n"
           "extern \"C\" {\n"
           "#endif\n"
           "\textern boolean_t voucher_mach_msg_set(mach_msg_header_t *msg) "
           "__attribute__((weak_import));\n"
           "#ifdef __cplusplus\n"
           "}\n"
           "#endif\n"
           "#endif /* __VOUCHER_FORWARD_TYPE_DECLS__ */\n"
           "#endif /* __has_include(<mach/mig_voucher_support.h>) */\n"
           "#endif /* __has_include */\n"
           "#endif /* !KERNEL */\n\n"
           "/* END VOUCHER CODE */\n\n");
}

// `#ifndef NAME / #define NAME VALUE / #endif`, the shape of every overridable default.
static void emit_default(struct emitter *e, const char *name, const char *value) {
    em_pp(e, "#ifndef %s", name);
    em_pp(e, "#define %s%s%s", name, value[0] ? "\t" : "", value);
    em_pp(e, "#endif /* %s */", name);
    em_blank(e);
}

// The hooks users may define to trace or wrap each stub: __DeclareSendRpc(num, name) and so on.
static void emit_hook_defaults(struct emitter *e, const char *side, const char *const *kinds,
                               size_t n) {
    for (size_t i = 0; i < n; i++) {
        char name[64];
        snprintf(name, sizeof name, "__%s%s", kinds[i], side);
        em_pp(e, "#ifndef %s", name);
        em_pp(e, "#define %s(_NUM_, _NAME_)", name);
        em_pp(e, "#endif /* %s */", name);
        em_blank(e);
    }
}

static void emit_common_macros(struct emitter *e) {
    emit_default(e, "mig_internal", "static __inline__");
    emit_default(e, "mig_external", "");
    em_pp(e, "#if !defined(__MigTypeCheck) && defined(TypeCheck)");
    em_pp(e, "#define __MigTypeCheck TypeCheck /* Legacy setting */");
    em_pp(e, "#endif /* !defined(__MigTypeCheck) */");
    em_blank(e);
    em_pp(e, "#if !defined(__MigKernelSpecificCode) && defined(_MIG_KERNEL_SPECIFIC_CODE_)");
    em_pp(e, "#define __MigKernelSpecificCode _MIG_KERNEL_SPECIFIC_CODE_ /* Legacy setting */");
    em_pp(e, "#endif /* !defined(__MigKernelSpecificCode) */");
    em_blank(e);
    emit_default(e, "LimitCheck", "0");
    emit_walign(e);
    emit_default(e, "UseStaticTemplates", "0");
}

// _WALIGN_ rounds up to the 4-byte unit of inline data; header typedefs use _WALIGNSZ_ too.
void emit_walign(struct emitter *e) {
    em_pp(e, "#if !defined(_WALIGN_)");
    em_pp(e, "#define _WALIGN_(x) (((x) + 3) & ~3)");
    em_pp(e, "#endif /* !defined(_WALIGN_) */");
    em_blank(e);
    em_pp(e, "#if !defined(_WALIGNSZ_)");
    em_pp(e, "#define _WALIGNSZ_(x) _WALIGN_(sizeof(x))");
    em_pp(e, "#endif /* !defined(_WALIGNSZ_) */");
    em_blank(e);
}

// After a failed send or receive the cached reply port may hold a late reply: the macro drops it
// unless the message never left (the send was refused before it was queued).
static void emit_reply_port_error_macro(struct emitter *e, const char *name) {
    em_rawf(e,
            "#ifndef %s\n"
            "#define %s(_R_) { \\\n"
            "\tswitch (_R_) { \\\n"
            "\tcase MACH_SEND_INVALID_DATA: \\\n"
            "\tcase MACH_SEND_INVALID_DEST: \\\n"
            "\tcase MACH_SEND_INVALID_HEADER: \\\n"
            "\t\tmig_put_reply_port(InP->Head.msgh_reply_port); \\\n"
            "\t\tbreak; \\\n"
            "\tdefault: \\\n"
            "\t\tmig_dealloc_reply_port(InP->Head.msgh_reply_port); \\\n"
            "\t} \\\n"
            "}\n"
            "#endif /* %s */\n\n",
            name, name, name);
}

void emit_user_prolog_macros(struct emitter *e) {
    emit_common_macros(e);
    // Apple's stubs name one macro per timeout flavour; both have the same body.
    emit_reply_port_error_macro(e, "__MachMsgErrorWithTimeout");
    emit_reply_port_error_macro(e, "__MachMsgErrorWithoutTimeout");
    static const char *const kinds[] = {"Declare", "Before", "After"};
    emit_hook_defaults(e, "SendRpc", kinds, 3);
    emit_hook_defaults(e, "SendSimple", kinds, 3);
    // Darwin's <mach/mig.h> supplies the option UseSpecialReplyPort stubs add; elsewhere none.
    emit_default(e, "__MigSpecialReplyPortMsgOption", "MACH_MSG_OPTION_NONE");
    em_pp(e, "#define msgh_request_port\tmsgh_remote_port");
    em_pp(e, "#define msgh_reply_port\t\tmsgh_local_port");
    em_blank(e);
}

void emit_server_prolog_macros(struct emitter *e, bool kernel_server) {
    emit_common_macros(e);
    emit_default(e, "MIG_SERVER_ROUTINE", "");
    static const char *const kinds[] = {"Declare", "Before", "After"};
    emit_hook_defaults(e, "RcvRpc", kinds, 3);
    emit_hook_defaults(e, "RcvSimple", kinds, 3);
    em_pp(e, "#define novalue void");
    em_blank(e);
    emit_server_port_macros(e, kernel_server);
    em_blank(e);
    em_raw(e,
           "#define MIG_RETURN_ERROR(X, code)\t{\\\n"
           "\t\t\t\t((mig_reply_error_t *)X)->RetCode = code;\\\n"
           "\t\t\t\t((mig_reply_error_t *)X)->NDR = NDR_record;\\\n"
           "\t\t\t\treturn;\\\n"
           "\t\t\t\t}\n\n");
}

// Layout assertions: _Static_assert in C, static_assert in C++. They hold only for the layout
// the typedefs were computed for (LP64, __MigPackStructs), so they are compiled only there. The
// macro brings its own semicolon so that its empty form leaves no stray ';' at file scope.
void emit_static_assert_macro(struct emitter *e) {
    em_pp(e, "#ifndef __MIG_LAYOUT_ASSERT");
    em_pp(e, "#if defined(__MigPackStructs) && defined(__LP64__)");
    em_pp(e, "#include <stddef.h>");
    em_pp(e, "#ifdef __cplusplus");
    em_pp(e, "#define __MIG_LAYOUT_ASSERT(e, m) static_assert(e, m);");
    em_pp(e, "#else");
    em_pp(e, "#define __MIG_LAYOUT_ASSERT(e, m) _Static_assert(e, m);");
    em_pp(e, "#endif");
    em_pp(e, "#else");
    em_pp(e, "#define __MIG_LAYOUT_ASSERT(e, m)");
    em_pp(e, "#endif");
    em_pp(e, "#endif /* __MIG_LAYOUT_ASSERT */");
    em_blank(e);
}
