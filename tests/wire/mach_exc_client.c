/* Wire test of OpenMIG's mach_exc client stubs against Apple's layouts: a server thread receives
 * the requests our mach_excUser.c sends through the in-process runtime, checks their bytes at the
 * offsets Apple's server reads (mach_exc.facts), and answers with replies built byte by byte as
 * Apple's server builds them (or as Apple's client must reject them). x86_64 layout (614). */
#include <mach/mach.h>
#include <mach/mach_port.h>
#include <mach/mig_errors.h>
#include <mach/ndr.h>

#include "wire_check.h"
#include "wire_msg.h"
#include WIRE_USER_HEADER

#include <pthread.h>


enum {
  /* A received request: reply right (send-once) remote, request port (send) local, complex. */
  RECEIVED_COMPLEX_BITS = MACH_MSGH_BITS_COMPLEX | MACH_MSGH_BITS(WIRE_PORT_SEND_ONCE, WIRE_PORT_SEND),
  REPLY_STATE_FIXED = 44,
};

/* How the server thread answers the next request. */
enum answer {
  ANSWER_RAISE_OK,          /* check a raise request, reply RetCode 0 */
  ANSWER_STATE_IDENTITY,    /* check a raise_state_identity request, reply flavor + 2 words */
  ANSWER_ERROR_REPLY,       /* mig_reply_error_t with KERN_FAILURE */
  ANSWER_WRONG_ID,          /* reply id + 101 */
  ANSWER_OVERSIZED,         /* a 40-byte reply: more than Apple's receive limit sizeof(Reply) = 44 */
  ANSWER_SHORT,             /* a 32-byte reply (no RetCode) to a 36-byte reply routine */
  ANSWER_TOO_MANY_WORDS,    /* new_stateCnt 615 > THREAD_STATE_MAX in a 52-byte reply */
  ANSWER_COUNT_MISMATCH,    /* new_stateCnt 3 in a reply carrying 2 words */
  ANSWER_DROP_REPLY_RIGHT,  /* destroy the send-once reply right: the client gets a notification */
};

static mach_port_t server_port;
static enum answer next_answer;
static uint32_t expected_request_size;

/* The request as Apple's server reads it: header, two port descriptors, NDR, exception, codes. */
static void check_identity_request(const union wire_buffer *in, int32_t id) {
  WIRE_EXPECT("request msgh_bits as received", wire_get32(in, WIRE_HEAD_BITS), RECEIVED_COMPLEX_BITS);
  WIRE_EXPECT("request msgh_size", wire_get32(in, WIRE_HEAD_SIZE), expected_request_size);
  WIRE_EXPECT("request msgh_local_port", wire_get32(in, WIRE_HEAD_LOCAL), server_port);
  WIRE_EXPECT("request msgh_id", (int32_t)wire_get32(in, WIRE_HEAD_ID), id);
  WIRE_EXPECT("descriptor count at 24", wire_get32(in, 24), 2);
  WIRE_EXPECT("thread descriptor type at 39", in->bytes[39], MACH_MSG_PORT_DESCRIPTOR);
  WIRE_EXPECT("thread disposition at 38", in->bytes[38], WIRE_PORT_SEND);
  WIRE_EXPECT("task descriptor type at 51", in->bytes[51], MACH_MSG_PORT_DESCRIPTOR);
  WIRE_EXPECT("task disposition at 50", in->bytes[50], WIRE_PORT_SEND);
  WIRE_EXPECT("NDR int_rep at 56", in->bytes[56], NDR_record.int_rep);
  WIRE_EXPECT("exception at 60", wire_get32(in, 60), 6);
}

static void answer(union wire_buffer *in) {
  union wire_buffer reply;
  memset(&reply, 0, sizeof reply);
  switch (next_answer) {
  case ANSWER_RAISE_OK:
    check_identity_request(in, 2405);
    WIRE_EXPECT("codeCnt at 64", wire_get32(in, 64), expected_request_size == 84 ? 2 : 1);
    WIRE_EXPECT("code[0] low word at 68", wire_get32(in, 68), 0x0d0e0a0du);
    wire_send_reply(in, &reply, 36);
    break;
  case ANSWER_STATE_IDENTITY:
    /* codeCnt 1: flavor, old_stateCnt and old_state move down by 8 (76, 80, 84). */
    check_identity_request(in, 2407);
    WIRE_EXPECT("codeCnt at 64", wire_get32(in, 64), 1);
    WIRE_EXPECT("flavor at 76", wire_get32(in, 76), 4);
    WIRE_EXPECT("old_stateCnt at 80", wire_get32(in, 80), 3);
    WIRE_EXPECT("old_state[2] at 92", wire_get32(in, 92), 0x5002u);
    wire_put32(&reply, 36, 9);           /* flavor */
    wire_put32(&reply, 40, 2);           /* new_stateCnt */
    wire_put32(&reply, 44, 0xfeed0001u); /* new_state */
    wire_put32(&reply, 48, 0xfeed0002u);
    wire_send_reply(in, &reply, REPLY_STATE_FIXED + 8);
    break;
  case ANSWER_ERROR_REPLY:
    wire_put32(&reply, 32, KERN_FAILURE);
    wire_send_reply(in, &reply, 36);
    break;
  case ANSWER_WRONG_ID:
    wire_send_reply(in, &reply, 36);
    break;
  case ANSWER_OVERSIZED:
    wire_send_reply(in, &reply, 40);
    break;
  case ANSWER_SHORT:
    wire_send_reply(in, &reply, 32);
    break;
  case ANSWER_TOO_MANY_WORDS:
    wire_put32(&reply, 40, 615);
    wire_send_reply(in, &reply, REPLY_STATE_FIXED + 8);
    break;
  case ANSWER_COUNT_MISMATCH:
    wire_put32(&reply, 40, 3);
    wire_send_reply(in, &reply, REPLY_STATE_FIXED + 8);
    break;
  case ANSWER_DROP_REPLY_RIGHT:
    WIRE_EXPECT("reply right dropped", mach_port_deallocate(mach_task_self(), wire_get32(in, WIRE_HEAD_REMOTE)),
           KERN_SUCCESS);
    break;
  }
}

/* One request: answered as next_answer says, then the thread and task rights it carried are
 * released. */
static void answer_and_release(union wire_buffer *in) {
  if (next_answer == ANSWER_WRONG_ID) {
    /* Reply with the id of another routine's reply. */
    wire_put32(in, WIRE_HEAD_ID, wire_get32(in, WIRE_HEAD_ID) + 1);
  }
  answer(in);
  if ((wire_get32(in, WIRE_HEAD_BITS) & MACH_MSGH_BITS_COMPLEX) != 0) {
    mach_port_deallocate(mach_task_self(), wire_get32(in, 28));
    mach_port_deallocate(mach_task_self(), wire_get32(in, 40));
  }
}

int main(void) {
  server_port = wire_new_port();
  mach_port_t thread = wire_new_port(), task = wire_new_port(); /* stand-ins */
  int64_t code[2] = {(int64_t)0x0a0b0c0d0d0e0a0dull, 2};
  natural_t old_state[3] = {0x5000u, 0x5001u, 0x5002u};
  natural_t new_state[614];
  mach_msg_type_number_t new_count = 614;
  int flavor = 4;
  int requests = 10;
  pthread_t server;
  struct wire_server server_loop = {server_port, requests, answer_and_release};
  if (pthread_create(&server, NULL, wire_server_thread, &server_loop) != 0) {
    return 2;
  }

  next_answer = ANSWER_RAISE_OK;
  expected_request_size = 84;
  WIRE_EXPECT("raise with 2 codes", mach_exception_raise(server_port, thread, task, 6, code, 2), KERN_SUCCESS);
  expected_request_size = 76;
  WIRE_EXPECT("raise with 1 code (size 68 + 8)", mach_exception_raise(server_port, thread, task, 6, code, 1),
         KERN_SUCCESS);

  next_answer = ANSWER_STATE_IDENTITY;
  expected_request_size = 84 + 12; /* 92 - 8 (one code less) + 3 state words */
  WIRE_EXPECT("raise_state_identity", mach_exception_raise_state_identity(server_port, thread, task, 6, code, 1,
         &flavor, old_state, 3, new_state, &new_count), KERN_SUCCESS);
  WIRE_EXPECT("flavor from reply offset 36", flavor, 9);
  WIRE_EXPECT("new_stateCnt from reply offset 40", new_count, 2);
  WIRE_EXPECT("new_state[1] from reply offset 48", new_state[1], 0xfeed0002u);

  next_answer = ANSWER_ERROR_REPLY;
  new_count = 614;
  WIRE_EXPECT("mig_reply_error_t RetCode returned",
         mach_exception_raise_state_identity(server_port, thread, task, 6, code, 1, &flavor, old_state, 3,
                                             new_state, &new_count), KERN_FAILURE);
  next_answer = ANSWER_WRONG_ID;
  expected_request_size = 84;
  WIRE_EXPECT("wrong reply id", mach_exception_raise(server_port, thread, task, 6, code, 2), MIG_REPLY_MISMATCH);
  /* Apple's stub receives into sizeof(Reply) = 36 + an 8-byte trailer: a larger reply does not
   * fit and mach_msg's own error comes back (XNU and our runtime alike). */
  next_answer = ANSWER_OVERSIZED;
  WIRE_EXPECT("40-byte reply", mach_exception_raise(server_port, thread, task, 6, code, 2), MACH_RCV_TOO_LARGE);
  next_answer = ANSWER_SHORT;
  WIRE_EXPECT("32-byte reply", mach_exception_raise(server_port, thread, task, 6, code, 2), MIG_TYPE_ERROR);
  next_answer = ANSWER_TOO_MANY_WORDS;
  new_count = 614;
  WIRE_EXPECT("new_stateCnt 615", mach_exception_raise_state_identity(server_port, thread, task, 6, code, 1,
         &flavor, old_state, 3, new_state, &new_count), MIG_TYPE_ERROR);
  next_answer = ANSWER_COUNT_MISMATCH;
  new_count = 614;
  WIRE_EXPECT("new_stateCnt 3 in 52 bytes", mach_exception_raise_state_identity(server_port, thread, task, 6,
         code, 1, &flavor, old_state, 3, new_state, &new_count), MIG_TYPE_ERROR);
  next_answer = ANSWER_DROP_REPLY_RIGHT;
  WIRE_EXPECT("server dropped the reply right", mach_exception_raise(server_port, thread, task, 6, code, 2),
         MIG_SERVER_DIED);

  pthread_join(server, NULL);
  return wire_report(WIRE_CASE "-client");
}
