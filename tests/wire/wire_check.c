/* Wire-identity checks: counting and reporting of facts (see wire_check.h). */
#include "wire_check.h"

#include <stdio.h>
#include <string.h>

static unsigned wire_checked;
static unsigned wire_failed;

void wire_expect(const char *where, const char *what, long long actual, long long expected) {
  wire_checked++;
  if (actual == expected) {
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
  printf("%s: %u facts checked, %u differ from Apple MIG\n", interface, wire_checked, wire_failed);
  return wire_failed == 0 && wire_checked > 0 ? 0 : 1;
}
