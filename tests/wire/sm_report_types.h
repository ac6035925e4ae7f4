/* C types of tests/wire/sm_report.defs (c_string arguments travel as char pointers). */
#ifndef OPENMIG_TESTS_WIRE_SM_REPORT_TYPES_H
#define OPENMIG_TESTS_WIRE_SM_REPORT_TYPES_H

typedef char *sm_filename_t;
typedef char *sm_path_t;
typedef char *sm_report_t;

#endif /* OPENMIG_TESTS_WIRE_SM_REPORT_TYPES_H */
