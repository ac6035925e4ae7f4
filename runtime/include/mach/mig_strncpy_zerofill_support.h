/* Marker header (Darwin ships it empty): MIG output that finds it with __has_include calls
 * mig_strncpy_zerofill for c_string arguments, which libmach provides. */
#ifndef OPENMIG_MACH_MIG_STRNCPY_ZEROFILL_SUPPORT_H
#define OPENMIG_MACH_MIG_STRNCPY_ZEROFILL_SUPPORT_H
#endif /* OPENMIG_MACH_MIG_STRNCPY_ZEROFILL_SUPPORT_H */
