/* End-to-end test of KernelServer output (kserver.defs): the server stubs are compiled as kernel
 * code (__MigKernelSpecificCode=1) against the kernel shim and served by a loop that hands each
 * request to the demux as the kernel sees it (destination remote, reply port local), then sends
 * the reply. Checks the kernel paths (released send rights, moved reply rights, circularity
 * checks, discarded out-of-line memory, strnlen), the -iheader renaming (the stubs call
 * ksrv_<routine>_external) and the -dheader ids and name map, with leak counts after each. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <mach/mach.h>
#include <mach/mig.h>
#include <mach/openmig_stats.h>
#include <mach/vm_map.h>

#include "e2e_fixture.h"
#include "kernel_shim.h"
#include "kserver.h"
#include "kserverDefines.h"
#include "kserverServer.h"
#include "kserver_server.h"

static mach_port_t server_port;
static pthread_t server_thread;
static volatile int quit;
static struct openmig_ipc_stats baseline;

/* The kernel receives a message before copyout: its header still names the destination as the
 * remote port and the reply port as the local one. Swapping is its own inverse. */
static void swap_header_view(mach_msg_header_t *h) {
  mach_port_t remote = h->msgh_remote_port;
  mach_msg_bits_t bits = h->msgh_bits;
  h->msgh_remote_port = h->msgh_local_port;
  h->msgh_local_port = remote;
  h->msgh_bits = (bits & ~(mach_msg_bits_t)(MACH_MSGH_BITS_REMOTE_MASK | MACH_MSGH_BITS_LOCAL_MASK)) |
                 MACH_MSGH_BITS(MACH_MSGH_BITS_LOCAL(bits), MACH_MSGH_BITS_REMOTE(bits));
}

typedef union {
  mach_msg_header_t head;
  char bytes[4096];
} message_buffer;

static void *serve(void *arg) {
  (void)arg;
  static message_buffer in, out;
  while (!quit) {
    mach_msg_return_t mr = mach_msg(&in.head, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0,
                                    sizeof in, server_port, 50, MACH_PORT_NULL);
    if (mr != MACH_MSG_SUCCESS)
      continue;
    swap_header_view(&in.head);
    memset(&out, 0, sizeof out);
    (void)kserver_server(&in.head, &out.head);
    swap_header_view(&in.head);
    mig_reply_error_t *reply = (mig_reply_error_t *)&out.head;
    bool error = !(out.head.msgh_bits & MACH_MSGH_BITS_COMPLEX) &&
                 reply->RetCode != KERN_SUCCESS;
    if (error && reply->RetCode == MIG_NO_REPLY)
      continue;
    if (error) { /* the request's rights and memory are still ours: destroy them once */
      mach_port_t reply_port = in.head.msgh_remote_port;
      in.head.msgh_remote_port = MACH_PORT_NULL;
      mach_msg_destroy(&in.head);
      in.head.msgh_remote_port = reply_port;
    }
    if (out.head.msgh_remote_port == MACH_PORT_NULL)
      continue; /* a simpleroutine */
    if (mach_msg(&out.head, MACH_SEND_MSG, out.head.msgh_size, 0, MACH_PORT_NULL,
                 MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL) != MACH_MSG_SUCCESS)
      mach_msg_destroy(&out.head);
  }
  return NULL;
}

static void expect_no_leaks(void) {
  e2e_expect_ipc_stats_at(&baseline);
  assert_int_equal(kernel_shim.unknown_copies, 0);
}

static kern_return_t call_name(const char *text, int *length) {
  ks_name_t name;
  memset(name, 0, sizeof name);
  memcpy(name, text, strlen(text));
  return ks_name(server_port, name, length);
}

static void sync_with_server(void) {
  int length = -1;
  assert_int_equal(call_name("sync", &length), KERN_SUCCESS);
  assert_int_equal(length, 4);
}

static int start_server(void **state) {
  (void)state;
  if (e2e_server_start(&server_port, &server_thread, serve) != 0)
    return -1;
  int length = 0;
  if (call_name("warm up", &length) != KERN_SUCCESS) /* creates the reply port */
    return -1;
  openmig_ipc_stats_get(&baseline);
  return 0;
}

static int stop_server(void **state) {
  (void)state;
  quit = 1;
  e2e_server_join(server_port, server_thread);
  return 0;
}

static int setup(void **state) {
  (void)state;
  memset(&kernel_shim, 0, sizeof kernel_shim);
  memset(&kserver_log, 0, sizeof kserver_log);
  return 0;
}

static mach_port_urefs_t refs_of(mach_port_t name, mach_port_right_t right) {
  mach_port_urefs_t refs = 0;
  assert_int_equal(mach_port_get_refs(mach_task_self(), name, right, &refs), KERN_SUCCESS);
  return refs;
}

static mach_port_t new_kobj_port(struct kobj *obj, int value) {
  mach_port_t p = MACH_PORT_NULL;
  assert_int_equal(mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &p), KERN_SUCCESS);
  assert_int_equal(mach_port_insert_right(mach_task_self(), p, p, MACH_MSG_TYPE_MAKE_SEND),
                   KERN_SUCCESS);
  obj->port = p;
  obj->value = value;
  obj->refs = 0;
  kobj_register(obj);
  return p;
}

static void drop_port(mach_port_t p, mach_port_urefs_t sends) {
  if (sends)
    assert_int_equal(mach_port_mod_refs(mach_task_self(), p, MACH_PORT_RIGHT_SEND,
                                        -(mach_port_delta_t)sends),
                     KERN_SUCCESS);
  assert_int_equal(mach_port_mod_refs(mach_task_self(), p, MACH_PORT_RIGHT_RECEIVE, -1),
                   KERN_SUCCESS);
}

static void translated_send_right_released_after_success(void **state) {
  (void)state;
  struct kobj obj;
  mach_port_t p = new_kobj_port(&obj, 7);
  int value = 0;
  assert_int_equal(ks_translate(server_port, p, &value), KERN_SUCCESS);
  assert_int_equal(value, 7);
  /* The request brought a second send right; the stub released it (ipc_port_release_send)
   * after the work function succeeded, and the destructor dropped the object reference. */
  assert_int_equal(kernel_shim.released_sends, 1);
  assert_int_equal(refs_of(p, MACH_PORT_RIGHT_SEND), 1);
  assert_int_equal(obj.refs, 0);
  kobj_register(NULL);
  drop_port(p, 1);
  expect_no_leaks();
}

static void translated_send_right_kept_after_failure(void **state) {
  (void)state;
  struct kobj obj;
  mach_port_t p = new_kobj_port(&obj, -1);
  int value = 0;
  assert_int_equal(ks_translate(server_port, p, &value), KERN_INVALID_ARGUMENT);
  /* No release by the stub: the server loop destroys the failed request once. */
  assert_int_equal(kernel_shim.released_sends, 0);
  assert_int_equal(refs_of(p, MACH_PORT_RIGHT_SEND), 1);
  assert_int_equal(obj.refs, 0);
  kobj_register(NULL);
  drop_port(p, 1);
  expect_no_leaks();
}

static void simpleroutine_releases_only_on_success(void **state) {
  (void)state;
  struct kobj obj;
  mach_port_t p = new_kobj_port(&obj, 3);
  assert_int_equal(ks_notify(server_port, p), KERN_SUCCESS);
  sync_with_server();
  assert_int_equal(kserver_log.notified, 1);
  assert_int_equal(kernel_shim.released_sends, 1);
  obj.value = -1;
  assert_int_equal(ks_notify(server_port, p), KERN_SUCCESS);
  sync_with_server();
  assert_int_equal(kserver_log.notified, 1);
  assert_int_equal(kernel_shim.released_sends, 1);
  assert_int_equal(refs_of(p, MACH_PORT_RIGHT_SEND), 1);
  assert_int_equal(obj.refs, 0);
  kobj_register(NULL);
  drop_port(p, 1);
  expect_no_leaks();
}

static void reply_send_right_is_moved(void **state) {
  (void)state;
  mach_port_t port = MACH_PORT_NULL;
  assert_int_equal(ks_make_send(server_port, &port), KERN_SUCCESS);
  assert_int_equal(port, kserver_log.kept_receive);
  /* Sent as MACH_MSG_TYPE_PORT_SEND (= MOVE_SEND): the right the work function made is the one
   * that arrived; MAKE_SEND (the user-space form) would have left two. */
  assert_int_equal(refs_of(port, MACH_PORT_RIGHT_SEND), 1);
  drop_port(port, 1);
  expect_no_leaks();
}

static void reply_receive_right_is_checked_for_circularity(void **state) {
  (void)state;
  mach_port_t port = MACH_PORT_NULL;
  assert_int_equal(ks_receive(server_port, &port), KERN_SUCCESS);
  assert_int_equal(refs_of(port, MACH_PORT_RIGHT_RECEIVE), 1);
  assert_int_equal(kernel_shim.circularity_checks, 1);
  /* the right the work function returned (under its name before it moved), against the reply
   * port as the server held it (a send-once right, used up by the reply since) */
  assert_int_equal(kernel_shim.last_check_port, kserver_log.kept_receive);
  assert_true(IP_VALID(kernel_shim.last_check_dest));
  assert_int_not_equal(kernel_shim.last_check_dest, kernel_shim.last_check_port);
  drop_port(port, 0);
  expect_no_leaks();
}

static void polymorphic_reply_port(void **state) {
  (void)state;
  mach_port_t port = MACH_PORT_NULL;
  mach_msg_type_name_t poly = 0;
  kserver_log.poly_disposition = MACH_MSG_TYPE_PORT_RECEIVE;
  assert_int_equal(ks_poly(server_port, &port, &poly), KERN_SUCCESS);
  assert_int_equal(poly, MACH_MSG_TYPE_PORT_RECEIVE);
  assert_int_equal(refs_of(port, MACH_PORT_RIGHT_RECEIVE), 1);
  assert_int_equal(kernel_shim.circularity_checks, 1);
  drop_port(port, 0);

  kserver_log.poly_disposition = MACH_MSG_TYPE_PORT_SEND;
  assert_int_equal(ks_poly(server_port, &port, &poly), KERN_SUCCESS);
  assert_int_equal(poly, MACH_MSG_TYPE_PORT_SEND);
  assert_int_equal(port, kserver_log.kept_receive);
  assert_int_equal(refs_of(port, MACH_PORT_RIGHT_SEND), 1);
  assert_int_equal(kernel_shim.circularity_checks, 1); /* only receive rights are checked */
  drop_port(port, 1);
  expect_no_leaks();
}

static void reply_port_array_rights_are_moved(void **state) {
  (void)state;
  mach_port_array_t ports = NULL;
  mach_msg_type_number_t count = 0;
  assert_int_equal(ks_port_list(server_port, &ports, &count), KERN_SUCCESS);
  assert_int_equal(count, 2);
  for (mach_msg_type_number_t i = 0; i < count; i++) {
    assert_int_equal(refs_of(ports[i], MACH_PORT_RIGHT_SEND), 1); /* PORT_SEND: moved */
    drop_port(ports[i], 1);
  }
  assert_int_equal(vm_deallocate(mach_task_self(), (vm_address_t)ports, count * sizeof *ports),
                   KERN_SUCCESS);
  assert_int_equal(vm_deallocate(mach_task_self(), (vm_address_t)kserver_log.kept_list,
                                 kserver_log.kept_list_size),
                   KERN_SUCCESS);
  expect_no_leaks();
}

static void request_memory_is_discarded(void **state) {
  (void)state;
  int data[5] = {1, 2, 3, 4, 5};
  int sum = 0;
  assert_int_equal(ks_sum(server_port, data, 5, &sum), KERN_SUCCESS);
  assert_int_equal(sum, 15);
  assert_int_equal(kernel_shim.discarded_copies, 1); /* vm_map_copy_discard, not mig_deallocate */
  expect_no_leaks();
}

/* A request built by hand with the -dheader id, sent through the runtime. */
static kern_return_t raw_name_request(const char *bytes, size_t n, mach_msg_id_t id,
                                      mach_msg_id_t *reply_id, int *length) {
  union {
    __Request__ks_name_t req;
    __Reply__ks_name_t rep;
    char bytes[512];
  } m;
  memset(&m, 0, sizeof m);
  mach_port_t reply_port = mig_get_reply_port();
  m.req.Head.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_COPY_SEND, MACH_MSG_TYPE_MAKE_SEND_ONCE);
  m.req.Head.msgh_size = (mach_msg_size_t)sizeof m.req;
  m.req.Head.msgh_remote_port = server_port;
  m.req.Head.msgh_local_port = reply_port;
  m.req.Head.msgh_id = id;
  m.req.NDR = NDR_record;
  memcpy(m.req.name, bytes, n);
  mach_msg_return_t mr = mach_msg(&m.req.Head, MACH_SEND_MSG | MACH_RCV_MSG,
                                  m.req.Head.msgh_size, sizeof m, reply_port,
                                  MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
  assert_int_equal(mr, MACH_MSG_SUCCESS);
  *reply_id = m.rep.Head.msgh_id;
  if (m.rep.Head.msgh_size == sizeof(__Reply__ks_name_t))
    *length = m.rep.length;
  return m.rep.RetCode;
}

static void dheader_ids_dispatch_and_strnlen_check(void **state) {
  (void)state;
  mach_msg_id_t reply_id = 0;
  int length = -1;
  assert_int_equal(raw_name_request("hello", 6, MACH_ID_KS_NAME, &reply_id, &length),
                   KERN_SUCCESS);
  assert_int_equal(reply_id, MACH_ID_KS_NAME_REPLY);
  assert_int_equal(length, 5);

  char unterminated[32];
  memset(unterminated, 'x', sizeof unterminated);
  length = -1;
  assert_int_equal(raw_name_request(unterminated, sizeof unterminated, MACH_ID_KS_NAME,
                                    &reply_id, &length),
                   MIG_BAD_ARGUMENTS);
  assert_int_equal(reply_id, MACH_ID_KS_NAME_REPLY);
  assert_int_equal(length, -1);

  /* The id of the skip slot between ks_receive and ks_poly reaches no stub. */
  assert_int_equal(MACH_ID_KS_POLY - MACH_ID_KS_RECEIVE, 2);
  assert_int_equal(raw_name_request("hello", 6, MACH_ID_KS_RECEIVE + 1, &reply_id, &length),
                   MIG_BAD_ID);
  assert_int_equal(reply_id, MACH_ID_KS_RECEIVE + 1 + 100);
  expect_no_leaks();
}

static void dheader_name_map_matches_the_table(void **state) {
  (void)state;
  static const struct {
    const char *name;
    mach_msg_id_t id;
  } map[] = {subsystem_to_name_map_kserver};
  static const struct {
    const char *name;
    mach_msg_id_t id, reply;
  } defines[] = {
      {"ks_translate", MACH_ID_KS_TRANSLATE, MACH_ID_KS_TRANSLATE_REPLY},
      {"ks_notify", MACH_ID_KS_NOTIFY, MACH_ID_KS_NOTIFY_REPLY},
      {"ks_make_send", MACH_ID_KS_MAKE_SEND, MACH_ID_KS_MAKE_SEND_REPLY},
      {"ks_receive", MACH_ID_KS_RECEIVE, MACH_ID_KS_RECEIVE_REPLY},
      {"ks_poly", MACH_ID_KS_POLY, MACH_ID_KS_POLY_REPLY},
      {"ks_port_list", MACH_ID_KS_PORT_LIST, MACH_ID_KS_PORT_LIST_REPLY},
      {"ks_sum", MACH_ID_KS_SUM, MACH_ID_KS_SUM_REPLY},
      {"ks_name", MACH_ID_KS_NAME, MACH_ID_KS_NAME_REPLY},
  };
  const struct ksrv_kserver_subsystem *table = &ksrv_kserver_subsystem;
  assert_int_equal(sizeof map / sizeof map[0], sizeof defines / sizeof defines[0]);
  assert_int_equal(table->start, 5200);
  assert_int_equal(table->end - table->start, kserver_MSG_COUNT);
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
    assert_string_equal(map[i].name, defines[i].name);
    assert_int_equal(map[i].id, defines[i].id);
    assert_int_equal(defines[i].reply, defines[i].id + 100);
    assert_true(defines[i].id >= table->start && defines[i].id < table->end);
    assert_non_null(table->routine[defines[i].id - table->start].stub_routine);
  }
  assert_null(table->routine[MACH_ID_KS_RECEIVE + 1 - table->start].stub_routine);
}

/* -s: _kserverSymTab names every slot's stub (the one the subsystem table dispatches to). */
extern mig_symtab_t _kserverSymTab[];
extern int _kserverSymTabBase, _kserverSymTabEnd;

static void symtab_names_each_stub(void **state) {
  (void)state;
  const struct ksrv_kserver_subsystem *table = &ksrv_kserver_subsystem;
  assert_int_equal(_kserverSymTabBase, table->start);
  assert_int_equal(_kserverSymTabEnd, table->end);
  int named = 0;
  for (int i = 0; i < _kserverSymTabEnd - _kserverSymTabBase; i++) {
    const mig_symtab_t *entry = &_kserverSymTab[i];
    mig_stub_routine_t stub = table->routine[i].stub_routine;
    if (stub == NULL) { /* the skip slot */
      assert_string_equal(entry->ms_routine_name, "");
      assert_int_equal(entry->ms_routine_number, 0);
      assert_null(entry->ms_routine);
      continue;
    }
    named++;
    assert_int_equal(entry->ms_routine_number, _kserverSymTabBase + i);
    assert_true(entry->ms_routine == (void (*)(void))stub);
  }
  assert_int_equal(named, 8);
  assert_string_equal(_kserverSymTab[MACH_ID_KS_SUM - _kserverSymTabBase].ms_routine_name,
                      "ks_sum");
  assert_string_equal(_kserverSymTab[MACH_ID_KS_POLY - _kserverSymTabBase].ms_routine_name,
                      "ks_poly");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(translated_send_right_released_after_success, setup),
      cmocka_unit_test_setup(translated_send_right_kept_after_failure, setup),
      cmocka_unit_test_setup(simpleroutine_releases_only_on_success, setup),
      cmocka_unit_test_setup(reply_send_right_is_moved, setup),
      cmocka_unit_test_setup(reply_receive_right_is_checked_for_circularity, setup),
      cmocka_unit_test_setup(polymorphic_reply_port, setup),
      cmocka_unit_test_setup(reply_port_array_rights_are_moved, setup),
      cmocka_unit_test_setup(request_memory_is_discarded, setup),
      cmocka_unit_test_setup(dheader_ids_dispatch_and_strnlen_check, setup),
      cmocka_unit_test_setup(dheader_name_map_matches_the_table, setup),
      cmocka_unit_test_setup(symtab_names_each_stub, setup),
  };
  return cmocka_run_group_tests(tests, start_server, stop_server);
}
