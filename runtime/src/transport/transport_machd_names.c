/* transport_machd_names.c: the names to bind again after a machd restart (see
 * transport_machd_names.h): a short list of name -> local port, under the IPC lock. */
#include "transport/transport_machd_names.h"

#include <stdlib.h>
#include <string.h>

static struct machd_name_record *records;

/* A port this task can still bind a name to: alive, and its receive right still here. */
static bool port_is_ours(const struct ipc_port *port) { return port->active && port->transport == NULL; }

void machd_names_free(struct machd_name_record *r) {
    port_release(r->port);
    free(r);
}

/* Unlinks and frees the records matching `name` (NULL: those whose port is no longer ours). */
static void drop_matching(const char *name) {
    for (struct machd_name_record **rp = &records; *rp;) {
        struct machd_name_record *r = *rp;
        bool drop = name ? strcmp(r->name, name) == 0 : !port_is_ours(r->port);
        if (drop) {
            *rp = r->next;
            machd_names_free(r);
        } else {
            rp = &r->next;
        }
    }
}

void machd_names_note(const char *name, struct ipc_port *port, bool checked_in) {
    drop_matching(name);
    drop_matching(NULL);
    struct machd_name_record *r = calloc(1, sizeof *r);
    if (!r || strlen(name) >= sizeof r->name) {
        free(r);
        return;
    }
    strcpy(r->name, name);
    port_reference(port);
    r->port = port;
    r->checked_in = checked_in;
    r->next = records;
    records = r;
}

void machd_names_forget(const char *name) { drop_matching(name); }

void machd_names_forget_port(const struct ipc_port *port) {
    for (struct machd_name_record **rp = &records; *rp;) {
        struct machd_name_record *r = *rp;
        if (r->port == port) {
            *rp = r->next;
            machd_names_free(r);
        } else {
            rp = &r->next;
        }
    }
}

struct machd_name_record *machd_names_take_all(void) {
    drop_matching(NULL);
    struct machd_name_record *all = records;
    records = NULL;
    return all;
}

bool machd_names_any(void) {
    drop_matching(NULL);
    return records != NULL;
}

void machd_names_clear(void) {
    while (records) {
        struct machd_name_record *r = records;
        records = r->next;
        machd_names_free(r);
    }
}
