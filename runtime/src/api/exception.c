/* Thread ports and exception ports' storage (docs/exceptions.md): mach_thread_self's
 * kernel-object ports (IKOT_THREAD), and the handler (port, behavior, flavor) of every exception
 * type for the task and for each thread, kept as send rights held by the core under the IPC
 * lock. Raising is services/exception.c's part. */
#include "ipc/ipc.h"
#include "api/exception_internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <mach/mach_init.h>

struct exc_action {
  struct ipc_port *port; /* send right, or NULL */
  exception_behavior_t behavior;
  thread_state_flavor_t flavor;
};

struct exc_thread {
  struct ipc_port *port; /* the thread port (its allocation reference) */
  struct exc_action actions[EXC_TYPES_COUNT];
  struct exc_thread *next;
};

static struct exc_action task_actions[EXC_TYPES_COUNT]; /* the task's own (IPC lock) */
static struct exc_thread *threads;                       /* every live thread port (IPC lock) */
static __thread struct exc_thread *self_thread;
static pthread_key_t thread_key;
static pthread_once_t thread_key_once = PTHREAD_ONCE_INIT;

static void actions_clear(struct exc_action *a) {
  for (int i = 0; i < EXC_TYPES_COUNT; i++) {
    if (a[i].port) port_release_send(a[i].port);
    a[i] = (struct exc_action){0};
  }
}

/* Thread exit: the port stops naming a thread, and its handlers are released. */
static void thread_gone(void *arg) {
  struct exc_thread *t = arg;
  ipc_lock();
  for (struct exc_thread **p = &threads; *p; p = &(*p)->next) {
    if (*p == t) {
      *p = t->next;
      break;
    }
  }
  actions_clear(t->actions);
  t->port->kobject = NULL;
  port_release(t->port);
  ipc_unlock();
  free(t);
  self_thread = NULL;
}

static void thread_key_make(void) { pthread_key_create(&thread_key, thread_gone); }

mach_port_t mach_thread_self(void) {
  struct ipc_space *space = ipc_space_current();
  struct exc_thread *t = self_thread;
  if (!t) {
    pthread_once(&thread_key_once, thread_key_make);
    t = calloc(1, sizeof *t);
    if (!t) return MACH_PORT_NULL;
  }
  ipc_lock();
  if (!self_thread) {
    t->port = port_alloc();
    if (!t->port) {
      ipc_unlock();
      free(t);
      return MACH_PORT_NULL;
    }
    t->port->kotype = IKOT_THREAD;
    t->port->kobject = t;
    t->next = threads;
    threads = t;
    self_thread = t;
    pthread_setspecific(thread_key, t);
  }
  port_make_send(t->port);
  mach_port_name_t name = MACH_PORT_NULL;
  right_copyout(space, t->port, MACH_MSG_TYPE_PORT_SEND, &name);
  ipc_unlock();
  return name;
}

/* The actions `target` names in space, or NULL. Lock held. */
static struct exc_action *actions_of(struct ipc_space *space, mach_port_t target, bool thread) {
  if (!thread) return space_from_task_name(space, target) == space ? task_actions : NULL;
  struct ipc_entry *e = MACH_PORT_VALID(target) ? space_lookup(space, target) : NULL;
  if (!e || !(e->type & MACH_PORT_TYPE_SEND)) return NULL;
  struct ipc_port *p = e->port;
  if (p->kotype != IKOT_THREAD || !p->kobject) return NULL;
  return ((struct exc_thread *)p->kobject)->actions;
}

static bool flavor_ok(exception_behavior_t behavior, thread_state_flavor_t flavor) {
  if (flavor == THREAD_STATE_NONE || flavor == MACHINE_THREAD_STATE) return true;
  return flavor == 0 && (behavior & ~MACH_EXCEPTION_MASK) == EXCEPTION_DEFAULT;
}

static bool behavior_ok(exception_behavior_t behavior) {
  switch (behavior & ~MACH_EXCEPTION_MASK) {
  case EXCEPTION_DEFAULT:
  case EXCEPTION_STATE:
  case EXCEPTION_STATE_IDENTITY:
    return true;
  default:
    return false;
  }
}

/* Darwin's grouping of the handlers of the types in mask (lock held). */
static void actions_get(struct ipc_space *space, const struct exc_action *a, exception_mask_t mask,
                        exception_mask_array_t masks, mach_msg_type_number_t *count,
                        exception_handler_array_t ports, exception_behavior_array_t behaviors,
                        exception_flavor_array_t flavors) {
  mach_msg_type_number_t cap = *count, n = 0;
  struct ipc_port *held[EXC_TYPES_COUNT];
  for (int i = FIRST_EXCEPTION; i < EXC_TYPES_COUNT; i++) {
    if (!(mask & (1u << i))) continue;
    mach_msg_type_number_t j;
    for (j = 0; j < n; j++) {
      if (held[j] == a[i].port && behaviors[j] == a[i].behavior && flavors[j] == a[i].flavor) {
        masks[j] |= 1u << i;
        break;
      }
    }
    if (j == n && n < cap && n < EXC_TYPES_COUNT) {
      held[n] = a[i].port;
      masks[n] = 1u << i;
      behaviors[n] = a[i].behavior;
      flavors[n] = a[i].flavor;
      n++;
    }
  }
  for (mach_msg_type_number_t j = 0; j < n; j++) {
    mach_port_name_t name = MACH_PORT_NULL;
    if (held[j]) {
      port_copy_send(held[j]);
      right_copyout(space, held[j], MACH_MSG_TYPE_PORT_SEND, &name);
    }
    ports[j] = name;
  }
  *count = n;
}

kern_return_t exc_ports_access(mach_port_t target, bool thread, exception_mask_t mask, bool set,
                               mach_port_t new_port, exception_behavior_t behavior,
                               thread_state_flavor_t flavor, bool get, exception_mask_array_t masks,
                               mach_msg_type_number_t *count, exception_handler_array_t ports,
                               exception_behavior_array_t behaviors,
                               exception_flavor_array_t flavors) {
  if (mask & ~EXC_PORTS_MASK_VALID) return KERN_INVALID_ARGUMENT;
  if (set && MACH_PORT_VALID(new_port) && !behavior_ok(behavior)) return KERN_INVALID_ARGUMENT;
  if (set && !flavor_ok(behavior, flavor)) return KERN_INVALID_ARGUMENT;
  if (get && (!masks || !count || !ports || !behaviors || !flavors)) return KERN_INVALID_ARGUMENT;
  struct ipc_space *space = ipc_space_current();
  ipc_lock();
  struct exc_action *a = actions_of(space, target, thread);
  if (!a) {
    ipc_unlock();
    return KERN_INVALID_ARGUMENT;
  }
  struct ipc_port *port = NULL;
  if (set && MACH_PORT_VALID(new_port)) {
    mach_msg_type_name_t type;
    kern_return_t kr = right_copyin(space, new_port, MACH_MSG_TYPE_COPY_SEND, &port, &type);
    if (kr != KERN_SUCCESS) {
      ipc_unlock();
      return kr;
    }
    if (!IPC_PORT_VALID(port)) port = NULL; /* a dead name: no handler, as XNU's IP_DEAD */
  }
  if (get) actions_get(space, a, mask, masks, count, ports, behaviors, flavors);
  if (set) {
    for (int i = FIRST_EXCEPTION; i < EXC_TYPES_COUNT; i++) {
      if (!(mask & (1u << i))) continue;
      struct ipc_port *old = a[i].port;
      if (port) port_copy_send(port);
      a[i] = (struct exc_action){port, behavior, flavor};
      if (old) port_release_send(old);
    }
    if (port) port_release_send(port); /* the copy taken in */
  }
  ipc_unlock();
  return KERN_SUCCESS;
}

static exception_mask_t actions_mask(const struct exc_action *a) {
  exception_mask_t m = 0;
  for (int i = FIRST_EXCEPTION; i < EXC_TYPES_COUNT; i++)
    if (a[i].port) m |= 1u << i;
  return m;
}

exception_mask_t exc_ports_in_use(void) {
  ipc_lock();
  exception_mask_t m = actions_mask(task_actions);
  for (struct exc_thread *t = threads; t; t = t->next) m |= actions_mask(t->actions);
  ipc_unlock();
  return m;
}

bool exc_ports_handler(exception_type_t type, int level, mach_port_t *port,
                       exception_behavior_t *behavior, thread_state_flavor_t *flavor) {
  if (type < FIRST_EXCEPTION || type >= EXC_TYPES_COUNT) return false;
  struct ipc_space *space = ipc_space_current();
  ipc_lock();
  const struct exc_action *a = level == 0 ? (self_thread ? self_thread->actions : NULL) : task_actions;
  bool found = a && a[type].port && a[type].port->active;
  if (found) {
    *behavior = a[type].behavior;
    *flavor = a[type].flavor;
    port_copy_send(a[type].port);
    mach_port_name_t name = MACH_PORT_NULL;
    right_copyout(space, a[type].port, MACH_MSG_TYPE_PORT_SEND, &name);
    *port = name;
    found = MACH_PORT_VALID(name);
  }
  ipc_unlock();
  return found;
}

bool exc_thread_in_ipc(void) { return ipc_thread_busy(); }
