/* Wire test of OpenMIG's sm_report server against Apple's packed c_string layout
 * (sm_report.facts): a request packed as Apple's user stub packs it is served by the generated
 * sm_report_server(); strings, scalars after them and the reply are checked. */
#include <mach/mig_errors.h>
#include <mach/ndr.h>

#include "sm_report_msg.h"
#include "wire_check.h"
#include WIRE_SERVER_HEADER


enum { TASK_NAME = 0x4403};

static struct {
  int calls;
  mach_port_t task;
  int32_t do_stacktrace, pid;
  uint64_t tid;
  int strings_match;
} seen;

kern_return_t sm_report(mach_port_t server_port, task_t task, int32_t do_stacktrace, int32_t pid,
                        uint64_t tid, sm_filename_t log_file, sm_path_t proc_path, sm_report_t report) {
  (void)server_port;
  seen.calls++;
  seen.task = task;
  seen.do_stacktrace = do_stacktrace;
  seen.pid = pid;
  seen.tid = tid;
  seen.strings_match = strcmp(log_file, "abc") == 0 && strcmp(proc_path, "/bin/x") == 0 &&
                       strcmp(report, "report!") == 0;
  return KERN_SUCCESS;
}

static void build(union wire_buffer *in, uint32_t size) {
  memset(in, 0, sizeof *in);
  wire_put_header(in, MACH_MSGH_BITS_COMPLEX | MACH_MSGH_BITS(WIRE_PORT_SEND_ONCE, WIRE_PORT_SEND), size,
                  WIRE_REPLY_PORT, WIRE_REQUEST_PORT, SM_REPORT_ID);
  wire_put32(in, 24, 1);
  wire_put_port_desc(in, 28, TASK_NAME, WIRE_PORT_SEND, MACH_MSG_PORT_DESCRIPTOR);
  memcpy(in->bytes + 40, &NDR_record, 8);
  sm_report_put_body(in, 1, 4242);
}

static int serve(union wire_buffer *in, union wire_buffer *out) {
  seen.calls = 0;
  return wire_serve(sm_report_server, in, out);
}

/* A request Apple's server rejects with MIG_BAD_ARGUMENTS. */
static void expect_rejected(union wire_buffer *in, const char *why) {
  wire_expect_rejected(why, sm_report_server, in, &seen.calls, WIRE_REPLY_BITS, WIRE_REPLY_PORT, SM_REPORT_ID, MIG_BAD_ARGUMENTS);
}

int main(void) {
  union wire_buffer in, out;
  wire_check_facts();

  build(&in, SM_REQUEST_SIZE);
  WIRE_EXPECT("packed request handled", serve(&in, &out), 1);
  WIRE_EXPECT("work function called", seen.calls, 1);
  WIRE_EXPECT("task from the descriptor", seen.task, TASK_NAME);
  WIRE_EXPECT("do_stacktrace at 48", seen.do_stacktrace, 1);
  WIRE_EXPECT("pid at 52", seen.pid, 4242);
  WIRE_EXPECT("tid at 56", seen.tid == sm_tid, 1);
  WIRE_EXPECT("three strings read at the packed offsets", seen.strings_match, 1);
  wire_expect_reply_header(WIRE_HERE, &out, MACH_MSGH_BITS(WIRE_PORT_SEND_ONCE, 0), WIRE_REPLY_PORT,
                           SM_REPORT_ID, 36);
  WIRE_EXPECT("RetCode", wire_reply_retcode(&out), KERN_SUCCESS);

  build(&in, SM_REQUEST_SIZE + 4);
  expect_rejected(&in, "size larger than the packed strings");
  build(&in, SM_REQUEST_SIZE);
  wire_put32(&in, SM_LOG_FILE_CNT, 1025);
  expect_rejected(&in, "log_fileCnt 1025 > 1024");
  build(&in, SM_REQUEST_SIZE);
  memcpy(in.bytes + SM_REPORT, "REPORT!!", 8);
  expect_rejected(&in, "report without a NUL before the end of the message");
  return wire_report(WIRE_CASE);
}
