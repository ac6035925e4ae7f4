/* bench_machd's sd-bus row (docs/machd.md 8.1): a method call and its reply between two
 * processes over sd-bus peer-to-peer (a socketpair, no bus daemon), as a service author would
 * use it instead of Mach IPC. Built only when libsystemd is found. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_machd.h"

#ifdef BENCH_HAVE_SDBUS
#include <systemd/sd-bus.h>

static int ping(sd_bus_message *m, void *userdata, sd_bus_error *error) {
    (void)userdata, (void)error;
    return sd_bus_reply_method_return(m, "");
}

static const sd_bus_vtable vtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_METHOD("Ping", "", "", ping, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_VTABLE_END,
};

/* A bus on fd: the server side (with its id) or the client side of a peer-to-peer connection. */
static sd_bus *open_peer(int fd, bool server) {
    sd_bus *bus = NULL;
    sd_id128_t id;
    if (sd_bus_new(&bus) < 0 || sd_bus_set_fd(bus, fd, fd) < 0)
        return NULL;
    if (server && (sd_id128_randomize(&id) < 0 || sd_bus_set_server(bus, 1, id) < 0))
        return NULL;
    if (sd_bus_start(bus) < 0)
        return NULL;
    return bus;
}

static _Noreturn void serve(int fd) {
    sd_bus *bus = open_peer(fd, true);
    if (!bus || sd_bus_add_object_vtable(bus, NULL, "/bench", "org.openmig.Bench", vtable, NULL) < 0)
        _exit(2);
    for (;;) {
        int r = sd_bus_process(bus, NULL);
        if (r < 0)
            _exit(0);
        if (r == 0 && sd_bus_wait(bus, UINT64_MAX) < 0)
            _exit(0);
    }
}

static bool call(sd_bus *bus) {
    sd_bus_message *reply = NULL;
    int r = sd_bus_call_method(bus, NULL, "/bench", "org.openmig.Bench", "Ping", NULL, &reply, "");
    sd_bus_message_unref(reply);
    return r >= 0;
}

struct sample bench_sdbus(void) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        return bench_not_measured("n/a (socketpair)");
    pid_t server = fork();
    if (server == 0) {
        close(sv[0]);
        serve(sv[1]);
    }
    close(sv[1]);
    sd_bus *bus = open_peer(sv[0], false);
    struct sample r = bench_not_measured("n/a (sd-bus peer connection failed)");
    if (bus) {
        for (long i = 0; i < bench_iterations / 10; i++)
            call(bus);
        struct switches c0 = bench_switches_self(), s0 = bench_switches_of(server);
        double t0 = bench_now_ns();
        long i = 0;
        while (i < bench_iterations && call(bus))
            i++;
        double t1 = bench_now_ns();
        if (i == bench_iterations) {
            r = (struct sample){.ns = (t1 - t0) / i, .has_cost = true};
            bench_cost(&r.client, c0, bench_switches_self(), i);
            bench_cost(&r.server, s0, bench_switches_of(server), i);
            r.client.sock = r.server.sock = r.machd.sock = -1;
        }
        sd_bus_flush_close_unref(bus);
    }
    kill(server, SIGKILL);
    waitpid(server, NULL, 0);
    return r;
}
#else
struct sample bench_sdbus(void) {
    return bench_not_measured("n/a (built without libsystemd: apt-get install libsystemd-dev)");
}
#endif
