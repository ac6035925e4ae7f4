// The KernelServer flavour of the server output: the pieces Apple's MIG puts under
// `#if __MigKernelSpecificCode` (header port macros seen from inside the kernel, received-form
// dispositions, vm_map_copy_discard, ipc_port_release_send, the circularity check, strnlen).
// A user-space build (the macro 0 or undefined) compiles the ordinary code of the #else branch.
#include "emit/emit_common.h"

static void kernel_if(struct emitter *e) { em_pp(e, "#if\t__MigKernelSpecificCode"); }
static void kernel_else(struct emitter *e) { em_pp(e, "#else"); }
static void kernel_endif(struct emitter *e) { em_pp(e, "#endif /* __MigKernelSpecificCode */"); }

void emit_server_port_macros(struct emitter *e, bool kernel_server) {
    if (kernel_server) {
        // Inside the kernel the request has not been copied out yet: the destination is still
        // the remote port and the reply port the local one.
        kernel_if(e);
        em_pp(e, "#define msgh_request_port\tmsgh_remote_port");
        em_pp(e, "#define MACH_MSGH_BITS_REQUEST(bits)\tMACH_MSGH_BITS_REMOTE(bits)");
        em_pp(e, "#define msgh_reply_port\t\tmsgh_local_port");
        em_pp(e, "#define MACH_MSGH_BITS_REPLY(bits)\tMACH_MSGH_BITS_LOCAL(bits)");
        kernel_else(e);
    }
    em_pp(e, "#define msgh_request_port\tmsgh_local_port");
    em_pp(e, "#define MACH_MSGH_BITS_REQUEST(bits)\tMACH_MSGH_BITS_LOCAL(bits)");
    em_pp(e, "#define msgh_reply_port\t\tmsgh_remote_port");
    em_pp(e, "#define MACH_MSGH_BITS_REPLY(bits)\tMACH_MSGH_BITS_REMOTE(bits)");
    if (kernel_server)
        kernel_endif(e);
}

void emit_reply_disposition(struct emitter *e, bool kernel_server, const char *lvalue,
                            const struct ir_type *t) {
    if (!kernel_server) {
        em_line(e, "%s.disposition = %s;", lvalue, t->in_name.name);
        return;
    }
    // The kernel holds the rights it sends already: the reply carries them in received form.
    kernel_if(e);
    em_line(e, "%s.disposition = %s;", lvalue, t->out_name.name);
    kernel_else(e);
    em_line(e, "%s.disposition = %s;", lvalue, t->in_name.name);
    kernel_endif(e);
}

void emit_ool_discard(struct emitter *e, bool kernel_server, const char *field) {
    if (kernel_server) {
        kernel_if(e);
        em_line(e, "vm_map_copy_discard((vm_map_copy_t)In0P->%s.address);", field);
        kernel_else(e);
    }
    em_line(e, "mig_deallocate((vm_offset_t)In0P->%s.address, In0P->%s.size);", field, field);
    if (kernel_server)
        kernel_endif(e);
}

// A translated send right in the request body: the work function saw the translation, so after
// a success the stub releases the right the request brought (Apple's rule: intran and received
// as PORT_SEND, one port descriptor).
static bool releases_send_right(const struct ir_arg *a) {
    const struct ir_field *f = a->maybe_request_field;
    return a->on_server_side && a->type->maybe_intran != NULL && a->dir != IR_DIR_OUT &&
           f != NULL && f->kind == IR_FIELD_PORT_DESC && f->array_count == 0 &&
           a->type->out_name.number == 17 /* MACH_MSG_TYPE_PORT_SEND */;
}

bool emit_kernel_releases_ports(const struct ir_module *ir, const struct ir_routine *rt) {
    if (!ir->kernel_server)
        return false;
    for (size_t i = 0; i < rt->arg_count; i++)
        if (releases_send_right(&rt->args[i]))
            return true;
    return false;
}

void emit_kernel_port_release(struct emitter *e, const struct ir_module *ir,
                              const struct ir_routine *rt, bool only_on_success) {
    if (!emit_kernel_releases_ports(ir, rt))
        return;
    kernel_if(e);
    if (only_on_success)
        em_open(e, "if (RetCode == KERN_SUCCESS)");
    for (size_t i = rt->arg_count; i-- > 0;) { // in reverse, as Apple's stubs do
        const struct ir_arg *a = &rt->args[i];
        if (!releases_send_right(a))
            continue;
        const char *name = a->maybe_request_field->name;
        em_line(e, "if (IP_VALID((ipc_port_t)In0P->%s.name))", name);
        em_line(e, "\tipc_port_release_send((ipc_port_t)In0P->%s.name);", name);
    }
    if (only_on_success)
        em_close(e, "");
    kernel_endif(e);
}

void emit_kernel_circularity(struct emitter *e, const struct ir_module *ir,
                             const struct ir_field *f) {
    const struct ir_arg *a = f->maybe_arg;
    int32_t received = a->type->out_name.number;
    if (!ir->kernel_server || f->array_count > 0 ||
        (received != 16 /* PORT_RECEIVE */ && received != -1 /* polymorphic */))
        return;
    // A receive right travelling back on the reply port's own queue would make a loop the
    // kernel could never free: the reply is marked circular then.
    bool poly = received == -1 && a->maybe_poly;
    kernel_if(e);
    if (poly) {
        em_line(e, "if (%s == MACH_MSG_TYPE_PORT_RECEIVE)", a->maybe_poly->name);
        em_indent(e, 1);
    }
    em_line(e, "if (IP_VALID((ipc_port_t) In0P->Head.msgh_reply_port) &&");
    em_line(e, "    IP_VALID((ipc_port_t) Out0P->%s.name) &&", f->name);
    em_line(e, "    ipc_port_check_circularity((ipc_port_t) Out0P->%s.name, "
               "(ipc_port_t) In0P->Head.msgh_reply_port))",
            f->name);
    em_line(e, "\tOut0P->Head.msgh_bits |= MACH_MSGH_BITS_CIRCULAR;");
    if (poly)
        em_indent(e, -1);
    kernel_endif(e);
}

void emit_string_terminated_check(struct emitter *e, bool kernel_server, const char *ptr,
                                  const char *length, const char *bad) {
    if (kernel_server) {
        // The kernel has strnlen but no memchr.
        kernel_if(e);
        em_line(e, "if (strnlen(%s, %s) >= %s)", ptr, length, length);
        em_line(e, "\treturn %s; /* string not terminated in its buffer */", bad);
        kernel_else(e);
    }
    em_line(e, "if (memchr(%s, '\\0', %s) == NULL)", ptr, length);
    em_line(e, "\treturn %s; /* string not terminated in its buffer */", bad);
    if (kernel_server)
        kernel_endif(e);
}
