# Behaviour tests: tests/behave/test_*.c use only riox.h and the harness
# (tests/behave/harness.h, whose OS services are plat.h, one plat_<os>.c per
# OS), so each runs on every backend of every OS. Included by
# cmake/windows.cmake and cmake/native.cmake once the riox target exists.
#
# The harness is a library: the Windows-only programs (tests/win) link it
# too, with their additions (tests/win/harness.c).
if(WIN32)
  set(_riox_plat ${PROJECT_SOURCE_DIR}/tests/behave/plat_win.c)
else()
  set(_riox_plat ${PROJECT_SOURCE_DIR}/tests/behave/plat_linux.c)
endif()
add_library(riox_test_harness STATIC ${PROJECT_SOURCE_DIR}/tests/behave/harness.c ${_riox_plat})
target_include_directories(riox_test_harness PUBLIC ${PROJECT_SOURCE_DIR}/tests/behave)
target_link_libraries(riox_test_harness PUBLIC riox)
if(RIOX_TEST_HOOKS)
  # The library has its test seams (riox_test.h): the programs that drive
  # them run; without them they skip, saying so.
  target_compile_definitions(riox_test_harness PUBLIC RIOX_HAVE_TEST_HOOKS=1)
endif()
if(TARGET riox_rio_emu)
  # "rio-emulated" passes install the RIO emulator (plat_win.c).
  target_link_libraries(riox_test_harness PUBLIC riox_rio_emu)
endif()

# The backends a program runs on per OS. Windows: one CTest test per
# program, win/<name>, running every Windows backend in turn (iocp, then rio
# or rio-emulated), as the Windows suite always has. Linux: one test per
# backend, behave/<name>/<backend>; the harness runs the one named by
# RIOX_TEST_BACKEND and exits 77 (skip, with the reason printed) when
# riox_probe says this host cannot run it.
set(RIOX_BEHAVE_LINUX_BACKENDS epoll uring)
# The TCP programs run twice more on uring: uring-zc with every TCP send
# through SEND_ZC (RIOX_URING_ZC_MIN=1; by default only sends of 32 KB and
# more), uring-basic with the fallbacks -- single-shot accepts
# (RIOX_URING_NO_MULTISHOT=1, as on kernels without multishot accept) and
# copying sends only (RIOX_URING_ZC_MIN=0) -- so every path stays tested.
set(RIOX_BEHAVE_URING_VARIANT_TESTS test_tcp_echo test_tcp_half_close test_tcp_peer_reset
    test_tcp_connect_refused test_close_in_flight test_loop_close_in_flight test_backpressure
    test_cancel test_stats)
# The UDP programs run once more on uring as uring-basic: without multishot
# receives (RIOX_URING_NO_MULTISHOT=1) UDP receives go out as linked chains
# (src/uring/uring.c) instead of one multishot RECVMSG (src/uring/udp_rx.c).
set(RIOX_BEHAVE_URING_UDP_TESTS test_udp_deep_recv test_udp_recv_chain test_udp_icmp_policy
    test_udp_roundtrip test_udp_many_sockets test_udp_emsgsize test_udp_dualstack test_ready_mixed
    test_udp_segments test_udp_gro test_udp_pktinfo)
# The offload programs run once more per Linux backend as <backend>-nooffload
# with RIOX_UDP_OFFLOAD=0: riox then splits segmented sends itself and asks
# for no coalescing, the path every host without UDP_SEGMENT/UDP_GRO takes.
set(RIOX_BEHAVE_OFFLOAD_TESTS test_udp_segments test_udp_gro test_udp_pktinfo)

file(GLOB RIOX_BEHAVE_TESTS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tests/behave/test_*.c)
foreach(src ${RIOX_BEHAVE_TESTS})
  get_filename_component(name ${src} NAME_WE)
  add_executable(${name} ${src})
  target_link_libraries(${name} PRIVATE riox_test_harness)
  if(WIN32)
    add_test(NAME win/${name} COMMAND ${name})
    set_tests_properties(win/${name} PROPERTIES TIMEOUT 120 SKIP_RETURN_CODE 77)
  else()
    foreach(backend ${RIOX_BEHAVE_LINUX_BACKENDS})
      add_test(NAME behave/${name}/${backend} COMMAND ${name})
      set_tests_properties(behave/${name}/${backend} PROPERTIES TIMEOUT 120 SKIP_RETURN_CODE 77
                           ENVIRONMENT "RIOX_TEST_BACKEND=${backend}")
    endforeach()
    if(name IN_LIST RIOX_BEHAVE_OFFLOAD_TESTS)
      foreach(backend ${RIOX_BEHAVE_LINUX_BACKENDS})
        add_test(NAME behave/${name}/${backend}-nooffload COMMAND ${name})
        set_tests_properties(behave/${name}/${backend}-nooffload PROPERTIES TIMEOUT 120
                             SKIP_RETURN_CODE 77
                             ENVIRONMENT "RIOX_TEST_BACKEND=${backend};RIOX_UDP_OFFLOAD=0")
      endforeach()
    endif()
    if(name IN_LIST RIOX_BEHAVE_URING_VARIANT_TESTS)
      add_test(NAME behave/${name}/uring-zc COMMAND ${name})
      set_tests_properties(behave/${name}/uring-zc PROPERTIES TIMEOUT 120 SKIP_RETURN_CODE 77
                           ENVIRONMENT "RIOX_TEST_BACKEND=uring;RIOX_URING_ZC_MIN=1")
      add_test(NAME behave/${name}/uring-basic COMMAND ${name})
      set_tests_properties(behave/${name}/uring-basic PROPERTIES TIMEOUT 120 SKIP_RETURN_CODE 77
                           ENVIRONMENT "RIOX_TEST_BACKEND=uring;RIOX_URING_NO_MULTISHOT=1;RIOX_URING_ZC_MIN=0")
    elseif(name IN_LIST RIOX_BEHAVE_URING_UDP_TESTS)
      add_test(NAME behave/${name}/uring-basic COMMAND ${name})
      set_tests_properties(behave/${name}/uring-basic PROPERTIES TIMEOUT 120 SKIP_RETURN_CODE 77
                           ENVIRONMENT "RIOX_TEST_BACKEND=uring;RIOX_URING_NO_MULTISHOT=1")
    endif()
  endif()
endforeach()
