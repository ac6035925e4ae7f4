/* machd's limits: defaults and "NAME=N" settings from the command line. */
#include "limits.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct machd_limits machd_limits_default(void) {
    return (struct machd_limits){.broker = BROKER_DEFAULT_LIMITS, .connections_per_uid = 256u};
}

/* Where each named limit lives in struct machd_limits. */
static uint32_t *field(struct machd_limits *l, const char *name, size_t len) {
    static const struct {
        const char *name;
        size_t offset;
    } table[] = {
        {"entries-per-task", offsetof(struct machd_limits, broker.entries_per_task)},
        {"entries-per-uid", offsetof(struct machd_limits, broker.entries_per_uid)},
        {"names-per-task", offsetof(struct machd_limits, broker.names_per_task)},
        {"names-per-uid", offsetof(struct machd_limits, broker.names_per_uid)},
        {"waiters-per-task", offsetof(struct machd_limits, broker.waiters_per_task)},
        {"overshoot", offsetof(struct machd_limits, broker.overshoot)},
        {"connections-per-uid", offsetof(struct machd_limits, connections_per_uid)},
        {"channels-per-task", offsetof(struct machd_limits, broker.channels_per_task)},
        {"fileports-per-task", offsetof(struct machd_limits, broker.fileports_per_task)},
        {"fileports-per-uid", offsetof(struct machd_limits, broker.fileports_per_uid)},
        {"claims-per-task", offsetof(struct machd_limits, broker.claims_per_task)},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strlen(table[i].name) == len && memcmp(table[i].name, name, len) == 0)
            return (uint32_t *)(void *)((char *)l + table[i].offset);
    return NULL;
}

const char *machd_limits_names(void) {
    return "entries-per-task entries-per-uid names-per-task names-per-uid waiters-per-task overshoot "
           "connections-per-uid channels-per-task fileports-per-task fileports-per-uid claims-per-task";
}

bool machd_limits_set(struct machd_limits *l, const char *setting, char *err, size_t errcap) {
    const char *eq = strchr(setting, '=');
    uint32_t *f = eq ? field(l, setting, (size_t)(eq - setting)) : NULL;
    if (!f) {
        snprintf(err, errcap, "unknown limit '%.*s' (one of: %s)", eq ? (int)(eq - setting) : (int)strlen(setting),
                 setting, machd_limits_names());
        return false;
    }
    char *end;
    errno = 0;
    unsigned long long v = strtoull(eq + 1, &end, 10);
    if (eq[1] < '0' || eq[1] > '9' || *end || errno || v == 0 || v > UINT32_MAX) {
        snprintf(err, errcap, "limit %s: '%s' is not a whole number from 1 to 4294967295", setting, eq + 1);
        return false;
    }
    *f = (uint32_t)v;
    return true;
}
