/* test_stress.c: many threads and ports at once: RPCs through two port sets whose members
 * move while servers wait, OOL copies, send rights passed and used, ports dying with rights in
 * flight, receive rights moved and destroyed. Ends with every count back at its baseline.
 * Sized to run in seconds; run it under TSan or helgrind as well (docs/server-loops.md). */
#include "svc_support.h"

#include <mach/mig.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

void mig_reply_setup(mach_msg_header_t *request, mach_msg_header_t *reply);

#define SETS 2
#define PORTS_PER_SET 4
#define PORTS (SETS * PORTS_PER_SET)
#define SERVERS_PER_SET 2
#define CLIENTS 6
#define OPS_PER_CLIENT 2000
#define CHURN_MOVES 2000
#define OOL_SIZE 4096

enum {
    OP_ECHO = 5000,  /* simple RPC: value + 1 */
    OP_OOL,          /* OOL copy: reply with the checksum */
    OP_CALLBACK,     /* a send right: the server sends a message through it */
    OP_DYING_RIGHT,  /* a send right whose port dies in flight (no reply) */
    OP_MOVE_RECEIVE, /* a receive right the server destroys (no reply) */
    OP_STOP,         /* ends one server thread */
};

static mach_port_t sets[SETS];
static mach_port_t ports[PORTS]; /* ports[s * PORTS_PER_SET] is set s's anchor: never moves */
static atomic_int failures;

#define CHECK(cond) \
    do { \
        if (!(cond)) \
            atomic_fetch_add(&failures, 1); \
    } while (0)

#pragma pack(push, 4)
typedef struct {
    mach_msg_header_t Head;
    mach_msg_body_t body;
    union {
        mach_msg_ool_descriptor_t ool;
        mach_msg_port_descriptor_t port;
    } d;
    NDR_record_t NDR;
    int value;
} stress_msg_t;
#pragma pack(pop)

static unsigned int checksum(const unsigned char *data, size_t size) {
    unsigned int sum = 0;
    for (size_t i = 0; i < size; i++)
        sum = sum * 31 + data[i];
    return sum;
}

/* ---- servers ---- */

static _Thread_local bool server_stopped;

static void release_port_right(const stress_msg_t *request) {
    mach_port_t task = mach_task_self();
    if (request->d.port.disposition == MACH_MSG_TYPE_PORT_RECEIVE)
        CHECK(mach_port_mod_refs(task, request->d.port.name, MACH_PORT_RIGHT_RECEIVE, -1) ==
              KERN_SUCCESS);
    else if (request->d.port.name != MACH_PORT_DEAD)
        CHECK(mach_port_deallocate(task, request->d.port.name) == KERN_SUCCESS);
}

static boolean_t stress_demux(mach_msg_header_t *in, mach_msg_header_t *out) {
    const stress_msg_t *request = (const stress_msg_t *)in;
    mig_reply_setup(in, out);
    svc_simple_reply_t *reply = (svc_simple_reply_t *)out;
    reply->Head.msgh_size = sizeof *reply;
    reply->RetCode = KERN_SUCCESS;
    switch (in->msgh_id) {
    case OP_ECHO:
        reply->value = ((const svc_simple_msg_t *)in)->value + 1;
        return TRUE;
    case OP_OOL:
        reply->value = (int)checksum(request->d.ool.address, request->d.ool.size);
        CHECK(vm_deallocate(mach_task_self(), (vm_address_t)request->d.ool.address,
                            request->d.ool.size) == KERN_SUCCESS);
        return TRUE;
    case OP_CALLBACK: {
        mach_msg_header_t ping = {.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, 0),
                                  .msgh_size = sizeof ping,
                                  .msgh_remote_port = request->d.port.name,
                                  .msgh_id = OP_CALLBACK};
        CHECK(mach_msg(&ping, MACH_SEND_MSG, sizeof ping, 0, MACH_PORT_NULL, 0,
                       MACH_PORT_NULL) == MACH_MSG_SUCCESS);
        release_port_right(request);
        reply->value = request->value;
        return TRUE;
    }
    case OP_DYING_RIGHT:
    case OP_MOVE_RECEIVE:
        release_port_right(request);
        reply->RetCode = MIG_NO_REPLY;
        return TRUE;
    case OP_STOP:
        server_stopped = true;
        reply->RetCode = MIG_NO_REPLY;
        return TRUE;
    default:
        return FALSE;
    }
}

static void *server_main(void *arg) {
    mach_port_t set = (mach_port_t)(uintptr_t)arg;
    while (!server_stopped)
        CHECK(mach_msg_server_once(stress_demux, sizeof(stress_msg_t), set, 0) ==
              MACH_MSG_SUCCESS);
    return NULL;
}

/* ---- clients ---- */

static mach_msg_return_t send_to(mach_port_t dest, stress_msg_t *msg, mach_port_t reply_port,
                                 svc_buffer_t *reply) {
    msg->Head.msgh_bits |= MACH_MSGH_BITS(MACH_MSG_TYPE_MAKE_SEND,
                                          reply ? MACH_MSG_TYPE_MAKE_SEND_ONCE : 0);
    msg->Head.msgh_size = sizeof *msg;
    msg->Head.msgh_remote_port = dest;
    msg->Head.msgh_local_port = reply ? reply_port : MACH_PORT_NULL;
    msg->NDR = NDR_record;
    if (reply == NULL)
        return mach_msg(&msg->Head, MACH_SEND_MSG, sizeof *msg, 0, MACH_PORT_NULL, 0,
                        MACH_PORT_NULL);
    return mach_msg_overwrite(&msg->Head, MACH_SEND_MSG | MACH_RCV_MSG | MACH_RCV_TIMEOUT,
                              sizeof *msg, sizeof *reply, reply_port, 30000, MACH_PORT_NULL,
                              &reply->Head, sizeof *reply);
}

static void client_op(unsigned int *seed, mach_port_t reply_port, unsigned char *ool) {
    mach_port_t dest = ports[rand_r(seed) % PORTS];
    int value = rand_r(seed);
    stress_msg_t msg;
    memset(&msg, 0, sizeof msg);
    svc_buffer_t reply;
    switch (rand_r(seed) % 5) {
    case 0: {
        svc_simple_msg_t *simple = (svc_simple_msg_t *)&msg;
        simple->Head.msgh_id = OP_ECHO;
        simple->value = value;
        CHECK(send_to(dest, &msg, reply_port, &reply) == MACH_MSG_SUCCESS);
        CHECK(reply.reply.RetCode == KERN_SUCCESS && reply.reply.value == value + 1);
        break;
    }
    case 1:
        ool[value % OOL_SIZE] = (unsigned char)value;
        msg.Head.msgh_bits = MACH_MSGH_BITS_COMPLEX;
        msg.Head.msgh_id = OP_OOL;
        msg.body.msgh_descriptor_count = 1;
        msg.d.ool = (mach_msg_ool_descriptor_t){.address = ool,
                                                .size = OOL_SIZE,
                                                .copy = MACH_MSG_VIRTUAL_COPY,
                                                .type = MACH_MSG_OOL_DESCRIPTOR};
        CHECK(send_to(dest, &msg, reply_port, &reply) == MACH_MSG_SUCCESS);
        CHECK(reply.reply.value == (int)checksum(ool, OOL_SIZE));
        break;
    case 2: {
        mach_port_t callback = svc_make_port();
        msg.Head.msgh_bits = MACH_MSGH_BITS_COMPLEX;
        msg.Head.msgh_id = OP_CALLBACK;
        msg.body.msgh_descriptor_count = 1;
        msg.d.port = (mach_msg_port_descriptor_t){.name = callback,
                                                  .disposition = MACH_MSG_TYPE_MAKE_SEND,
                                                  .type = MACH_MSG_PORT_DESCRIPTOR};
        msg.value = value;
        CHECK(send_to(dest, &msg, reply_port, &reply) == MACH_MSG_SUCCESS);
        CHECK(reply.reply.value == value);
        svc_buffer_t ping;
        CHECK(svc_receive(callback, &ping, 0) == MACH_MSG_SUCCESS);
        CHECK(ping.Head.msgh_id == OP_CALLBACK);
        CHECK(mach_port_mod_refs(mach_task_self(), callback, MACH_PORT_RIGHT_RECEIVE, -1) ==
              KERN_SUCCESS);
        break;
    }
    case 3: {
        mach_port_t doomed = svc_make_port();
        msg.Head.msgh_bits = MACH_MSGH_BITS_COMPLEX;
        msg.Head.msgh_id = OP_DYING_RIGHT;
        msg.body.msgh_descriptor_count = 1;
        msg.d.port = (mach_msg_port_descriptor_t){.name = doomed,
                                                  .disposition = MACH_MSG_TYPE_MAKE_SEND,
                                                  .type = MACH_MSG_PORT_DESCRIPTOR};
        CHECK(send_to(dest, &msg, reply_port, NULL) == MACH_MSG_SUCCESS);
        CHECK(mach_port_mod_refs(mach_task_self(), doomed, MACH_PORT_RIGHT_RECEIVE, -1) ==
              KERN_SUCCESS);
        break;
    }
    default: {
        mach_port_t moved = svc_make_port();
        CHECK(svc_send_simple(moved, MACH_PORT_NULL, 1, 1) == MACH_MSG_SUCCESS);
        msg.Head.msgh_bits = MACH_MSGH_BITS_COMPLEX;
        msg.Head.msgh_id = OP_MOVE_RECEIVE;
        msg.body.msgh_descriptor_count = 1;
        msg.d.port = (mach_msg_port_descriptor_t){.name = moved,
                                                  .disposition = MACH_MSG_TYPE_MOVE_RECEIVE,
                                                  .type = MACH_MSG_PORT_DESCRIPTOR};
        CHECK(send_to(dest, &msg, reply_port, NULL) == MACH_MSG_SUCCESS);
        break;
    }
    }
}

static void *client_main(void *arg) {
    unsigned int seed = (unsigned int)(uintptr_t)arg;
    mach_port_t reply_port = mig_get_reply_port();
    static _Thread_local unsigned char ool[OOL_SIZE];
    for (int i = 0; i < OPS_PER_CLIENT; i++)
        client_op(&seed, reply_port, ool);
    return NULL;
}

static void *churn_main(void *arg) {
    unsigned int seed = (unsigned int)(uintptr_t)arg;
    for (int i = 0; i < CHURN_MOVES; i++) {
        unsigned int index = rand_r(&seed) % PORTS;
        if (index % PORTS_PER_SET == 0)
            continue; /* anchors stay put */
        CHECK(mach_port_move_member(mach_task_self(), ports[index], sets[rand_r(&seed) % SETS]) ==
              KERN_SUCCESS);
        if (i % 16 == 0)
            sched_yield();
    }
    return NULL;
}

static void test_stress(void **state) {
    (void)state;
    struct openmig_ipc_stats before = svc_stats();
    for (int s = 0; s < SETS; s++)
        assert_int_equal(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_PORT_SET, &sets[s]),
                         KERN_SUCCESS);
    for (int p = 0; p < PORTS; p++) {
        ports[p] = svc_make_port();
        svc_set_qlimit(ports[p], 64);
        assert_int_equal(mach_port_move_member(mach_task_self(), ports[p], sets[p / PORTS_PER_SET]),
                         KERN_SUCCESS);
    }
    pthread_t servers[SETS * SERVERS_PER_SET], clients[CLIENTS], churn;
    for (int i = 0; i < SETS * SERVERS_PER_SET; i++)
        assert_int_equal(pthread_create(&servers[i], NULL, server_main,
                                        (void *)(uintptr_t)sets[i % SETS]),
                         0);
    for (int i = 0; i < CLIENTS; i++)
        assert_int_equal(pthread_create(&clients[i], NULL, client_main, (void *)(uintptr_t)(i + 1)),
                         0);
    assert_int_equal(pthread_create(&churn, NULL, churn_main, (void *)(uintptr_t)99), 0);
    for (int i = 0; i < CLIENTS; i++)
        assert_int_equal(pthread_join(clients[i], NULL), 0);
    assert_int_equal(pthread_join(churn, NULL), 0);
    /* One stop per server, through each set's anchor (queued after all client traffic). */
    for (int i = 0; i < SETS * SERVERS_PER_SET; i++)
        assert_int_equal(svc_send_simple(ports[(i % SETS) * PORTS_PER_SET], MACH_PORT_NULL,
                                         OP_STOP, 0),
                         MACH_MSG_SUCCESS);
    for (int i = 0; i < SETS * SERVERS_PER_SET; i++)
        assert_int_equal(pthread_join(servers[i], NULL), 0);
    assert_int_equal(atomic_load(&failures), 0);

    /* One-way requests still queued behind the stops die with their ports. */
    for (int p = 0; p < PORTS; p++)
        svc_destroy_port(ports[p]);
    for (int s = 0; s < SETS; s++)
        assert_int_equal(mach_port_mod_refs(mach_task_self(), sets[s], MACH_PORT_RIGHT_PORT_SET, -1),
                         KERN_SUCCESS);
    svc_assert_no_leaks(&before); /* clients' reply ports went with their threads */
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_stress)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
