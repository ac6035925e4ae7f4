/* machd's limits on what tasks may make it hold, as set on the command line (--limit NAME=N;
 * docs/machd.md, 1; docs/security.md). */
#ifndef MACHD_LIMITS_H
#define MACHD_LIMITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "broker.h"

struct machd_limits {
    struct broker_limits broker;  /* entries, names, waiters, overshoot, channels (broker.h) */
    uint32_t connections_per_uid; /* tasks (connections) of one uid at once */
};

/* The defaults (broker.h's BROKER_DEFAULT_LIMITS, 256 connections per uid). */
struct machd_limits machd_limits_default(void);

/* Applies one "NAME=N" setting (names: machd_limits_names). Returns false, with a message for
 * the user in err, for an unknown name or a value that is not a whole number from 1 to 2^32-1. */
bool machd_limits_set(struct machd_limits *l, const char *setting, char *err, size_t errcap);

/* The limit names, space-separated, for usage messages. */
const char *machd_limits_names(void);

#endif
