/* machctl: what machd holds, like `launchctl list` (docs/machd.md 1, machctl(1)): the bootstrap
 * names with the task holding each receive right, the connected tasks with their rights and
 * queued datagrams, and machd's counters, as a table or as JSON. Asks machd with QUERY (paged:
 * one datagram per page) and STATS; never starts a machd. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mach/kern_return.h>

#include "wire/machd_conn.h"
#include "wire/machd_path.h"
#include "wire/machd_proto.h"

#ifndef OPENMIG_VERSION
#define OPENMIG_VERSION "unknown"
#endif

enum { EXIT_USAGE = 1, EXIT_NO_MACHD = 2 };

static void usage(FILE *to) {
    fputs("usage: machctl [list] [--json] [--socket PATH] [--version] [--help]\n"
          "\n"
          "Lists what machd holds (OpenMIG): the bootstrap names with the task holding each\n"
          "receive right, the connected tasks with their rights and queued datagrams, and\n"
          "machd's counters.\n"
          "\n"
          "  --json         print JSON instead of tables\n"
          "  --socket PATH  ask the machd at PATH; default $MACHD_SOCKET, else\n"
          "                 $XDG_RUNTIME_DIR/machd/machd.sock, else /tmp/machd-<uid>/machd.sock\n"
          "  --version      print the version and exit\n"
          "  --help         print this help and exit\n"
          "\n"
          "Exit status: 0 listed, 1 usage error, 2 no machd answers at the path or it refused\n"
          "(machd answers only its own user and root).\n",
          to);
}

struct list {
    void *items;
    size_t count, cap, size;
};

static void *list_add(struct list *l) {
    if (l->count == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        void *items = realloc(l->items, cap * l->size);
        if (!items) {
            fputs("machctl: out of memory\n", stderr);
            exit(EXIT_NO_MACHD);
        }
        l->items = items;
        l->cap = cap;
    }
    return (char *)l->items + l->count++ * l->size;
}

static struct machd_conn conn;
static uint8_t buf[MACHD_MAX_PACKET];
static struct machd_msg msg, in;
static const char *socket_path;

/* Sends msg and waits for the answer to it (machctl holds no ports: nothing else comes). */
static void ask(uint16_t reply_type) {
    int err = machd_conn_send(&conn, &msg);
    while (!err) {
        err = machd_conn_recv(&conn, buf, &in, 30000);
        if (!err && in.type == reply_type && in.seq == msg.seq)
            return;
        if (!err && in.type == MACHD_ERROR) {
            fprintf(stderr, "machctl: machd at %s refused the request (status %u): is it older than this machctl?\n",
                    socket_path, in.u.error.status);
            exit(EXIT_NO_MACHD);
        }
    }
    fprintf(stderr, "machctl: no answer from machd at %s: %s\n", socket_path, strerror(err));
    exit(EXIT_NO_MACHD);
}

/* Every page of one list. */
static void query_all(uint32_t kind, struct list *out) {
    uint32_t offset = 0;
    for (;;) {
        memset(&msg, 0, sizeof msg);
        msg.type = MACHD_QUERY;
        msg.u.query.kind = kind;
        msg.u.query.offset = offset;
        ask(MACHD_QUERY_REPLY);
        const struct machd_query_reply *r = &in.u.query_reply;
        if (r->status == KERN_NO_ACCESS) {
            fprintf(stderr, "machctl: machd at %s answers only its own user and root (you are uid %u)\n",
                    socket_path, (unsigned)getuid());
            exit(EXIT_NO_MACHD);
        }
        if (r->status != KERN_SUCCESS) {
            fprintf(stderr, "machctl: machd at %s could not answer (status %u)\n", socket_path, r->status);
            exit(EXIT_NO_MACHD);
        }
        size_t at = 0;
        for (uint32_t i = 0; i < r->count; i++) /* the decoder checked every record */
            at += kind == MACHD_QUERY_SERVICES
                      ? machd_query_get_service(r->records + at, r->records_len - at, list_add(out))
                      : machd_query_get_task(r->records + at, r->records_len - at, list_add(out));
        offset += r->count;
        /* The lists may change between pages: stop at the end, or when a page brought nothing. */
        if (r->count == 0 || offset >= r->total)
            return;
    }
}

static int by_name(const void *a, const void *b) {
    return strcmp(((const struct machd_query_service *)a)->name, ((const struct machd_query_service *)b)->name);
}

static int by_pid(const void *a, const void *b) {
    const struct machd_query_task *x = a, *y = b;
    if (x->who.pid != y->who.pid)
        return x->who.pid < y->who.pid ? -1 : 1;
    return x->who.task_id < y->who.task_id ? -1 : x->who.task_id > y->who.task_id;
}

static const char *state_name(uint32_t state) {
    switch (state) {
    case MACHD_SERVICE_CHECKED_IN: return "checked-in";
    case MACHD_SERVICE_REGISTERED: return "registered";
    default: return "created";
    }
}

/* Names and commands are chosen by the tasks: control characters never reach the terminal. */
static const char *printable(const char *s, char *tmp, size_t cap) {
    size_t i = 0;
    for (; s[i] && i + 1 < cap; i++)
        tmp[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
    tmp[i] = '\0';
    if (i == 0 && cap > 1)
        snprintf(tmp, cap, "?");
    return tmp;
}

static void json_string(const char *s) {
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            printf("\\%c", *p);
        else if (*p < 0x20 || *p >= 0x7f) /* bytes, not always UTF-8: each one as a code point */
            printf("\\u%04x", *p);
        else
            putchar(*p);
    }
    putchar('"');
}

static void print_table(const struct list *services, const struct list *tasks,
                        const struct machd_msg *stats) {
    char t1[MACHD_MAX_SERVICE_NAME + 1], t2[MACHD_COMM_SIZE];
    int width = 7; /* "SERVICE" */
    const struct machd_query_service *sv = services->items;
    for (size_t i = 0; i < services->count; i++) {
        int n = (int)strlen(sv[i].name);
        width = n > width ? n : width;
    }
    printf("%-*s  %-10s  %7s  %5s  %s\n", width, "SERVICE", "STATE", "PID", "UID", "COMMAND");
    for (size_t i = 0; i < services->count; i++)
        printf("%-*s  %-10s  %7u  %5u  %s\n", width, printable(sv[i].name, t1, sizeof t1),
               state_name(sv[i].state), sv[i].receiver.pid, sv[i].receiver.uid,
               printable(sv[i].receiver.comm, t2, sizeof t2));
    putchar('\n');
    printf("%7s  %5s  %-15s  %7s  %5s  %9s  %5s  %6s  %9s\n", "PID", "UID", "COMMAND", "RECEIVE", "SEND",
           "SEND-ONCE", "NAMES", "QUEUED", "FILEPORTS");
    const struct machd_query_task *tk = tasks->items;
    for (size_t i = 0; i < tasks->count; i++)
        printf("%7u  %5u  %-15s  %7u  %5u  %9u  %5u  %6u  %9u\n", tk[i].who.pid, tk[i].who.uid,
               printable(tk[i].who.comm, t2, sizeof t2), tk[i].receive, tk[i].send, tk[i].send_once,
               tk[i].names, tk[i].queued, tk[i].fileports);
    putchar('\n');
    const struct machd_stats_reply *s = &stats->u.stats_reply;
    printf("machd: %u tasks, %u ports, %u rights, %u names, %u fileports, %llu KiB resident, "
           "%llu datagrams in, %llu out\n",
           s->tasks, s->ports, s->entries, s->names, s->fileports, (unsigned long long)(s->rss_bytes / 1024),
           (unsigned long long)s->io.datagrams_in, (unsigned long long)s->io.datagrams_out);
}

static void print_json(const struct list *services, const struct list *tasks,
                       const struct machd_msg *stats) {
    printf("{\n  \"socket\": ");
    json_string(socket_path);
    printf(",\n  \"services\": [");
    const struct machd_query_service *sv = services->items;
    for (size_t i = 0; i < services->count; i++) {
        printf("%s\n    {\"name\": ", i ? "," : "");
        json_string(sv[i].name);
        printf(", \"state\": \"%s\", \"owner_task\": %llu, \"task\": %llu, \"pid\": %u, \"uid\": %u, "
               "\"command\": ",
               state_name(sv[i].state), (unsigned long long)sv[i].owner,
               (unsigned long long)sv[i].receiver.task_id, sv[i].receiver.pid, sv[i].receiver.uid);
        json_string(sv[i].receiver.comm);
        putchar('}');
    }
    printf("%s],\n  \"tasks\": [", services->count ? "\n  " : "");
    const struct machd_query_task *tk = tasks->items;
    for (size_t i = 0; i < tasks->count; i++) {
        printf("%s\n    {\"task\": %llu, \"pid\": %u, \"uid\": %u, \"gid\": %u, \"command\": ", i ? "," : "",
               (unsigned long long)tk[i].who.task_id, tk[i].who.pid, tk[i].who.uid, tk[i].gid);
        json_string(tk[i].who.comm);
        printf(", \"receive\": %u, \"send\": %u, \"send_once\": %u, \"names\": %u, \"queued\": %u, "
               "\"queued_bytes\": %llu, \"fileports\": %u}",
               tk[i].receive, tk[i].send, tk[i].send_once, tk[i].names, tk[i].queued,
               (unsigned long long)tk[i].queued_bytes, tk[i].fileports);
    }
    const struct machd_stats_reply *s = &stats->u.stats_reply;
    printf("%s],\n  \"counters\": {\"tasks\": %u, \"ports\": %u, \"rights\": %u, \"names\": %u, "
           "\"fileports\": %u, \"resident_bytes\": %llu, \"epoll_waits\": %llu, \"recv_calls\": %llu, \"send_calls\": %llu, "
           "\"other_calls\": %llu, \"datagrams_in\": %llu, \"datagrams_out\": %llu}\n}\n",
           tasks->count ? "\n  " : "", s->tasks, s->ports, s->entries, s->names, s->fileports,
           (unsigned long long)s->rss_bytes, (unsigned long long)s->io.epoll_waits,
           (unsigned long long)s->io.recv_calls, (unsigned long long)s->io.send_calls,
           (unsigned long long)s->io.other_calls, (unsigned long long)s->io.datagrams_in,
           (unsigned long long)s->io.datagrams_out);
}

int main(int argc, char **argv) {
    static const struct option longopts[] = {
        {"json", no_argument, NULL, 'j'},   {"socket", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},   {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    bool json = false;
    int ch;
    while ((ch = getopt_long(argc, argv, "js:h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'j': json = true; break;
        case 's': socket_path = optarg; break;
        case 'h': usage(stdout); return 0;
        case 'V': printf("machctl (OpenMIG) %s\n", OPENMIG_VERSION); return 0;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    if (optind < argc && strcmp(argv[optind], "list") == 0)
        optind++;
    if (optind < argc) {
        fprintf(stderr, "machctl: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return EXIT_USAGE;
    }
    static char def[108];
    bool private_dir;
    if (!socket_path) {
        if (!machd_socket_path(def, sizeof def, &private_dir)) {
            fputs("machctl: the socket path is too long\n", stderr);
            return EXIT_USAGE;
        }
        socket_path = def;
    }
    /* Never starts a machd: there is nothing to list in a new one. The default path gets the
     * runtime's checks of the daemon (NULL: the directory rule too). */
    int err = machd_conn_open(&conn, socket_path == def ? NULL : socket_path, false);
    static char sys[108];
    if (!err && conn.system && machd_system_socket_path(sys, sizeof sys))
        socket_path = sys; /* the runtime's choice: the system domain's machd */
    if (err == ECONNREFUSED || err == ENOENT) {
        fprintf(stderr, "machctl: no machd is running at %s\n", socket_path);
        return EXIT_NO_MACHD;
    }
    if (err) {
        fprintf(stderr, "machctl: cannot talk to machd at %s: %s\n", socket_path, strerror(err));
        return EXIT_NO_MACHD;
    }
    struct list services = {.size = sizeof(struct machd_query_service)};
    struct list tasks = {.size = sizeof(struct machd_query_task)};
    query_all(MACHD_QUERY_SERVICES, &services);
    query_all(MACHD_QUERY_TASKS, &tasks);
    memset(&msg, 0, sizeof msg);
    msg.type = MACHD_STATS;
    ask(MACHD_STATS_REPLY);
    static struct machd_msg stats;
    stats = in;
    machd_conn_close(&conn);
    if (services.count)
        qsort(services.items, services.count, services.size, by_name);
    if (tasks.count)
        qsort(tasks.items, tasks.count, tasks.size, by_pid);
    if (json)
        print_json(&services, &tasks, &stats);
    else
        print_table(&services, &tasks, &stats);
    free(services.items);
    free(tasks.items);
    return fflush(stdout) == 0 ? 0 : EXIT_NO_MACHD;
}
