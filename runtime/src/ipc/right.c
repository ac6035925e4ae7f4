/* Rights in a space: copyin/copyout for messages, and deallocate, destroy, mod_refs, get_refs.
 * Follows XNU's ipc_right.c semantics: one entry holds one reference on its port whatever its
 * user-reference count; send rights to one port share one name; send-once rights never do. */
#include "ipc/right_internal.h"
#include "ipc/notify_internal.h"
#include "ipc/port_internal.h"
#include "ipc/portset_internal.h"
#include "ipc/fdwatch_internal.h"

#define T_SEND MACH_PORT_TYPE_SEND
#define T_RECV MACH_PORT_TYPE_RECEIVE
#define T_SO MACH_PORT_TYPE_SEND_ONCE
#define T_DEAD MACH_PORT_TYPE_DEAD_NAME
#define T_PSET MACH_PORT_TYPE_PORT_SET

/* Takes one user reference. Urefs that reached IPC_UREFS_MAX are pegged there, as in XNU:
 * only removing all of them at once (mod_refs by -IPC_UREFS_MAX) changes them. */
static void urefs_take_one(struct ipc_entry *e) {
  if (e->urefs < IPC_UREFS_MAX) e->urefs--;
}

void right_entry_remove(struct ipc_space *space, mach_port_name_t name, struct ipc_entry *e) {
  if (e->dnreq) dnreq_cancel(e->dnreq);
  if ((e->type & (T_SEND | T_RECV)) && e->port) space_rmap_remove(space, e->port);
  e->type = 0;
  e->port = NULL;
  e->pset = NULL;
  space_free_entry(space, name);
}

void right_check_dead(struct ipc_space *space, mach_port_name_t name, struct ipc_entry *e) {
  (void)name;
  if (!(e->type & (T_SEND | T_SO)) || (e->type & T_RECV) || !e->port || e->port->active) return;
  struct ipc_port *port = e->port;
  mach_port_urefs_t urefs = 1;
  if (e->type & T_SEND) {
    space_rmap_remove(space, port);
    port->srights--;
    urefs = e->urefs;
  } else {
    port->sorights--;
  }
  if (e->dnreq) dnreq_discard(e->dnreq);
  e->type = T_DEAD;
  e->urefs = urefs;
  e->port = NULL;
  port_release(port);
}

kern_return_t right_copyin_check(struct ipc_entry *tmp, mach_msg_type_name_t disp) {
  switch (disp) {
  case MACH_MSG_TYPE_MOVE_RECEIVE:
    if (!(tmp->type & T_RECV)) return KERN_INVALID_RIGHT;
    tmp->type &= ~T_RECV;
    return KERN_SUCCESS;
  case MACH_MSG_TYPE_MAKE_SEND:
  case MACH_MSG_TYPE_MAKE_SEND_ONCE:
    return (tmp->type & T_RECV) ? KERN_SUCCESS : KERN_INVALID_RIGHT;
  case MACH_MSG_TYPE_COPY_SEND:
    return (tmp->type & (T_SEND | T_DEAD)) && tmp->urefs > 0 ? KERN_SUCCESS : KERN_INVALID_RIGHT;
  case MACH_MSG_TYPE_MOVE_SEND:
    if (!(tmp->type & (T_SEND | T_DEAD)) || tmp->urefs == 0) return KERN_INVALID_RIGHT;
    if (--tmp->urefs == 0) tmp->type &= ~(T_SEND | T_DEAD);
    return KERN_SUCCESS;
  case MACH_MSG_TYPE_MOVE_SEND_ONCE:
    if (tmp->type & T_SO) {
      tmp->type &= ~T_SO;
      return KERN_SUCCESS;
    }
    if ((tmp->type & T_DEAD) && tmp->urefs > 0) {
      if (--tmp->urefs == 0) tmp->type &= ~T_DEAD;
      return KERN_SUCCESS;
    }
    return KERN_INVALID_RIGHT;
  default:
    return KERN_INVALID_VALUE;
  }
}

/* Takes one uref from a dead name (a right moved out of a dead name carries MACH_PORT_DEAD). */
static void dead_name_take(struct ipc_space *space, mach_port_name_t name, struct ipc_entry *e) {
  if (e->urefs == 1)
    right_entry_remove(space, name, e);
  else
    urefs_take_one(e);
}

/* A receive right leaving its space, as XNU's ipc_port_clear_receiver: the make-send count,
 * sequence number, context and guard start over wherever it lands. */
static void receive_right_leaves(struct ipc_port *port) {
  port->receiver = NULL;
  port->receiver_name = MACH_PORT_NULL;
  port->mscount = 0;
  port->seqno = 0;
  port->context = 0;
  port->guarded = false;
  port->strict_guard = false;
  port_leave_psets(port);
  fdwatch_port_detach(port);
  for (struct ipc_waiter *w; (w = waitq_pop(&port->rcv_waiters)) != NULL;) ipc_wake_later(w);
}

/* mach_task_self() is pinned, as on Darwin: its last user reference never goes away. */
static bool is_pinned_task_self(struct ipc_space *space, const struct ipc_entry *e) {
  return e->port && e->port == space->task_port && e->urefs <= 1;
}

kern_return_t right_copyin(struct ipc_space *space, mach_port_name_t name,
                           mach_msg_type_name_t disp, struct ipc_port **out,
                           mach_msg_type_name_t *type) {
  if (disp < MACH_MSG_TYPE_MOVE_RECEIVE || disp > MACH_MSG_TYPE_MAKE_SEND_ONCE)
    return KERN_INVALID_VALUE;
  *type = disp == MACH_MSG_TYPE_MOVE_RECEIVE                                    ? MACH_MSG_TYPE_PORT_RECEIVE
          : (disp == MACH_MSG_TYPE_MOVE_SEND_ONCE || disp == MACH_MSG_TYPE_MAKE_SEND_ONCE) ? MACH_MSG_TYPE_PORT_SEND_ONCE
                                                                                         : MACH_MSG_TYPE_PORT_SEND;
  if (name == MACH_PORT_NULL) {
    *out = NULL;
    return KERN_SUCCESS;
  }
  if (name == MACH_PORT_DEAD) {
    *out = IPC_PORT_DEAD;
    return KERN_SUCCESS;
  }
  struct ipc_entry *e = space_lookup(space, name);
  if (!e) return KERN_INVALID_NAME;
  struct ipc_entry tmp = *e;
  kern_return_t kr = right_copyin_check(&tmp, disp);
  if (kr != KERN_SUCCESS) return kr;
  struct ipc_port *port = e->port;
  switch (disp) {
  case MACH_MSG_TYPE_MOVE_RECEIVE:
    if (port->immovable_receive || port->kotype != IKOT_NONE) return KERN_INVALID_CAPABILITY;
    if (e->type & T_SEND) {
      port_reference(port);
      e->type &= ~T_RECV;
    } else {
      right_entry_remove(space, name, e);
    }
    receive_right_leaves(port);
    break;
  case MACH_MSG_TYPE_MAKE_SEND:
    port_make_send(port);
    break;
  case MACH_MSG_TYPE_MAKE_SEND_ONCE:
    port_make_send_once(port);
    break;
  case MACH_MSG_TYPE_COPY_SEND:
    if (e->type & T_DEAD) {
      port = IPC_PORT_DEAD;
      break;
    }
    port_copy_send(port);
    break;
  case MACH_MSG_TYPE_MOVE_SEND:
    if (e->type & T_DEAD) {
      dead_name_take(space, name, e);
      port = IPC_PORT_DEAD;
    } else if (e->urefs > 1 || is_pinned_task_self(space, e)) {
      if (e->urefs > 1) urefs_take_one(e); /* the task-self name keeps its last reference */
      port_copy_send(port);
    } else if (e->type & T_RECV) {
      port_reference(port);
      e->type &= ~T_SEND;
      e->urefs = 0;
    } else {
      right_entry_remove(space, name, e);
    }
    break;
  default: /* MOVE_SEND_ONCE */
    if (e->type & T_DEAD) {
      dead_name_take(space, name, e);
      port = IPC_PORT_DEAD;
    } else {
      right_entry_remove(space, name, e);
    }
    break;
  }
  *out = port;
  return KERN_SUCCESS;
}

/* Adds a send right to an entry already naming port (send and/or receive). */
static void entry_merge_send(struct ipc_entry *e, struct ipc_port *port) {
  if (e->type & T_SEND) {
    if (e->urefs < IPC_UREFS_MAX) e->urefs++; /* saturates, as XNU's copyout does */
    port_release_send(port);
  } else {
    e->type |= T_SEND;
    e->urefs = 1;
    port_release(port); /* the entry already holds a reference for its receive right */
  }
}

static void receive_right_arrives(struct ipc_space *space, struct ipc_port *port,
                                  mach_port_name_t name) {
  port->receiver = space;
  port->receiver_name = name;
  port->destination = NULL;
}

/* Makes a fresh entry hold the right (its reference moves into the entry). */
static void entry_fill(struct ipc_space *space, mach_port_name_t name, struct ipc_entry *e,
                       struct ipc_port *port, mach_msg_type_name_t type) {
  e->port = port;
  e->urefs = 1;
  if (type == MACH_MSG_TYPE_PORT_SEND_ONCE) {
    e->type = T_SO;
    return;
  }
  e->type = type == MACH_MSG_TYPE_PORT_SEND ? T_SEND : T_RECV;
  if (type == MACH_MSG_TYPE_PORT_RECEIVE) {
    e->urefs = 0;
    receive_right_arrives(space, port, name);
  }
  space_rmap_insert(space, port, name);
}

kern_return_t right_copyout(struct ipc_space *space, struct ipc_port *port,
                            mach_msg_type_name_t type, mach_port_name_t *name) {
  if (port == NULL || port == IPC_PORT_DEAD) {
    *name = port ? MACH_PORT_DEAD : MACH_PORT_NULL;
    return KERN_SUCCESS;
  }
  if (type != MACH_MSG_TYPE_PORT_RECEIVE && !port->active) {
    right_destroy(port, type);
    *name = MACH_PORT_DEAD;
    return KERN_SUCCESS;
  }
  mach_port_name_t existing;
  if (type != MACH_MSG_TYPE_PORT_SEND_ONCE && space_rmap_find(space, port, &existing)) {
    struct ipc_entry *e = space_entry_raw(space, existing);
    if (type == MACH_MSG_TYPE_PORT_SEND) {
      entry_merge_send(e, port);
    } else {
      e->type |= T_RECV;
      port_release(port);
      receive_right_arrives(space, port, existing);
    }
    *name = existing;
    return KERN_SUCCESS;
  }
  struct ipc_entry *e = space_alloc_entry(space, name);
  if (!e) {
    right_destroy(port, type);
    *name = MACH_PORT_NULL;
    return KERN_NO_SPACE;
  }
  entry_fill(space, *name, e, port, type);
  return KERN_SUCCESS;
}

kern_return_t right_copyout_at(struct ipc_space *space, mach_port_name_t name,
                               struct ipc_port *port, mach_msg_type_name_t type) {
  /* XNU's ipc_object_copyout_name: the name's form, then a dead port, then another name for
   * the port (send and receive rights only), then a name holding something else. */
  kern_return_t kr = space_check_name(space, name);
  if (kr == KERN_SUCCESS && !port->active) kr = KERN_INVALID_CAPABILITY;
  struct ipc_entry *e = kr == KERN_SUCCESS ? space_lookup(space, name) : NULL;
  mach_port_name_t other;
  if (kr == KERN_SUCCESS && type != MACH_MSG_TYPE_PORT_SEND_ONCE &&
      space_rmap_find(space, port, &other) && other != name)
    kr = KERN_RIGHT_EXISTS;
  if (kr == KERN_SUCCESS && e &&
      (type == MACH_MSG_TYPE_PORT_SEND_ONCE || e->port != port || !(e->type & (T_SEND | T_RECV))))
    kr = KERN_NAME_EXISTS;
  if (kr != KERN_SUCCESS) {
    right_destroy(port, type);
    return kr;
  }
  if (e) { /* the name holds send and/or receive rights for this very port */
    if (type == MACH_MSG_TYPE_PORT_SEND) {
      entry_merge_send(e, port);
    } else {
      e->type |= T_RECV;
      port_release(port);
      receive_right_arrives(space, port, name);
    }
    return KERN_SUCCESS;
  }
  kr = space_claim_name(space, name, &e);
  if (kr != KERN_SUCCESS) {
    right_destroy(port, type);
    return kr;
  }
  entry_fill(space, name, e, port, type);
  return KERN_SUCCESS;
}

void right_destroy(struct ipc_port *port, mach_msg_type_name_t type) {
  if (!IPC_PORT_VALID(port)) return;
  switch (type) {
  case MACH_MSG_TYPE_PORT_SEND:
    port_release_send(port);
    break;
  case MACH_MSG_TYPE_PORT_SEND_ONCE:
    port_destroy_send_once(port);
    break;
  case MACH_MSG_TYPE_PORT_RECEIVE:
    port_destroy_receive(port);
    break;
  default:
    port_release(port);
    break;
  }
}

/* Drops the send right of an entry that keeps other rights or goes away. */
static void entry_drop_send(struct ipc_space *space, mach_port_name_t name, struct ipc_entry *e) {
  struct ipc_port *port = e->port;
  if (e->type & T_RECV) {
    port_reference(port);
    e->type &= ~T_SEND;
    e->urefs = 0;
  } else {
    right_entry_remove(space, name, e);
  }
  port_release_send(port);
}

/* Destroys the receive right of an entry (a remaining send right becomes a dead name). */
static void entry_destroy_receive(struct ipc_space *space, mach_port_name_t name,
                                  struct ipc_entry *e) {
  struct ipc_port *port = e->port;
  if (e->type & T_SEND) {
    port_reference(port);
    e->type &= ~T_RECV;
    port_destroy_receive(port);
    right_check_dead(space, name, e);
  } else {
    right_entry_remove(space, name, e);
    port_destroy_receive(port);
  }
}

kern_return_t right_deallocate(struct ipc_space *space, mach_port_name_t name) {
  if (!MACH_PORT_VALID(name)) return KERN_SUCCESS; /* XNU: nothing to release */
  struct ipc_entry *e = space_lookup(space, name);
  if (!e) return KERN_INVALID_NAME;
  if (e->type & T_PSET) {
    struct ipc_pset *pset = e->pset;
    right_entry_remove(space, name, e);
    pset_destroy(pset);
  } else if (e->type & T_SO) {
    struct ipc_port *port = e->port;
    right_entry_remove(space, name, e);
    port_destroy_send_once(port);
  } else if (e->type & T_DEAD) {
    dead_name_take(space, name, e);
  } else if (e->type & T_SEND) {
    if (is_pinned_task_self(space, e)) return KERN_SUCCESS;
    if (e->urefs > 1)
      urefs_take_one(e);
    else
      entry_drop_send(space, name, e);
  } else {
    return KERN_INVALID_RIGHT;
  }
  return KERN_SUCCESS;
}

kern_return_t right_destroy_name(struct ipc_space *space, mach_port_name_t name, bool dying) {
  struct ipc_entry *e = space_lookup(space, name);
  if (!e) return KERN_INVALID_NAME;
  /* XNU's ipc_right_destroy checks the guard against 0: a guarded receive right stays. */
  if (!dying && (e->type & T_RECV) && e->port->guarded && e->port->context != 0)
    return KERN_INVALID_RIGHT;
  if (!dying && is_pinned_task_self(space, e)) return KERN_SUCCESS;
  mach_port_type_t type = e->type;
  struct ipc_port *port = e->port;
  struct ipc_pset *pset = e->pset;
  right_entry_remove(space, name, e);
  if (type & T_PSET) {
    pset_destroy(pset);
  } else if (type & T_SO) {
    port_destroy_send_once(port);
  } else if (type & T_RECV) {
    if (type & T_SEND) port->srights--;
    port_destroy_receive(port);
  } else if (type & T_SEND) {
    port_release_send(port);
  }
  return KERN_SUCCESS;
}

/* XNU's user-reference arithmetic for send rights and dead names: a delta beyond +-IPC_UREFS_MAX
 * or below zero is KERN_INVALID_VALUE; reaching IPC_UREFS_MAX pegs the count there (no
 * overflow error), and a pegged count changes only by -IPC_UREFS_MAX. */
static kern_return_t urefs_adjust(mach_port_urefs_t urefs, mach_port_delta_t delta,
                                  mach_port_urefs_t *out) {
  const int64_t max = IPC_UREFS_MAX;
  if (delta > max || delta < -max) return KERN_INVALID_VALUE;
  if (urefs == IPC_UREFS_MAX) {
    *out = delta == -max ? 0 : IPC_UREFS_MAX;
    return KERN_SUCCESS;
  }
  int64_t sum = (int64_t)urefs + delta;
  if (sum < 0) return KERN_INVALID_VALUE;
  *out = sum >= max ? IPC_UREFS_MAX : (mach_port_urefs_t)sum;
  return KERN_SUCCESS;
}

kern_return_t right_mod_refs(struct ipc_space *space, mach_port_name_t name,
                             mach_port_right_t right, mach_port_delta_t delta) {
  if (right >= MACH_PORT_RIGHT_NUMBER) return KERN_INVALID_VALUE;
  if (!MACH_PORT_VALID(name))
    return (right == MACH_PORT_RIGHT_SEND || right == MACH_PORT_RIGHT_SEND_ONCE)
               ? KERN_SUCCESS
               : KERN_INVALID_NAME;
  struct ipc_entry *e = space_lookup(space, name);
  if (!e) return KERN_INVALID_NAME;
  mach_port_urefs_t urefs;
  kern_return_t kr;
  switch (right) {
  case MACH_PORT_RIGHT_PORT_SET:
  case MACH_PORT_RIGHT_RECEIVE:
  case MACH_PORT_RIGHT_SEND_ONCE: {
    mach_port_type_t need = right == MACH_PORT_RIGHT_PORT_SET ? T_PSET
                            : right == MACH_PORT_RIGHT_RECEIVE ? T_RECV
                                                               : T_SO;
    if (!(e->type & need)) return KERN_INVALID_RIGHT;
    if (delta == 0) return KERN_SUCCESS;
    if (delta != -1) return KERN_INVALID_VALUE;
    if (right == MACH_PORT_RIGHT_RECEIVE) {
      if (e->port->guarded) return KERN_INVALID_RIGHT; /* XNU: a guard violation */
      entry_destroy_receive(space, name, e);
      return KERN_SUCCESS;
    }
    return right_destroy_name(space, name, false);
  }
  case MACH_PORT_RIGHT_DEAD_NAME:
    if (!(e->type & T_DEAD)) return KERN_INVALID_RIGHT;
    kr = urefs_adjust(e->urefs, delta, &urefs);
    if (kr != KERN_SUCCESS) return kr;
    e->urefs = urefs;
    if (urefs == 0) right_entry_remove(space, name, e);
    return KERN_SUCCESS;
  case MACH_PORT_RIGHT_SEND:
    if (!(e->type & T_SEND)) return KERN_INVALID_RIGHT;
    kr = urefs_adjust(e->urefs, delta, &urefs);
    if (kr != KERN_SUCCESS) return kr;
    if (urefs == 0 && is_pinned_task_self(space, e)) return KERN_SUCCESS;
    if (urefs == 0) {
      e->urefs = 1;
      entry_drop_send(space, name, e);
    } else {
      e->urefs = urefs;
    }
    return KERN_SUCCESS;
  default: /* MACH_PORT_RIGHT_LABELH: obsolete, no name holds it */
    return KERN_INVALID_RIGHT;
  }
}

kern_return_t right_get_refs(struct ipc_space *space, mach_port_name_t name,
                             mach_port_right_t right, mach_port_urefs_t *refs) {
  if (right >= MACH_PORT_RIGHT_NUMBER) return KERN_INVALID_VALUE;
  if (!MACH_PORT_VALID(name)) {
    if (right == MACH_PORT_RIGHT_SEND || right == MACH_PORT_RIGHT_SEND_ONCE) {
      *refs = 1; /* XNU: MACH_PORT_NULL and MACH_PORT_DEAD count as one reference */
      return KERN_SUCCESS;
    }
    return KERN_INVALID_NAME;
  }
  struct ipc_entry *e = space_lookup(space, name);
  if (!e) return KERN_INVALID_NAME;
  switch (right) {
  case MACH_PORT_RIGHT_SEND:
    *refs = (e->type & T_SEND) ? e->urefs : 0;
    break;
  case MACH_PORT_RIGHT_DEAD_NAME:
    *refs = (e->type & T_DEAD) ? e->urefs : 0;
    break;
  case MACH_PORT_RIGHT_RECEIVE:
    *refs = (e->type & T_RECV) ? 1 : 0;
    break;
  case MACH_PORT_RIGHT_SEND_ONCE:
    *refs = (e->type & T_SO) ? 1 : 0;
    break;
  case MACH_PORT_RIGHT_PORT_SET:
    *refs = (e->type & T_PSET) ? 1 : 0;
    break;
  default: /* MACH_PORT_RIGHT_LABELH */
    *refs = 0;
    break;
  }
  return KERN_SUCCESS;
}

kern_return_t right_destruct(struct ipc_space *space, mach_port_name_t name,
                             mach_port_delta_t srdelta, mach_port_context_t guard) {
  if (!MACH_PORT_VALID(name)) return KERN_INVALID_NAME;
  struct ipc_entry *e = space_lookup(space, name);
  if (!e) return KERN_INVALID_NAME;
  if (!(e->type & T_RECV)) return KERN_INVALID_RIGHT;
  if (srdelta != 0 && !(e->type & T_SEND)) return KERN_INVALID_RIGHT;
  if (srdelta > 0) return KERN_INVALID_VALUE;
  struct ipc_port *port = e->port;
  if (port->guarded && port->context != guard) return KERN_INVALID_ARGUMENT;
  if (srdelta != 0) {
    if ((int64_t)e->urefs + srdelta < 0) return KERN_INVALID_VALUE;
    if (e->urefs == IPC_UREFS_MAX && srdelta != -(mach_port_delta_t)IPC_UREFS_MAX) srdelta = 0;
    if ((int64_t)e->urefs + srdelta == 0) {
      e->urefs = 1;
      entry_drop_send(space, name, e);
    } else {
      e->urefs = (mach_port_urefs_t)((int64_t)e->urefs + srdelta);
    }
  }
  port->guarded = false;
  port->strict_guard = false;
  entry_destroy_receive(space, name, e);
  return KERN_SUCCESS;
}

mach_port_type_t right_type_bits(const struct ipc_entry *e) {
  return e->type | (e->dnreq ? MACH_PORT_TYPE_DNREQUEST : 0);
}
