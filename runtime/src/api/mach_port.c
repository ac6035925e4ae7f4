/* The public mach_port_* calls: resolve the task to a space under the IPC lock, then apply the
 * right, set and notification operations of the core. A task name that is another process's
 * task port turns the calls of api/task_port.defs into requests its runtime serves. */
#include "api/msg_internal.h"
#include "api/task_space_internal.h"
#include "ipc/ipc.h"

#include "task_port.h"

#include <stdlib.h>
#include <string.h>

/* Locks and resolves task in the caller's space; on failure unlocks and returns NULL. Darwin
 * reports a call on a name that is not a task as a failed MIG send. */
static struct ipc_space *lock_task(ipc_space_t task, struct ipc_space **caller) {
  struct ipc_space *self = ipc_space_current();
  ipc_lock();
  struct ipc_space *space = self ? space_from_task_name(self, task) : NULL;
  if (!space || !space->active) {
    ipc_unlock();
    return NULL;
  }
  if (caller) *caller = self;
  return space;
}

#define LOCK_TASK_OR_FAIL(space, task, caller) \
  struct ipc_space *space = lock_task((task), (caller)); \
  if (!space) return MACH_SEND_INVALID_DEST

/* The same, except that a send right to a port of another process makes the call `remote`, a
 * request to that port (api/task_port.defs), as Darwin's MIG call on a task port. */
#define LOCK_TASK_OR_REMOTE(space, task, caller, remote) \
  struct ipc_space *space = lock_task((task), (caller)); \
  if (!space) return task_port_is_remote(task) ? (remote) : MACH_SEND_INVALID_DEST

/* For the calls that resolve the task in a helper: another process's task port (the own task's
 * name is never one, so mach_task_self() costs one comparison). */
#define REMOTE_TASK(task) ((task) != IPC_TASK_SELF_NAME && task_port_is_remote(task))

bool task_port_is_remote(mach_port_name_t task) {
  struct ipc_space *self = ipc_space_current();
  ipc_lock();
  struct ipc_entry *e = MACH_PORT_VALID(task) ? space_lookup(self, task) : NULL;
  bool remote = e && (e->type & MACH_PORT_TYPE_SEND) && e->port && e->port->active &&
                e->port->transport != NULL;
  ipc_unlock();
  return remote;
}

/* The receive right named name, or NULL with *kr set. */
static struct ipc_port *receive_right(struct ipc_space *space, mach_port_name_t name,
                                      kern_return_t *kr) {
  if (!MACH_PORT_VALID(name)) {
    *kr = KERN_INVALID_RIGHT;
    return NULL;
  }
  struct ipc_entry *e = space_lookup(space, name);
  if (!e) {
    *kr = KERN_INVALID_NAME;
    return NULL;
  }
  if (!(e->type & MACH_PORT_TYPE_RECEIVE)) {
    *kr = KERN_INVALID_RIGHT;
    return NULL;
  }
  *kr = KERN_SUCCESS;
  return e->port;
}

static kern_return_t allocate_in(struct ipc_space *space, mach_port_right_t right,
                                 struct ipc_entry *e, mach_port_name_t name) {
  switch (right) {
  case MACH_PORT_RIGHT_RECEIVE: {
    struct ipc_port *port = port_alloc();
    if (!port) return KERN_RESOURCE_SHORTAGE;
    e->type = MACH_PORT_TYPE_RECEIVE;
    e->port = port;
    port->receiver = space;
    port->receiver_name = name;
    space_rmap_insert(space, port, name);
    return KERN_SUCCESS;
  }
  case MACH_PORT_RIGHT_PORT_SET: {
    struct ipc_pset *pset = pset_alloc();
    if (!pset) return KERN_RESOURCE_SHORTAGE;
    e->type = MACH_PORT_TYPE_PORT_SET;
    e->pset = pset;
    return KERN_SUCCESS;
  }
  case MACH_PORT_RIGHT_DEAD_NAME:
    e->type = MACH_PORT_TYPE_DEAD_NAME;
    e->urefs = 1;
    return KERN_SUCCESS;
  default:
    return KERN_INVALID_VALUE;
  }
}

static bool right_allocatable(mach_port_right_t right) {
  return right == MACH_PORT_RIGHT_RECEIVE || right == MACH_PORT_RIGHT_PORT_SET ||
         right == MACH_PORT_RIGHT_DEAD_NAME;
}

kern_return_t mach_port_allocate(ipc_space_t task, mach_port_right_t right,
                                 mach_port_name_t *name) {
  if (!right_allocatable(right)) return KERN_INVALID_VALUE;
  LOCK_TASK_OR_REMOTE(space, task, NULL, openmig_task_mach_port_allocate(task, right, name));
  mach_port_name_t n;
  struct ipc_entry *e = space_alloc_entry(space, &n);
  kern_return_t kr = e ? allocate_in(space, right, e, n) : KERN_NO_SPACE;
  if (e && kr != KERN_SUCCESS) space_free_entry(space, n);
  if (kr == KERN_SUCCESS) *name = n;
  ipc_unlock();
  return kr;
}

mach_port_t mach_reply_port(void) {
  mach_port_name_t name = MACH_PORT_NULL;
  if (mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &name) != KERN_SUCCESS)
    return MACH_PORT_NULL;
  return name;
}

kern_return_t mach_port_allocate_name(ipc_space_t task, mach_port_right_t right,
                                      mach_port_name_t name) {
  if (!right_allocatable(right)) return KERN_INVALID_VALUE;
  if (!MACH_PORT_VALID(name)) return KERN_INVALID_VALUE;
  LOCK_TASK_OR_REMOTE(space, task, NULL, openmig_task_mach_port_allocate_name(task, right, name));
  struct ipc_entry *e;
  kern_return_t kr = space_claim_name(space, name, &e);
  if (kr == KERN_SUCCESS) {
    kr = allocate_in(space, right, e, name);
    if (kr != KERN_SUCCESS) space_free_entry(space, name);
  }
  ipc_unlock();
  return kr;
}

kern_return_t mach_port_allocate_qos(ipc_space_t task, mach_port_right_t right,
                                     mach_port_qos_t *qos, mach_port_name_t *name) {
  if (qos && qos->name) return mach_port_allocate_name(task, right, *name);
  return mach_port_allocate(task, right, name);
}

/* mach_port_options_t.flags as macOS 26 checks them: option bits, and one port type. */
#define MPO_OPTIONS_MASK 0x23ffu
#define MPO_PORT_TYPE_MASK 0x1dc00u

static kern_return_t construct_check(const mach_port_options_t *options) {
  uint32_t flags = options->flags;
  if (flags & ~(MPO_OPTIONS_MASK | MPO_PORT_TYPE_MASK)) return KERN_INVALID_ARGUMENT;
  uint32_t kind = flags & MPO_PORT_TYPE_MASK;
  switch (kind) {
  case MPO_PORT:
  case MPO_CONNECTION_PORT:
  case MPO_REPLY_PORT:
  case MPO_WEAK_REPLY_PORT:
  case MPO_NOTIFICATION_PORT:
  case MPO_EXCEPTION_PORT:
  case MPO_CONNECTION_PORT_WITH_PORT_ARRAY:
    break;
  case MPO_SERVICE_PORT: {
    const mach_service_port_info_data_t *info = options->service_port_info;
    if (!info) return KERN_INVALID_ARGUMENT;
    if (strnlen(info->mspi_string_name, MACH_SERVICE_PORT_INFO_STRING_NAME_MAX_BUF_LEN) >=
        MACH_SERVICE_PORT_INFO_STRING_NAME_MAX_BUF_LEN)
      return KERN_INVALID_ARGUMENT;
    /* launchd re-guards a returning service port: a guard on one must be strict */
    if ((flags & MPO_CONTEXT_AS_GUARD) && !(flags & MPO_STRICT)) return KERN_INVALID_ARGUMENT;
    break;
  }
  default:
    return KERN_INVALID_ARGUMENT;
  }
  if (kind == MPO_CONNECTION_PORT && options->service_port_name == MACH_PORT_NULL)
    return KERN_INVALID_ARGUMENT;
  if ((flags & MPO_QLIMIT) && options->mpl.mpl_qlimit > MACH_PORT_QLIMIT_MAX)
    return KERN_INVALID_VALUE;
  if (flags & MPO_TG_BLOCK_TRACKING) return KERN_DENIED; /* no task is the graphics server */
  return KERN_SUCCESS;
}

/* A connection port derives from a send right to a service port held by the caller. */
static kern_return_t connection_service_check(struct ipc_space *caller, mach_port_name_t name) {
  if (!MACH_PORT_VALID(name)) return KERN_INVALID_NAME;
  struct ipc_entry *e = space_lookup(caller, name);
  if (!e) return KERN_INVALID_NAME;
  if (!(e->type & MACH_PORT_TYPE_SEND)) return KERN_INVALID_RIGHT;
  if ((e->port->mpo_flags & MPO_PORT_TYPE_MASK) != MPO_SERVICE_PORT) return KERN_INVALID_CAPABILITY;
  return KERN_SUCCESS;
}

kern_return_t mach_port_construct(ipc_space_t task, mach_port_options_ptr_t options,
                                  mach_port_context_t context, mach_port_name_t *name) {
  if (!options) return KERN_INVALID_ARGUMENT;
  kern_return_t kr = construct_check(options);
  if (kr != KERN_SUCCESS) return kr;
  uint32_t flags = options->flags;
  mach_service_port_info_data_t *info = NULL;
  if ((flags & MPO_PORT_TYPE_MASK) == MPO_SERVICE_PORT) {
    info = calloc(1, sizeof *info);
    if (!info) return KERN_RESOURCE_SHORTAGE;
    memcpy(info, options->service_port_info, sizeof *info);
  }
  struct ipc_space *caller;
  struct ipc_space *space = lock_task(task, &caller);
  if (!space) {
    free(info);
    return MACH_SEND_INVALID_DEST;
  }
  if ((flags & MPO_PORT_TYPE_MASK) == MPO_CONNECTION_PORT)
    kr = connection_service_check(caller, options->service_port_name);
  mach_port_name_t n = MACH_PORT_NULL;
  struct ipc_entry *e = NULL;
  if (kr == KERN_SUCCESS) {
    e = space_alloc_entry(space, &n);
    kr = e ? allocate_in(space, MACH_PORT_RIGHT_RECEIVE, e, n) : KERN_NO_SPACE;
    if (e && kr != KERN_SUCCESS) space_free_entry(space, n);
  }
  if (kr != KERN_SUCCESS) {
    ipc_unlock();
    free(info);
    return kr;
  }
  struct ipc_port *port = e->port;
  port->mpo_flags = flags;
  port->service_info = info;
  port->context = context;
  if (flags & MPO_QLIMIT) port->qlimit = options->mpl.mpl_qlimit;
  if (flags & MPO_IMMOVABLE_RECEIVE) port->immovable_receive = true;
  if (flags & MPO_CONTEXT_AS_GUARD) {
    port->guarded = true;
    port->strict_guard = (flags & MPO_STRICT) != 0;
  }
  if (flags & MPO_INSERT_SEND_RIGHT) {
    port_make_send(port);
    port_release(port); /* the entry's reference covers the send right too */
    e->type |= MACH_PORT_TYPE_SEND;
    e->urefs = 1;
  }
  *name = n;
  ipc_unlock();
  return KERN_SUCCESS;
}

kern_return_t mach_port_destruct(ipc_space_t task, mach_port_name_t name,
                                 mach_port_delta_t srdelta, mach_port_context_t guard) {
  LOCK_TASK_OR_REMOTE(space, task, NULL,
                      openmig_task_mach_port_destruct(task, name, srdelta, guard));
  kern_return_t kr = right_destruct(space, name, srdelta, guard);
  ipc_unlock();
  return kr;
}

kern_return_t mach_port_destroy(ipc_space_t task, mach_port_name_t name) {
  if (!MACH_PORT_VALID(name)) return KERN_SUCCESS;
  LOCK_TASK_OR_REMOTE(space, task, NULL, openmig_task_mach_port_destroy(task, name));
  kern_return_t kr = right_destroy_name(space, name, false);
  ipc_unlock();
  return kr;
}

kern_return_t mach_port_deallocate(ipc_space_t task, mach_port_name_t name) {
  LOCK_TASK_OR_REMOTE(space, task, NULL, openmig_task_mach_port_deallocate(task, name));
  kern_return_t kr = right_deallocate(space, name);
  ipc_unlock();
  return kr;
}

kern_return_t mach_port_get_refs(ipc_space_t task, mach_port_name_t name, mach_port_right_t right,
                                 mach_port_urefs_t *refs) {
  LOCK_TASK_OR_REMOTE(space, task, NULL, openmig_task_mach_port_get_refs(task, name, right, refs));
  kern_return_t kr = right_get_refs(space, name, right, refs);
  ipc_unlock();
  return kr;
}

kern_return_t mach_port_mod_refs(ipc_space_t task, mach_port_name_t name, mach_port_right_t right,
                                 mach_port_delta_t delta) {
  LOCK_TASK_OR_REMOTE(space, task, NULL, openmig_task_mach_port_mod_refs(task, name, right, delta));
  kern_return_t kr = right_mod_refs(space, name, right, delta);
  ipc_unlock();
  return kr;
}

kern_return_t mach_port_type(ipc_space_t task, mach_port_name_t name, mach_port_type_t *ptype) {
  LOCK_TASK_OR_REMOTE(space, task, NULL, openmig_task_mach_port_type(task, name, ptype));
  struct ipc_entry *e = space_lookup(space, name);
  kern_return_t kr = e ? KERN_SUCCESS : KERN_INVALID_NAME;
  if (e) *ptype = right_type_bits(e);
  ipc_unlock();
  return kr;
}

struct names_ctx {
  mach_port_name_t *names;
  mach_port_type_t *types;
  uint32_t n;
};

static void check_cb(struct ipc_space *space, mach_port_name_t name, struct ipc_entry *e,
                     void *ctx) {
  (void)ctx;
  right_check_dead(space, name, e);
}

static void collect_cb(struct ipc_space *space, mach_port_name_t name, struct ipc_entry *e,
                       void *ctx) {
  (void)space;
  struct names_ctx *c = ctx;
  c->names[c->n] = name;
  c->types[c->n] = right_type_bits(e);
  c->n++;
}

kern_return_t mach_port_names(ipc_space_t task, mach_port_name_array_t *names,
                              mach_msg_type_number_t *namesCnt, mach_port_type_array_t *types,
                              mach_msg_type_number_t *typesCnt) {
  LOCK_TASK_OR_REMOTE(space, task, NULL,
                      openmig_task_mach_port_names(task, names, namesCnt, types, typesCnt));
  space_foreach(space, check_cb, NULL);
  uint32_t count = space->used;
  struct names_ctx c = { NULL, NULL, 0 };
  size_t bytes = (size_t)(count ? count : 1) * sizeof(mach_port_name_t);
  c.names = vm_region_alloc(bytes, true);
  c.types = vm_region_alloc(bytes, true);
  if (!c.names || !c.types) {
    if (c.names) vm_region_free(c.names, bytes);
    if (c.types) vm_region_free(c.types, bytes);
    ipc_unlock();
    return KERN_RESOURCE_SHORTAGE;
  }
  space_foreach(space, collect_cb, &c);
  ipc_unlock();
  vm_region_register(c.names, bytes);
  vm_region_register(c.types, bytes);
  *names = c.names;
  *types = c.types;
  *namesCnt = *typesCnt = c.n;
  return KERN_SUCCESS;
}

/* The set named name, or NULL with *kr set. */
static struct ipc_pset *port_set(struct ipc_space *space, mach_port_name_t name, kern_return_t *kr) {
  struct ipc_entry *e = space_lookup(space, name);
  if (!e) {
    *kr = KERN_INVALID_NAME;
    return NULL;
  }
  if (!(e->type & MACH_PORT_TYPE_PORT_SET)) {
    *kr = KERN_INVALID_RIGHT;
    return NULL;
  }
  *kr = KERN_SUCCESS;
  return e->pset;
}

kern_return_t mach_port_get_set_status(ipc_space_t task, mach_port_name_t name,
                                       mach_port_name_array_t *members,
                                       mach_msg_type_number_t *membersCnt) {
  LOCK_TASK_OR_REMOTE(space, task, NULL,
                      openmig_task_mach_port_get_set_status(task, name, members, membersCnt));
  kern_return_t kr;
  struct ipc_pset *pset = port_set(space, name, &kr);
  if (!pset) {
    ipc_unlock();
    return kr;
  }
  size_t bytes = (size_t)(pset->count ? pset->count : 1) * sizeof(mach_port_name_t);
  mach_port_name_t *out = vm_region_alloc(bytes, true);
  if (!out) {
    ipc_unlock();
    return KERN_RESOURCE_SHORTAGE;
  }
  uint32_t n = 0;
  for (struct ipc_pset_link *l = pset->head; l; l = l->set_next) out[n++] = l->port->receiver_name;
  ipc_unlock();
  vm_region_register(out, bytes);
  *members = out;
  *membersCnt = n;
  return KERN_SUCCESS;
}

static kern_return_t member_op(ipc_space_t task, mach_port_name_t member, mach_port_name_t set,
                               int op) {
  LOCK_TASK_OR_FAIL(space, task, NULL);
  kern_return_t kr;
  struct ipc_port *port = NULL;
  struct ipc_entry *e = space_lookup(space, member);
  if (!e) {
    kr = KERN_INVALID_NAME;
  } else if (!(e->type & MACH_PORT_TYPE_RECEIVE)) {
    kr = KERN_INVALID_RIGHT;
  } else {
    port = e->port;
    kr = KERN_SUCCESS;
  }
  struct ipc_pset *pset = NULL;
  if (kr == KERN_SUCCESS && (op != 0 || set != MACH_PORT_NULL)) pset = port_set(space, set, &kr);
  if (kr == KERN_SUCCESS) {
    switch (op) {
    case 0: /* move_member: into `set` only (out of every set for MACH_PORT_NULL) */
      if (!pset && port->npsets == 0) kr = KERN_NOT_IN_SET;
      if (pset && port->npsets == 1 && pset_find(pset, port)) break;
      port_leave_psets(port);
      if (pset) kr = pset_add(pset, port);
      break;
    case 1: /* insert_member: one more set */
      kr = pset_find(pset, port) ? KERN_ALREADY_IN_SET : pset_add(pset, port);
      break;
    default: /* extract_member */
      if (!pset_find(pset, port))
        kr = KERN_NOT_IN_SET;
      else
        pset_remove(pset, port);
      break;
    }
  }
  ipc_unlock();
  return kr;
}

kern_return_t mach_port_move_member(ipc_space_t task, mach_port_name_t member,
                                    mach_port_name_t after) {
  if (REMOTE_TASK(task)) return openmig_task_mach_port_move_member(task, member, after);
  return member_op(task, member, after, 0);
}

kern_return_t mach_port_insert_member(ipc_space_t task, mach_port_name_t name,
                                      mach_port_name_t pset) {
  if (REMOTE_TASK(task)) return openmig_task_mach_port_insert_member(task, name, pset);
  return member_op(task, name, pset, 1);
}

kern_return_t mach_port_extract_member(ipc_space_t task, mach_port_name_t name,
                                       mach_port_name_t pset) {
  if (REMOTE_TASK(task)) return openmig_task_mach_port_extract_member(task, name, pset);
  return member_op(task, name, pset, 2);
}

kern_return_t mach_port_request_notification(ipc_space_t task, mach_port_name_t name,
                                             mach_msg_id_t msgid, mach_port_mscount_t sync,
                                             mach_port_t notify, mach_msg_type_name_t notifyPoly,
                                             mach_port_t *previous) {
  struct ipc_space *caller;
  LOCK_TASK_OR_FAIL(space, task, &caller);
  struct ipc_port *np = NULL;
  mach_msg_type_name_t type = 0;
  if (notify != MACH_PORT_NULL) {
    if (right_copyin(caller, notify, notifyPoly, &np, &type) != KERN_SUCCESS ||
        !IPC_PORT_VALID(np) || type != MACH_MSG_TYPE_PORT_SEND_ONCE) {
      if (IPC_PORT_VALID(np)) right_destroy(np, type);
      ipc_unlock();
      return KERN_INVALID_CAPABILITY;
    }
  }
  struct ipc_port *prev = NULL;
  kern_return_t kr = notify_request(space, name, msgid, sync, np, &prev);
  mach_port_name_t prev_name = MACH_PORT_NULL;
  if (prev) right_copyout(caller, prev, MACH_MSG_TYPE_PORT_SEND_ONCE, &prev_name);
  if (previous) *previous = prev_name;
  ipc_unlock();
  return kr;
}

/* Darwin's mach_port_insert_right on the caller's own space is a trap (libsyscall's
 * _kernelrpc_mach_port_insert_right_trap): name == poly with MAKE_SEND / COPY_SEND adds a uref in
 * place; otherwise poly is taken from the space first (its errors come first: an unknown, NULL or
 * DEAD poly is KERN_INVALID_NAME, a bad disposition KERN_INVALID_RIGHT) and then put under name. */
static kern_return_t insert_right_self(struct ipc_space *space, mach_port_name_t name,
                                       mach_port_name_t poly, mach_msg_type_name_t disp) {
  if (name == poly && (disp == MACH_MSG_TYPE_MAKE_SEND || disp == MACH_MSG_TYPE_COPY_SEND)) {
    struct ipc_entry *e = MACH_PORT_VALID(name) ? space_lookup(space, name) : NULL;
    if (!e) return KERN_INVALID_NAME;
    if (e->type & MACH_PORT_TYPE_DEAD_NAME) return KERN_INVALID_CAPABILITY;
    if (!(e->type & MACH_PORT_TYPE_PORT_RIGHTS)) return KERN_INVALID_RIGHT;
    mach_port_type_t need =
        disp == MACH_MSG_TYPE_MAKE_SEND ? MACH_PORT_TYPE_RECEIVE : MACH_PORT_TYPE_SEND;
    if (!(e->type & need)) return KERN_INVALID_RIGHT;
    struct ipc_port *port;
    mach_msg_type_name_t type;
    kern_return_t kr = right_copyin(space, poly, disp, &port, &type);
    return kr == KERN_SUCCESS ? right_copyout_at(space, name, port, type) : kr;
  }
  if (!MACH_PORT_VALID(poly) || !space_lookup(space, poly)) return KERN_INVALID_NAME;
  if (!MACH_MSG_TYPE_PORT_ANY(disp)) return KERN_INVALID_RIGHT;
  struct ipc_port *port;
  mach_msg_type_name_t type;
  kern_return_t kr = right_copyin(space, poly, disp, &port, &type);
  if (kr != KERN_SUCCESS) return kr;
  if (!MACH_PORT_VALID(name)) {
    right_destroy(port, type);
    return KERN_INVALID_VALUE;
  }
  if (!IPC_PORT_VALID(port)) return KERN_INVALID_CAPABILITY;
  return right_copyout_at(space, name, port, type);
}

/* On another task's space Darwin's call is a MIG request from the caller: poly travels as a port
 * descriptor (a failed copyin is a failed send), then the kernel checks name, then poly. */
static kern_return_t insert_right_other(struct ipc_space *caller, struct ipc_space *space,
                                        mach_port_name_t name, mach_port_name_t poly,
                                        mach_msg_type_name_t disp) {
  if (!MACH_MSG_TYPE_PORT_ANY(disp)) return MACH_SEND_INVALID_TYPE;
  struct ipc_port *port;
  mach_msg_type_name_t type;
  if (right_copyin(caller, poly, disp, &port, &type) != KERN_SUCCESS)
    return MACH_SEND_INVALID_RIGHT;
  if (!MACH_PORT_VALID(name)) {
    right_destroy(port, type);
    return KERN_INVALID_VALUE;
  }
  if (!IPC_PORT_VALID(port)) return KERN_INVALID_CAPABILITY;
  return right_copyout_at(space, name, port, type);
}

kern_return_t mach_port_insert_right(ipc_space_t task, mach_port_name_t name, mach_port_t poly,
                                     mach_msg_type_name_t polyPoly) {
  struct ipc_space *caller;
  LOCK_TASK_OR_REMOTE(space, task, &caller,
                      openmig_task_mach_port_insert_right(task, name, poly, polyPoly));
  kern_return_t kr = space == caller ? insert_right_self(space, name, poly, polyPoly)
                                     : insert_right_other(caller, space, name, poly, polyPoly);
  ipc_unlock();
  return kr;
}

kern_return_t mach_port_insert_right_from(struct ipc_space *from, struct ipc_space *space,
                                          mach_port_name_t name, mach_port_name_t poly,
                                          mach_msg_type_name_t disp) {
  ipc_lock();
  kern_return_t kr = space->active ? insert_right_other(from, space, name, poly, disp)
                                   : KERN_INVALID_TASK;
  ipc_unlock();
  return kr;
}

/* The extraction itself (lock held): the right leaves space for `into`. */
static kern_return_t extract_right_locked(struct ipc_space *space, struct ipc_space *into,
                                          mach_port_name_t name, mach_msg_type_name_t msgt_name,
                                          mach_port_t *poly, mach_msg_type_name_t *polyPoly) {
  struct ipc_port *port;
  mach_msg_type_name_t type;
  kern_return_t kr = MACH_PORT_VALID(name) ? right_copyin(space, name, msgt_name, &port, &type)
                                           : KERN_INVALID_RIGHT; /* as XNU, for NULL / DEAD */
  if (kr == KERN_SUCCESS) {
    mach_port_name_t out;
    right_copyout(into, port, type, &out);
    *poly = out;
    *polyPoly = type;
  }
  return kr;
}

kern_return_t mach_port_extract_right(ipc_space_t task, mach_port_name_t name,
                                      mach_msg_type_name_t msgt_name, mach_port_t *poly,
                                      mach_msg_type_name_t *polyPoly) {
  if (!MACH_MSG_TYPE_PORT_ANY(msgt_name)) return KERN_INVALID_VALUE;
  struct ipc_space *caller;
  LOCK_TASK_OR_REMOTE(space, task, &caller,
                      openmig_task_mach_port_extract_right(task, name, msgt_name, poly, polyPoly));
  kern_return_t kr = extract_right_locked(space, caller, name, msgt_name, poly, polyPoly);
  ipc_unlock();
  return kr;
}

kern_return_t mach_port_extract_right_into(struct ipc_space *space, struct ipc_space *into,
                                           mach_port_name_t name, mach_msg_type_name_t msgt_name,
                                           mach_port_name_t *poly, mach_msg_type_name_t *polyPoly) {
  if (!MACH_MSG_TYPE_PORT_ANY(msgt_name)) return KERN_INVALID_VALUE;
  ipc_lock();
  kern_return_t kr = space->active
                         ? extract_right_locked(space, into, name, msgt_name, poly, polyPoly)
                         : KERN_INVALID_TASK;
  ipc_unlock();
  return kr;
}

static void fill_status(const struct ipc_port *port, mach_port_status_t *st) {
  memset(st, 0, sizeof *st);
  st->mps_pset = port->npsets;
  st->mps_seqno = port->seqno;
  st->mps_mscount = port->mscount;
  st->mps_qlimit = port->qlimit;
  st->mps_msgcount = port->msgcount;
  st->mps_sorights = port->sorights;
  st->mps_srights = port->srights > 0 || port->remote_senders > 0; /* other tasks' too */
  st->mps_pdrequest = port->pdrequest != NULL;
  st->mps_nsrequest = port->nsrequest != NULL;
  st->mps_flags = (port->guarded ? MACH_PORT_STATUS_FLAG_GUARDED : 0) |
                  (port->strict_guard ? MACH_PORT_STATUS_FLAG_STRICT_GUARD : 0) |
                  (port->immovable_receive ? MACH_PORT_STATUS_FLAG_GUARD_IMMOVABLE_RECEIVE : 0);
}

kern_return_t mach_port_get_attributes(ipc_space_t task, mach_port_name_t name,
                                       mach_port_flavor_t flavor, mach_port_info_t info,
                                       mach_msg_type_number_t *count) {
  LOCK_TASK_OR_REMOTE(space, task, NULL,
                      openmig_task_mach_port_get_attributes(task, name, flavor, info, count));
  kern_return_t kr;
  struct ipc_port *port = receive_right(space, name, &kr);
  natural_t need = 0;
  if (port) {
    switch (flavor) {
    case MACH_PORT_LIMITS_INFO: need = MACH_PORT_LIMITS_INFO_COUNT; break;
    case MACH_PORT_RECEIVE_STATUS: need = MACH_PORT_RECEIVE_STATUS_COUNT; break;
    case MACH_PORT_DNREQUESTS_SIZE: need = MACH_PORT_DNREQUESTS_SIZE_COUNT; break;
    case MACH_PORT_INFO_EXT: need = MACH_PORT_INFO_EXT_COUNT; break;
    case MACH_PORT_GUARD_INFO: need = MACH_PORT_GUARD_INFO_COUNT; break;
    default: kr = KERN_INVALID_ARGUMENT; break;
    }
    if (kr == KERN_SUCCESS && (!count || *count < need)) kr = KERN_FAILURE;
    if (kr == KERN_SUCCESS && flavor == MACH_PORT_GUARD_INFO && !port->guarded)
      kr = KERN_INVALID_ARGUMENT;
  }
  if (kr == KERN_SUCCESS) {
    switch (flavor) {
    case MACH_PORT_LIMITS_INFO: {
      mach_port_limits_t lim = { port->qlimit };
      memcpy(info, &lim, sizeof lim);
      break;
    }
    case MACH_PORT_RECEIVE_STATUS: {
      mach_port_status_t st;
      fill_status(port, &st);
      memcpy(info, &st, sizeof st);
      break;
    }
    case MACH_PORT_DNREQUESTS_SIZE: {
      integer_t n = 0;
      for (struct ipc_dnreq *r = port->dnrequests; r; r = r->next) n++;
      info[0] = n;
      break;
    }
    case MACH_PORT_INFO_EXT: {
      mach_port_info_ext_t ext;
      memset(&ext, 0, sizeof ext);
      fill_status(port, &ext.mpie_status);
      memcpy(info, &ext, sizeof ext);
      break;
    }
    default: { /* MACH_PORT_GUARD_INFO */
      mach_port_guard_info_t gi = { port->context };
      memcpy(info, &gi, sizeof gi);
      break;
    }
    }
    *count = need;
  }
  ipc_unlock();
  return kr;
}

kern_return_t mach_port_set_attributes(ipc_space_t task, mach_port_name_t name,
                                       mach_port_flavor_t flavor, mach_port_info_t info,
                                       mach_msg_type_number_t count) {
  LOCK_TASK_OR_REMOTE(space, task, NULL,
                      openmig_task_mach_port_set_attributes(task, name, flavor, info, count));
  kern_return_t kr;
  struct ipc_port *port = receive_right(space, name, &kr);
  if (port) {
    switch (flavor) {
    case MACH_PORT_LIMITS_INFO: {
      mach_port_limits_t lim;
      if (count < MACH_PORT_LIMITS_INFO_COUNT) {
        kr = KERN_FAILURE;
        break;
      }
      memcpy(&lim, info, sizeof lim);
      if (lim.mpl_qlimit > MACH_PORT_QLIMIT_MAX) {
        kr = KERN_INVALID_VALUE;
        break;
      }
      port->qlimit = lim.mpl_qlimit;
      mqueue_admit_senders(port);
      break;
    }
    case MACH_PORT_DNREQUESTS_SIZE:
    case MACH_PORT_TEMPOWNER:
    case MACH_PORT_IMPORTANCE_RECEIVER:
    case MACH_PORT_DENAP_RECEIVER:
      break; /* accepted; nothing to size or boost here */
    default:
      kr = KERN_INVALID_ARGUMENT;
      break;
    }
  }
  ipc_unlock();
  return kr;
}

/* The small operations on a receive right, applied under the lock by receive_right_op; the
 * guard rules are XNU's (mach_port.c): a guard needs a port whose context is 0; unguarding
 * clears the context; immovability stays; a strict guard hides and freezes the context. */
enum receive_op {
  RECV_SET_MSCOUNT,
  RECV_SET_SEQNO,
  RECV_GET_SRIGHTS,
  RECV_GET_CONTEXT,
  RECV_SET_CONTEXT,
  RECV_GUARD,
  RECV_UNGUARD,
  RECV_SWAP_GUARD,
};

struct receive_args {
  uint64_t value;               /* the new value, the guard, or the old guard (swap) */
  uint64_t value2;              /* swap: the new guard; guard: MPG_* flags */
  uint64_t out;
};

static kern_return_t apply_receive_op(struct ipc_port *port, enum receive_op op,
                                      struct receive_args *a) {
  switch (op) {
  case RECV_SET_MSCOUNT:
    port->mscount = (mach_port_mscount_t)a->value;
    return KERN_SUCCESS;
  case RECV_SET_SEQNO:
    port->seqno = (mach_port_seqno_t)a->value;
    return KERN_SUCCESS;
  case RECV_GET_SRIGHTS:
    a->out = port->srights;
    return KERN_SUCCESS;
  case RECV_GET_CONTEXT: /* a strict guard is not disclosed */
    a->out = port->strict_guard ? 0 : port->context;
    return KERN_SUCCESS;
  case RECV_SET_CONTEXT:
    if (port->strict_guard) return KERN_INVALID_ARGUMENT;
    port->context = a->value;
    return KERN_SUCCESS;
  case RECV_GUARD:
    if (port->context != 0) return KERN_INVALID_ARGUMENT;
    port->guarded = true;
    port->strict_guard = (a->value2 & MPG_STRICT) != 0;
    port->context = a->value;
    if (a->value2 & MPG_IMMOVABLE_RECEIVE) port->immovable_receive = true;
    return KERN_SUCCESS;
  case RECV_UNGUARD:
    if (!port->guarded || port->context != a->value) return KERN_INVALID_ARGUMENT;
    port->guarded = false;
    port->strict_guard = false;
    port->context = 0;
    return KERN_SUCCESS;
  default: /* RECV_SWAP_GUARD */
    if (!port->guarded || port->strict_guard || port->context != a->value)
      return KERN_INVALID_ARGUMENT;
    port->context = a->value2;
    return KERN_SUCCESS;
  }
}

/* bad_name: the answer for MACH_PORT_NULL / DEAD (XNU: KERN_INVALID_NAME for the guard calls,
 * KERN_INVALID_RIGHT for the others). */
static kern_return_t receive_right_op(ipc_space_t task, mach_port_name_t name, enum receive_op op,
                                      struct receive_args *a, kern_return_t bad_name) {
  LOCK_TASK_OR_FAIL(space, task, NULL);
  kern_return_t kr = bad_name;
  struct ipc_port *port = MACH_PORT_VALID(name) ? receive_right(space, name, &kr) : NULL;
  if (port) kr = apply_receive_op(port, op, a);
  ipc_unlock();
  return kr;
}

kern_return_t mach_port_set_mscount(ipc_space_t task, mach_port_name_t name,
                                    mach_port_mscount_t mscount) {
  if (REMOTE_TASK(task)) return openmig_task_mach_port_set_mscount(task, name, mscount);
  struct receive_args a = { .value = mscount };
  return receive_right_op(task, name, RECV_SET_MSCOUNT, &a, KERN_INVALID_RIGHT);
}

kern_return_t mach_port_set_seqno(ipc_space_t task, mach_port_name_t name,
                                  mach_port_seqno_t seqno) {
  if (REMOTE_TASK(task)) return openmig_task_mach_port_set_seqno(task, name, seqno);
  struct receive_args a = { .value = seqno };
  return receive_right_op(task, name, RECV_SET_SEQNO, &a, KERN_INVALID_RIGHT);
}

kern_return_t mach_port_get_srights(ipc_space_t task, mach_port_name_t name,
                                    mach_port_rights_t *srights) {
  if (REMOTE_TASK(task)) return openmig_task_mach_port_get_srights(task, name, srights);
  struct receive_args a = { 0 };
  kern_return_t kr = receive_right_op(task, name, RECV_GET_SRIGHTS, &a, KERN_INVALID_RIGHT);
  if (kr == KERN_SUCCESS) *srights = (mach_port_rights_t)a.out;
  return kr;
}

kern_return_t mach_port_get_context(ipc_space_t task, mach_port_name_t name,
                                    mach_port_context_t *context) {
  if (REMOTE_TASK(task)) return openmig_task_mach_port_get_context(task, name, context);
  struct receive_args a = { 0 };
  kern_return_t kr = receive_right_op(task, name, RECV_GET_CONTEXT, &a, KERN_INVALID_RIGHT);
  if (kr == KERN_SUCCESS) *context = a.out;
  return kr;
}

kern_return_t mach_port_set_context(ipc_space_t task, mach_port_name_t name,
                                    mach_port_context_t context) {
  if (REMOTE_TASK(task)) return openmig_task_mach_port_set_context(task, name, context);
  struct receive_args a = { .value = context };
  return receive_right_op(task, name, RECV_SET_CONTEXT, &a, KERN_INVALID_RIGHT);
}

kern_return_t mach_port_guard(ipc_space_t task, mach_port_name_t name, mach_port_context_t guard,
                              boolean_t strict) {
  if (REMOTE_TASK(task)) return openmig_task_mach_port_guard(task, name, guard, strict);
  struct receive_args a = { .value = guard, .value2 = strict ? MPG_STRICT : 0 };
  return receive_right_op(task, name, RECV_GUARD, &a, KERN_INVALID_NAME);
}

kern_return_t mach_port_guard_with_flags(ipc_space_t task, mach_port_name_t name,
                                         mach_port_context_t guard, uint64_t flags) {
  struct receive_args a = { .value = guard, .value2 = flags };
  return receive_right_op(task, name, RECV_GUARD, &a, KERN_INVALID_NAME);
}

kern_return_t mach_port_unguard(ipc_space_t task, mach_port_name_t name,
                                mach_port_context_t guard) {
  if (REMOTE_TASK(task)) return openmig_task_mach_port_unguard(task, name, guard);
  struct receive_args a = { .value = guard };
  return receive_right_op(task, name, RECV_UNGUARD, &a, KERN_INVALID_NAME);
}

kern_return_t mach_port_swap_guard(ipc_space_t task, mach_port_name_t name,
                                   mach_port_context_t old_guard, mach_port_context_t new_guard) {
  struct receive_args a = { .value = old_guard, .value2 = new_guard };
  return receive_right_op(task, name, RECV_SWAP_GUARD, &a, KERN_INVALID_NAME);
}

/* Size of a queued message as XNU's mach_port_peek reports it: the kernel's form of the message,
 * whose header is 8 bytes longer (two port pointers) and whose port descriptors are 16 bytes
 * instead of 12. */
static mach_msg_size_t peek_size(const struct ipc_kmsg *kmsg) {
  mach_msg_size_t size = kmsg->size + 8;
  for (uint32_t i = 0; i < kmsg->ndesc; i++)
    if (kmsg->desc[i].type == MACH_MSG_PORT_DESCRIPTOR) size += 4;
  return size;
}

kern_return_t mach_port_peek(ipc_space_t task, mach_port_name_t name,
                             mach_msg_trailer_type_t trailer_type, mach_port_seqno_t *request_seqnop,
                             mach_msg_size_t *msg_sizep, mach_msg_id_t *msg_idp,
                             mach_msg_trailer_info_t trailer_infop,
                             mach_msg_type_number_t *trailer_infopCnt) {
  LOCK_TASK_OR_FAIL(space, task, NULL);
  kern_return_t kr = KERN_SUCCESS;
  mach_msg_size_t tsize = REQUESTED_TRAILER_SIZE(trailer_type);
  struct ipc_port *port = NULL;
  if (!MACH_PORT_VALID(name)) {
    kr = KERN_INVALID_RIGHT;
  } else if (GET_RCV_ELEMENTS(trailer_type) > MACH_RCV_TRAILER_AUDIT ||
             tsize > *trailer_infopCnt) {
    kr = KERN_INVALID_VALUE; /* the context is not disclosed by a peek */
  } else {
    *trailer_infopCnt = tsize;
    port = receive_right(space, name, &kr);
  }
  if (port) {
    /* Sequence number 0 asks for the first message; another one must be queued. */
    mach_port_seqno_t seqno = *request_seqnop;
    uint32_t skip = 0;
    if (seqno == 0)
      seqno = port->seqno;
    else if (seqno >= port->seqno && seqno - port->seqno < port->msgcount)
      skip = seqno - port->seqno;
    else
      kr = KERN_FAILURE;
    struct ipc_kmsg *kmsg = kr == KERN_SUCCESS ? port->q_head : NULL;
    while (kmsg && skip--) kmsg = kmsg->next;
    if (!kmsg) {
      kr = KERN_FAILURE;
    } else {
      mach_msg_max_trailer_t t;
      ipc_msg_trailer(&t, kmsg, seqno, 0, tsize);
      *request_seqnop = seqno;
      *msg_sizep = peek_size(kmsg);
      *msg_idp = kmsg->id;
      memcpy(trailer_infop, &t, tsize);
    }
  }
  ipc_unlock();
  return kr;
}

/* The service port named by a receive right in space, with XNU's errors. */
static struct ipc_port *service_port(struct ipc_space *space, mach_port_name_t name,
                                     kern_return_t *kr) {
  struct ipc_port *port = receive_right(space, name, kr);
  if (port && (port->mpo_flags & MPO_PORT_TYPE_MASK) != MPO_SERVICE_PORT) {
    *kr = KERN_INVALID_CAPABILITY;
    return NULL;
  }
  return port;
}

kern_return_t mach_port_is_connection_for_service(ipc_space_t task,
                                                  mach_port_name_t connection_port,
                                                  mach_port_name_t service_port_name,
                                                  uint64_t *filter_policy_id) {
  if (!MACH_PORT_VALID(connection_port) || !MACH_PORT_VALID(service_port_name))
    return KERN_INVALID_NAME;
  if (!filter_policy_id) return KERN_INVALID_ARGUMENT;
  LOCK_TASK_OR_FAIL(space, task, NULL);
  kern_return_t kr;
  /* XNU asks the sandbox's message filter for a policy only when the service port has a
   * sandbox label; there is no sandbox here, so, as for an unlabelled service port: 0. */
  if (service_port(space, service_port_name, &kr)) *filter_policy_id = 0;
  ipc_unlock();
  return kr;
}

kern_return_t mach_port_get_service_port_info(ipc_space_read_t task, mach_port_name_t name,
                                              mach_service_port_info_data_t *sp_info_out) {
  if (!sp_info_out) return KERN_INVALID_ARGUMENT;
  LOCK_TASK_OR_FAIL(space, task, NULL);
  kern_return_t kr = KERN_INVALID_RIGHT;
  struct ipc_port *port = MACH_PORT_VALID(name) ? service_port(space, name, &kr) : NULL;
  if (port) *sp_info_out = *port->service_info;
  ipc_unlock();
  return kr;
}

kern_return_t mach_port_assert_attributes(ipc_space_t task, mach_port_name_t name, int flavor,
                                          mach_port_info_t info, mach_msg_type_number_t infoCnt) {
  if (flavor != MACH_PORT_GUARD_INFO) return KERN_INVALID_ARGUMENT;
  if (infoCnt < MACH_PORT_GUARD_INFO_COUNT) return KERN_FAILURE;
  if (!MACH_PORT_VALID(name)) return KERN_INVALID_RIGHT;
  mach_port_guard_info_t gi;
  memcpy(&gi, info, sizeof gi);
  LOCK_TASK_OR_FAIL(space, task, NULL);
  kern_return_t kr;
  struct ipc_port *port = receive_right(space, name, &kr);
  /* Darwin kills a task whose assertion fails (a fatal guard exception); here it is an answer. */
  if (port && (!port->guarded || !port->strict_guard || port->context != gi.mpgi_guard))
    kr = KERN_INVALID_ARGUMENT;
  ipc_unlock();
  return kr;
}

/* IKOT_TASK_CONTROL, XNU's kernel-object type of a task port. */
#define KOBJECT_TYPE_TASK_CONTROL 2u

kern_return_t mach_port_kobject(ipc_space_read_t task, mach_port_name_t name,
                                natural_t *object_type, mach_vm_address_t *object_addr) {
  LOCK_TASK_OR_FAIL(space, task, NULL);
  struct ipc_entry *e = MACH_PORT_VALID(name) ? space_lookup(space, name) : NULL;
  kern_return_t kr = KERN_SUCCESS;
  if (!e)
    kr = KERN_INVALID_NAME;
  else if (!(e->type & (MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_RECEIVE)))
    kr = KERN_INVALID_RIGHT;
  if (kr == KERN_SUCCESS) {
    *object_type = e->port->kotype == IKOT_TASK ? KOBJECT_TYPE_TASK_CONTROL : 0;
    *object_addr = 0; /* release kernels disclose no address */
  }
  ipc_unlock();
  return kr;
}

kern_return_t mach_port_kernel_object(ipc_space_read_t task, mach_port_name_t name,
                                      unsigned *object_type, unsigned *object_addr) {
  natural_t type = 0;
  mach_vm_address_t addr = 0;
  kern_return_t kr = mach_port_kobject(task, name, &type, &addr);
  if (kr == KERN_SUCCESS) {
    *object_type = type;
    if (object_addr) *object_addr = (unsigned)addr;
  }
  return kr;
}
