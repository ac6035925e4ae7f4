/* task_server.c: the owner's side of task ports across processes (docs/runtime.md, "Task ports
 * across processes"). A request another task sends to this task's port is queued on the port,
 * whose receive right the runtime's server holds in a space of its own (the "kernel" of these
 * calls: rights a request brings and a reply takes away live there, never in the task's space).
 * The server thread, started by the first such request, receives it, runs the demux our mig
 * generated from api/task_port.defs, and the implementations below apply the call to this
 * task's space with the local calls, so every answer is the local one. Whatever a request leaves
 * in the server's space (a refused right, a reply that could not be sent) is destroyed after it,
 * with Mach's notifications: a caller never waits for an answer that will not come. The queue
 * of the task port keeps its limit, so a flood of requests waits in its senders. */
#include "api/task_server_internal.h"
#include "api/msg_internal.h"
#include "api/task_space_internal.h"
#include "ipc/ipc.h"

#include <pthread.h>
#include <string.h>

#include "task_portServer.h"

/* Requests are small (the largest carries one descriptor); a larger one is destroyed on receipt
 * (MACH_RCV_TOO_LARGE), which gives its sender MIG_SERVER_DIED. */
#define TASK_SERVER_MSG_MAX 512u

static struct {
  bool started;                /* a server thread runs (IPC lock) */
  struct ipc_space *space;     /* the server's space (made by the first server thread) */
  mach_port_name_t name;       /* the task port's receive right in it */
  unsigned long served;
} S;

/* The server's space, holding the receive right of this task's port. Lock held. */
static bool attach(void) {
  if (S.space) return true; /* a forked child goes on with its parent's */
  struct ipc_space *space = ipc_space_create(NULL);
  if (!space) return false;
  struct ipc_port *task = ipc_space_current()->task_port;
  mach_port_name_t name;
  struct ipc_entry *e = space_alloc_entry(space, &name);
  if (!e) {
    ipc_space_destroy(space);
    return false;
  }
  port_reference(task);
  e->type = MACH_PORT_TYPE_RECEIVE;
  e->port = task;
  task->receiver = space;
  task->receiver_name = name;
  space_rmap_insert(space, task, name);
  S.space = space;
  S.name = name;
  return true;
}

struct sweep {
  mach_port_name_t names[16];
  unsigned n;
  bool more;
};

static void collect_cb(struct ipc_space *space, mach_port_name_t name, struct ipc_entry *e,
                       void *ctx) {
  (void)space;
  (void)e;
  struct sweep *w = ctx;
  if (name == S.name || name == IPC_TASK_SELF_NAME) return;
  if (w->n < sizeof w->names / sizeof w->names[0])
    w->names[w->n++] = name;
  else
    w->more = true;
}

/* Destroys every right a request left in the server's space, with its notifications. */
static void sweep(void) {
  ipc_lock();
  struct sweep w;
  do {
    w.n = 0;
    w.more = false;
    space_foreach(S.space, collect_cb, &w);
    for (unsigned i = 0; i < w.n; i++) right_destroy_name(S.space, w.names[i], true);
  } while (w.more);
  ipc_unlock();
}

static void *server_main(void *arg) {
  (void)arg;
  union {
    mach_msg_header_t head;
    uint8_t bytes[TASK_SERVER_MSG_MAX + sizeof(mach_msg_max_trailer_t)];
  } in, out;
  for (;;) {
    mach_msg_return_t mr = ipc_mach_msg(S.space, &in.head, MACH_RCV_MSG, 0, sizeof in, S.name,
                                        MACH_MSG_TIMEOUT_NONE, &in.head, 0);
    if (mr != MACH_MSG_SUCCESS) {
      if (mr == MACH_RCV_TOO_LARGE || mr == MACH_RCV_INTERRUPTED) continue;
      break; /* the port is gone: the task is ending */
    }
    memset(&out, 0, sizeof(mig_reply_error_t));
    openmig_task_port_server(&in.head, &out.head);
    const mig_reply_error_t *rep = (const mig_reply_error_t *)(const void *)&out;
    /* A request the demux refused may carry memory (no routine here takes any): freed. */
    if (!(out.head.msgh_bits & MACH_MSGH_BITS_COMPLEX) && rep->RetCode != KERN_SUCCESS)
      ipc_msg_destroy_memory(&in.head);
    bool answer = out.head.msgh_remote_port != MACH_PORT_NULL &&
                  ((out.head.msgh_bits & MACH_MSGH_BITS_COMPLEX) || rep->RetCode != MIG_NO_REPLY);
    if (answer) /* to a send-once right: never waits for room */
      (void)ipc_mach_msg(S.space, &out.head, MACH_SEND_MSG | MACH_SEND_TIMEOUT,
                         out.head.msgh_size, 0, MACH_PORT_NULL, 0, &out.head, 0);
    sweep();
    __atomic_add_fetch(&S.served, 1, __ATOMIC_RELAXED);
  }
  ipc_lock();
  S.started = false;
  ipc_unlock();
  return NULL;
}

/* ipc_kobject_message for task ports (lock held): queues the request on the port (false) after
 * starting the server if it does not run. Only this task's own port is served here. */
static bool task_port_message(struct ipc_port *port, struct ipc_kmsg *kmsg) {
  if (port != ipc_space_current()->task_port || S.started) return false;
  pthread_attr_t attr;
  pthread_t thread;
  bool ok = attach() && pthread_attr_init(&attr) == 0;
  if (ok) {
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    ok = pthread_create(&thread, &attr, server_main, NULL) == 0;
    pthread_attr_destroy(&attr);
  }
  if (ok) {
    S.started = true;
    return false;
  }
  kmsg_destroy(kmsg); /* nobody will serve it: its sender gets MIG_SERVER_DIED */
  return true;
}

/* A forked child has no server thread: its first request starts one. */
static void after_fork_child(void) { S.started = false; }

static void install_once(void) {
  ipc_lock();
  ipc_kobject_message[IKOT_TASK] = task_port_message;
  ipc_unlock();
  pthread_atfork(NULL, NULL, after_fork_child);
}

void task_server_install(void) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, install_once);
}

unsigned long task_server_served(void) { return __atomic_load_n(&S.served, __ATOMIC_RELAXED); }

/* ---- the calls, on this task's space (the request's task argument names our own port) ---- */

/* A routine that is the local call on this task's space. */
#define TASK_SRV_LOCAL(call, params, args) \
  kern_return_t openmig_task_srv_##call params { \
    (void)task; \
    return call args; \
  }

TASK_SRV_LOCAL(mach_port_names,
               (ipc_space_t task, mach_port_name_array_t *names, mach_msg_type_number_t *namesCnt,
                mach_port_type_array_t *types, mach_msg_type_number_t *typesCnt),
               (mach_task_self(), names, namesCnt, types, typesCnt))
TASK_SRV_LOCAL(mach_port_type,
               (ipc_space_t task, mach_port_name_t name, mach_port_type_t *ptype),
               (mach_task_self(), name, ptype))
TASK_SRV_LOCAL(mach_port_allocate_name,
               (ipc_space_t task, mach_port_right_t right, mach_port_name_t name),
               (mach_task_self(), right, name))
TASK_SRV_LOCAL(mach_port_allocate,
               (ipc_space_t task, mach_port_right_t right, mach_port_name_t *name),
               (mach_task_self(), right, name))
TASK_SRV_LOCAL(mach_port_destroy,
               (ipc_space_t task, mach_port_name_t name),
               (mach_task_self(), name))
TASK_SRV_LOCAL(mach_port_deallocate,
               (ipc_space_t task, mach_port_name_t name),
               (mach_task_self(), name))
TASK_SRV_LOCAL(mach_port_get_refs,
               (ipc_space_t task, mach_port_name_t name, mach_port_right_t right,
                mach_port_urefs_t *refs),
               (mach_task_self(), name, right, refs))
TASK_SRV_LOCAL(mach_port_mod_refs,
               (ipc_space_t task, mach_port_name_t name, mach_port_right_t right,
                mach_port_delta_t delta),
               (mach_task_self(), name, right, delta))
TASK_SRV_LOCAL(mach_port_set_mscount,
               (ipc_space_t task, mach_port_name_t name, mach_port_mscount_t mscount),
               (mach_task_self(), name, mscount))
TASK_SRV_LOCAL(mach_port_get_set_status,
               (ipc_space_t task, mach_port_name_t name, mach_port_name_array_t *members,
                mach_msg_type_number_t *membersCnt),
               (mach_task_self(), name, members, membersCnt))
TASK_SRV_LOCAL(mach_port_move_member,
               (ipc_space_t task, mach_port_name_t member, mach_port_name_t after),
               (mach_task_self(), member, after))
TASK_SRV_LOCAL(mach_port_set_seqno,
               (ipc_space_t task, mach_port_name_t name, mach_port_seqno_t seqno),
               (mach_task_self(), name, seqno))
TASK_SRV_LOCAL(mach_port_get_attributes,
               (ipc_space_t task, mach_port_name_t name, mach_port_flavor_t flavor,
                mach_port_info_t port_info_out, mach_msg_type_number_t *port_info_outCnt),
               (mach_task_self(), name, flavor, port_info_out, port_info_outCnt))
TASK_SRV_LOCAL(mach_port_set_attributes,
               (ipc_space_t task, mach_port_name_t name, mach_port_flavor_t flavor,
                mach_port_info_t port_info, mach_msg_type_number_t port_infoCnt),
               (mach_task_self(), name, flavor, port_info, port_infoCnt))
TASK_SRV_LOCAL(mach_port_get_srights,
               (ipc_space_t task, mach_port_name_t name, mach_port_rights_t *srights),
               (mach_task_self(), name, srights))
TASK_SRV_LOCAL(mach_port_insert_member,
               (ipc_space_t task, mach_port_name_t name, mach_port_name_t pset),
               (mach_task_self(), name, pset))
TASK_SRV_LOCAL(mach_port_extract_member,
               (ipc_space_t task, mach_port_name_t name, mach_port_name_t pset),
               (mach_task_self(), name, pset))
TASK_SRV_LOCAL(mach_port_set_context,
               (ipc_space_t task, mach_port_name_t name, mach_port_context_t context),
               (mach_task_self(), name, context))
TASK_SRV_LOCAL(mach_port_destruct,
               (ipc_space_t task, mach_port_name_t name, mach_port_delta_t srdelta,
                mach_port_context_t guard),
               (mach_task_self(), name, srdelta, guard))
TASK_SRV_LOCAL(mach_port_guard,
               (ipc_space_t task, mach_port_name_t name, mach_port_context_t guard,
                boolean_t strict),
               (mach_task_self(), name, guard, strict))
TASK_SRV_LOCAL(mach_port_unguard,
               (ipc_space_t task, mach_port_name_t name, mach_port_context_t guard),
               (mach_task_self(), name, guard))

kern_return_t openmig_task_srv_mach_port_insert_right(ipc_space_t task, mach_port_name_t name,
                                                      mach_port_t poly,
                                                      mach_msg_type_name_t polyPoly) {
  (void)task;
  return mach_port_insert_right_from(S.space, ipc_space_current(), name, poly, polyPoly);
}

kern_return_t openmig_task_srv_mach_port_extract_right(ipc_space_t task, mach_port_name_t name,
                                                       mach_msg_type_name_t msgt_name,
                                                       mach_port_t *poly,
                                                       mach_msg_type_name_t *polyPoly) {
  (void)task;
  return mach_port_extract_right_into(ipc_space_current(), S.space, name, msgt_name, poly,
                                      polyPoly);
}

kern_return_t openmig_task_srv_mach_port_get_context(ipc_space_t task, mach_port_name_t name,
                                                     mach_port_context_t *context) {
  (void)task;
  /* context points into the packed reply (4-byte aligned): written through a copy */
  mach_port_context_t value = 0;
  kern_return_t kr = mach_port_get_context(mach_task_self(), name, &value);
  memcpy(context, &value, sizeof value);
  return kr;
}
