# The layering of the source tree (scripts/check-layers.sh, docs/architecture.md): includes between
# folders point only down, by the "May include:" line of each folder's README; and the check
# itself, on small trees made for it.
add_test(NAME layers.tree COMMAND bash ${PROJECT_SOURCE_DIR}/scripts/check-layers.sh ${PROJECT_SOURCE_DIR})
add_test(NAME layers.check_script COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/layers/check_layers_test.sh)
set_tests_properties(layers.tree layers.check_script PROPERTIES TIMEOUT 60 LABELS layers)
