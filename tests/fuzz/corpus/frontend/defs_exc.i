# 0 "defs/mach/exc.defs"
# 0 "<built-in>"
# 0 "<command-line>"
# 1 "/usr/include/stdc-predef.h" 1 3 4
# 0 "<command-line>" 2
# 1 "defs/mach/exc.defs"
# 10 "defs/mach/exc.defs"
subsystem



 exc 2401;

# 1 "defs/mach/std_types.defs" 1
# 11 "defs/mach/std_types.defs"
type int8_t = MACH_MSG_TYPE_INTEGER_8;
type uint8_t = MACH_MSG_TYPE_INTEGER_8;
type int16_t = MACH_MSG_TYPE_INTEGER_16;
type uint16_t = MACH_MSG_TYPE_INTEGER_16;
type int32_t = MACH_MSG_TYPE_INTEGER_32;
type uint32_t = MACH_MSG_TYPE_INTEGER_32;
type int64_t = MACH_MSG_TYPE_INTEGER_64;
type uint64_t = MACH_MSG_TYPE_INTEGER_64;


type int32 = int32_t;
type unsigned32 = uint32_t;
type int64 = int64_t;
type unsigned64 = uint64_t;

type char = MACH_MSG_TYPE_CHAR;
type boolean_t = MACH_MSG_TYPE_BOOLEAN;


# 1 "defs/mach/machine/machine_types.defs" 1
# 10 "defs/mach/machine/machine_types.defs"
type short = int16_t;
type int = int32_t;
type unsigned = uint32_t;

type float = MACH_MSG_TYPE_REAL_32;
type double = MACH_MSG_TYPE_REAL_64;


type integer_t = int32_t;
type natural_t = uint32_t;


type uintptr_t = uint64_t;
type intptr_t = int64_t;
type register_t = int64_t;


type vm_address_t = uint64_t;
type vm_offset_t = uint64_t;
type vm_size_t = uint64_t;
# 41 "defs/mach/machine/machine_types.defs"
type mach_vm_address_t = uint64_t;
type mach_vm_offset_t = uint64_t;
type mach_vm_size_t = uint64_t;

type mach_port_context_t = uint64_t;
# 31 "defs/mach/std_types.defs" 2

type kern_return_t = int;


type pointer_t = ^array[] of MACH_MSG_TYPE_BYTE
 ctype: vm_offset_t;


type mach_port_t = MACH_MSG_TYPE_COPY_SEND;
type mach_port_array_t = array[] of mach_port_t;
type mach_port_name_t = MACH_MSG_TYPE_PORT_NAME;
type mach_port_name_array_t = array[] of mach_port_name_t;


type mach_port_right_t = natural_t;
type mach_port_type_t = natural_t;
type mach_port_type_array_t = array[] of mach_port_type_t;
type mach_port_urefs_t = natural_t;
type mach_port_delta_t = integer_t;
type mach_port_seqno_t = natural_t;
type mach_port_mscount_t = unsigned;
type mach_port_msgcount_t = unsigned;
type mach_port_rights_t = unsigned;
type mach_msg_id_t = integer_t;
type mach_msg_size_t = natural_t;
type mach_msg_type_name_t = unsigned;
type mach_msg_options_t = integer_t;


type mach_port_move_receive_t = MACH_MSG_TYPE_MOVE_RECEIVE ctype: mach_port_t;
type mach_port_copy_send_t = MACH_MSG_TYPE_COPY_SEND ctype: mach_port_t;
type mach_port_make_send_t = MACH_MSG_TYPE_MAKE_SEND ctype: mach_port_t;
type mach_port_move_send_t = MACH_MSG_TYPE_MOVE_SEND ctype: mach_port_t;
type mach_port_make_send_once_t = MACH_MSG_TYPE_MAKE_SEND_ONCE ctype: mach_port_t;
type mach_port_move_send_once_t = MACH_MSG_TYPE_MOVE_SEND_ONCE ctype: mach_port_t;


type mach_port_receive_t = MACH_MSG_TYPE_PORT_RECEIVE ctype: mach_port_t;
type mach_port_send_t = MACH_MSG_TYPE_PORT_SEND ctype: mach_port_t;
type mach_port_send_once_t = MACH_MSG_TYPE_PORT_SEND_ONCE ctype: mach_port_t;


type mach_port_poly_t = polymorphic
 ctype: mach_port_t;

import <mach/std_types.h>;
import <mach/mig.h>;
# 17 "defs/mach/exc.defs" 2
# 1 "defs/mach/mach_types.defs" 1
# 33 "defs/mach/mach_types.defs"
type memory_object_offset_t = uint64_t;
type memory_object_size_t = uint64_t;
type memory_object_cluster_size_t = uint32_t;

type mach_port_status_t = struct[10] of integer_t;
type mach_port_flavor_t = int;
type mach_port_info_t = array[*:17] of integer_t;
type mach_port_guard_t = uint64_t;


type task_t = mach_port_t





  ;

type task_name_t = mach_port_t





  ;

type task_policy_set_t = mach_port_t




  ;

type task_policy_get_t = mach_port_t




  ;

type task_inspect_t = mach_port_t





  ;

type task_read_t = mach_port_t





  ;

type task_id_token_t = mach_port_t





  ;

type task_suspension_token_t = mach_port_move_send_once_t




  ;


type thread_t = mach_port_t





  ;

type thread_act_t = mach_port_t





  ;

type thread_inspect_t = mach_port_t





  ;

type thread_read_t = mach_port_t





  ;

type thread_act_consume_ref_t = mach_port_move_send_t
  cusertype: thread_act_t




  ;

type thread_state_flavor_t = int;
type thread_state_t = array[*:614] of natural_t;

type task_array_t = ^array[] of task_t;
type thread_array_t = ^array[] of thread_t;
type thread_act_array_t = ^array[] of thread_act_t;
type act_params_t = array[6] of int;


type vm_map_t = mach_port_t




  ;

type vm_map_read_t = mach_port_t




  ;

type vm_map_inspect_t = mach_port_t




  ;

type vm_task_entry_t = mach_port_t
  cusertype: vm_map_t




  ;

type ipc_space_t = mach_port_t




  ;

type ipc_space_read_t = mach_port_t




  ;

type ipc_space_inspect_t = mach_port_t




  ;


type vm_prot_t = int;
type vm_inherit_t = int;
type vm_purgable_t = int;
type xxx_vm_statistics_data_t = struct[13] of integer_t;
type vm_behavior_t = int;
type vm_statistics_data_t = struct[15] of integer_t;
type vm_machine_attribute_t = int;
type vm_machine_attribute_val_t = int;
type vm_sync_t = int;


type thread_flavor_t = int;
type thread_info_t = array[*:32] of integer_t;
type thread_policy_flavor_t = natural_t;
type thread_policy_t = array[*:16] of integer_t;
type task_flavor_t = int;
type task_info_t = array[*:87] of integer_t;
type task_policy_flavor_t = natural_t;
type task_policy_t = array[*:16] of integer_t;
type host_flavor_t = int;
type host_info_t = array[*:68] of integer_t;
type host_info64_t = array[*:256] of integer_t;
type processor_flavor_t = int;
type processor_info_t = array[*:12] of integer_t;
type processor_info_array_t = ^array[] of integer_t;
type processor_set_flavor_t = int;
type processor_set_info_t = array[*:5] of integer_t;


type mem_entry_name_port_t = mach_port_t




  ;

type mem_entry_name_port_move_send_t = mach_port_move_send_t
  cusertype: mem_entry_name_port_t




  ;

type memory_object_default_t = mach_port_t;
type memory_object_t = mach_port_t;
type memory_object_control_t = mach_port_t;
type memory_object_name_t = mach_port_t ctype: mach_port_t;
type memory_object_copy_strategy_t = int;
type memory_object_return_t = int;
type memory_object_flavor_t = int;
type memory_object_info_t = array[*:6] of int;


type machine_info_data_t = struct[5] of integer_t;
type machine_slot_data_t = struct[8] of integer_t;

type host_t = mach_port_t




  ;

type host_priv_t = mach_port_t



  ;

type host_security_t = mach_port_t



  ;

type processor_t = mach_port_t




  ;

type processor_array_t = ^array[] of processor_t;

type processor_set_t = mach_port_t





  ;

type processor_set_array_t = ^array[] of processor_set_t;

type processor_set_name_t = mach_port_t





  ;

type processor_set_name_array_t = ^array[] of processor_set_name_t;


type bootstrap_t = mach_port_t;
type kernel_version_t = c_string[*:512];
type kernel_boot_info_t = c_string[*:4096];
type time_value_t = struct[2] of integer_t;
type mach_port_qos_t = struct[2] of integer_t;
type emulation_vector_t = ^array[] of vm_offset_t;
type inline_existence_map_t = array[*:512] of char;
type policy_t = int;
type policy_base_t = array[*:5] of integer_t;
type policy_info_t = array[*:2] of integer_t;
type policy_limit_t = array[*:1] of integer_t;

type ledger_t = mach_port_t




  ;

type ledger_array_t = ^array[] of ledger_t;
type ledger_item_t = integer_t;


type security_token_t = struct[2] of uint32_t;
type audit_token_t = struct[8] of uint32_t;
type msg_labels_t = mach_port_t;


type vm_region_flavor_t = int;
type vm_region_info_t = array[*:10] of int;
type vm_region_recurse_info_t = array[*:19] of int;
type mach_vm_read_entry_t = array[512] of mach_vm_offset_t;
type vm_read_entry_t = array[512] of vm_offset_t;


type exception_mask_t = int;
type exception_behavior_t = int;
type exception_handler_t = mach_port_t;
type exception_handler_array_t = array[*:32] of exception_handler_t;
type exception_behavior_array_t = array[*:32] of exception_behavior_t;
type exception_flavor_array_t = array[*:32] of thread_state_flavor_t;
type exception_mask_array_t = array[*:32] of exception_mask_t;


type semaphore_t = mach_port_t





  ;

type semaphore_consume_ref_t = mach_port_move_send_t
  cusertype: semaphore_t





  ;

type lock_set_t = mach_port_t;



type kmod_t = int;
type kmod_control_flavor_t = int;
type kmod_args_t = ^array[] of MACH_MSG_TYPE_BYTE
 ctype: kmod_args_t;

type io_master_t = mach_port_t;
type io_main_t = mach_port_t;
type UNDServerRef = mach_port_t;

type mach_voucher_t = mach_port_t





  ;

type mach_voucher_name_t = mach_port_name_t;
type mach_voucher_name_array_t = array[] of mach_voucher_name_t;
type mach_voucher_selector_t = uint32_t;
type mach_voucher_attr_manager_t = mach_port_t;
type mach_voucher_attr_control_t = mach_port_t;
type ipc_voucher_attr_manager_t = mach_port_t;
type ipc_voucher_attr_control_t = mach_port_t;
type mach_voucher_attr_key_t = uint32_t;
type mach_voucher_attr_key_array_t = array[*:64] of mach_voucher_attr_key_t;
type mach_voucher_attr_content_t = array[*:4096] of uint8_t;
type mach_voucher_attr_content_size_t = uint32_t;
type mach_voucher_attr_command_t = uint32_t;
type mach_voucher_attr_recipe_command_t = uint32_t;
type mach_voucher_attr_recipe_command_array_t = ^array[] of uint8_t;
type mach_voucher_attr_raw_recipe_t = array[*:4096] of uint8_t;
type mach_voucher_attr_raw_recipe_array_t = ^array[] of uint8_t;
type mach_voucher_attr_raw_recipe_size_t = uint32_t;
type mach_voucher_attr_value_handle_t = uint64_t;
type mach_voucher_attr_value_handle_array_t = array[*:4] of mach_voucher_attr_value_handle_t;
type mach_voucher_attr_value_reference_t = uint32_t;

type kcdata_object_t = mach_port_t




  ;

type fileport_t = mach_port_t;
type fileport_array_t = ^array[] of fileport_t;
type task_exc_guard_behavior_t = uint32_t;
type kobject_description_t = c_string[*:512];





import <mach/mig.h>;
import <mach/mach_types.h>;
# 18 "defs/mach/exc.defs" 2

ServerPrefix catch_;

type exception_data_t = array[*:2] of integer_t;
type exception_type_t = int;

routine exception_raise(





  exception_port : mach_port_t;
  thread : mach_port_t;
  task : mach_port_t;

  exception : exception_type_t;
  code : exception_data_t);

routine exception_raise_state(
  exception_port : mach_port_t;
  exception : exception_type_t;
  code : exception_data_t, const;
 inout flavor : int;
  old_state : thread_state_t, const;
 out new_state : thread_state_t);

routine exception_raise_state_identity(





  exception_port : mach_port_t;
  thread : mach_port_t;
  task : mach_port_t;

  exception : exception_type_t;
  code : exception_data_t;
 inout flavor : int;
  old_state : thread_state_t;
 out new_state : thread_state_t);
