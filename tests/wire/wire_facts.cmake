# Turns tests/wire/<interface>.facts into C that checks each fact against OpenMIG's generated
# headers (wire_check_facts()). Script mode:
#   cmake -DFACTS=<file.facts> -DBASE=<generated base name> -DOUT=<file.c> -P wire_facts.cmake
# The line forms are documented in docs/wire-identity.md.
cmake_minimum_required(VERSION 3.16)
foreach(var FACTS BASE OUT)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "wire_facts.cmake: -D${var}=... is required")
  endif()
endforeach()

get_filename_component(facts_name "${FACTS}" NAME)
file(STRINGS "${FACTS}" lines)
set(body "")
set(known "")
set(subsys "")
set(table "")
set(lineno 0)

# Appends one wire_expect() call: where, printable what, C expression, expected value.
macro(wire_emit what expr expected)
  string(REPLACE "\"" "\\\"" what_escaped "${what}")
  string(APPEND body "  wire_expect(\"${facts_name}:${lineno}\", \"${what_escaped}\", (long long)(${expr}), ${expected});\n")
endmacro()

foreach(line IN LISTS lines)
  math(EXPR lineno "${lineno} + 1")
  string(STRIP "${line}" line)
  if(line STREQUAL "" OR line MATCHES "^#")
    continue()
  endif()
  set(arch_guard "")
  if(line MATCHES "^@([a-z0-9_]+)[ \t]+(.*)$")
    set(arch "${CMAKE_MATCH_1}")
    set(line "${CMAKE_MATCH_2}")
    if(arch STREQUAL "x86_64")
      set(arch_guard "defined(__x86_64__)")
    elseif(arch STREQUAL "arm64")
      set(arch_guard "defined(__aarch64__)")
    else()
      message(FATAL_ERROR "${facts_name}:${lineno}: unknown architecture '${arch}'")
    endif()
    string(APPEND body "#if ${arch_guard}\n")
  endif()
  separate_arguments(tok UNIX_COMMAND "${line}")
  list(LENGTH tok ntok)
  list(GET tok 0 kind)
  list(GET tok -1 value)
  if(kind STREQUAL "interface" AND ntok EQUAL 3)
    list(GET tok 1 subsys)
    list(GET tok 2 table)
  elseif(kind STREQUAL "size" AND ntok GREATER_EQUAL 3)
    list(SUBLIST tok 1 -1 type)
    list(REMOVE_AT type -1)
    list(JOIN type " " type)
    wire_emit("sizeof(${type})" "sizeof(${type})" ${value})
  elseif(kind STREQUAL "offset" AND ntok GREATER_EQUAL 4)
    list(GET tok -2 member)
    math(EXPR type_len "${ntok} - 3")
    list(SUBLIST tok 1 ${type_len} type)
    list(JOIN type " " type)
    wire_emit("offsetof(${type}, ${member})" "offsetof(${type}, ${member})" ${value})
  elseif(kind STREQUAL "expect" AND ntok GREATER_EQUAL 3)
    list(SUBLIST tok 1 -1 expr)
    list(REMOVE_AT expr -1)
    list(JOIN expr " " expr)
    wire_emit("${expr}" "${expr}" ${value})
  elseif(kind STREQUAL "table" AND ntok EQUAL 3 AND NOT table STREQUAL "")
    list(GET tok 1 start)
    list(GET tok 2 end)
    math(EXPR slots "${end} - ${start}")
    wire_emit("${table}.start" "${table}.start" ${start})
    wire_emit("${table}.end" "${table}.end" ${end})
    wire_emit("routine slots in ${table}" "sizeof(${table}.routine) / sizeof(${table}.routine[0])" ${slots})
    wire_emit("${subsys}_MSG_COUNT" "${subsys}_MSG_COUNT" ${slots})
    wire_emit("${table}.maxsize" "${table}.maxsize" "sizeof(union __ReplyUnion__${table})")
  elseif(kind STREQUAL "routine" AND ntok EQUAL 4 AND NOT table STREQUAL "")
    list(GET tok 1 name)
    list(GET tok 2 id)
    list(GET tok 3 argc)
    wire_emit("msgh_id of ${name} in subsystem_to_name_map_${subsys}"
              "wire_map_id(wire_name_map, wire_name_map_count, \"${name}\")" ${id})
    wire_emit("${name}: slot ${id} has a stub" "wire_slot(${id}) && wire_slot(${id})->stub_routine != 0" 1)
    if(NOT argc STREQUAL "-")
      wire_emit("${name}: argc" "wire_slot(${id}) ? (long long)wire_slot(${id})->argc : -1" ${argc})
    endif()
    wire_emit("${name}: max_reply_msg" "wire_slot(${id}) ? (long long)wire_slot(${id})->max_reply_msg : -1"
              "sizeof(__Reply__${name}_t)")
    wire_emit("${name}: descr_count" "wire_slot(${id}) ? (long long)wire_slot(${id})->descr_count : -1" 0)
  elseif(kind STREQUAL "xfail" AND ntok GREATER_EQUAL 3)
    # xfail <match> <reason...>: an expected failure (see wire_known_difference), registered
    # before any check runs.
    list(GET tok 1 match)
    list(SUBLIST tok 2 -1 reason)
    list(JOIN reason " " reason)
    string(REPLACE "\"" "\\\"" reason "${reason}")
    string(APPEND known "  wire_known_difference(\"${match}\", \"${facts_name}:${lineno}: ${reason}\");\n")
  elseif(kind STREQUAL "skip" AND ntok EQUAL 2 AND NOT table STREQUAL "")
    wire_emit("skip slot ${value} is all zero"
              "wire_slot(${value}) && wire_slot(${value})->stub_routine == 0 && wire_slot(${value})->impl_routine == 0 && wire_slot(${value})->argc == 0 && wire_slot(${value})->max_reply_msg == 0"
              1)
  else()
    message(FATAL_ERROR "${facts_name}:${lineno}: cannot read '${line}' (forms: docs/wire-identity.md)")
  endif()
  if(NOT arch_guard STREQUAL "")
    string(APPEND body "#endif\n")
  endif()
endforeach()

if(subsys STREQUAL "")
  message(FATAL_ERROR "${facts_name}: no 'interface <subsystem> <server subsystem struct>' line")
endif()

file(WRITE "${OUT}.tmp" "/* Generated from ${facts_name} by tests/wire/wire_facts.cmake: do not edit. */
#include <stddef.h>
#include \"${BASE}.h\"
#include \"${BASE}Server.h\"
#include \"wire_check.h\"

static const struct wire_name_id wire_name_map[] = { subsystem_to_name_map_${subsys} };
static const unsigned wire_name_map_count = sizeof(wire_name_map) / sizeof(wire_name_map[0]);

/* The routine_descriptor of msgh_id <id> in the server's subsystem table, or NULL. */
static const struct routine_descriptor *wire_slot(int id) {
  if (id < ${table}.start || id >= ${table}.end) {
    return NULL;
  }
  return &${table}.routine[id - ${table}.start];
}

void wire_check_facts(void) {
  (void)wire_slot;
  (void)wire_name_map_count;
${known}${body}}
")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
