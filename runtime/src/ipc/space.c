/* IPC name spaces: the two-level entry table, name allocation with generations, the reverse
 * map from ports to names, and space creation and teardown. */
#include "ipc/space_internal.h"
#include "ipc/port_internal.h"
#include "ipc/portset_internal.h"
#include "ipc/right_internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* First generation byte of a fresh slot and the step on reuse, as Darwin names look (0x103). */
#define IPC_GEN_FIRST 3u
#define IPC_GEN_STEP 4u

static struct ipc_entry *slot_at(struct ipc_space *space, uint32_t index) {
  uint32_t chunk = index / IPC_ENTRY_CHUNK;
  if (chunk >= space->nchunks || space->chunks[chunk] == NULL) return NULL;
  return &space->chunks[chunk][index % IPC_ENTRY_CHUNK];
}

/* Makes sure the slot for index exists (allocating its chunk). */
static struct ipc_entry *slot_make(struct ipc_space *space, uint32_t index) {
  uint32_t chunk = index / IPC_ENTRY_CHUNK;
  if (chunk >= space->nchunks) {
    uint32_t n = space->nchunks ? space->nchunks : 4;
    while (n <= chunk) n *= 2;
    struct ipc_entry **grown = realloc(space->chunks, n * sizeof *grown);
    if (!grown) return NULL;
    memset(grown + space->nchunks, 0, (n - space->nchunks) * sizeof *grown);
    space->chunks = grown;
    space->nchunks = n;
  }
  if (!space->chunks[chunk]) {
    struct ipc_entry *c = calloc(IPC_ENTRY_CHUNK, sizeof *c);
    if (!c) return NULL;
    for (uint32_t i = 0; i < IPC_ENTRY_CHUNK; i++) c[i].gen = IPC_GEN_FIRST;
    space->chunks[chunk] = c;
  }
  return &space->chunks[chunk][index % IPC_ENTRY_CHUNK];
}

static mach_port_name_t entry_name(uint32_t index, const struct ipc_entry *e) {
  return (index << 8) | e->gen;
}

struct ipc_entry *space_entry_raw(struct ipc_space *space, mach_port_name_t name) {
  if (!MACH_PORT_VALID(name)) return NULL;
  struct ipc_entry *e = slot_at(space, MACH_PORT_INDEX(name));
  if (!e || !e->used || e->type == 0 || e->gen != (name & 0xff)) return NULL;
  return e;
}

struct ipc_entry *space_lookup(struct ipc_space *space, mach_port_name_t name) {
  struct ipc_entry *e = space_entry_raw(space, name);
  if (e) right_check_dead(space, name, e);
  return e;
}

static void take_slot(struct ipc_space *space, struct ipc_entry *e) {
  e->used = true;
  e->type = 0;
  e->urefs = 0;
  e->port = NULL;
  e->pset = NULL;
  e->dnreq = NULL;
  space->used++;
  ipc_stats.entries++;
}

struct ipc_entry *space_alloc_entry(struct ipc_space *space, mach_port_name_t *name) {
  while (space->nfree > 0) {
    uint32_t index = space->free_idx[--space->nfree];
    struct ipc_entry *e = slot_at(space, index);
    if (e && !e->used) {
      take_slot(space, e);
      *name = entry_name(index, e);
      return e;
    }
  }
  for (;;) {
    if (space->hwm > IPC_SPACE_MAX_INDEX) return NULL;
    uint32_t index = space->hwm++;
    struct ipc_entry *e = slot_make(space, index);
    if (!e) return NULL;
    if (e->used) continue; /* claimed by mach_port_allocate_name */
    take_slot(space, e);
    *name = entry_name(index, e);
    return e;
  }
}

kern_return_t space_claim_name(struct ipc_space *space, mach_port_name_t name,
                               struct ipc_entry **out) {
  kern_return_t kr = space_check_name(space, name);
  if (kr != KERN_SUCCESS) return kr;
  struct ipc_entry *e = slot_make(space, MACH_PORT_INDEX(name));
  if (!e) return KERN_RESOURCE_SHORTAGE;
  if (e->used) return KERN_NAME_EXISTS;
  take_slot(space, e);
  e->gen = (uint8_t)(name & 0xff);
  *out = e;
  return KERN_SUCCESS;
}

/* XNU's ipc_entry_alloc_name: a chosen name has both low generation bits set, a nonzero index,
 * and must not reuse a taken index under another generation. */
kern_return_t space_check_name(struct ipc_space *space, mach_port_name_t name) {
  if (!MACH_PORT_VALID(name) || (name & 3u) != 3u) return KERN_INVALID_VALUE;
  if (MACH_PORT_INDEX(name) == 0) return KERN_FAILURE;
  if (MACH_PORT_INDEX(name) > IPC_SPACE_MAX_INDEX) return KERN_NO_SPACE;
  const struct ipc_entry *e = slot_at(space, MACH_PORT_INDEX(name));
  if (e && e->used && e->gen != (name & 0xff)) return KERN_FAILURE;
  return KERN_SUCCESS;
}

void space_free_entry(struct ipc_space *space, mach_port_name_t name) {
  uint32_t index = MACH_PORT_INDEX(name);
  struct ipc_entry *e = slot_at(space, index);
  if (!e || !e->used) return;
  e->used = false;
  e->type = 0;
  e->urefs = 0;
  e->port = NULL;
  e->pset = NULL;
  e->dnreq = NULL;
  e->gen = (uint8_t)(e->gen + IPC_GEN_STEP);
  space->used--;
  ipc_stats.entries--;
  if (space->nfree == space->free_cap) {
    uint32_t cap = space->free_cap ? space->free_cap * 2 : 64;
    uint32_t *grown = realloc(space->free_idx, cap * sizeof *grown);
    if (!grown) return; /* the slot stays reachable through hwm scans only: harmless */
    space->free_idx = grown;
    space->free_cap = cap;
  }
  space->free_idx[space->nfree++] = index;
}

/* Reverse map: open addressing with linear probing and backward-shift deletion. */
static uint32_t rmap_hash(const struct ipc_port *port, uint32_t cap) {
  uint64_t h = (uint64_t)(uintptr_t)port * 0x9e3779b97f4a7c15ull;
  return (uint32_t)(h >> 32) & (cap - 1);
}

static bool rmap_grow(struct ipc_space *space) {
  uint32_t cap = space->rmap_cap ? space->rmap_cap * 2 : 64;
  struct ipc_rmap_slot *slots = calloc(cap, sizeof *slots);
  if (!slots) return false;
  for (uint32_t i = 0; i < space->rmap_cap; i++) {
    struct ipc_rmap_slot s = space->rmap[i];
    if (!s.port) continue;
    uint32_t j = rmap_hash(s.port, cap);
    while (slots[j].port) j = (j + 1) & (cap - 1);
    slots[j] = s;
  }
  free(space->rmap);
  space->rmap = slots;
  space->rmap_cap = cap;
  return true;
}

bool space_rmap_find(struct ipc_space *space, struct ipc_port *port, mach_port_name_t *name) {
  if (space->rmap_count == 0) return false;
  uint32_t mask = space->rmap_cap - 1;
  for (uint32_t j = rmap_hash(port, space->rmap_cap);; j = (j + 1) & mask) {
    struct ipc_rmap_slot *s = &space->rmap[j];
    if (!s->port) return false;
    if (s->port == port) {
      struct ipc_entry *e = slot_at(space, s->index);
      *name = entry_name(s->index, e);
      return true;
    }
  }
}

void space_rmap_insert(struct ipc_space *space, struct ipc_port *port, mach_port_name_t name) {
  if ((space->rmap_count + 1) * 2 > space->rmap_cap && !rmap_grow(space)) return;
  uint32_t mask = space->rmap_cap - 1;
  uint32_t j = rmap_hash(port, space->rmap_cap);
  while (space->rmap[j].port && space->rmap[j].port != port) j = (j + 1) & mask;
  if (!space->rmap[j].port) space->rmap_count++;
  space->rmap[j].port = port;
  space->rmap[j].index = MACH_PORT_INDEX(name);
}

void space_rmap_remove(struct ipc_space *space, struct ipc_port *port) {
  if (space->rmap_count == 0) return;
  uint32_t mask = space->rmap_cap - 1;
  uint32_t j = rmap_hash(port, space->rmap_cap);
  while (space->rmap[j].port != port) {
    if (!space->rmap[j].port) return;
    j = (j + 1) & mask;
  }
  space->rmap[j].port = NULL;
  space->rmap_count--;
  /* Shift back the following cluster so probes stay unbroken. */
  for (uint32_t k = (j + 1) & mask; space->rmap[k].port; k = (k + 1) & mask) {
    uint32_t home = rmap_hash(space->rmap[k].port, space->rmap_cap);
    bool between = (j <= k) ? (j < home && home <= k) : (j < home || home <= k);
    if (between) continue;
    space->rmap[j] = space->rmap[k];
    space->rmap[k].port = NULL;
    j = k;
  }
}

void space_foreach(struct ipc_space *space,
                   void (*fn)(struct ipc_space *, mach_port_name_t, struct ipc_entry *, void *),
                   void *ctx) {
  for (uint32_t c = 0; c < space->nchunks; c++) {
    if (!space->chunks[c]) continue;
    for (uint32_t i = 0; i < IPC_ENTRY_CHUNK; i++) {
      struct ipc_entry *e = &space->chunks[c][i];
      if (!e->used || e->type == 0) continue;
      uint32_t index = c * IPC_ENTRY_CHUNK + i;
      fn(space, entry_name(index, e), e, ctx);
    }
  }
}

static void audit_of_this_process(audit_token_t *audit, security_token_t *sec) {
  memset(audit, 0, sizeof *audit);
  audit->val[0] = (unsigned)getuid();
  audit->val[1] = (unsigned)geteuid();
  audit->val[2] = (unsigned)getegid();
  audit->val[3] = (unsigned)getuid();
  audit->val[4] = (unsigned)getgid();
  audit->val[5] = (unsigned)getpid();
  audit->val[6] = (unsigned)getsid(0);
  audit->val[7] = 0;
  sec->val[0] = audit->val[1];
  sec->val[1] = audit->val[2];
}

struct ipc_space *ipc_space_create(const audit_token_t *audit) {
  struct ipc_space *space = calloc(1, sizeof *space);
  if (!space) return NULL;
  space->active = true;
  space->hwm = 1;
  if (audit) {
    space->audit = *audit;
    space->sec.val[0] = audit->val[1];
    space->sec.val[1] = audit->val[2];
  } else {
    audit_of_this_process(&space->audit, &space->sec);
  }
  struct ipc_port *task = port_alloc();
  if (!task) {
    free(space);
    return NULL;
  }
  task->kotype = IKOT_TASK;
  task->kobject = space;
  space->task_port = task; /* the allocation reference: the kernel-object binding */
  struct ipc_entry *e = NULL;
  if (space_claim_name(space, IPC_TASK_SELF_NAME, &e) != KERN_SUCCESS) {
    port_release(task);
    free(space);
    return NULL;
  }
  port_make_send(task);
  e->type = MACH_PORT_TYPE_SEND;
  e->urefs = 1;
  e->port = task;
  space_rmap_insert(space, task, IPC_TASK_SELF_NAME);
  ipc_stats.spaces++;
  return space;
}

static void destroy_entry_cb(struct ipc_space *space, mach_port_name_t name, struct ipc_entry *e,
                             void *ctx) {
  (void)e;
  (void)ctx;
  right_destroy_name(space, name, true);
}

void ipc_space_destroy(struct ipc_space *space) {
  space->active = false;
  space_foreach(space, destroy_entry_cb, NULL);
  for (int i = 0; i <= TASK_MAX_SPECIAL_PORT; i++) {
    if (space->special[i]) port_release_send(space->special[i]);
    space->special[i] = NULL;
  }
  /* The task port dies like a port whose receive right goes: rights to it become dead names
   * and dead-name requests on it fire. */
  struct ipc_port *task = space->task_port;
  task->kobject = NULL;
  port_destroy_receive(task);
  for (uint32_t c = 0; c < space->nchunks; c++) free(space->chunks[c]);
  free(space->chunks);
  free(space->free_idx);
  free(space->rmap);
  ipc_stats.spaces--;
  free(space);
}

static struct ipc_space *current_space;
static pthread_once_t current_once = PTHREAD_ONCE_INIT;

static void refresh_identity_after_fork(void) {
  if (current_space) audit_of_this_process(&current_space->audit, &current_space->sec);
}

static void current_space_init(void) {
  ipc_lock();
  current_space = ipc_space_create(NULL);
  ipc_unlock();
  pthread_atfork(NULL, NULL, refresh_identity_after_fork);
}

struct ipc_space *ipc_space_current(void) {
  pthread_once(&current_once, current_space_init);
  return current_space;
}

struct ipc_space *space_from_task_name(struct ipc_space *caller, mach_port_name_t task) {
  if (task == IPC_TASK_SELF_NAME) return caller;
  struct ipc_entry *e = space_entry_raw(caller, task);
  if (!e || !(e->type & MACH_PORT_TYPE_SEND) || !e->port) return NULL;
  struct ipc_port *p = e->port;
  if (p->kotype != IKOT_TASK || !p->kobject) return NULL;
  return p->kobject;
}
