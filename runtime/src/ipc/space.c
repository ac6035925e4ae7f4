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
  uint32_t c = index / IPC_ENTRY_CHUNK;
  if (c >= space->nchunks || space->chunks[c].slots == NULL) return NULL;
  return &space->chunks[c].slots[index % IPC_ENTRY_CHUNK];
}

/* ---- the chunk table ----
 * Chunks are made when a name is needed in them and released with their last name, so a space
 * gives back what a peak of names took (issue 13): only one empty chunk stays made (the spare),
 * and trailing released chunks leave the table once they are three quarters of it. The avail
 * stack lists every chunk that may have a free slot (each at most once): allocation takes the
 * top one, and a slot freed in a chunk not listed lists it, so names are reused LIFO by chunk. */

static bool chunks_resize(struct ipc_space *space, uint32_t cap) {
  struct ipc_chunk *chunks = malloc(cap * sizeof *chunks);
  uint32_t *avail = malloc(cap * sizeof *avail);
  if (!chunks || !avail) {
    free(chunks);
    free(avail);
    return false;
  }
  if (space->nchunks) memcpy(chunks, space->chunks, space->nchunks * sizeof *chunks);
  if (space->navail) memcpy(avail, space->avail, space->navail * sizeof *avail);
  free(space->chunks);
  free(space->avail);
  space->chunks = chunks;
  space->avail = avail;
  space->chunks_cap = cap;
  return true;
}

static void avail_push(struct ipc_space *space, uint32_t c) {
  if (space->chunks[c].listed) return;
  space->chunks[c].listed = true;
  space->avail[space->navail++] = c;
}

/* Appends released chunks up to chunk `last`, listed below the chunks listed already, lowest
 * first in line (fresh names keep rising from the lowest new index). */
static bool chunks_extend(struct ipc_space *space, uint32_t last) {
  if (last >= space->chunks_cap) {
    uint32_t cap = space->chunks_cap ? space->chunks_cap : 4;
    while (cap <= last) cap *= 2;
    if (!chunks_resize(space, cap)) return false;
  }
  uint32_t first = space->nchunks, added = last + 1 - first;
  memmove(space->avail + added, space->avail, space->navail * sizeof *space->avail);
  for (uint32_t c = first; c <= last; c++) {
    space->chunks[c] = (struct ipc_chunk){.free_head = IPC_CHUNK_NONE, .gen = space->tail_gen,
                                          .listed = true};
    space->avail[last - c] = c;
  }
  space->navail += added;
  space->nchunks = last + 1;
  return true;
}

/* Allocates the slots of released chunk c, all free, at the chunk's next generation. */
static bool chunk_make(struct ipc_space *space, uint32_t c) {
  struct ipc_chunk *ch = &space->chunks[c];
  struct ipc_entry *slots = calloc(IPC_ENTRY_CHUNK, sizeof *slots);
  if (!slots) return false;
  ch->free_head = IPC_CHUNK_NONE;
  for (uint32_t i = IPC_ENTRY_CHUNK; i-- > 0;) {
    slots[i].gen = ch->gen;
    uint32_t index = c * IPC_ENTRY_CHUNK + i;
    if (index == 0 || index > IPC_SPACE_MAX_INDEX) continue; /* never a name */
    slots[i].next_free = ch->free_head;
    ch->free_head = (uint16_t)i;
  }
  ch->slots = slots;
  ch->used = 0;
  space->made++;
  return true;
}

/* Frees the slots of empty chunk c. Its next generation is that of its most advanced slot, so
 * a name it gave before stays invalid when it is made again (up to the 8-bit wrap, as for any
 * slot). */
static void chunk_release(struct ipc_space *space, uint32_t c) {
  struct ipc_chunk *ch = &space->chunks[c];
  uint8_t far = 0;
  for (uint32_t i = 0; i < IPC_ENTRY_CHUNK; i++) {
    uint8_t d = (uint8_t)(ch->slots[i].gen - ch->gen);
    if (d > far) far = d;
  }
  ch->gen = (uint8_t)(ch->gen + far);
  free(ch->slots);
  ch->slots = NULL;
  ch->free_head = IPC_CHUNK_NONE;
  space->made--;
  if (space->spare == c) space->spare = UINT32_MAX;
  avail_push(space, c); /* made again on demand */
}

/* Drops trailing released chunks (and the spare, if it is among them) once at most a quarter
 * of the table is left before them, with their avail entries; the table halves down to that
 * (growth doubles it, so a size is never crossed back and forth at every name). */
static void chunks_shrink(struct ipc_space *space) {
  uint32_t n = space->nchunks;
  while (n > 1 && (!space->chunks[n - 1].slots ||
                   (n - 1 == space->spare && space->chunks[n - 1].used == 0)))
    n--;
  if (space->chunks_cap <= 4 || n > space->chunks_cap / 4) return;
  if (space->spare != UINT32_MAX && space->spare >= n) chunk_release(space, space->spare);
  uint32_t cap = space->chunks_cap;
  while (cap > 4 && n <= cap / 4) cap /= 2;
  /* Chunks appended later start past every name the dropped ones gave. */
  uint8_t far = 0;
  for (uint32_t c = n; c < space->nchunks; c++) {
    uint8_t d = (uint8_t)(space->chunks[c].gen - space->tail_gen);
    if (d > far) far = d;
  }
  space->tail_gen = (uint8_t)(space->tail_gen + far);
  uint32_t kept = 0;
  for (uint32_t i = 0; i < space->navail; i++)
    if (space->avail[i] < n) space->avail[kept++] = space->avail[i];
  space->navail = kept;
  space->nchunks = n;
  chunks_resize(space, cap); /* on failure the larger arrays stay: harmless */
}

/* Chunk c lost its last name: it becomes the spare, and the previous spare is released. */
static void chunk_emptied(struct ipc_space *space, uint32_t c) {
  uint32_t old = space->spare;
  space->spare = c;
  if (old != UINT32_MAX && old != c && old < space->nchunks && space->chunks[old].slots &&
      space->chunks[old].used == 0)
    chunk_release(space, old);
  chunks_shrink(space);
}

/* Takes free slot i of chunk c off the chunk's free list (LIFO head or anywhere, for a claim). */
static void chunk_unlink_free(struct ipc_chunk *ch, uint32_t i) {
  if (ch->free_head == i) {
    ch->free_head = ch->slots[i].next_free;
    return;
  }
  for (uint32_t k = ch->free_head; k != IPC_CHUNK_NONE; k = ch->slots[k].next_free)
    if (ch->slots[k].next_free == i) {
      ch->slots[k].next_free = ch->slots[i].next_free;
      return;
    }
}

/* Makes sure the slot for index exists (making its chunk). */
static struct ipc_entry *slot_make(struct ipc_space *space, uint32_t index) {
  uint32_t c = index / IPC_ENTRY_CHUNK;
  if (c >= space->nchunks && !chunks_extend(space, c)) return NULL;
  if (!space->chunks[c].slots && !chunk_make(space, c)) return NULL;
  return &space->chunks[c].slots[index % IPC_ENTRY_CHUNK];
}

void space_capacity(const struct ipc_space *space, struct ipc_space_capacity *out) {
  out->entry_slots = space->made * IPC_ENTRY_CHUNK;
  out->chunk_slots = space->chunks_cap;
  out->rmap_slots = space->rmap_cap;
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

static void take_slot(struct ipc_space *space, uint32_t index, struct ipc_entry *e) {
  struct ipc_chunk *ch = &space->chunks[index / IPC_ENTRY_CHUNK];
  chunk_unlink_free(ch, index % IPC_ENTRY_CHUNK);
  ch->used++;
  if (space->spare == index / IPC_ENTRY_CHUNK) space->spare = UINT32_MAX;
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
  for (;;) {
    if (space->navail == 0) {
      if ((uint64_t)space->nchunks * IPC_ENTRY_CHUNK > IPC_SPACE_MAX_INDEX) return NULL;
      if (!chunks_extend(space, space->nchunks)) return NULL;
    }
    uint32_t c = space->avail[space->navail - 1];
    struct ipc_chunk *ch = &space->chunks[c];
    if (!ch->slots && !chunk_make(space, c)) return NULL;
    if (ch->free_head == IPC_CHUNK_NONE) { /* full: off the stack until a slot frees */
      ch->listed = false;
      space->navail--;
      continue;
    }
    uint32_t index = c * IPC_ENTRY_CHUNK + ch->free_head;
    struct ipc_entry *e = &ch->slots[ch->free_head];
    take_slot(space, index, e);
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
  take_slot(space, MACH_PORT_INDEX(name), e);
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
  uint32_t c = index / IPC_ENTRY_CHUNK;
  struct ipc_chunk *ch = &space->chunks[c];
  e->next_free = ch->free_head;
  ch->free_head = (uint16_t)(index % IPC_ENTRY_CHUNK);
  avail_push(space, c);
  if (--ch->used == 0) chunk_emptied(space, c);
}

/* Reverse map: open addressing with linear probing and backward-shift deletion; it doubles past
 * half full and halves below an eighth. */
#define IPC_RMAP_MIN 64u
static uint32_t rmap_hash(const struct ipc_port *port, uint32_t cap) {
  uint64_t h = (uint64_t)(uintptr_t)port * 0x9e3779b97f4a7c15ull;
  return (uint32_t)(h >> 32) & (cap - 1);
}

/* Rebuilds the reverse map at cap slots (a power of two). */
static bool rmap_resize(struct ipc_space *space, uint32_t cap) {
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
  if ((space->rmap_count + 1) * 2 > space->rmap_cap &&
      !rmap_resize(space, space->rmap_cap ? space->rmap_cap * 2 : IPC_RMAP_MIN))
    return;
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
  /* Below an eighth full: halve down to a quarter at most (growth waits for a half). */
  if (space->rmap_cap > IPC_RMAP_MIN && space->rmap_count * 8 < space->rmap_cap) {
    uint32_t cap = space->rmap_cap;
    while (cap > IPC_RMAP_MIN && space->rmap_count * 8 < cap) cap /= 2;
    rmap_resize(space, cap); /* on failure the larger map stays */
  }
}

/* fn may free names (ipc_space_destroy's does): a chunk that loses its last name may be
 * released and the table shrunk, so both are looked up again after each call. */
void space_foreach(struct ipc_space *space,
                   void (*fn)(struct ipc_space *, mach_port_name_t, struct ipc_entry *, void *),
                   void *ctx) {
  for (uint32_t c = 0; c < space->nchunks; c++) {
    for (uint32_t i = 0; i < IPC_ENTRY_CHUNK && c < space->nchunks && space->chunks[c].slots;
         i++) {
      struct ipc_entry *e = &space->chunks[c].slots[i];
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
  space->tail_gen = IPC_GEN_FIRST;
  space->spare = UINT32_MAX;
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
    if (space->nchunks) free(space->chunks[0].slots);
    free(space->chunks);
    free(space->avail);
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
  for (uint32_t c = 0; c < space->nchunks; c++) free(space->chunks[c].slots);
  free(space->chunks);
  free(space->avail);
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
