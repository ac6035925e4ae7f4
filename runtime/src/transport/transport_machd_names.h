/* transport_machd_names.h: the bootstrap names this task bound at machd (checked in, or
 * registered to one of its own ports), remembered so that the runtime can bind them again when
 * it connects to a new machd after the old one died (docs/machd.md 4, "Restart"). Private to
 * the runtime. Every call with the IPC lock held. */
#ifndef OPENMIG_TRANSPORT_MACHD_NAMES_H
#define OPENMIG_TRANSPORT_MACHD_NAMES_H

#include <stdbool.h>

#include "ipc/ipc.h"

struct machd_name_record {
    char name[128];          /* NUL-terminated, at most 127 bytes (checked by the caller) */
    struct ipc_port *port;   /* holds a reference */
    bool checked_in;         /* bound by check-in (else by register) */
    struct machd_name_record *next;
};

/* Remembers that `name` is bound to the local port `port` (takes a reference of its own),
 * replacing an earlier record of the name. Silently does nothing without memory. */
void machd_names_note(const char *name, struct ipc_port *port, bool checked_in);

/* Forgets the record of `name` (unregistered), if any. */
void machd_names_forget(const char *name);

/* Forgets the records of a port whose receive right died here. */
void machd_names_forget_port(const struct ipc_port *port);

/* Hands every record to the caller (a list to walk and free with machd_names_free), leaving
 * none; records whose port died or left the process are dropped first. */
struct machd_name_record *machd_names_take_all(void);

/* Frees one record taken by machd_names_take_all (drops its port reference). */
void machd_names_free(struct machd_name_record *r);

/* True when a record with a live local port exists. */
bool machd_names_any(void);

/* Drops every record (a forked child: the names are its parent's). */
void machd_names_clear(void);

#endif
