/* Per-process globals of the Darwin user ABI (task-self name, page size is in vm.c, NDR_record,
 * kernel tokens) and the task special ports. */
#include "ipc/ipc.h"

#include <string.h>

mach_port_t mach_task_self_ = IPC_TASK_SELF_NAME;

NDR_record_t NDR_record = {
  .mig_vers = 0,
  .if_vers = 0,
  .reserved1 = 0,
  .mig_encoding = NDR_PROTOCOL_2_0,
  .int_rep = NDR_INT_LITTLE_ENDIAN,
  .char_rep = NDR_CHAR_ASCII,
  .float_rep = NDR_FLOAT_IEEE,
  .reserved2 = 0,
};

const security_token_t KERNEL_SECURITY_TOKEN = KERNEL_SECURITY_TOKEN_VALUE;
const audit_token_t KERNEL_AUDIT_TOKEN = KERNEL_AUDIT_TOKEN_VALUE;

kern_return_t task_get_special_port(task_t task, int which_port, mach_port_t *special_port) {
  if (which_port < 1 || which_port > TASK_MAX_SPECIAL_PORT || !special_port)
    return KERN_INVALID_ARGUMENT;
  struct ipc_space *self = ipc_space_current();
  ipc_lock();
  struct ipc_space *space = space_from_task_name(self, task);
  if (!space) {
    ipc_unlock();
    return KERN_INVALID_ARGUMENT;
  }
  struct ipc_port *port = space->special[which_port];
  if (!port && which_port == TASK_KERNEL_PORT) port = space->task_port;
  mach_port_name_t name = MACH_PORT_NULL;
  if (port) {
    port_copy_send(port);
    right_copyout(self, port, MACH_MSG_TYPE_PORT_SEND, &name);
  }
  *special_port = name;
  ipc_unlock();
  return KERN_SUCCESS;
}

kern_return_t task_set_special_port(task_t task, int which_port, mach_port_t special_port) {
  if (which_port < 1 || which_port > TASK_MAX_SPECIAL_PORT) return KERN_INVALID_ARGUMENT;
  struct ipc_space *self = ipc_space_current();
  ipc_lock();
  struct ipc_space *space = space_from_task_name(self, task);
  kern_return_t kr = space ? KERN_SUCCESS : KERN_INVALID_ARGUMENT;
  struct ipc_port *port = NULL;
  mach_msg_type_name_t type;
  if (kr == KERN_SUCCESS && special_port != MACH_PORT_NULL) {
    kr = right_copyin(self, special_port, MACH_MSG_TYPE_COPY_SEND, &port, &type);
    if (kr == KERN_SUCCESS && !IPC_PORT_VALID(port)) kr = KERN_INVALID_RIGHT;
  }
  if (kr == KERN_SUCCESS) {
    struct ipc_port *old = space->special[which_port];
    space->special[which_port] = port;
    if (old) port_release_send(old);
  }
  ipc_unlock();
  return kr;
}

kern_return_t task_info(task_t task, task_flavor_t flavor, task_info_t task_info_out,
                        mach_msg_type_number_t *task_info_count) {
  struct ipc_space *self = ipc_space_current();
  ipc_lock();
  struct ipc_space *space = self ? space_from_task_name(self, task) : NULL;
  kern_return_t kr = KERN_SUCCESS;
  if (!space) {
    kr = MACH_SEND_INVALID_DEST; /* Darwin: the MIG request finds no task */
  } else if (!task_info_count || !task_info_out) {
    kr = KERN_INVALID_ARGUMENT;
  } else if (flavor == TASK_SECURITY_TOKEN) {
    if (*task_info_count < TASK_SECURITY_TOKEN_COUNT) {
      kr = KERN_INVALID_ARGUMENT;
    } else {
      memcpy(task_info_out, &space->sec, sizeof space->sec);
      *task_info_count = TASK_SECURITY_TOKEN_COUNT;
    }
  } else if (flavor == TASK_AUDIT_TOKEN) {
    if (*task_info_count < TASK_AUDIT_TOKEN_COUNT) {
      kr = KERN_INVALID_ARGUMENT;
    } else {
      memcpy(task_info_out, &space->audit, sizeof space->audit);
      *task_info_count = TASK_AUDIT_TOKEN_COUNT;
    }
  } else {
    kr = KERN_INVALID_ARGUMENT;
  }
  ipc_unlock();
  return kr;
}
