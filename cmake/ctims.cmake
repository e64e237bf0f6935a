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

# ctims_test(NAME SOURCES... DEPS ... [LABELS ...] [POSTGRES_FIXTURE] [POSTGRES_COPY])
# A GoogleTest executable registered with CTest.
#   POSTGRES_FIXTURE  its tests need the throwaway PostgreSQL cluster that
#                     tests/CMakeLists.txt starts (a ctest fixture): suites with
#                     a backend parameter (tests/storage).
#   POSTGRES_COPY     every test is registered a second time, prefixed "pg.",
#                     with CTIMS_TEST_BACKEND=postgresql and the cluster: the
#                     api and access suites run on both backends (issue 9).
function(ctims_test name)
  cmake_parse_arguments(ARG "POSTGRES_FIXTURE;POSTGRES_COPY" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${CTIMS_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  set(fixture "")
  if(CTIMS_TEST_POSTGRES_URI AND (ARG_POSTGRES_FIXTURE OR ARG_POSTGRES_COPY))
    target_compile_definitions(${name} PRIVATE "CTIMS_TEST_POSTGRES_URI=\"${CTIMS_TEST_POSTGRES_URI}\"")
    if(ARG_POSTGRES_FIXTURE)
      set(fixture FIXTURES_REQUIRED postgres)
    endif()
  endif()
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS "${ARG_LABELS}"
    ENVIRONMENT "CTIMS_BINARY=$<TARGET_FILE:ctims>" ${fixture})
  # Not under the sanitizers: the ASan build runs the PostgreSQL storage
  # suites, multiserver and backup tests, and the API on SQLite; the API's
  # second run on PostgreSQL would add minutes to CI for no new code path.
  if(CTIMS_TEST_POSTGRES_URI AND ARG_POSTGRES_COPY AND NOT CTIMS_SANITIZE)
    gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 TEST_PREFIX "pg."
      PROPERTIES LABELS "postgres" ENVIRONMENT "CTIMS_TEST_BACKEND=postgresql" FIXTURES_REQUIRED postgres)
  endif()
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
