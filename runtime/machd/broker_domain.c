/* machd broker: bootstrap domains, as launchd has them (docs/machd.md 6): which domain a task
 * binds its names in. The name table itself (look-ups falling through from a user domain to the
 * system domain) is broker_bootstrap.c. */
#include "broker_internal.h"

void broker_set_domains(struct broker *b, const struct broker_domains *d) { b->domains = *d; }

uint32_t domain_of(const struct broker *b, struct broker_task *t) {
    if (!b->domains.system || t->identity.uid == 0)
        return DOMAIN_SYSTEM;
    if (b->domains.has_group &&
        (t->identity.gid == b->domains.register_gid ||
         (b->hooks->in_group && t->conn && b->hooks->in_group(b->ctx, t->conn, b->domains.register_gid))))
        return DOMAIN_SYSTEM;
    return t->identity.uid;
}
