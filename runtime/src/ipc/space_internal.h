/* IPC name spaces: per-task tables from 32-bit names to rights, with Mach's index/generation
 * name scheme, user-reference counts and a reverse map (port -> name) for coalescing send and
 * receive rights. A space is a first-class object: the current process's task space is one of
 * them, and a broker may create one per client (ipc_space_create / ipc_space_destroy). */
#ifndef OPENMIG_SPACE_INTERNAL_H
#define OPENMIG_SPACE_INTERNAL_H

#include "ipc/ipc_internal.h"

struct ipc_dnreq;

/* One name. type == 0 means free. A name holding send and/or receive rights, a send-once right,
 * or a dead name points at its port; a port-set name at its set. */
struct ipc_entry {
  mach_port_type_t type;        /* MACH_PORT_TYPE_* bits, without the request bits */
  uint8_t gen;                  /* low 8 bits of the name */
  bool used;                    /* slot taken (type may be 0 only inside a copyin) */
  uint16_t next_free;           /* free slot: the next free slot of its chunk (IPC_CHUNK_NONE) */
  mach_port_urefs_t urefs;      /* send or dead-name user references */
  struct ipc_port *port;
  struct ipc_pset *pset;
  struct ipc_dnreq *dnreq;      /* armed dead-name request, if any */
};

#define IPC_ENTRY_CHUNK 256u
#define IPC_SPACE_MAX_INDEX 0xfffffeu
#define IPC_CHUNK_NONE 0xffffu

/* One chunk of IPC_ENTRY_CHUNK consecutive indices. Its slots are allocated while any of its
 * names is in use and freed with the last one (entries never move while allocated). */
struct ipc_chunk {
  struct ipc_entry *slots;      /* NULL: released (no name in use) */
  uint16_t used;                /* names in use in it */
  uint16_t free_head;           /* first free slot (IPC_CHUNK_NONE: full); unused when released */
  uint8_t gen;                  /* generation of its slots when they are made again */
  bool listed;                  /* in the space's avail stack */
};

struct ipc_space {
  struct ipc_chunk *chunks;     /* chunk i holds indices [i * IPC_ENTRY_CHUNK, +IPC_ENTRY_CHUNK) */
  uint32_t nchunks, chunks_cap; /* trailing released chunks are dropped (space.c: shrink) */
  uint32_t made;                /* chunks whose slots are allocated */
  uint32_t *avail;              /* chunks that may have a free slot (released ones included),
                                   a stack: the top one is used first; capacity chunks_cap */
  uint32_t navail;
  uint8_t tail_gen;             /* generation of chunks appended to the table: past that of
                                   every chunk dropped from its end */
  uint32_t spare;               /* an empty chunk kept made (UINT32_MAX: none), so a name that
                                   comes and goes alone in a chunk does not remake it each time */
  struct ipc_rmap_slot *rmap;   /* port -> index, open addressing */
  uint32_t rmap_cap, rmap_count;
  uint32_t used;                /* names in use */
  bool active;
  struct ipc_port *task_port;   /* kernel-object port naming this space (send right at
                                   IPC_TASK_SELF_NAME) */
  struct ipc_port *special[TASK_MAX_SPECIAL_PORT + 1]; /* send rights held by the task */
  audit_token_t audit;          /* identity stamped on messages sent from this space */
  security_token_t sec;
};

struct ipc_rmap_slot {
  struct ipc_port *port;        /* NULL: empty */
  uint32_t index;
};

/* Name of the task-self send right in every space (Darwin's usual 0x103). */
#define IPC_TASK_SELF_NAME ((mach_port_name_t)0x103)

/* Creates a space holding only its task-self right; audit: identity stamped on messages it sends
 * (NULL: this process's credentials). Returns NULL when out of memory. */
struct ipc_space *ipc_space_create(const audit_token_t *audit);

/* Destroys every right in the space as a dying task does (receive rights die or go to their
 * port-destroyed notify port, send rights are released, send-once rights send send-once
 * notifications, sets are emptied), then frees it. Lock held. */
void ipc_space_destroy(struct ipc_space *space);

/* The space of this process (created on first use). Lock not required. */
struct ipc_space *ipc_space_current(void);

/* The entry for name, or NULL if the name is not in use. Converts rights to dead ports into dead
 * names first (Mach's lazy ipc_right_check). Lock held. */
struct ipc_entry *space_lookup(struct ipc_space *space, mach_port_name_t name);

/* The entry for name without the dead-port conversion (NULL if unused). Lock held. */
struct ipc_entry *space_entry_raw(struct ipc_space *space, mach_port_name_t name);

/* Allocates a fresh name; fills *name and returns the zeroed entry (type still 0, used true), or
 * NULL when the space is full. Lock held. */
struct ipc_entry *space_alloc_entry(struct ipc_space *space, mach_port_name_t *name);

/* Claims the caller-chosen name, with XNU's answers: KERN_NAME_EXISTS if the name is taken,
 * KERN_FAILURE if its index is 0 or taken under another generation, KERN_INVALID_VALUE if it
 * cannot be a name (NULL, DEAD, generation bits 0-1 not both set), KERN_NO_SPACE past the
 * largest index. Lock held. */
kern_return_t space_claim_name(struct ipc_space *space, mach_port_name_t name,
                               struct ipc_entry **out);

/* The checks of space_claim_name without claiming: KERN_SUCCESS when name is free or in use
 * under exactly that name. Lock held. */
kern_return_t space_check_name(struct ipc_space *space, mach_port_name_t name);
/* Frees the name (entry must hold no rights: type 0, no port reference). Lock held. */
void space_free_entry(struct ipc_space *space, mach_port_name_t name);

/* Reverse map: the name under which space holds send and/or receive rights for port. */
bool space_rmap_find(struct ipc_space *space, struct ipc_port *port, mach_port_name_t *name);
void space_rmap_insert(struct ipc_space *space, struct ipc_port *port, mach_port_name_t name);
void space_rmap_remove(struct ipc_space *space, struct ipc_port *port);

/* Test-only (tests/unit/runtime/test_space.c): the memory the space's tables hold, in slots.
 * entry_slots counts allocated name slots (chunks in use times IPC_ENTRY_CHUNK), chunk_slots the
 * chunk table's length, rmap_slots the reverse map's. Lock held. */
struct ipc_space_capacity {
  uint32_t entry_slots, chunk_slots, rmap_slots;
};
void space_capacity(const struct ipc_space *space, struct ipc_space_capacity *out);

/* Calls fn for every name in use (fn must not add or free names). Lock held. */
void space_foreach(struct ipc_space *space,
                   void (*fn)(struct ipc_space *, mach_port_name_t, struct ipc_entry *, void *),
                   void *ctx);

/* The space a task name denotes in caller (a send right to a task port), or NULL. Lock held. */
struct ipc_space *space_from_task_name(struct ipc_space *caller, mach_port_name_t task);

#endif /* OPENMIG_SPACE_INTERNAL_H */
