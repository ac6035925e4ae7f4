/* The kvstore service: the work functions the generated kvstoreServer.c calls. A fixed table of
 * entries; values are kept in vm_allocate'd memory. Only the server thread touches the table. */
#include <string.h>

#include <mach/mach.h>
#include <mach/vm_map.h>

#include "kvstoreServer.h"

#define KV_SLOTS 64

struct kv_entry {
    char key[64];
    char *value;
    mach_msg_type_number_t size;
};

static struct kv_entry table[KV_SLOTS];

static struct kv_entry *find(const char *key) {
    for (int i = 0; i < KV_SLOTS; i++)
        if (table[i].value != NULL && strcmp(table[i].key, key) == 0)
            return &table[i];
    return NULL;
}

kern_return_t kv_put(mach_port_t server, kv_key_t key, kv_value_t value,
                     mach_msg_type_number_t valueCnt) {
    (void)server;
    struct kv_entry *e = find(key);
    for (int i = 0; e == NULL && i < KV_SLOTS; i++)
        if (table[i].value == NULL)
            e = &table[i];
    if (e == NULL)
        return KERN_RESOURCE_SHORTAGE;
    vm_address_t copy = 0;
    if (valueCnt > 0 && vm_allocate(mach_task_self(), &copy, valueCnt, VM_FLAGS_ANYWHERE) != 0)
        return KERN_RESOURCE_SHORTAGE;
    if (valueCnt > 0) /* `value` itself is freed by the stub (array[]) */
        memcpy((void *)copy, value, valueCnt);
    if (e->value != NULL && e->size > 0)
        (void)vm_deallocate(mach_task_self(), (vm_address_t)e->value, e->size);
    strncpy(e->key, key, sizeof e->key - 1);
    e->value = valueCnt > 0 ? (char *)copy : (char *)"";
    e->size = valueCnt;
    return KERN_SUCCESS;
}

kern_return_t kv_get(mach_port_t server, kv_key_t key, kv_value_t *value,
                     mach_msg_type_number_t *valueCnt) {
    (void)server;
    struct kv_entry *e = find(key);
    if (e == NULL)
        return KERN_INVALID_NAME;
    /* `dealloc`: the reply moves this buffer to the client, so hand over a fresh copy. */
    vm_address_t copy = 0;
    if (e->size > 0 && vm_allocate(mach_task_self(), &copy, e->size, VM_FLAGS_ANYWHERE) != 0)
        return KERN_RESOURCE_SHORTAGE;
    if (e->size > 0)
        memcpy((void *)copy, e->value, e->size);
    *value = (kv_value_t)copy;
    *valueCnt = e->size;
    return KERN_SUCCESS;
}

kern_return_t kv_count(mach_port_t server, int *n) {
    (void)server;
    int c = 0;
    for (int i = 0; i < KV_SLOTS; i++)
        c += table[i].value != NULL;
    *n = c;
    return KERN_SUCCESS;
}
