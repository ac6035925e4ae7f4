/* A Mach exception handler served by the stubs our mig generates from defs/mach/exc.defs and
 * mach_exc.defs (exc_handler.c), shared by the in-process test and the crash-reporter peer. */
#ifndef EXC_HANDLER_H
#define EXC_HANDLER_H

#include <stdbool.h>
#include <stdint.h>

#include <mach/mach.h>
#include <mach/exception.h>

/* What the handler does with the next exception. */
enum exc_fix { FIX_NONE, FIX_SKIP_BYTES, FIX_REDIRECT, FIX_UNPROTECT };

struct exc_seen {
  int id;                  /* the request's msgh_id (2401-2407) */
  mach_port_t port;        /* the exception port it came on */
  mach_port_t thread;      /* thread / task names (MACH_PORT_NULL for STATE) */
  mach_port_t task;
  exception_type_t type;
  int64_t code[2];
  mach_msg_type_number_t code_count;
  int flavor;
  uint64_t pc;             /* from the old state (0 without one) */
};

struct exc_plan {
  kern_return_t reply;     /* what the handler answers */
  enum exc_fix fix;
  uint64_t skip;           /* FIX_SKIP_BYTES: added to the pc */
  uint64_t target;         /* FIX_REDIRECT: the new pc */
  mach_port_t fail_port;   /* requests on this port are answered KERN_FAILURE, no fix */
  void *page;              /* FIX_UNPROTECT: mprotect'ed read-write */
  size_t page_size;
};

extern struct exc_plan exc_plan;
extern struct exc_seen exc_seen;
extern volatile int exc_count;
extern mach_port_t exc_ports_seen[8]; /* the port of each exception since exc_count was 0 */

/* One exception received on port (or its port set) and answered as exc_plan says. Returns the
 * mach_msg_server_once result. */
kern_return_t exc_serve_one(mach_port_t port);

/* A receive right with a send right under the same name. */
mach_port_t exc_new_port(void);

#endif
