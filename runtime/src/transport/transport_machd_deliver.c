/* The machd transport's decoding of deliveries: a MSG_DELIVER (hostile input: every count and
 * offset checked) becomes a local message on its port, its right items port references and its
 * OOL regions mapped or copied; a spilled one is read and mapped by the reader before it takes the
 * IPC lock. */
#include <stdlib.h>
#include <string.h>

#include "api/fileport_internal.h"
#include "ipc/ipc.h"
#include "transport/transport_chan.h"
#include "transport/transport_machd_internal.h"
#include "transport/transport_machd_spill.h"

#define DESC_PORT_SIZE ((uint32_t)sizeof(mach_msg_port_descriptor_t))
#define DESC_LONG_SIZE ((uint32_t)sizeof(mach_msg_ool_descriptor_t))

/* ---- receiving: machd's deliveries become local messages ---- */

/* Drops the rights of a delivery that cannot be queued (IPC lock held). */
static void refuse_delivery(const struct machd_msg *m) {
    const struct machd_payload *p = &m->u.deliver.p;
    for (uint32_t i = 0; i < p->right_count + 1; i++) {
        struct machd_right r = i < p->right_count ? machd_payload_right(p, i) : m->u.deliver.reply;
        if (r.name == MACHD_HANDLE_NULL || r.name == MACHD_HANDLE_DEAD || r.disposition == 0)
            continue;
        uint32_t kind = r.disposition == MACHD_DISP_MOVE_SEND        ? MACHD_RIGHT_SEND
                        : r.disposition == MACHD_DISP_MOVE_SEND_ONCE ? MACHD_RIGHT_SEND_ONCE
                                                                     : MACHD_RIGHT_RECEIVE;
        if (!machd_link_get(r.name) || kind == MACHD_RIGHT_SEND_ONCE)
            machd_tell_mod_refs(r.name, kind, -1);
    }
}

/* Checks the descriptors at the start of a delivered body (`len` bytes of it) against its
 * rights and regions (hostile input: every offset and count is checked) and returns how many
 * there are, or -1. */
static long count_descriptors(const struct machd_payload *p, const uint8_t *body, uint32_t len) {
    if (!(p->msgh_bits & MACH_MSGH_BITS_COMPLEX))
        return p->right_count == 0 && p->ool_count == 0 ? 0 : -1;
    if (len < sizeof(mach_msg_body_t))
        return -1;
    uint32_t n;
    memcpy(&n, body, sizeof n);
    uint32_t off = sizeof(mach_msg_body_t), rights = 0, ool = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (len - off < DESC_PORT_SIZE)
            return -1;
        uint8_t type = body[off + 11]; /* the type byte ends every descriptor's first 12 */
        uint32_t size = type == MACH_MSG_PORT_DESCRIPTOR ? DESC_PORT_SIZE : DESC_LONG_SIZE;
        if (type > MACH_MSG_GUARDED_PORT_DESCRIPTOR || len - off < size)
            return -1;
        if (type == MACH_MSG_PORT_DESCRIPTOR || type == MACH_MSG_GUARDED_PORT_DESCRIPTOR) {
            rights++;
        } else if (type == MACH_MSG_OOL_PORTS_DESCRIPTOR) {
            mach_msg_ool_ports_descriptor_t od;
            memcpy(&od, body + off, sizeof od);
            if (od.count > MACHD_MAX_RIGHTS - rights)
                return -1;
            rights += od.count;
        } else {
            ool++;
        }
        off += size;
    }
    return rights == p->right_count && ool == p->ool_count ? (long)n : -1;
}

/* count_descriptors for a delivery: on the datagram's bytes, or on the head of the spilled
 * memfd (the descriptors come first; only their bytes are read here). */
static long count_delivered_descriptors(const struct machd_payload *p) {
    if (!(p->msgh_bits & MACHD_PAYLOAD_SPILLED) || !(p->msgh_bits & MACH_MSGH_BITS_COMPLEX))
        return count_descriptors(p, p->body, p->body_len);
    uint32_t n;
    if (p->body_len < sizeof n || !spill_read_body(p->spill_fd, &n, sizeof n))
        return -1;
    uint64_t head = sizeof(mach_msg_body_t) + (uint64_t)n * DESC_LONG_SIZE;
    uint32_t len = head < p->body_len ? (uint32_t)head : p->body_len;
    uint8_t *buf = malloc(len);
    long count = buf && spill_read_body(p->spill_fd, buf, len) ? count_descriptors(p, buf, len) : -1;
    free(buf);
    return count;
}

void machd_fill_audit(struct ipc_kmsg *kmsg, const struct machd_audit *a) {
    memset(&kmsg->audit, 0, sizeof kmsg->audit);
    kmsg->audit.val[1] = a->uid;
    kmsg->audit.val[2] = a->gid;
    kmsg->audit.val[3] = a->uid;
    kmsg->audit.val[4] = a->gid;
    kmsg->audit.val[5] = a->pid;
    kmsg->audit.val[7] = (uint32_t)a->task_id; /* pid version: the pidfd inode */
    kmsg->sec.val[0] = a->uid;
    kmsg->sec.val[1] = a->gid;
    kmsg->from_kernel = a->pid == 0 && a->task_id == 0;
}

/* The header-less part of a delivered message: body bytes (unless already read from the spill),
 * bits, id, audit. */
static void fill_message(struct ipc_kmsg *kmsg, const struct machd_msg *m, bool spilled) {
    const struct machd_payload *p = &m->u.deliver.p;
    memset(kmsg->data, 0, sizeof(mach_msg_header_t));
    if (!spilled)
        memcpy(kmsg->data + sizeof(mach_msg_header_t), p->body, p->body_len);
    kmsg->bits = p->msgh_bits & MACH_MSGH_BITS_COMPLEX;
    kmsg->id = p->msgh_id;
    machd_fill_audit(kmsg, &m->u.deliver.audit);
}

/* The region for delivered OOL region o: a copy of the datagram's bytes, or the mapping of the
 * spilled payload's memfd the reader made before taking the lock (machd_prepare_spilled). */
static bool take_region(const struct machd_payload *p, uint32_t o, void **region) {
    uint32_t size = p->ool[o].size;
    if (size == 0) {
        *region = NULL;
        return true;
    }
    if (p->msgh_bits & MACHD_PAYLOAD_SPILLED) {
        *region = T.pre.regions[o];
        T.pre.regions[o] = NULL;
    } else {
        *region = spill_copy_region(p->ool[o].data, size); /* our own receive buffer: a plain copy */
    }
    return ool_adopt(*region, size) != NULL;
}

/* A delivered right item as a port reference (machd_take_right); a send right to a fileport
 * (MACHD_RIGHT_FILEPORT, the next of the delivery's descriptors) makes its port, if new here, a
 * fileport holding a duplicate of that descriptor, so that fileport_makefd works on it; a port
 * that has its own already (a second right, or our own fileport coming back) ignores it. The
 * reader closes the delivery's descriptors afterwards. */
static struct ipc_port *take_item(const struct machd_payload *p, const struct machd_right *item, uint32_t *fp) {
    struct ipc_port *port = machd_take_right(item->name, item->disposition);
    if (item->flags & MACHD_RIGHT_FILEPORT) {
        int fd = *fp < p->fileport_count ? p->fileport_fds[*fp] : -1;
        ++*fp;
        if (fd >= 0 && fileport_fd(port) < 0)
            (void)fileport_attach(port, fd); /* out of memory or descriptors: a plain proxy */
    }
    machd_note_pd_armed(item, port);
    return port;
}

/* Builds the descriptors of kmsg from the delivered rights and regions, in order. */
static bool build_descriptors(struct ipc_kmsg *kmsg, const struct machd_payload *p) {
    uint32_t off = sizeof(mach_msg_header_t) + sizeof(mach_msg_body_t), r = 0, o = 0, fp = 0;
    for (uint32_t i = 0; i < kmsg->ndesc; i++) {
        struct kmsg_desc *d = &kmsg->desc[i];
        d->type = kmsg->data[off + 11];
        d->offset = off;
        if (d->type == MACH_MSG_PORT_DESCRIPTOR || d->type == MACH_MSG_GUARDED_PORT_DESCRIPTOR) {
            struct machd_right item = machd_payload_right(p, r++);
            d->disp = item.disposition;
            d->port = take_item(p, &item, &fp);
        } else if (d->type == MACH_MSG_OOL_PORTS_DESCRIPTOR) {
            mach_msg_ool_ports_descriptor_t od;
            memcpy(&od, kmsg->data + off, sizeof od);
            d->count = od.count;
            d->disp = od.count ? machd_payload_right(p, r).disposition : MACH_MSG_TYPE_PORT_SEND;
            d->ports = od.count ? calloc(od.count, sizeof *d->ports) : NULL;
            if (od.count && !d->ports)
                return false;
            for (uint32_t j = 0; j < od.count; j++) {
                struct machd_right item = machd_payload_right(p, r++);
                d->ports[j] = take_item(p, &item, &fp);
            }
        } else {
            d->size = p->ool[o].size;
            if (!take_region(p, o, &d->addr))
                return false;
            o++;
        }
        if (d->disp == MACH_MSG_TYPE_PORT_RECEIVE)
            kmsg->carries_receive = true;
        off += d->type == MACH_MSG_PORT_DESCRIPTOR ? DESC_PORT_SIZE : DESC_LONG_SIZE;
    }
    return true;
}

/* A ticket of a direct channel (MACHD_PAYLOAD_TICKET): built like any delivery but without a
 * destination; it waits on its channel for the ring record that says where it goes. */
static void deliver_ticket(const struct machd_msg *m, long ndesc) {
    const struct machd_payload *p = &m->u.deliver.p;
    bool spilled = (p->msgh_bits & MACHD_PAYLOAD_SPILLED) != 0;
    struct ipc_kmsg *kmsg = T.pre.kmsg;
    T.pre.kmsg = NULL;
    if (!spilled)
        kmsg = ndesc >= 0 ? kmsg_alloc((mach_msg_size_t)(sizeof(mach_msg_header_t) + p->body_len), (uint32_t)ndesc)
                          : NULL;
    if (!kmsg || ndesc < 0) {
        if (kmsg)
            kmsg_free(kmsg);
        refuse_delivery(m);
        struct chan *c = chan_find(m->u.deliver.dest.name);
        if (c)
            chan_drop(c, true); /* its ring record can never be matched */
        return;
    }
    fill_message(kmsg, m, spilled);
    kmsg->local = machd_take_right(m->u.deliver.reply.name, m->u.deliver.reply.disposition);
    kmsg->local_type = m->u.deliver.reply.disposition;
    if (!build_descriptors(kmsg, p)) {
        kmsg_destroy(kmsg);
        struct chan *c = chan_find(m->u.deliver.dest.name);
        if (c)
            chan_drop(c, true);
        return;
    }
    chan_ticket_arrived(m->u.deliver.dest.name, (uint32_t)p->msgh_id, kmsg);
}

void machd_deliver(const struct machd_msg *m) {
    const struct machd_payload *p = &m->u.deliver.p;
    bool spilled = (p->msgh_bits & MACHD_PAYLOAD_SPILLED) != 0;
    long ndesc = !spilled ? count_delivered_descriptors(p) : T.pre.ready ? T.pre.ndesc : -1;
    if (p->msgh_bits & MACHD_PAYLOAD_TICKET) {
        deliver_ticket(m, ndesc);
        return;
    }
    struct link *dl = machd_link_get(m->u.deliver.dest.name);
    if (dl && !dl->port->transport)
        dl->rx.seen++; /* machd counted it against the room we announced */
    /* A delivery to a receive right we moved away, sent before machd saw the move: it follows
     * the right, on the send right we kept for that (the port is our proxy now). */
    bool forward = dl && dl->port->transport == &machd_ops && dl->awaiting_moved;
    if (!dl || (dl->port->transport && !forward) || ndesc < 0) {
        refuse_delivery(m);
        return;
    }
    struct ipc_kmsg *kmsg = T.pre.kmsg; /* spilled: the body is in it already */
    T.pre.kmsg = NULL;
    if (!spilled)
        kmsg = kmsg_alloc((mach_msg_size_t)(sizeof(mach_msg_header_t) + p->body_len), (uint32_t)ndesc);
    if (!kmsg) {
        refuse_delivery(m);
        return;
    }
    fill_message(kmsg, m, spilled);
    struct ipc_port *dest = dl->port;
    if (m->u.deliver.dest.disposition == MACHD_DISP_MOVE_SEND_ONCE && dl->remote_once)
        dl->remote_once--; /* one of the send-once rights we handed out came back used */
    if (m->u.deliver.dest.disposition == MACHD_DISP_MOVE_SEND_ONCE && !forward) {
        port_make_send_once(dest);
        kmsg->remote_type = MACH_MSG_TYPE_PORT_SEND_ONCE;
    } else {
        port_copy_send(dest);
        kmsg->remote_type = MACH_MSG_TYPE_PORT_SEND;
    }
    kmsg->remote = dest;
    kmsg->local = machd_take_right(m->u.deliver.reply.name, m->u.deliver.reply.disposition);
    kmsg->local_type = m->u.deliver.reply.disposition;
    if (!build_descriptors(kmsg, p)) {
        kmsg_destroy(kmsg);
        return;
    }
    if (forward) { /* as queued messages follow a moved right (become_proxy): on a send right */
        if (machd_ops.send(dest, kmsg, MACH_SEND_ALWAYS, 0) != MACH_MSG_SUCCESS)
            kmsg_destroy(kmsg);
        return;
    }
    transport_deliver(kmsg);
}

/* Reader, no lock held: everything of the spilled delivery p that touches its memfd (the checks,
 * reading the descriptors and the body, mapping the regions), so that none of it happens under
 * the IPC lock. T.pre.ready says whether all of it worked (else deliver refuses the message). */
void machd_prepare_spilled(const struct machd_payload *p) {
    struct spilled_in *s = &T.pre;
    s->ready = false;
    s->count = 0;
    long ndesc = spill_fd_matches(p->spill_fd, p) ? count_delivered_descriptors(p) : -1;
    if (ndesc < 0)
        return;
    ipc_lock(); /* the message counters */
    s->kmsg = kmsg_alloc((mach_msg_size_t)(sizeof(mach_msg_header_t) + p->body_len), (uint32_t)ndesc);
    ipc_unlock();
    if (!s->kmsg || !spill_read_body(p->spill_fd, s->kmsg->data + sizeof(mach_msg_header_t), p->body_len))
        return;
    uint64_t offsets[MACHD_MAX_OOL];
    spill_offsets_of(p, offsets);
    for (; s->count < p->ool_count; s->count++) {
        uint32_t size = p->ool[s->count].size;
        s->sizes[s->count] = size;
        s->regions[s->count] = size ? spill_map_region(p->spill_fd, offsets[s->count], size) : NULL;
        if (size && !s->regions[s->count])
            return;
    }
    s->ndesc = ndesc;
    s->ready = true;
}

/* Frees what deliver did not take of T.pre (IPC lock held). */
void machd_release_spilled(void) {
    struct spilled_in *s = &T.pre;
    for (uint32_t i = 0; i < s->count; i++)
        if (s->regions[i])
            vm_region_free(s->regions[i], s->sizes[i]);
    if (s->kmsg)
        kmsg_free(s->kmsg);
    memset(s, 0, sizeof *s);
}
