/* Pins the Darwin 64-bit user ABI of the headers the xnu interfaces name (host, task, thread,
 * processor, clock, VM, voucher, mach_debug, device, kern): sizes, offsets and the *_COUNT
 * constants callers pass as buffer sizes, plus what <TargetConditionals.h> and
 * <Availability.h> say about the platform.
 *
 * Where the numbers come from: the sizes xnu's .defs files declare for these types
 * (mach_types.defs, mach_debug_types.defs, clock_types.defs: `struct[N] of integer_t` is 4N
 * bytes), and the *_COUNT values Darwin programs are documented to pass (MACH_TASK_BASIC_INFO_COUNT
 * 12, TASK_DYLD_INFO_COUNT 5, HOST_VM_INFO64_COUNT 38, VM_REGION_SUBMAP_INFO_COUNT_64 19, ...).
 * A few .defs sizes describe the 32-bit layout of a record holding a pointer-sized or 64-bit
 * member, or omit the tail padding of the C record; there the LP64 C layout is Darwin's ABI and
 * is what is pinned, with the .defs number next to it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <TargetConditionals.h>
#include <Availability.h>
#include <AvailabilityMacros.h>
#include <mach/mach.h>
#include <mach/mach_types.h>
#include <mach/audit_triggers_types.h>
#include <mach/doubleagent_types.h>
#include <mach/resource_monitors.h>
#include <mach_debug/mach_debug_types.h>
#include <device/device_types.h>
#include <kern/ecc.h>
#include <kern/restartable.h>
#include <System/mach/clock_types.h>
#include <System/mach/resource_monitors.h>

#define SIZE(type, n) _Static_assert(sizeof(type) == (n), #type " is " #n " bytes")
#define AT(type, member, n) _Static_assert(offsetof(type, member) == (n), #type "." #member " at " #n)

#if !defined(__LP64__)
#error "these are the LP64 numbers"
#endif

/* Scalars. */
SIZE(natural_t, 4);
SIZE(integer_t, 4);
SIZE(host_flavor_t, 4);
SIZE(task_flavor_t, 4);
SIZE(thread_flavor_t, 4);
SIZE(processor_flavor_t, 4);
SIZE(clock_res_t, 4);
SIZE(vm_behavior_t, 4);
SIZE(vm_sync_t, 4);
SIZE(vm_purgable_t, 4);
SIZE(vm_machine_attribute_t, 4);
SIZE(memory_object_offset_t, 8);
SIZE(memory_object_size_t, 8);
SIZE(vm_object_id_t, 8);
SIZE(mach_voucher_attr_value_handle_t, 8);
SIZE(resource_notify_flags_t, 8);
SIZE(kmod_args_t, 8);
SIZE(mach_vm_range_flavor_t, 4);
SIZE(mach_eventlink_create_option_t, 4);
SIZE(task_exc_guard_behavior_t, 4);
SIZE(clock_reply_t, 4);
SIZE(mem_entry_name_port_t, 4);
SIZE(semaphore_consume_ref_t, 4);
SIZE(mem_entry_name_port_move_send_t, 4);
SIZE(vm_address_ut, 8);
SIZE(vm32_address_ut, 4);
SIZE(memory_object_offset_ut, 8);

/* Fixed strings and arrays (the .defs sizes). */
SIZE(kernel_version_t, 512);
SIZE(kernel_boot_info_t, 4096);
SIZE(host_info_data_t, 4096);
SIZE(symtab_name_t, 32);
SIZE(kobject_description_t, 512);
SIZE(io_name_t, 128);
SIZE(io_string_t, 512);
SIZE(io_struct_inband_t, 4096);
SIZE(io_scalar_inband_t, 128);
SIZE(io_async_ref_t, 64);
SIZE(io_scalar_inband64_t, 128);
SIZE(io_async_ref64_t, 64);
SIZE(proc_name_t, 33);
SIZE(posix_path_t, 1024);
SIZE(command_t, 17);
SIZE(xattrname, 128);
SIZE(vfs_path_t, 4096);
SIZE(nspace_path_t, 8192);
SIZE(nspace_name_t, 8192);

/* clock_types.defs: mach_timespec_t = struct[2] of int. */
SIZE(mach_timespec_t, 8);
AT(mach_timespec_t, tv_nsec, 4);
/* mach_types.defs: time_value_t = struct[2] of integer_t. */
SIZE(time_value_t, 8);

/* mach_types.defs: vm_statistics_data_t = struct[15] of integer_t; task_purgable_info_t =
 * struct[68] of integer_t. */
SIZE(vm_statistics_data_t, 60);
SIZE(task_purgable_info_t, 272);
SIZE(vm_statistics64_data_t, 152);
AT(vm_statistics64_data_t, zero_fill_count, 16);
AT(vm_statistics64_data_t, total_uncompressed_pages_in_compressor, 144);
SIZE(vm_extmod_statistics_data_t, 48);

/* mach_types.defs: mach_vm_read_entry_t = array[512] of mach_vm_offset_t, vm_read_entry_t =
 * array[512] of vm_offset_t, vm32_read_entry_t = array[512] of vm32_offset_t. */
SIZE(mach_vm_read_entry_t, 4096);
SIZE(vm_read_entry_t, 4096);
SIZE(vm32_read_entry_t, 2048);
AT(struct mach_vm_read_entry, size, 8);

/* mach_types.defs: exception_handler_info_t = struct[2] of natural_t. */
SIZE(exception_handler_info_t, 8);

/* mach_types.defs: dyld_kernel_image_info_t = struct[40] of byte. dyld_kernel_process_info_t
 * is declared struct[64] of byte there, but Darwin's C record is 72 bytes on LP64 (57 bytes of
 * members up to dyldState, two boolean_t after it, 8-byte alignment). */
SIZE(dyld_kernel_image_info_t, 40);
AT(dyld_kernel_image_info_t, load_addr, 32);
SIZE(dyld_kernel_process_info_t, 72);
AT(dyld_kernel_process_info_t, timestamp, 40);
AT(dyld_kernel_process_info_t, dyldState, 56);
AT(dyld_kernel_process_info_t, private_cache, 64);

/* machine_info_data_t: struct[5] of integer_t in mach_types.defs (the OSF record); Darwin's C
 * record has grown 64-bit members since: 40 bytes. */
SIZE(machine_info_data_t, 40);
AT(machine_info_data_t, max_mem, 16);

/* Host info (counts in integer_t). */
SIZE(host_basic_info_data_t, 48);
AT(host_basic_info_data_t, max_mem, 40);
_Static_assert(HOST_BASIC_INFO_COUNT == 12, "HOST_BASIC_INFO_COUNT");
_Static_assert(HOST_SCHED_INFO_COUNT == 2, "HOST_SCHED_INFO_COUNT");
_Static_assert(HOST_RESOURCE_SIZES_COUNT == 5, "HOST_RESOURCE_SIZES_COUNT");
_Static_assert(HOST_PRIORITY_INFO_COUNT == 8, "HOST_PRIORITY_INFO_COUNT");
_Static_assert(HOST_LOAD_INFO_COUNT == 6, "HOST_LOAD_INFO_COUNT");
_Static_assert(HOST_CPU_LOAD_INFO_COUNT == 4, "HOST_CPU_LOAD_INFO_COUNT");
_Static_assert(HOST_VM_INFO_COUNT == 15, "HOST_VM_INFO_COUNT");
_Static_assert(HOST_VM_INFO_REV0_COUNT == 12, "HOST_VM_INFO_REV0_COUNT");
_Static_assert(HOST_VM_INFO64_COUNT == 38, "HOST_VM_INFO64_COUNT");
_Static_assert(HOST_VM_INFO64_REV0_COUNT == 24, "HOST_VM_INFO64_REV0_COUNT");
_Static_assert(HOST_EXTMOD_INFO64_COUNT == 12, "HOST_EXTMOD_INFO64_COUNT");
_Static_assert(HOST_VM_PURGABLE_COUNT == 68, "HOST_VM_PURGABLE_COUNT");
_Static_assert(HOST_PREFERRED_USER_ARCH_COUNT == 2, "HOST_PREFERRED_USER_ARCH_COUNT");

/* Processor info (counts in natural_t). */
SIZE(processor_basic_info_data_t, 20);
_Static_assert(PROCESSOR_BASIC_INFO_COUNT == 5, "PROCESSOR_BASIC_INFO_COUNT");
_Static_assert(PROCESSOR_CPU_LOAD_INFO_COUNT == 4, "PROCESSOR_CPU_LOAD_INFO_COUNT");
_Static_assert(PROCESSOR_SET_BASIC_INFO_COUNT == 2, "PROCESSOR_SET_BASIC_INFO_COUNT");
_Static_assert(PROCESSOR_SET_LOAD_INFO_COUNT == 4, "PROCESSOR_SET_LOAD_INFO_COUNT");

/* Task info: packed to 4. */
SIZE(task_basic_info_data_t, 40);
AT(task_basic_info_data_t, virtual_size, 4);
_Static_assert(TASK_BASIC_INFO_COUNT == 10, "TASK_BASIC_INFO_COUNT");
SIZE(mach_task_basic_info_data_t, 48);
AT(mach_task_basic_info_data_t, user_time, 24);
_Static_assert(MACH_TASK_BASIC_INFO_COUNT == 12, "MACH_TASK_BASIC_INFO_COUNT");
_Static_assert(TASK_EVENTS_INFO_COUNT == 8, "TASK_EVENTS_INFO_COUNT");
_Static_assert(TASK_THREAD_TIMES_INFO_COUNT == 4, "TASK_THREAD_TIMES_INFO_COUNT");
SIZE(task_dyld_info_data_t, 20);
_Static_assert(TASK_DYLD_INFO_COUNT == 5, "TASK_DYLD_INFO_COUNT");
_Static_assert(TASK_BASIC_INFO == TASK_BASIC_INFO_64, "LP64 basic info flavor");
_Static_assert(TASK_BASIC_INFO_32_COUNT == 8 && TASK_BASIC_INFO_64_COUNT == 10, "basic info");
SIZE(task_vm_info_data_t, 372);
AT(task_vm_info_data_t, phys_footprint, 144);
AT(task_vm_info_data_t, ledger_swapins, 348);
_Static_assert(TASK_VM_INFO_COUNT == 93, "TASK_VM_INFO_COUNT");
_Static_assert(TASK_VM_INFO_REV1_COUNT == 38 && TASK_VM_INFO_REV0_COUNT == 36, "TASK_VM_INFO revs");
_Static_assert(TASK_ABSOLUTETIME_INFO_COUNT == 8, "TASK_ABSOLUTETIME_INFO_COUNT");
_Static_assert(TASK_POWER_INFO_COUNT == 12, "TASK_POWER_INFO_COUNT");
_Static_assert(TASK_EXTMOD_INFO_COUNT == 16, "TASK_EXTMOD_INFO_COUNT");
_Static_assert(TASK_WAIT_STATE_INFO_COUNT == 8, "TASK_WAIT_STATE_INFO_COUNT");
_Static_assert(TASK_SECURITY_TOKEN_COUNT == 2 && TASK_AUDIT_TOKEN_COUNT == 8, "token counts");
#if defined(__aarch64__)
_Static_assert(TASK_POWER_INFO_V2_COUNT == 26, "TASK_POWER_INFO_V2_COUNT (arm64)");
#else
_Static_assert(TASK_POWER_INFO_V2_COUNT == 24, "TASK_POWER_INFO_V2_COUNT");
#endif
_Static_assert(TASK_INSPECT_BASIC_COUNTS_COUNT == 4, "TASK_INSPECT_BASIC_COUNTS_COUNT");
_Static_assert(TASK_CATEGORY_POLICY_COUNT == 1, "TASK_CATEGORY_POLICY_COUNT");
_Static_assert(TASK_QOS_POLICY_COUNT == 2, "TASK_QOS_POLICY_COUNT");

/* Thread info and policy. */
_Static_assert(THREAD_BASIC_INFO_COUNT == 10, "THREAD_BASIC_INFO_COUNT");
_Static_assert(THREAD_IDENTIFIER_INFO_COUNT == 6, "THREAD_IDENTIFIER_INFO_COUNT");
SIZE(thread_extended_info_data_t, 112);
AT(thread_extended_info_data_t, pth_name, 48);
_Static_assert(THREAD_EXTENDED_INFO_COUNT == 28, "THREAD_EXTENDED_INFO_COUNT");
_Static_assert(THREAD_TIME_CONSTRAINT_POLICY_COUNT == 4, "THREAD_TIME_CONSTRAINT_POLICY_COUNT");
_Static_assert(THREAD_EXTENDED_POLICY_COUNT == 1, "THREAD_EXTENDED_POLICY_COUNT");
_Static_assert(THREAD_STANDARD_POLICY_COUNT == 0, "THREAD_STANDARD_POLICY_COUNT");

/* Policies. */
_Static_assert(POLICY_TIMESHARE_INFO_COUNT == 5, "POLICY_TIMESHARE_INFO_COUNT");
_Static_assert(POLICY_RR_BASE_COUNT == 2, "POLICY_RR_BASE_COUNT");
_Static_assert(POLICY_FIFO_INFO_COUNT == 4, "POLICY_FIFO_INFO_COUNT");
SIZE(policy_info_data_t, 56);

/* Regions: packed to 4. */
SIZE(vm_region_basic_info_data_64_t, 36);
AT(vm_region_basic_info_data_64_t, offset, 20);
_Static_assert(VM_REGION_BASIC_INFO_COUNT_64 == 9, "VM_REGION_BASIC_INFO_COUNT_64");
_Static_assert(VM_REGION_BASIC_INFO_COUNT == 8, "VM_REGION_BASIC_INFO_COUNT");
_Static_assert(VM_REGION_EXTENDED_INFO_COUNT == 9, "VM_REGION_EXTENDED_INFO_COUNT");
_Static_assert(VM_REGION_TOP_INFO_COUNT == 5, "VM_REGION_TOP_INFO_COUNT");
SIZE(vm_region_submap_info_data_64_t, 76);
AT(vm_region_submap_info_data_64_t, object_id_full, 68);
_Static_assert(VM_REGION_SUBMAP_INFO_COUNT_64 == 19, "VM_REGION_SUBMAP_INFO_COUNT_64");
_Static_assert(VM_REGION_SUBMAP_INFO_V1_COUNT_64 == 17, "VM_REGION_SUBMAP_INFO_V1_COUNT_64");
_Static_assert(VM_REGION_SUBMAP_INFO_V0_COUNT_64 == 16, "VM_REGION_SUBMAP_INFO_V0_COUNT_64");
_Static_assert(VM_REGION_SUBMAP_SHORT_INFO_COUNT_64 == 12, "VM_REGION_SUBMAP_SHORT_INFO_COUNT_64");
_Static_assert(VM_PAGE_INFO_BASIC_COUNT == 8, "VM_PAGE_INFO_BASIC_COUNT");

/* mach_debug_types.defs. zone_info_t (struct[9] of integer_t there) and vm_info_object_t
 * (struct[21] of natural_t) are the ILP32 sizes of records holding vm_size_t / vm_offset_t
 * members; the LP64 C records are 56 and 88 bytes. */
SIZE(zone_name_t, 80);
SIZE(zone_info_t, 56);
SIZE(mach_zone_name_t, 80);
SIZE(mach_zone_info_t, 64);
SIZE(task_zone_info_t, 88);
SIZE(zone_btrecord_t, 128);
SIZE(hash_info_bucket_t, 4);
SIZE(ipc_info_space_t, 24);
SIZE(ipc_info_space_basic_t, 24);
SIZE(ipc_info_name_t, 28);
SIZE(ipc_info_tree_name_t, 36);
SIZE(vm_info_region_t, 40);
SIZE(vm_info_region_64_t, 44);
AT(vm_info_region_64_t, vir_offset, 12);
SIZE(mach_vm_info_region_t, 56);
SIZE(vm_info_object_t, 88);
AT(vm_info_object_t, vio_last_alloc, 40);
SIZE(lockgroup_info_t, 264);
SIZE(mach_memory_info_t, 176);
AT(mach_memory_info_t, name, 96);

/* memory_error_notification.defs: struct[10] of uint32_t each. */
SIZE(ecc_event_t, 40);
SIZE(mcc_ecc_event_t, 40);

/* restartable.defs ranges; voucher recipe header; kmod records. */
SIZE(task_restartable_range_t, 16);
AT(task_restartable_range_t, recovery_offs, 10);
SIZE(mach_voucher_attr_recipe_data_t, 16);
AT(mach_voucher_attr_recipe_data_t, content, 16);
SIZE(kmod_info_t, 196);
SIZE(kmod_info_64_v1_t, 196);
SIZE(kmod_info_32_v1_t, 168);

/* doubleagent_mig.defs declares listxattrs_result_t as LISTXATTR_RESULT_MAX_SIZE + 56 = 34916
 * bytes; the C record is padded to its 8-byte alignment: 34920. */
_Static_assert(LISTXATTR_RESULT_MAX_SIZE == 34860, "LISTXATTR_RESULT_MAX_SIZE");
SIZE(listxattrs_result_t, 34920);

/* The KernelServer -mach_msg2 routine and subsystem records (<mach/mig.h>). */
SIZE(struct kern_routine_descriptor, 32);
AT(struct kern_routine_descriptor, reply_descr_count, 24);
AT(struct mig_kern_subsystem, maxsize, 16);
AT(struct mig_kern_subsystem, reserved, 24);
AT(struct mig_kern_subsystem, kroutine, 32);
_Static_assert(sizeof(mig_kern_routine_t) == sizeof(void (*)(void)), "a function pointer");

/* Flavors and constants other code switches on. */
_Static_assert(HOST_VM_INFO64 == 4 && HOST_CPU_LOAD_INFO == 3, "host statistics flavors");
_Static_assert(TASK_DYLD_INFO == 17 && MACH_TASK_BASIC_INFO == 20 && TASK_VM_INFO == 22,
               "task info flavors");
_Static_assert(THREAD_IDENTIFIER_INFO == 4 && THREAD_EXTENDED_INFO == 5, "thread info flavors");
_Static_assert(VM_REGION_SUBMAP_INFO_COUNT_64 * 4 == VM_REGION_SUBMAP_INFO_V2_SIZE, "v2 size");
_Static_assert(CALENDAR_CLOCK == 1 && SYSTEM_CLOCK == 0, "clock ids");
_Static_assert(CPU_TYPE_X86_64 == 0x01000007 && CPU_TYPE_ARM64 == 0x0100000c, "cpu types");
_Static_assert(HOST_MAX_SPECIAL_PORT == 35, "host special ports");
_Static_assert(TASK_FLAVOR_NAME == 3 && THREAD_FLAVOR_INSPECT == 2, "port flavors");
_Static_assert(MACH_VOUCHER_ATTR_KEY_USER_DATA == 7, "voucher keys");

/* Not an Apple platform. */
_Static_assert(TARGET_OS_MAC == 0 && TARGET_OS_OSX == 0 && TARGET_OS_IPHONE == 0 &&
                   TARGET_OS_IOS == 0 && TARGET_OS_SIMULATOR == 0 && TARGET_OS_EMBEDDED == 0,
               "no Apple OS");
_Static_assert(TARGET_OS_UNIX == 1 && TARGET_OS_LINUX == 1, "a Unix: Linux");
_Static_assert(TARGET_RT_64_BIT == 1 && TARGET_RT_MAC_MACHO == 0, "LP64 ELF");
#if defined(__x86_64__)
_Static_assert(TARGET_CPU_X86_64 == 1 && TARGET_CPU_ARM64 == 0, "cpu");
#elif defined(__aarch64__)
_Static_assert(TARGET_CPU_ARM64 == 1 && TARGET_CPU_X86_64 == 0, "cpu");
#endif
#if defined(__MAC_OS_X_VERSION_MIN_REQUIRED) || defined(__IPHONE_OS_VERSION_MIN_REQUIRED) ||   \
    defined(MAC_OS_X_VERSION_MIN_REQUIRED)
#error "no Apple deployment target is set"
#endif
_Static_assert(__MAC_10_15 == 101500 && __MAC_11_0 == 110000 && __IPHONE_13_0 == 130000,
               "version constants");
_Static_assert(MAC_OS_X_VERSION_10_9 == 1090, "AvailabilityMacros constants");

/* Marked declarations compile as plain ones. */
extern int marked_function(void) __API_AVAILABLE(macos(10.15), ios(13.0))
    __OSX_AVAILABLE_STARTING(__MAC_10_5, __IPHONE_2_0) API_UNAVAILABLE(watchos);
int marked_function(void) { return 42; }

static void test_marked_function_is_plain(void **state) {
  (void)state;
  assert_int_equal(marked_function(), 42);
}

/* The timespec macros normalise as Darwin's do. */
static void test_mach_timespec_arithmetic(void **state) {
  (void)state;
  mach_timespec_t a = {1, 900000000};
  mach_timespec_t b = {2, 200000000};
  ADD_MACH_TIMESPEC(&a, &b);
  assert_int_equal(a.tv_sec, 4);
  assert_int_equal(a.tv_nsec, 100000000);
  SUB_MACH_TIMESPEC(&a, &b);
  assert_int_equal(a.tv_sec, 1);
  assert_int_equal(a.tv_nsec, 900000000);
  assert_true(CMP_MACH_TIMESPEC(&a, &b) < 0);
  assert_false(BAD_MACH_TIMESPEC(&a));
  a.tv_nsec = -1;
  assert_true(BAD_MACH_TIMESPEC(&a));
}

/* A task_info-style caller: the buffer the count names is the record. */
static void test_counts_name_whole_records(void **state) {
  (void)state;
  mach_task_basic_info_data_t info;
  mach_msg_type_number_t count = MACH_TASK_BASIC_INFO_COUNT;
  memset(&info, 0xff, sizeof info);
  memset((integer_t *)&info, 0, count * sizeof(natural_t));
  assert_int_equal(info.suspend_count, 0);
  time_value_t t = {0, 999999};
  time_value_add_usec(&t, 2);
  assert_int_equal(t.seconds, 1);
  assert_int_equal(t.microseconds, 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_marked_function_is_plain),
    cmocka_unit_test(test_mach_timespec_arithmetic),
    cmocka_unit_test(test_counts_name_whole_records),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
