# Helpers shared by every layer.

# ctims_library(NAME SOURCES... DEPS ...)
# A layer library: warnings as errors, include root at src/, and links only
# the layers passed in DEPS (which must be below it).
function(ctims_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_compile_options(${name} PRIVATE ${CTIMS_WARNINGS})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
endfunction()

# ctims_test(NAME SOURCES... DEPS ...): a GoogleTest executable registered
# with CTest.
function(ctims_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${CTIMS_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main)
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS "${ARG_LABELS}"
    ENVIRONMENT "CTIMS_BINARY=$<TARGET_FILE:ctims>")
endfunction()

# ctims_embed(OUT_CPP NAMESPACE FUNCTION FILES...)
# Generates a .cpp defining `std::span<const EmbeddedFile> FUNCTION()` in
# NAMESPACE with the contents of FILES, so the binary carries its own data
# (code lists, migrations, seed data) and needs no install step.
function(ctims_embed out_cpp namespace function)
  set(files ${ARGN})
  add_custom_command(
    OUTPUT ${out_cpp}
    COMMAND ${CMAKE_COMMAND} -DOUT=${out_cpp} -DNAMESPACE=${namespace}
            -DFUNCTION=${function} "-DFILES=${files}"
            -P ${PROJECT_SOURCE_DIR}/cmake/embed_files.cmake
    DEPENDS ${files} ${PROJECT_SOURCE_DIR}/cmake/embed_files.cmake
    COMMENT "Embedding ${function}"
    VERBATIM)
endfunction()
