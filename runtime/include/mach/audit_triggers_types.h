/* audit_triggers.defs's string type (<mach/audit_triggers_types.h>). */
#ifndef OPENMIG_MACH_AUDIT_TRIGGERS_TYPES_H
#define OPENMIG_MACH_AUDIT_TRIGGERS_TYPES_H

typedef const char *string_t;

#endif /* OPENMIG_MACH_AUDIT_TRIGGERS_TYPES_H */
