/* Who reads machd's connection (docs/machd.md 7, "Receive path"): a thread waiting for a message
 * reads it itself (leader/follower: one reader at a time, the others sleep and one of them takes
 * over when the reader leaves); a standby thread reads only when no thread has for a while, or
 * at once while a request waits for its reply. Private to the machd transport. */
#ifndef OPENMIG_TRANSPORT_MACHD_READER_H
#define OPENMIG_TRANSPORT_MACHD_READER_H

#include <stdbool.h>

/* What the reader needs from the transport. */
struct machd_reader_ops {
    /* Receives one datagram into the transport's input buffer; only the current reader calls
     * it, without the IPC lock. timeout_ms < 0 waits forever. Returns 0, ETIMEDOUT, EAGAIN
     * (nothing usable: interrupted, try again) or EPIPE (the connection is lost). */
    int (*receive)(int timeout_ms);
    /* Acts on the datagram received (IPC lock held). Returns false if the connection is lost
     * (machd refused us). */
    bool (*process)(void);
    /* The connection is lost: turn remote rights into dead names, close it (no lock held;
     * called once per connection, by the thread that saw it go). */
    void (*lost)(void);
    /* Asks machd for a reply that does nothing, so that a thread blocked in receive returns
     * (IPC lock held). */
    void (*nudge)(void);
    /* A thread of this process is about to sleep or block reading: send what was deferred
     * to ride on a later datagram (IPC lock held). */
    void (*before_sleep)(void);
    /* The reader is about to wait (IPC lock held): returns true when there is work already,
     * so the wait must not block (receive is called with timeout 0). */
    bool (*prepare_wait)(void);
};

/* Starts reading a new connection: installs the receive hooks (first call) and starts the
 * standby thread. Returns false if the thread cannot be created (nothing is started). */
bool machd_reader_start(const struct machd_reader_ops *ops);

/* A request is about to wait for machd's reply: until the matching _end, some thread reads
 * the connection (the standby if no other). No lock held. */
void machd_reader_request_begin(void);
void machd_reader_request_end(void);

/* Counters of the receive path since the process started (benchmarks, docs/machd.md 8):
 * datagrams read, receive calls made, nudges sent, hand-offs to another waiting thread, and
 * datagrams read by the standby thread. */
struct machd_reader_stats {
    unsigned long datagrams, receives, nudges, handoffs, standby_datagrams;
};
void machd_reader_stats_get(struct machd_reader_stats *out);

#endif
