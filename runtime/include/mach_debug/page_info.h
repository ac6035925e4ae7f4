/* Page address lists (<mach_debug/page_info.h>), for vm_mapped_pages_info. */
#ifndef OPENMIG_MACH_DEBUG_PAGE_INFO_H
#define OPENMIG_MACH_DEBUG_PAGE_INFO_H

#include <mach/machine/vm_types.h>

typedef vm_offset_t *page_address_array_t;

#endif /* OPENMIG_MACH_DEBUG_PAGE_INFO_H */
