/* Fileports across processes (docs/fileports.md): what the machd transport asks of
 * api/fileport.c. A fileport port holds one descriptor of its open file: the local port of the
 * process that made it, or a machd proxy of another process's fileport (the descriptor machd
 * attached to the delivery of a send right). IPC lock held in every call. */
#ifndef OPENMIG_FILEPORT_INTERNAL_H
#define OPENMIG_FILEPORT_INTERNAL_H

#include <stdbool.h>

#include "ipc/ipc.h"

/* Whether port is a fileport (a local one or a proxy of another process's). */
bool fileport_is(const struct ipc_port *port);

/* The descriptor port holds: >= 0 for a fileport that has one, else -1. */
int fileport_fd(const struct ipc_port *port);

/* port (a proxy of a remote fileport, or a local fileport that gave its descriptor away) holds
 * a duplicate of fd from now on (fd stays the caller's). False when port already holds one, is
 * another kind of port, or no memory or descriptor is left. */
bool fileport_attach(struct ipc_port *port, int fd);

/* The local fileport port, exported to machd (which holds a duplicate) and named by no send
 * right in this process any more, closes its own duplicate: its file is in other processes
 * now (a moved fileport). A right that comes back brings a descriptor again (fileport_attach). */
void fileport_drop_fd(struct ipc_port *port);

/* Closes the descriptor a fileport proxy holds (its handle is gone). */
void fileport_detach(struct ipc_port *port);

/* A fileport proxy whose remote port died while send rights to it remain here becomes this
 * process's own fileport, with the descriptor it holds (as on Darwin, where the file lives as
 * long as a right does). Returns false (nothing changed) for any other port. */
bool fileport_localize(struct ipc_port *port);

#endif /* OPENMIG_FILEPORT_INTERNAL_H */
