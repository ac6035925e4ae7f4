/* Wire test of OpenMIG's sm_report client stub: a server thread receives the request our
 * sm_reportUser.c sends through the in-process runtime and checks it byte by byte against the
 * packing of Apple's user stub (sm_report.facts, sm_report_msg.h), then answers with an Apple
 * reply and with a mig_reply_error_t. */
#include <mach/mach.h>
#include <mach/mach_port.h>
#include <mach/mig_errors.h>
#include <mach/ndr.h>

#include "sm_report_msg.h"
#include "wire_check.h"
#include WIRE_USER_HEADER

#include <pthread.h>


enum { REQUESTS = 2 };

static mach_port_t server_port;

/* Checks one received request against Apple's packed layout and replies with <retcode>. */
static void check_and_reply(union wire_buffer *in, kern_return_t retcode) {
  union wire_buffer expected, reply;
  memset(&expected, 0, sizeof expected);
  sm_report_put_body(&expected, 1, 4242);
  WIRE_EXPECT("request bits as received", wire_get32(in, WIRE_HEAD_BITS),
         MACH_MSGH_BITS_COMPLEX | MACH_MSGH_BITS(WIRE_PORT_SEND_ONCE, WIRE_PORT_SEND));
  WIRE_EXPECT("request size: 88 + 4 + 8 + 8", wire_get32(in, WIRE_HEAD_SIZE), SM_REQUEST_SIZE);
  WIRE_EXPECT("request id", wire_get32(in, WIRE_HEAD_ID), SM_REPORT_ID);
  WIRE_EXPECT("descriptor count", wire_get32(in, 24), 1);
  WIRE_EXPECT("task descriptor type", in->bytes[39], MACH_MSG_PORT_DESCRIPTOR);
  WIRE_EXPECT("task disposition", in->bytes[38], WIRE_PORT_SEND);
  WIRE_EXPECT("NDR int_rep at 44", in->bytes[44], NDR_record.int_rep);
  const struct { const char *what; size_t from, to; } spans[] = {
    {"do_stacktrace, pid, tid at 48..63", SM_DO_STACKTRACE, SM_TID + 8},
    {"log_fileCnt 4 and \"abc\" at 68..75", SM_LOG_FILE_CNT, SM_LOG_FILE + 4},
    {"proc_pathCnt 7 and \"/bin/x\" at 80..90", SM_PROC_PATH_CNT, SM_PROC_PATH + 7},
    {"reportCnt 8 and \"report!\" at 96..107", SM_REPORT_CNT, SM_REPORT + 8},
  };
  for (size_t i = 0; i < sizeof spans / sizeof spans[0]; i++) {
    WIRE_EXPECT(spans[i].what, memcmp(in->bytes + spans[i].from, expected.bytes + spans[i].from,
                                 spans[i].to - spans[i].from), 0);
  }
  memset(&reply, 0, sizeof reply);
  wire_put32(&reply, 32, (uint32_t)retcode);
  wire_send_reply(in, &reply, 36);
  mach_port_deallocate(mach_task_self(), wire_get32(in, 28));
}

/* The first request is answered with success, the second with KERN_INVALID_ARGUMENT. */
static void answer(union wire_buffer *in) {
  static int answered;
  check_and_reply(in, answered++ == 0 ? KERN_SUCCESS : KERN_INVALID_ARGUMENT);
}

int main(void) {
  pthread_t server;
  char log_file[] = "abc", proc_path[] = "/bin/x", report[] = "report!";
  server_port = wire_new_port();
  mach_port_t task = wire_new_port(); /* a stand-in for a task port */
  struct wire_server server_loop = {server_port, REQUESTS, answer};
  if (pthread_create(&server, NULL, wire_server_thread, &server_loop) != 0) {
    return 2;
  }
  WIRE_EXPECT("sm_report", sm_report(server_port, task, 1, 4242, sm_tid, log_file, proc_path, report),
         KERN_SUCCESS);
  WIRE_EXPECT("sm_report error reply", sm_report(server_port, task, 1, 4242, sm_tid, log_file, proc_path,
                                            report), KERN_INVALID_ARGUMENT);
  pthread_join(server, NULL);
  return wire_report(WIRE_CASE "-client");
}
