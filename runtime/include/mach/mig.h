/* Definitions MIG-generated code relies on (<mach/mig.h>): the subsystem and routine
 * descriptor tables, the server routine types, MIG_SERVER_ROUTINE, and the client-side
 * support functions (reply ports, string copies, OOL buffers). */
#ifndef OPENMIG_MACH_MIG_H
#define OPENMIG_MACH_MIG_H

#include <mach/openmig_export.h>
#include <mach/port.h>
#include <mach/message.h>
#include <mach/vm_types.h>

#if !defined(__MigTypeCheck)
#if defined(TypeCheck)
#define __MigTypeCheck TypeCheck
#else
#define __MigTypeCheck 1
#endif
#endif

/* MIG message structs are packed to 4 bytes, as on Darwin. */
#define __MigPackStructs 1

typedef void (*mig_stub_routine_t)(mach_msg_header_t *InHeadP, mach_msg_header_t *OutHeadP);
typedef mig_stub_routine_t mig_routine_t;

/* The demux lookup: returns the stub for a request, or NULL for an unknown id. */
typedef mig_routine_t (*mig_server_routine_t)(mach_msg_header_t *InHeadP);

typedef kern_return_t (*mig_impl_routine_t)(void);

typedef mach_msg_type_descriptor_t routine_arg_descriptor;
typedef mach_msg_type_descriptor_t *routine_arg_descriptor_t;
typedef mach_msg_type_descriptor_t *mig_routine_arg_descriptor_t;

#define MIG_ROUTINE_ARG_DESCRIPTOR_NULL ((mig_routine_arg_descriptor_t)0)

struct routine_descriptor {
  mig_impl_routine_t impl_routine;
  mig_stub_routine_t stub_routine;
  unsigned int argc;
  unsigned int descr_count;
  routine_arg_descriptor_t arg_descr;
  unsigned int max_reply_msg;
};
typedef struct routine_descriptor *routine_descriptor_t;

typedef struct routine_descriptor mig_routine_descriptor;
typedef mig_routine_descriptor *mig_routine_descriptor_t;

#define MIG_ROUTINE_DESCRIPTOR_NULL ((mig_routine_descriptor_t)0)

typedef struct mig_subsystem {
  mig_server_routine_t server; /* demux routine */
  mach_msg_id_t start;         /* first routine id */
  mach_msg_id_t end;           /* last routine id + 1 */
  mach_msg_size_t maxsize;     /* largest reply */
  vm_address_t reserved;
  mig_routine_descriptor routine[1];
} *mig_subsystem_t;

#define MIG_SUBSYSTEM_NULL ((mig_subsystem_t)0)

/* The KernelServer routine and subsystem forms of the -mach_msg2 stubs xnu builds its kernel
 * servers with: the stub gets the header, the plain data and the trailer separately. Darwin
 * shows these only inside the kernel (XNU_KERNEL_PRIVATE); they are given here so that code
 * written for that form finds its types. OpenMIG's mig writes the classic form
 * (generated-code.md). */
typedef void (*mig_stub_kern_routine_t)(mach_msg_header_t *InHeadP, void *InDataP,
                                        mach_msg_max_trailer_t *InTrailerP,
                                        mach_msg_header_t *OutHeadP, void *OutDataP);
typedef mig_stub_kern_routine_t mig_kern_routine_t;
typedef mig_kern_routine_t (*mig_kern_server_routine_t)(mach_msg_header_t *InHeadP);
struct kern_routine_descriptor {
  mig_impl_routine_t impl_routine;
  mig_stub_kern_routine_t kstub_routine;
  unsigned int argc;
  unsigned int descr_count;
  unsigned int reply_descr_count;
  unsigned int max_reply_msg;
};
typedef struct kern_routine_descriptor mig_kern_routine_descriptor;
typedef struct kern_routine_descriptor *kern_routine_descriptor_t;
typedef struct mig_kern_subsystem {
  mig_kern_server_routine_t kserver; /* demux routine */
  mach_msg_id_t start;               /* first routine id */
  mach_msg_id_t end;                 /* last routine id + 1 */
  mach_msg_size_t maxsize;           /* largest reply */
  vm_address_t reserved;
  mig_kern_routine_descriptor kroutine[1];
} *mig_kern_subsystem_t;

typedef struct mig_symtab {
  char *ms_routine_name;
  int ms_routine_number;
  void (*ms_routine)(void);
} mig_symtab_t;

/* Marks MIG server routines for static checkers (clang's mig_server_routine attribute). */
#if __has_attribute(mig_server_routine)
#define MIG_SERVER_ROUTINE __attribute__((mig_server_routine))
#else
#define MIG_SERVER_ROUTINE
#endif

__BEGIN_DECLS

/* The calling thread's cached reply port (a receive right), created on first use. */
extern OPENMIG_API mach_port_t mig_get_reply_port(void);

/* Destroys the thread's cached reply port after an error that may leave a late reply on it;
 * the next mig_get_reply_port makes a new one. */
extern OPENMIG_API void mig_dealloc_reply_port(mach_port_t reply_port);

/* Gives the reply port back after a send that left it clean (a no-op, as on Darwin). */
extern OPENMIG_API void mig_put_reply_port(mach_port_t reply_port);

/* A reply port for UseSpecialReplyPort stubs (OpenMIG: a second per-thread reply port). */
extern OPENMIG_API mach_port_t mig_get_special_reply_port(void);

/* Destroys the thread's special reply port; the next mig_get_special_reply_port makes a new one. */
extern OPENMIG_API void mig_dealloc_special_reply_port(mach_port_t migport);

/* Fills a reply header (and a mig_reply_error_t body) from a request, as a MIG demux does:
 * bits from the request's reply disposition, remote port = request's reply port, id + 100. */
extern OPENMIG_API void mig_reply_setup(mach_msg_header_t *request, mach_msg_header_t *reply);

/* Copies at most len bytes of src, always NUL-terminating; returns the length copied
 * including the NUL. The _zerofill variant also zeroes the rest of dest. */
extern OPENMIG_API int mig_strncpy(char *dest, const char *src, int len);
extern OPENMIG_API int mig_strncpy_zerofill(char *dest, const char *src, int len);

/* Page-granular buffers for out-of-line data (vm_allocate / vm_deallocate in this task). */
extern OPENMIG_API void mig_allocate(vm_address_t *addr, vm_size_t size);
extern OPENMIG_API void mig_deallocate(vm_address_t addr, vm_size_t size);

__END_DECLS

#endif /* OPENMIG_MACH_MIG_H */
