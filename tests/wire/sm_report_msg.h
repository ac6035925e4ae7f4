/* The sm_report request of the wire tests, laid out as Apple's user stub packs it
 * (sm_report.facts): log_file "abc", proc_path "/bin/x", report "report!" after the fixed part,
 * each string's Cnt including its NUL and its data padded to 4 bytes. */
#ifndef OPENMIG_TESTS_WIRE_SM_REPORT_MSG_H
#define OPENMIG_TESTS_WIRE_SM_REPORT_MSG_H

#include "wire_msg.h"

enum {
  SM_REPORT_ID = 666,
  SM_DO_STACKTRACE = 48, /* int32 */
  SM_PID = 52,           /* int32 */
  SM_TID = 56,           /* uint64 */
  SM_LOG_FILE_CNT = 68,  /* log_file "abc": Cnt 4, 4 bytes */
  SM_LOG_FILE = 72,
  SM_PROC_PATH_CNT = 80, /* 76 + 4: proc_path "/bin/x": Cnt 7, 8 bytes */
  SM_PROC_PATH = 84,
  SM_REPORT_CNT = 96, /* 92 + 4: report "report!": Cnt 8, 8 bytes */
  SM_REPORT = 100,
  SM_REQUEST_SIZE = 108, /* sizeof(__Request__sm_report_t) 4184 - 4096 + 4 + 8 + 8 */
};

static const uint64_t sm_tid = 0x1122334455667788ull;

/* Writes the packed strings and scalars (not the header and descriptor) into <m>. */
static inline void sm_report_put_body(union wire_buffer *m, int32_t do_stacktrace, int32_t pid) {
  wire_put32(m, SM_DO_STACKTRACE, (uint32_t)do_stacktrace);
  wire_put32(m, SM_PID, (uint32_t)pid);
  wire_put64(m, SM_TID, sm_tid);
  wire_put32(m, SM_LOG_FILE_CNT, 4);
  memcpy(m->bytes + SM_LOG_FILE, "abc", 4);
  wire_put32(m, SM_PROC_PATH_CNT, 7);
  memcpy(m->bytes + SM_PROC_PATH, "/bin/x", 7);
  wire_put32(m, SM_REPORT_CNT, 8);
  memcpy(m->bytes + SM_REPORT, "report!", 8);
}

#endif /* OPENMIG_TESTS_WIRE_SM_REPORT_MSG_H */
