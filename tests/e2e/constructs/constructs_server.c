/* The work functions of constructs.defs: each transforms its inputs in a way the client test
 * can verify, and follows Mach's ownership rule (on success it owns what the request carried). */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <mach/mach.h>
#include <mach/mach_port.h>
#include <mach/vm_map.h>

#include "constructsServer.h"
#include "constructs_server.h"

int constructs_last_note;
int constructs_stop;
int constructs_max_delay_ms = 10000;

kern_return_t do_add(mach_port_t server, int a, int b, int *sum) {
    (void)server;
    *sum = (int)((unsigned)a + (unsigned)b); /* hostile inputs (the fuzzer) may overflow */
    return KERN_SUCCESS;
}

kern_return_t do_note(mach_port_t server, int value) {
    (void)server;
    constructs_last_note = value;
    return KERN_SUCCESS;
}

kern_return_t do_bump(mach_port_t server, int64_t *v) {
    (void)server;
    *v = (int64_t)((uint64_t)*v * 2 + 1);
    return KERN_SUCCESS;
}

kern_return_t do_structs(mach_port_t server, point_t p, point_t *q) {
    (void)server;
    q->x = p.y;
    q->y = p.x;
    return KERN_SUCCESS;
}

kern_return_t do_fixed(mach_port_t server, quad_t a, quad_t b) {
    (void)server;
    for (int i = 0; i < 4; i++)
        b[i] = (int)((unsigned)a[i] * 2u);
    return KERN_SUCCESS;
}

kern_return_t do_varr(mach_port_t server, ints_t a, mach_msg_type_number_t aCnt, ints_t b,
                   mach_msg_type_number_t *bCnt) {
    (void)server;
    for (mach_msg_type_number_t i = 0; i < aCnt; i++)
        b[i] = a[aCnt - 1 - i];
    *bCnt = aCnt;
    return KERN_SUCCESS;
}

kern_return_t do_strings(mach_port_t server, name_t s, vname_t vs, name_t o, vname_t vo) {
    (void)server;
    /* o = s "|" vs, cut to the 31 characters o can hold */
    size_t n = 0;
    for (const char *p = s; *p && n < 31; p++)
        o[n++] = *p;
    if (n < 31)
        o[n++] = '|';
    for (const char *p = vs; *p && n < 31; p++)
        o[n++] = *p;
    o[n] = '\0';
    size_t m = strlen(vs);
    for (size_t i = 0; i < m; i++)
        vo[i] = vs[m - 1 - i];
    return KERN_SUCCESS;
}

kern_return_t do_two_var(mach_port_t server, bytes_t a, mach_msg_type_number_t aCnt, ints_t b,
                      mach_msg_type_number_t bCnt, int tail, bytes_t c,
                      mach_msg_type_number_t *cCnt, ints_t d, mach_msg_type_number_t *dCnt,
                      int *t) {
    (void)server;
    for (mach_msg_type_number_t i = 0; i < aCnt; i++)
        c[i] = (char)(a[aCnt - 1 - i] + 1);
    *cCnt = aCnt;
    for (mach_msg_type_number_t i = 0; i < bCnt; i++)
        d[i] = (int)((unsigned)b[i] * 3u);
    *dCnt = bCnt;
    *t = (int)((unsigned)tail + 1u);
    return KERN_SUCCESS;
}

kern_return_t do_ool_in(mach_port_t server, ool_ints_t data, mach_msg_type_number_t dataCnt,
                     int *sum) {
    (void)server;
    unsigned s = 0;
    for (mach_msg_type_number_t i = 0; i < dataCnt; i++)
        s += (unsigned)data[i];
    *sum = (int)s; /* the stub frees data (array[] arrives out of line) */
    return KERN_SUCCESS;
}

kern_return_t do_ool_out(mach_port_t server, int n, buf_t *data, mach_msg_type_number_t *dataCnt) {
    (void)server;
    vm_address_t addr = 0;
    if (n < 0 || n > (1 << 20) ||
        vm_allocate(mach_task_self(), &addr, (vm_size_t)n, VM_FLAGS_ANYWHERE) != 0)
        return KERN_INVALID_ARGUMENT;
    for (int i = 0; i < n; i++)
        ((char *)addr)[i] = (char)(i * 7);
    *data = (buf_t)addr; /* `dealloc`: the reply moves the memory to the client */
    *dataCnt = (mach_msg_type_number_t)n;
    return KERN_SUCCESS;
}

kern_return_t do_buf_in(mach_port_t server, buf_t data, mach_msg_type_number_t dataCnt, int *sum) {
    (void)server;
    int s = 0;
    for (mach_msg_type_number_t i = 0; i < dataCnt; i++)
        s += (unsigned char)data[i];
    *sum = s;
    /* ^array: the work function owns the memory once it returns success. */
    (void)vm_deallocate(mach_task_self(), (vm_address_t)data, dataCnt);
    return KERN_SUCCESS;
}

kern_return_t do_port_in(mach_port_t server, mach_port_t p, mach_port_t q, mach_port_type_t *p_type) {
    (void)server;
    mach_port_type_t tq = 0;
    kern_return_t kr = mach_port_type(mach_task_self(), p, p_type);
    if (kr == KERN_SUCCESS)
        kr = mach_port_type(mach_task_self(), q, &tq);
    if (kr != KERN_SUCCESS || !(tq & MACH_PORT_TYPE_SEND))
        return KERN_FAILURE;
    /* Success: both send rights are ours now. */
    (void)mach_port_deallocate(mach_task_self(), p);
    (void)mach_port_deallocate(mach_task_self(), q);
    return KERN_SUCCESS;
}

mach_port_t constructs_server_made_port = MACH_PORT_NULL;

kern_return_t do_port_out(mach_port_t server, mach_port_t *p) {
    (void)server;
    /* A port whose receive right the server keeps; the reply makes a send right for the client. */
    kern_return_t kr = mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE,
                                          &constructs_server_made_port);
    *p = constructs_server_made_port;
    return kr;
}

kern_return_t do_poly(mach_port_t server, mach_port_t p, mach_msg_type_name_t pPoly, mach_port_t *q,
                   mach_msg_type_name_t *qPoly) {
    (void)server;
    if (pPoly != MACH_MSG_TYPE_PORT_SEND)
        return KERN_INVALID_RIGHT;
    *q = p; /* hand the same send right back, moving it */
    *qPoly = MACH_MSG_TYPE_MOVE_SEND;
    return KERN_SUCCESS;
}

kern_return_t do_port_arrays(mach_port_t server, three_ports_t a, ports_t b,
                          mach_msg_type_number_t bCnt, move_ports_t *c, mach_msg_type_number_t *cCnt) {
    (void)server;
    /* Send back a's rights and b's rights in one out-of-line array (moving our send rights). */
    vm_address_t addr = 0;
    mach_msg_type_number_t n = 3 + bCnt;
    if (vm_allocate(mach_task_self(), &addr, n * sizeof(mach_port_t), VM_FLAGS_ANYWHERE) != 0)
        return KERN_RESOURCE_SHORTAGE;
    mach_port_t *out = (mach_port_t *)addr;
    for (int i = 0; i < 3; i++)
        out[i] = a[i];
    for (mach_msg_type_number_t i = 0; i < bCnt; i++)
        out[3 + i] = b[i];
    (void)vm_deallocate(mach_task_self(), (vm_address_t)b, bCnt * sizeof(mach_port_t));
    *c = out;
    *cCnt = n;
    return KERN_SUCCESS;
}

kern_return_t do_small(mach_port_t server, small_t c, small_t *d) {
    (void)server;
    *d = (small_t)(c - 1);
    return KERN_SUCCESS;
}

kern_return_t do_seq(mach_port_t server, mach_port_seqno_t seqno, audit_token_t tok, natural_t *s,
                  int *pid) {
    (void)server;
    *s = seqno;
    *pid = (int)tok.val[5]; /* Darwin's audit token carries the pid in val[5] */
    return KERN_SUCCESS;
}

kern_return_t do_timed(mach_port_t server, int delay_ms, int *r) {
    (void)server;
    if (delay_ms < 0 || delay_ms > constructs_max_delay_ms)
        delay_ms = constructs_max_delay_ms;
    struct timespec ts = {delay_ms / 1000, (long)(delay_ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    *r = delay_ms;
    return KERN_SUCCESS;
}

kern_return_t do_counted(mach_port_t server, ints_t data, mach_msg_type_number_t *dataCnt) {
    (void)server;
    /* Produces up to 16 values, but no more than the caller said it has room for. */
    mach_msg_type_number_t n = *dataCnt < 16 ? *dataCnt : 16;
    for (mach_msg_type_number_t i = 0; i < n; i++)
        data[i] = (int)(100 + i);
    *dataCnt = n;
    return KERN_SUCCESS;
}

kern_return_t do_rcv(mach_port_t server, mach_port_t *r) {
    (void)server;
    return mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, r);
}

kern_return_t do_fail_with(mach_port_t server, buf_t data, mach_msg_type_number_t dataCnt,
                        mach_port_t p, mach_port_t q) {
    (void)server, (void)data, (void)dataCnt, (void)p, (void)q;
    /* An error: the server loop destroys the request, with its memory and rights, once. */
    return KERN_FAILURE;
}

kern_return_t do_vanish(mach_port_t server, mach_port_t reply) {
    (void)server;
    /* Drop the reply right without answering: the client sees a send-once notification. */
    (void)mach_port_deallocate(mach_task_self(), reply);
    return MIG_NO_REPLY;
}

kern_return_t do_shutdown(mach_port_t server) {
    (void)server;
    constructs_stop = 1;
    return KERN_SUCCESS;
}
