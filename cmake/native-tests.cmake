# Native tests (RIOX_BUILD_TESTS): the portable modules under Criterion, the
# behaviour programs on each Linux backend, tests/linux, the end-to-end runs
# (native, and against the Windows programs under Wine when
# RIOX_WINDOWS_BIN names them) and the micro-benchmarks' smoke test, all
# under ASan+UBSan (RIOX_SANITIZE).
find_library(CRITERION_LIB criterion)
if(NOT CRITERION_LIB)
  message(FATAL_ERROR "riox: the tests need Criterion (Debian: libcriterion-dev; scripts/setup.sh "
          "installs it); configure with -DRIOX_BUILD_TESTS=OFF to build the library alone")
endif()

file(GLOB RIOX_NATIVE_TESTS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tests/native/test_*.c)
foreach(src ${RIOX_NATIVE_TESTS})
  get_filename_component(name ${src} NAME_WE)
  add_executable(${name} ${src})
  target_link_libraries(${name} PRIVATE riox_common ${CRITERION_LIB} Threads::Threads)
  add_test(NAME native/${name} COMMAND ${name})
  set_tests_properties(native/${name} PROPERTIES TIMEOUT 120)
endforeach()

if(EXISTS ${PROJECT_SOURCE_DIR}/tests/tools/echo_client.c)
  add_executable(echo_client ${PROJECT_SOURCE_DIR}/tests/tools/echo_client.c)
endif()
# Rough traffic (connection churn, resets, idle connections, slow readers,
# ICMP, zero-size and maximum-size datagrams) for the abuse end-to-end tests.
file(GLOB _abuse_src CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tests/tools/abuse*.c)
add_executable(abuse_client ${_abuse_src})

# End-to-end: the native echo client against riox-echo.exe under Wine.
set(RIOX_WINDOWS_BIN "" CACHE PATH "build/windows/bin, for the end-to-end echo tests")
if(RIOX_WINDOWS_BIN AND TARGET echo_client)
  set(_echo ${PROJECT_SOURCE_DIR}/tests/e2e/echo.sh $<TARGET_FILE:echo_client> ${RIOX_WINDOWS_BIN}/riox-echo.exe)
  add_test(NAME e2e/echo-iocp COMMAND ${_echo} iocp)
  # Wine has no RIO: the rio backend runs on the test emulator, opted in.
  add_test(NAME e2e/echo-rio-emulated COMMAND ${_echo} rio)
  set_tests_properties(e2e/echo-iocp e2e/echo-rio-emulated PROPERTIES TIMEOUT 600)
  set_tests_properties(e2e/echo-rio-emulated PROPERTIES ENVIRONMENT "RIOX_RIO_EMULATION=1")
  # The same protocol served through readiness events and non-blocking calls.
  add_test(NAME e2e/echo-readiness-iocp COMMAND ${_echo} iocp --mode readiness)
  add_test(NAME e2e/echo-readiness-rio-emulated COMMAND ${_echo} rio --mode readiness)
  set_tests_properties(e2e/echo-readiness-iocp e2e/echo-readiness-rio-emulated PROPERTIES TIMEOUT 600)
  set_tests_properties(e2e/echo-readiness-rio-emulated PROPERTIES ENVIRONMENT "RIOX_RIO_EMULATION=1")
  # Without the opt-in, asking for rio must fail loudly, never downgrade.
  # Defect 12 and issue 13: abuse (tests/e2e/abuse.sh), then sockets back
  # within 3 s, correct echoes, memory within bounds.
  set(_abuse ${PROJECT_SOURCE_DIR}/tests/e2e/abuse.sh $<TARGET_FILE:abuse_client>
      $<TARGET_FILE:echo_client> ${RIOX_WINDOWS_BIN}/riox-echo.exe)
  add_test(NAME e2e/abuse-fd-release-iocp COMMAND ${_abuse} iocp)
  add_test(NAME e2e/abuse-fd-release-rio-emulated COMMAND ${_abuse} rio)
  set_tests_properties(e2e/abuse-fd-release-iocp e2e/abuse-fd-release-rio-emulated PROPERTIES
                       TIMEOUT 300 SKIP_RETURN_CODE 77)
  set_tests_properties(e2e/abuse-fd-release-rio-emulated PROPERTIES ENVIRONMENT "RIOX_RIO_EMULATION=1")
  add_test(NAME e2e/echo-rio-unavailable COMMAND ${PROJECT_SOURCE_DIR}/tests/e2e/rio_unavailable.sh
           ${RIOX_WINDOWS_BIN}/riox-echo.exe)
  # A table that loads but refuses request queues: probe says why, auto picks iocp.
  add_test(NAME e2e/rio-probe-rq-refused COMMAND ${PROJECT_SOURCE_DIR}/tests/e2e/rio_refused.sh
           ${RIOX_WINDOWS_BIN})
  set_tests_properties(e2e/rio-probe-rq-refused PROPERTIES TIMEOUT 300)
endif()

if(EXISTS ${PROJECT_SOURCE_DIR}/bench/CMakeLists.txt)
  add_subdirectory(bench)
endif()

# ---- riox-perf and the histogram (issue 5) ---------------------------------
# The portable parts of examples/perf (option parsing, wire format, report)
# build natively too, so their Criterion tests run under ASan+UBSan.
if(TARGET test_histogram)
  target_link_libraries(test_histogram PRIVATE m) # log/exp for the test's distributions
endif()
add_library(riox_perf_portable STATIC ${PROJECT_SOURCE_DIR}/examples/perf/opts.c
  ${PROJECT_SOURCE_DIR}/examples/perf/proto.c ${PROJECT_SOURCE_DIR}/examples/perf/report.c)
target_include_directories(riox_perf_portable PUBLIC ${PROJECT_SOURCE_DIR}/examples/perf)
target_link_libraries(riox_perf_portable PUBLIC riox_common)
foreach(t ${RIOX_NATIVE_TESTS})
  get_filename_component(name ${t} NAME_WE)
  if(name MATCHES "^test_perf_")
    target_link_libraries(${name} PRIVATE riox_perf_portable)
  endif()
endforeach()
# riox-perf end to end under Wine: each mode for 1 s on both backends, and
# the failure paths (bad options, unreachable peers).
if(RIOX_WINDOWS_BIN)
  add_test(NAME e2e/perf-iocp COMMAND ${PROJECT_SOURCE_DIR}/tests/e2e/perf.sh ${RIOX_WINDOWS_BIN} iocp)
  add_test(NAME e2e/perf-rio-emulated
           COMMAND ${PROJECT_SOURCE_DIR}/tests/e2e/perf.sh ${RIOX_WINDOWS_BIN} rio-emulated)
  # The same wire format across OSes: native client -> Windows server and back.
  add_test(NAME e2e/perf-cross-os COMMAND ${PROJECT_SOURCE_DIR}/tests/e2e/perf_cross.sh
           $<TARGET_FILE:riox-perf> ${RIOX_WINDOWS_BIN})
  set_tests_properties(e2e/perf-cross-os PROPERTIES TIMEOUT 600)
  add_test(NAME e2e/perf-errors COMMAND ${PROJECT_SOURCE_DIR}/tests/e2e/perf_errors.sh ${RIOX_WINDOWS_BIN})
  set_tests_properties(e2e/perf-iocp e2e/perf-rio-emulated e2e/perf-errors PROPERTIES
                       TIMEOUT 300 SKIP_RETURN_CODE 77)
endif()

# End to end on Linux: native riox-echo on each Linux backend against the
# same independent echo client the Windows build is checked with.
if(TARGET echo_client)
  add_test(NAME e2e/native-echo-epoll COMMAND ${PROJECT_SOURCE_DIR}/tests/e2e/echo.sh
           $<TARGET_FILE:echo_client> $<TARGET_FILE:riox-echo> epoll)
  add_test(NAME e2e/native-echo-uring COMMAND ${PROJECT_SOURCE_DIR}/tests/e2e/echo.sh
           $<TARGET_FILE:echo_client> $<TARGET_FILE:riox-echo> uring)
  # The same protocol served through readiness events and riox_try_*.
  add_test(NAME e2e/native-echo-readiness-epoll COMMAND ${PROJECT_SOURCE_DIR}/tests/e2e/echo.sh
           $<TARGET_FILE:echo_client> $<TARGET_FILE:riox-echo> epoll --mode readiness)
  add_test(NAME e2e/native-echo-readiness-uring COMMAND ${PROJECT_SOURCE_DIR}/tests/e2e/echo.sh
           $<TARGET_FILE:echo_client> $<TARGET_FILE:riox-echo> uring --mode readiness)
  set_tests_properties(e2e/native-echo-epoll e2e/native-echo-uring e2e/native-echo-readiness-epoll
                       e2e/native-echo-readiness-uring PROPERTIES TIMEOUT 300)
  # Two loops on two threads sharing the ports (riox-echo --threads 2), and
  # riox-perf --threads 2 in every role against them and itself.
  foreach(backend epoll uring)
    add_test(NAME e2e/native-echo-threads-${backend} COMMAND ${PROJECT_SOURCE_DIR}/tests/e2e/echo_threads.sh
             $<TARGET_FILE:echo_client> $<TARGET_FILE:riox-echo> ${backend})
    add_test(NAME e2e/native-perf-threads-${backend} COMMAND ${PROJECT_SOURCE_DIR}/tests/e2e/perf_threads.sh
             $<TARGET_FILE:riox-perf> $<TARGET_FILE:riox-echo> ${backend})
    set_tests_properties(e2e/native-echo-threads-${backend} e2e/native-perf-threads-${backend}
                         PROPERTIES TIMEOUT 120)
  endforeach()
endif()
# riox-echo --offload on (issue 11): bursts sent as UDP_SEGMENT sends by a
# raw client come back datagram for datagram, each as one segmented send;
# -nooffload: the same with RIOX_UDP_OFFLOAD=0 (riox splits, no coalescing).
add_executable(gso_echo_client ${PROJECT_SOURCE_DIR}/tests/tools/gso_echo_client.c)
foreach(backend epoll uring)
  add_test(NAME e2e/native-echo-offload-${backend} COMMAND ${PROJECT_SOURCE_DIR}/tests/e2e/echo_offload.sh
           $<TARGET_FILE:gso_echo_client> $<TARGET_FILE:riox-echo> ${backend})
  add_test(NAME e2e/native-echo-offload-${backend}-nooffload
           COMMAND ${PROJECT_SOURCE_DIR}/tests/e2e/echo_offload.sh $<TARGET_FILE:gso_echo_client>
           $<TARGET_FILE:riox-echo> ${backend})
  set_tests_properties(e2e/native-echo-offload-${backend} e2e/native-echo-offload-${backend}-nooffload
                       PROPERTIES TIMEOUT 180 SKIP_RETURN_CODE 77)
  set_tests_properties(e2e/native-echo-offload-${backend}-nooffload PROPERTIES ENVIRONMENT
                       "RIOX_UDP_OFFLOAD=0")
endforeach()
# riox-perf udp-flood whose window START query the receiver drops: the
# window still lasts --duration (regression, e2e/perf-iocp in CI).
foreach(backend epoll uring)
  add_test(NAME e2e/regress-perf-flood-start-lost-${backend}
           COMMAND ${PROJECT_SOURCE_DIR}/tests/e2e/regress_perf_flood_start_lost.sh
           $<TARGET_FILE:riox-perf> ${backend})
  set_tests_properties(e2e/regress-perf-flood-start-lost-${backend} PROPERTIES TIMEOUT 120)
endforeach()
# Backend choice without io_uring (RIOX_URING_DISABLE=1): the probe says so,
# auto runs epoll, uring asked for by name fails with the reason.
add_test(NAME e2e/native-uring-unavailable COMMAND ${PROJECT_SOURCE_DIR}/tests/e2e/uring_unavailable.sh
         $<TARGET_FILE:riox-probe> $<TARGET_FILE:riox-echo>)
set_tests_properties(e2e/native-uring-unavailable PROPERTIES TIMEOUT 120)

# riox-scale: many idle sockets on one loop (bench/scale; scripts/bench-echo.sh
# reports 100,000). The smoke test checks the receives are live at 2,000.
add_executable(riox-scale ${PROJECT_SOURCE_DIR}/bench/scale/riox_scale.c)
target_link_libraries(riox-scale PRIVATE riox)
add_test(NAME bench/scale-smoke COMMAND riox-scale --sockets 2000)
set_tests_properties(bench/scale-smoke PROPERTIES TIMEOUT 120)

include(${PROJECT_SOURCE_DIR}/cmake/behave.cmake)

# The uring wake channel's fallback for kernels whose ring read of a
# non-blocking eventfd answers -EAGAIN (poll it, then read it), forced by
# the test switch RIOX_URING_WAKE_POLL=1: wakes from threads and timers.
foreach(prog test_wake_threads test_timers)
  add_test(NAME behave/${prog}/uring-wake-poll COMMAND ${prog})
  set_tests_properties(behave/${prog}/uring-wake-poll PROPERTIES TIMEOUT 120 SKIP_RETURN_CODE 77
                       ENVIRONMENT "RIOX_TEST_BACKEND=uring;RIOX_URING_WAKE_POLL=1")
endforeach()
# Linux-only behaviour programs (tests/linux/test_*.c: the behave harness
# plus POSIX calls -- raw peers, socket options, /proc/self/fd), one test
# per backend and per uring variant: uring-zc forces every TCP send through
# SEND_ZC (RIOX_URING_ZC_MIN=1), uring-basic forces the fallbacks:
# single-shot accepts (RIOX_URING_NO_MULTISHOT=1) and copying sends
# (RIOX_URING_ZC_MIN=0).
file(GLOB RIOX_LINUX_TESTS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tests/linux/test_*.c)
foreach(src ${RIOX_LINUX_TESTS})
  get_filename_component(name ${src} NAME_WE)
  add_executable(${name} ${src} ${PROJECT_SOURCE_DIR}/tests/linux/peer.c)
  target_link_libraries(${name} PRIVATE riox_test_harness)
  foreach(variant epoll uring uring-zc uring-basic)
    set(_env "RIOX_TEST_BACKEND=uring")
    if(variant STREQUAL "epoll")
      set(_env "RIOX_TEST_BACKEND=epoll")
    elseif(variant STREQUAL "uring-zc")
      list(APPEND _env "RIOX_URING_ZC_MIN=1")
    elseif(variant STREQUAL "uring-basic")
      list(APPEND _env "RIOX_URING_NO_MULTISHOT=1" "RIOX_URING_ZC_MIN=0")
    endif()
    add_test(NAME linux/${name}/${variant} COMMAND ${name})
    set_tests_properties(linux/${name}/${variant} PROPERTIES TIMEOUT 120 SKIP_RETURN_CODE 77
                         ENVIRONMENT "${_env}")
  endforeach()
endforeach()

# riox-echo regressions found by the abuse tests (issue 13): slow readers
# must not take the whole pool; a stop (--seconds, SIGINT, SIGTERM) with
# connections open exits 0 without a leak.
if(TARGET echo_client)
  set(_rg ${PROJECT_SOURCE_DIR}/tests/e2e)
  foreach(backend epoll uring)
    add_test(NAME e2e/regress-echo-slow-reader-pool-${backend} COMMAND ${_rg}/regress_echo_slow_reader_pool.sh
             $<TARGET_FILE:echo_client> $<TARGET_FILE:riox-echo> ${backend})
    add_test(NAME e2e/regress-echo-stop-open-conns-${backend} COMMAND ${_rg}/regress_echo_stop.sh
             $<TARGET_FILE:riox-echo> ${backend} seconds)
    set_tests_properties(e2e/regress-echo-slow-reader-pool-${backend} e2e/regress-echo-stop-open-conns-${backend}
                         PROPERTIES TIMEOUT 120 SKIP_RETURN_CODE 77)
  endforeach()
  # The same stops in readiness mode, by SIGINT, by SIGTERM with two threads.
  add_test(NAME e2e/regress-echo-stop-open-conns-readiness-epoll COMMAND ${_rg}/regress_echo_stop.sh
           $<TARGET_FILE:riox-echo> epoll seconds --mode readiness)
  add_test(NAME e2e/regress-echo-stop-sigint-epoll COMMAND ${_rg}/regress_echo_stop.sh
           $<TARGET_FILE:riox-echo> epoll SIGINT)
  add_test(NAME e2e/regress-echo-stop-sigterm-threads-uring COMMAND ${_rg}/regress_echo_stop.sh
           $<TARGET_FILE:riox-echo> uring SIGTERM --threads 2)
  set_tests_properties(e2e/regress-echo-stop-open-conns-readiness-epoll e2e/regress-echo-stop-sigint-epoll
                       e2e/regress-echo-stop-sigterm-threads-uring PROPERTIES TIMEOUT 120 SKIP_RETURN_CODE 77)
endif()

# Abuse natively (tests/e2e/abuse.sh, issue 13) on every Linux backend and
# mode; uring-basic without multishot accepts/receives and zero-copy sends.
if(TARGET echo_client)
  foreach(variant epoll uring uring-basic readiness-epoll readiness-uring)
    string(REGEX REPLACE "^(readiness-)?(uring|epoll)(-basic)?$" "\\2" _be ${variant})
    set(_args ${_be})
    if(variant MATCHES "^readiness-")
      list(APPEND _args --mode readiness)
    endif()
    add_test(NAME e2e/abuse-${variant} COMMAND ${PROJECT_SOURCE_DIR}/tests/e2e/abuse.sh
             $<TARGET_FILE:abuse_client> $<TARGET_FILE:echo_client> $<TARGET_FILE:riox-echo> ${_args})
    set_tests_properties(e2e/abuse-${variant} PROPERTIES TIMEOUT 300 SKIP_RETURN_CODE 77)
    if(variant STREQUAL "uring-basic")
      set_tests_properties(e2e/abuse-${variant} PROPERTIES ENVIRONMENT
                           "RIOX_URING_NO_MULTISHOT=1;RIOX_URING_ZC_MIN=0")
    endif()
  endforeach()
endif()

# scripts/soak.sh for 4 s (docs/soak.md): echo load, RSS and open
# files sampled every second, verdict checked; the real soak runs minutes.
foreach(backend epoll uring)
  add_test(NAME e2e/soak-smoke-${backend} COMMAND ${PROJECT_SOURCE_DIR}/scripts/soak.sh 0.07 ${backend})
  set_tests_properties(e2e/soak-smoke-${backend} PROPERTIES TIMEOUT 120 SKIP_RETURN_CODE 77
                       ENVIRONMENT "SOAK_BIN=$<TARGET_FILE_DIR:riox-echo>;SOAK_INTERVAL=1")
endforeach()

# The slow-reader regression against riox-echo.exe under Wine (same code).
if(RIOX_WINDOWS_BIN AND TARGET echo_client)
  foreach(backend iocp rio-emulated)
    set(_be ${backend})
    if(backend STREQUAL "rio-emulated")
      set(_be rio)
    endif()
    add_test(NAME e2e/regress-echo-slow-reader-pool-${backend}
             COMMAND ${PROJECT_SOURCE_DIR}/tests/e2e/regress_echo_slow_reader_pool.sh
             $<TARGET_FILE:echo_client> ${RIOX_WINDOWS_BIN}/riox-echo.exe ${_be})
    set_tests_properties(e2e/regress-echo-slow-reader-pool-${backend} PROPERTIES TIMEOUT 300
                         SKIP_RETURN_CODE 77)
  endforeach()
  set_tests_properties(e2e/regress-echo-slow-reader-pool-rio-emulated PROPERTIES ENVIRONMENT
                       "RIOX_RIO_EMULATION=1")
endif()

# Fault injection on every backend (tests/faults).
include(${PROJECT_SOURCE_DIR}/cmake/faults.cmake)
