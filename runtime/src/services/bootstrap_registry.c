/* bootstrap_registry.c: the bootstrap name table (see bootstrap_registry.h): names bound to
 * ports, the rights the service holds for them, and the release of names whose port died. */
#include "services/bootstrap_registry.h"

#include <mach/mach.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* How a name came to be, which decides the rights the table holds for it. */
enum service_origin {
    SERVICE_CREATED,    /* receive right + one send reference, until check-in */
    SERVICE_CHECKED_IN, /* one send reference; a client holds the receive right */
    SERVICE_REGISTERED, /* one send reference given by bootstrap_register() */
};

struct service {
    name_t name;
    mach_port_t port;
    enum service_origin origin;
};

struct bootstrap_registry {
    pthread_mutex_t lock;
    struct service *services;
    unsigned int count;
    unsigned int capacity;
};

struct bootstrap_registry *bootstrap_registry_create(void) {
    struct bootstrap_registry *registry = calloc(1, sizeof *registry);
    if (registry != NULL)
        pthread_mutex_init(&registry->lock, NULL);
    return registry;
}

/* Drops every right the table holds for one service. */
static void release_service_rights(const struct service *service) {
    mach_port_t task = mach_task_self();
    if (service->origin == SERVICE_CREATED)
        (void)mach_port_mod_refs(task, service->port, MACH_PORT_RIGHT_RECEIVE, -1);
    /* The send reference, or the dead name it turned into when the port died. */
    (void)mach_port_deallocate(task, service->port);
}

void bootstrap_registry_destroy(struct bootstrap_registry *registry) {
    if (registry == NULL)
        return;
    for (unsigned int i = 0; i < registry->count; i++)
        release_service_rights(&registry->services[i]);
    pthread_mutex_destroy(&registry->lock);
    free(registry->services);
    free(registry);
}

bool bootstrap_name_is_valid(const char *name, size_t capacity) {
    if (name == NULL || capacity == 0 || name[0] == '\0')
        return false;
    size_t limit = capacity < BOOTSTRAP_MAX_NAME_LEN ? capacity : BOOTSTRAP_MAX_NAME_LEN;
    return strnlen(name, limit) < limit;
}

/* What became of a service's port name. */
enum port_state {
    PORT_ALIVE,
    PORT_DEAD, /* a dead name holding the table's reference: release it */
    PORT_GONE, /* someone destroyed the name itself: nothing of ours is left to release */
};

static enum port_state port_state_of(mach_port_t port) {
    mach_port_type_t type = 0;
    if (mach_port_type(mach_task_self(), port, &type) != KERN_SUCCESS)
        return PORT_GONE;
    if (type & MACH_PORT_TYPE_DEAD_NAME)
        return PORT_DEAD;
    return (type & MACH_PORT_TYPE_PORT_RIGHTS) ? PORT_ALIVE : PORT_GONE;
}

static void remove_at(struct bootstrap_registry *registry, unsigned int index) {
    registry->services[index] = registry->services[--registry->count];
}

static unsigned int sweep_locked(struct bootstrap_registry *registry) {
    unsigned int released = 0;
    for (unsigned int i = 0; i < registry->count;) {
        enum port_state state = port_state_of(registry->services[i].port);
        if (state != PORT_ALIVE) {
            if (state == PORT_DEAD)
                (void)mach_port_deallocate(mach_task_self(), registry->services[i].port);
            remove_at(registry, i);
            released++;
        } else {
            i++;
        }
    }
    return released;
}

static struct service *find_locked(struct bootstrap_registry *registry, const char *name) {
    for (unsigned int i = 0; i < registry->count; i++)
        if (strncmp(registry->services[i].name, name, BOOTSTRAP_MAX_NAME_LEN) == 0)
            return &registry->services[i];
    return NULL;
}

static struct service *append_locked(struct bootstrap_registry *registry, const char *name,
                                     mach_port_t port, enum service_origin origin) {
    if (registry->count == registry->capacity) {
        unsigned int capacity = registry->capacity ? registry->capacity * 2 : 8;
        struct service *bigger = realloc(registry->services, capacity * sizeof *bigger);
        if (bigger == NULL)
            return NULL;
        registry->services = bigger;
        registry->capacity = capacity;
    }
    struct service *service = &registry->services[registry->count++];
    memset(service, 0, sizeof *service);
    strncpy(service->name, name, BOOTSTRAP_MAX_NAME_LEN - 1);
    service->port = port;
    service->origin = origin;
    return service;
}

/* A new port with a receive right and one send reference under one name. */
static kern_return_t make_service_port(mach_port_t *port) {
    mach_port_t task = mach_task_self();
    if (mach_port_allocate(task, MACH_PORT_RIGHT_RECEIVE, port) != KERN_SUCCESS)
        return BOOTSTRAP_NO_MEMORY;
    if (mach_port_insert_right(task, *port, *port, MACH_MSG_TYPE_MAKE_SEND) != KERN_SUCCESS) {
        (void)mach_port_mod_refs(task, *port, MACH_PORT_RIGHT_RECEIVE, -1);
        return BOOTSTRAP_NO_MEMORY;
    }
    return KERN_SUCCESS;
}

/* Takes the lock and sweeps; returns false (and unlocks) for an invalid name. */
static bool begin(struct bootstrap_registry *registry, const char *name) {
    if (!bootstrap_name_is_valid(name, BOOTSTRAP_MAX_NAME_LEN))
        return false;
    pthread_mutex_lock(&registry->lock);
    sweep_locked(registry);
    return true;
}

kern_return_t bootstrap_registry_check_in(struct bootstrap_registry *registry, const char *name,
                                          mach_port_t *receive) {
    if (!begin(registry, name))
        return BOOTSTRAP_BAD_COUNT;
    kern_return_t kr = KERN_SUCCESS;
    struct service *service = find_locked(registry, name);
    if (service == NULL) {
        mach_port_t port = MACH_PORT_NULL;
        kr = make_service_port(&port);
        if (kr == KERN_SUCCESS && (service = append_locked(registry, name, port,
                                                           SERVICE_CREATED)) == NULL) {
            const struct service orphan = {.port = port, .origin = SERVICE_CREATED};
            release_service_rights(&orphan);
            kr = BOOTSTRAP_NO_MEMORY;
        }
    } else if (service->origin != SERVICE_CREATED) {
        kr = BOOTSTRAP_SERVICE_ACTIVE; /* checked in or registered: active (launchd's answer) */
    }
    if (kr == KERN_SUCCESS) {
        service->origin = SERVICE_CHECKED_IN; /* the caller moves the receive right out */
        *receive = service->port;
    }
    pthread_mutex_unlock(&registry->lock);
    return kr;
}

kern_return_t bootstrap_registry_look_up(struct bootstrap_registry *registry, const char *name,
                                         mach_port_t *send) {
    if (!begin(registry, name))
        return BOOTSTRAP_BAD_COUNT;
    struct service *service = find_locked(registry, name);
    if (service != NULL)
        *send = service->port;
    pthread_mutex_unlock(&registry->lock);
    return service != NULL ? KERN_SUCCESS : BOOTSTRAP_UNKNOWN_SERVICE;
}

kern_return_t bootstrap_registry_register(struct bootstrap_registry *registry, const char *name,
                                          mach_port_t send) {
    if (!begin(registry, name))
        return BOOTSTRAP_BAD_COUNT;
    kern_return_t kr = KERN_SUCCESS;
    struct service *service = find_locked(registry, name);
    if (send == MACH_PORT_NULL) {
        if (service == NULL) {
            kr = BOOTSTRAP_UNKNOWN_SERVICE;
        } else if (service->origin != SERVICE_REGISTERED) {
            kr = BOOTSTRAP_NOT_PRIVILEGED;
        } else {
            release_service_rights(service);
            remove_at(registry, (unsigned int)(service - registry->services));
        }
    } else if (service != NULL && service->origin != SERVICE_CREATED) {
        kr = BOOTSTRAP_SERVICE_ACTIVE;
    } else {
        /* A created service nobody checked in is replaced: its port (and what is queued on
         * it) is destroyed, as launchd and mach_init do. */
        if (service != NULL) {
            release_service_rights(service);
            remove_at(registry, (unsigned int)(service - registry->services));
        }
        if (append_locked(registry, name, send, SERVICE_REGISTERED) == NULL)
            kr = BOOTSTRAP_NO_MEMORY;
    }
    pthread_mutex_unlock(&registry->lock);
    return kr;
}

kern_return_t bootstrap_registry_create_service(struct bootstrap_registry *registry,
                                                const char *name, mach_port_t *send) {
    if (!begin(registry, name))
        return BOOTSTRAP_BAD_COUNT;
    kern_return_t kr = BOOTSTRAP_NAME_IN_USE;
    if (find_locked(registry, name) == NULL) {
        mach_port_t port = MACH_PORT_NULL;
        kr = make_service_port(&port);
        if (kr == KERN_SUCCESS) {
            if (append_locked(registry, name, port, SERVICE_CREATED) != NULL) {
                *send = port;
            } else {
                const struct service orphan = {.port = port, .origin = SERVICE_CREATED};
                release_service_rights(&orphan);
                kr = BOOTSTRAP_NO_MEMORY;
            }
        }
    }
    pthread_mutex_unlock(&registry->lock);
    return kr;
}

kern_return_t bootstrap_registry_status(struct bootstrap_registry *registry, const char *name,
                                        bootstrap_status_t *status) {
    if (!begin(registry, name))
        return BOOTSTRAP_BAD_COUNT;
    struct service *service = find_locked(registry, name);
    if (service != NULL)
        *status = service->origin == SERVICE_CREATED ? BOOTSTRAP_STATUS_INACTIVE
                                                     : BOOTSTRAP_STATUS_ACTIVE;
    pthread_mutex_unlock(&registry->lock);
    return service != NULL ? KERN_SUCCESS : BOOTSTRAP_UNKNOWN_SERVICE;
}

unsigned int bootstrap_registry_sweep(struct bootstrap_registry *registry) {
    pthread_mutex_lock(&registry->lock);
    unsigned int released = sweep_locked(registry);
    pthread_mutex_unlock(&registry->lock);
    return released;
}

unsigned int bootstrap_registry_count(struct bootstrap_registry *registry) {
    pthread_mutex_lock(&registry->lock);
    unsigned int count = registry->count;
    pthread_mutex_unlock(&registry->lock);
    return count;
}
