/* machd server: the listening socket, the epoll loop, one connection per task with the identity
 * the kernel gives (SO_PEERCRED, SO_PEERPIDFD), death detection, and dispatch to the broker. */
#ifndef MACHD_SERVER_H
#define MACHD_SERVER_H

struct machd_server;
struct machd_limits;

/* Exit statuses of machd (docs/machd.md, section 1). */
enum {
    MACHD_EXIT_OK = 0,
    MACHD_EXIT_USAGE = 1,
    MACHD_EXIT_STARTUP = 2,
    MACHD_EXIT_RUNNING = 3,
};

/* Binds a listening SOCK_SEQPACKET socket at path (mode 0600 through umask 077), replacing a
 * stale socket file. Returns MACHD_EXIT_OK and *out, MACHD_EXIT_RUNNING when another machd
 * answers at path, or MACHD_EXIT_STARTUP (logged). */
int machd_server_listen(struct machd_server **out, const char *path);

/* The same around a listening socket machd was given (systemd socket activation): fd must be a
 * listening, non-blocking, close-on-exec SOCK_SEQPACKET socket; path is its address, for logs.
 * The socket file is left in place at the end (its owner removes it). */
int machd_server_listen_fd(struct machd_server **out, int fd, const char *path);

/* Sets the limits on what tasks may make machd hold (limits.h; defaults until called). */
void machd_server_set_limits(struct machd_server *s, const struct machd_limits *limits);

/* Sets the bootstrap domains (broker.h); a system machd's own socket becomes mode 0666.
 * MACHD_EXIT_OK, or MACHD_EXIT_STARTUP (logged). Call before machd_server_run. */
struct broker_domains;
int machd_server_set_domains(struct machd_server *s, const struct broker_domains *domains);

/* Serves tasks until SIGTERM or SIGINT (which the caller must have blocked before calling).
 * Returns MACHD_EXIT_OK after a clean stop, MACHD_EXIT_STARTUP if the loop could not start. */
int machd_server_run(struct machd_server *s);

/* Closes every connection, removes the socket file if it is still the one bound, frees s. */
void machd_server_destroy(struct machd_server *s);

#endif
