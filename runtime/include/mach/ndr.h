/* Network Data Representation record carried by MIG messages (<mach/ndr.h>), the global
 * NDR_record describing this host, and the conversion macros older MIG output tests for. */
#ifndef OPENMIG_MACH_NDR_H
#define OPENMIG_MACH_NDR_H

#include <stdint.h>
#include <string.h>
#include <mach/openmig_export.h>

typedef struct {
  unsigned char mig_vers;
  unsigned char if_vers;
  unsigned char reserved1;
  unsigned char mig_encoding;
  unsigned char int_rep;
  unsigned char char_rep;
  unsigned char float_rep;
  unsigned char reserved2;
} NDR_record_t;

#define NDR_PROTOCOL_2_0 0

#define NDR_INT_BIG_ENDIAN 0
#define NDR_INT_LITTLE_ENDIAN 1
#define NDR_FLOAT_IEEE 0
#define NDR_FLOAT_VAX 1
#define NDR_FLOAT_CRAY 2
#define NDR_FLOAT_IBM 3
#define NDR_CHAR_ASCII 0
#define NDR_CHAR_EBCDIC 1

__BEGIN_DECLS
/* This host's representation: {0,0,0,0, int_rep 1 (little endian), 0, 0, 0} on x86 and arm. */
extern OPENMIG_API NDR_record_t NDR_record;
__END_DECLS

#ifndef __NDR_convert__
#define __NDR_convert__ 1
#endif
#ifndef __NDR_convert__int_rep__
#define __NDR_convert__int_rep__ 1
#endif
#ifndef __NDR_convert__char_rep__
#define __NDR_convert__char_rep__ 0
#endif
#ifndef __NDR_convert__float_rep__
#define __NDR_convert__float_rep__ 0
#endif

#if __NDR_convert__

#define __NDR_convert__NOOP do { } while (0)
#define __NDR_convert__UNKNOWN(s) __NDR_convert__NOOP
#define __NDR_convert__SINGLE(a, f, r) do { r((a), (f)); } while (0)
#define __NDR_convert__ARRAY(a, f, c, r) \
  do { \
    int __i__, __C__ = (c); \
    for (__i__ = 0; __i__ < __C__; __i__++) r(&(a)[__i__], f); \
  } while (0)
#define __NDR_convert__2DARRAY(a, f, s, c, r) \
  do { \
    int __i__, __C__ = (c), __S__ = (s); \
    for (__i__ = 0; __i__ < __C__; __i__++) r(&(a)[__i__ * __S__], f, __S__); \
  } while (0)

#if __NDR_convert__int_rep__

/* Byte-swap in place through memcpy: message fields are only 4-byte aligned. */
#define __OPENMIG_NDR_SWAP(v, bits) \
  do { \
    uint##bits##_t __t__; \
    memcpy(&__t__, (void *)(v), sizeof __t__); \
    __t__ = __builtin_bswap##bits(__t__); \
    memcpy((void *)(v), &__t__, sizeof __t__); \
  } while (0)

#define __NDR_convert__int_rep__int16_t__defined
#define __NDR_convert__int_rep__int16_t(v, f) __OPENMIG_NDR_SWAP(v, 16)
#define __NDR_convert__int_rep__uint16_t__defined
#define __NDR_convert__int_rep__uint16_t(v, f) __OPENMIG_NDR_SWAP(v, 16)
#define __NDR_convert__int_rep__int32_t__defined
#define __NDR_convert__int_rep__int32_t(v, f) __OPENMIG_NDR_SWAP(v, 32)
#define __NDR_convert__int_rep__uint32_t__defined
#define __NDR_convert__int_rep__uint32_t(v, f) __OPENMIG_NDR_SWAP(v, 32)
#define __NDR_convert__int_rep__int64_t__defined
#define __NDR_convert__int_rep__int64_t(v, f) __OPENMIG_NDR_SWAP(v, 64)
#define __NDR_convert__int_rep__uint64_t__defined
#define __NDR_convert__int_rep__uint64_t(v, f) __OPENMIG_NDR_SWAP(v, 64)
#define __NDR_convert__int_rep__float__defined
#define __NDR_convert__int_rep__float(v, f) __OPENMIG_NDR_SWAP(v, 32)
#define __NDR_convert__int_rep__double__defined
#define __NDR_convert__int_rep__double(v, f) __OPENMIG_NDR_SWAP(v, 64)
#define __NDR_convert__int_rep__boolean_t__defined
#define __NDR_convert__int_rep__boolean_t(v, f) __NDR_convert__int_rep__int32_t(v, f)
#define __NDR_convert__int_rep__kern_return_t__defined
#define __NDR_convert__int_rep__kern_return_t(v, f) __NDR_convert__int_rep__int32_t(v, f)
#define __NDR_convert__int_rep__mach_port_name_t__defined
#define __NDR_convert__int_rep__mach_port_name_t(v, f) __NDR_convert__int_rep__uint32_t(v, f)
#define __NDR_convert__int_rep__mach_msg_type_number_t__defined
#define __NDR_convert__int_rep__mach_msg_type_number_t(v, f) __NDR_convert__int_rep__uint32_t(v, f)

#endif /* __NDR_convert__int_rep__ */

#if __NDR_convert__char_rep__
#define __NDR_convert__char_rep__char(v, f) __NDR_convert__NOOP
#define __NDR_convert__char_rep__string(v, f, l) __NDR_convert__NOOP
#endif

#if __NDR_convert__float_rep__
#define __NDR_convert__float_rep__float(v, f) __NDR_convert__NOOP
#define __NDR_convert__float_rep__double(v, f) __NDR_convert__NOOP
#endif

#endif /* __NDR_convert__ */

#endif /* OPENMIG_MACH_NDR_H */
