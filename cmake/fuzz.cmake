# Fuzzing (issue 13): the libFuzzer targets of tests/fuzz.
#
#  - RIOX_FUZZ=ON: a tree of its own, built with clang (build/fuzz,
#    scripts/fuzz.sh): each target is a libFuzzer program
#    (-fsanitize=fuzzer,address,undefined), the library instrumented for
#    coverage (fuzzer-no-link) under ASan+UBSan like the native tests.
#  - Otherwise, in a native test tree (RIOX_BUILD_TESTS): each target is
#    linked with tests/fuzz/replay.c instead of libFuzzer's main, and CTest's
#    fuzz/<target>/regressions runs it over the target's seed corpus and
#    the crash inputs kept as regressions (tests/fuzz/corpus/<target>,
#    tests/fuzz/regressions/<target>), under the tree's ASan+UBSan.
# Each target: tests/fuzz/<target>.c and the sources it needs beyond riox.
set(RIOX_FUZZ_DIR ${PROJECT_SOURCE_DIR}/tests/fuzz)
set(RIOX_FUZZ_TARGETS fuzz_addr fuzz_perf_proto fuzz_perf_opts fuzz_api)
set(_riox_fuzz_extra_fuzz_perf_proto ${PROJECT_SOURCE_DIR}/examples/perf/proto.c)
set(_riox_fuzz_extra_fuzz_perf_opts ${PROJECT_SOURCE_DIR}/examples/perf/opts.c)

# exe: the program; name: the target (its source and extras); main_kind:
# libfuzzer or replay.
function(riox_fuzz_target exe name main_kind)
  add_executable(${exe} ${RIOX_FUZZ_DIR}/${name}.c ${_riox_fuzz_extra_${name}})
  target_include_directories(${exe} PRIVATE ${RIOX_FUZZ_DIR} ${PROJECT_SOURCE_DIR}/examples/perf)
  target_link_libraries(${exe} PRIVATE riox)
  if(main_kind STREQUAL "libfuzzer")
    target_compile_options(${exe} PRIVATE -fsanitize=fuzzer)
    target_link_options(${exe} PRIVATE -fsanitize=fuzzer)
  else()
    target_sources(${exe} PRIVATE ${RIOX_FUZZ_DIR}/replay.c)
  endif()
endfunction()

if(RIOX_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "riox: RIOX_FUZZ needs clang (libFuzzer): configure with CC=clang "
            "(scripts/fuzz.sh does)")
  endif()
  if(NOT RIOX_SANITIZE)
    message(FATAL_ERROR "riox: RIOX_FUZZ wants RIOX_SANITIZE=ON (ASan+UBSan, scripts/fuzz.sh)")
  endif()
  # Coverage feedback from the library too, not only from the targets.
  foreach(t riox riox_common_obj)
    target_compile_options(${t} PRIVATE -fsanitize=fuzzer-no-link)
  endforeach()
  foreach(t ${RIOX_FUZZ_TARGETS})
    riox_fuzz_target(${t} ${t} libfuzzer)
  endforeach()
elseif(RIOX_BUILD_TESTS)
  foreach(t ${RIOX_FUZZ_TARGETS})
    riox_fuzz_target(${t}_replay ${t} replay)
    add_test(NAME fuzz/${t}/regressions
             COMMAND ${t}_replay ${RIOX_FUZZ_DIR}/corpus/${t} ${RIOX_FUZZ_DIR}/regressions/${t})
    set_tests_properties(fuzz/${t}/regressions PROPERTIES TIMEOUT 300)
  endforeach()
endif()
