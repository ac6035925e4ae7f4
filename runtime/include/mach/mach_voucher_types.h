/* Voucher types (<mach/mach_voucher_types.h>): libmach carries no vouchers, but MIG output
 * and Darwin code name these types. */
#ifndef OPENMIG_MACH_MACH_VOUCHER_TYPES_H
#define OPENMIG_MACH_MACH_VOUCHER_TYPES_H

#include <stdint.h>
#include <mach/std_types.h>

typedef mach_port_t mach_voucher_t;
typedef mach_port_name_t mach_voucher_name_t;
typedef mach_voucher_name_t *mach_voucher_name_array_t;
typedef mach_voucher_t ipc_voucher_t;
typedef uint32_t mach_voucher_selector_t;
typedef uint32_t mach_voucher_attr_key_t;
typedef mach_voucher_attr_key_t *mach_voucher_attr_key_array_t;
typedef uint8_t *mach_voucher_attr_content_t;
typedef uint32_t mach_voucher_attr_content_size_t;
typedef uint8_t *mach_voucher_attr_raw_recipe_array_t;

#define MACH_VOUCHER_NULL ((mach_voucher_t)0)
#define MACH_VOUCHER_NAME_NULL ((mach_voucher_name_t)0)
#define IPC_VOUCHER_NULL ((ipc_voucher_t)0)

#endif /* OPENMIG_MACH_MACH_VOUCHER_TYPES_H */
