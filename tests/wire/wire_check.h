/* Wire-identity checks: compare a value measured on OpenMIG's generated code with the value
 * recorded from Apple MIG's output (tests/wire/<interface>.facts). See docs/wire-identity.md. */
#ifndef OPENMIG_TESTS_WIRE_CHECK_H
#define OPENMIG_TESTS_WIRE_CHECK_H

/* "<file>:<line>" of the calling line, for mismatch reports. */
#if defined(__FILE_NAME__)
#define WIRE_FILE __FILE_NAME__
#else
#define WIRE_FILE __FILE__
#endif
#define WIRE_STR2(x) #x
#define WIRE_STR(x) WIRE_STR2(x)
#define WIRE_HERE WIRE_FILE ":" WIRE_STR(__LINE__)

/* Records that <actual> must equal Apple's <expected> (see wire_expect). */
#define WIRE_EXPECT(what, actual, expected) \
  wire_expect(WIRE_HERE, what, (long long)(actual), (long long)(expected))

/* One name -> msgh_id pair of a generated subsystem_to_name_map_<subsys> macro. */
struct wire_name_id {
  const char *name;
  int id;
};

/* Records one fact: prints "MISMATCH <where>: <what> is <actual>, Apple: <expected>" when the
 * values differ. <where> is "<file>:<line>" of the fact. */
void wire_expect(const char *where, const char *what, long long actual, long long expected);

/* Declares an expected failure: a mismatch whose <what> or <where> contains <match> is a known
 * difference from Apple, reported to its owner (<reason> says where) and not yet fixed. It is
 * printed as "KNOWN DIFFERENCE" and does not fail the test; if it no longer occurs, wire_report
 * prints "FIXED" so the mark can be removed. */
void wire_known_difference(const char *match, const char *reason);

/* The msgh_id of <name> in a name map, or -1 when it is not listed. */
int wire_map_id(const struct wire_name_id *map, unsigned count, const char *name);

/* Prints the totals and returns the process exit status: 0 when every fact held. */
int wire_report(const char *interface);

/* Generated from <interface>.facts (wire_facts.cmake): checks every recorded fact. */
void wire_check_facts(void);

#endif /* OPENMIG_TESTS_WIRE_CHECK_H */
