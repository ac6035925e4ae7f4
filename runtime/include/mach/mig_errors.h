/* MIG error codes (mig-language.md 6.12) and the generic error reply (<mach/mig_errors.h>). */
#ifndef OPENMIG_MACH_MIG_ERRORS_H
#define OPENMIG_MACH_MIG_ERRORS_H

#include <mach/mig.h>
#include <mach/ndr.h>
#include <mach/message.h>
#include <mach/kern_return.h>

#define MIG_TYPE_ERROR -300      /* client type check failure */
#define MIG_REPLY_MISMATCH -301  /* wrong reply message id */
#define MIG_REMOTE_ERROR -302    /* server detected error */
#define MIG_BAD_ID -303          /* bad request message id */
#define MIG_BAD_ARGUMENTS -304   /* server type check failure */
#define MIG_NO_REPLY -305        /* no reply should be sent */
#define MIG_EXCEPTION -306       /* server raised exception */
#define MIG_ARRAY_TOO_LARGE -307 /* array not large enough */
#define MIG_SERVER_DIED -308     /* server died */
#define MIG_TRAILER_ERROR -309   /* trailer has an unknown format */

/* The reply a server sends for every error: header, NDR record, return code (36 bytes). */
#pragma pack(push, 4)
typedef struct {
  mach_msg_header_t Head;
  NDR_record_t NDR;
  kern_return_t RetCode;
} mig_reply_error_t;
#pragma pack(pop)

/* Older MIG user headers declare these themselves under the same guard. */
#ifndef FUNCTION_PTR_T
#define FUNCTION_PTR_T
typedef void (*function_ptr_t)(mach_port_t, char *, mach_msg_type_number_t);
typedef struct {
  char *name;
  function_ptr_t function;
} function_table_entry;
typedef function_table_entry *function_table_t;
#endif

__BEGIN_DECLS

#ifndef __NDR_convert__mig_reply_error_t__defined
#define __NDR_convert__mig_reply_error_t__defined
static __inline__ void __NDR_convert__mig_reply_error_t(mig_reply_error_t *x) {
#if defined(__NDR_convert__int_rep__kern_return_t__defined)
  if (x->NDR.int_rep != NDR_record.int_rep)
    __NDR_convert__int_rep__kern_return_t(&x->RetCode, x->NDR.int_rep);
#else
  (void)x;
#endif
}
#endif

__END_DECLS

#endif /* OPENMIG_MACH_MIG_ERRORS_H */
