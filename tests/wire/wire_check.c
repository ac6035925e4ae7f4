/* Wire-identity checks: counting and reporting of facts (see wire_check.h). */
#include "wire_check.h"

#include <stdio.h>
#include <string.h>

static unsigned wire_checked;
static unsigned wire_failed;

/* Expected failures (wire_known_difference): few, so a small fixed table. */
enum { WIRE_KNOWN_MAX = 8 };
static struct {
  const char *match;
  const char *reason;
  unsigned seen;
} wire_known[WIRE_KNOWN_MAX];
static unsigned wire_known_count;

void wire_known_difference(const char *match, const char *reason) {
  if (wire_known_count < WIRE_KNOWN_MAX) {
    wire_known[wire_known_count].match = match;
    wire_known[wire_known_count].reason = reason;
    wire_known[wire_known_count].seen = 0;
    wire_known_count++;
  }
}

/* The expected-failure entry matching a mismatch, or -1. */
static int wire_known_index(const char *where, const char *what) {
  for (unsigned i = 0; i < wire_known_count; i++) {
    if (strstr(what, wire_known[i].match) != NULL || strstr(where, wire_known[i].match) != NULL) {
      return (int)i;
    }
  }
  return -1;
}

void wire_expect(const char *where, const char *what, long long actual, long long expected) {
  wire_checked++;
  if (actual == expected) {
    return;
  }
  int known = wire_known_index(where, what);
  if (known >= 0) {
    wire_known[known].seen++;
    printf("KNOWN DIFFERENCE %s: %s is %lld, Apple: %lld (%s)\n", where, what, actual, expected,
           wire_known[known].reason);
    return;
  }
  wire_failed++;
  printf("MISMATCH %s: %s is %lld, Apple: %lld\n", where, what, actual, expected);
}

int wire_map_id(const struct wire_name_id *map, unsigned count, const char *name) {
  for (unsigned i = 0; i < count; i++) {
    if (strcmp(map[i].name, name) == 0) {
      return map[i].id;
    }
  }
  return -1;
}

int wire_report(const char *interface) {
  for (unsigned i = 0; i < wire_known_count; i++) {
    if (wire_known[i].seen == 0) {
      printf("FIXED: the known difference '%s' no longer occurs; remove its mark (%s)\n",
             wire_known[i].match, wire_known[i].reason);
    }
  }
  printf("%s: %u facts checked, %u differ from Apple MIG\n", interface, wire_checked, wire_failed);
  return wire_failed == 0 && wire_checked > 0 ? 0 : 1;
}
