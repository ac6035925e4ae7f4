/* C types of kvstore.defs. */
#ifndef KVSTORE_TYPES_H
#define KVSTORE_TYPES_H
typedef char *kv_key_t;
typedef char *kv_value_t;
#endif
