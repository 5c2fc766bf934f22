# Fault injection (issue 13; tests/faults, tests/README.md): one program,
# test_faults, run per backend. Included by cmake/native-tests.cmake and
# cmake/windows-tests.cmake once the harness exists.
#
# RIOX_FAULT_SITES_TOTAL: the fault sites in this OS's sources -- the lines
# that make an OS call through a fault macro (src/linux/sys.h, src/uring/
# uring.h; src/win/ws.h, src/win/oscall.h, src/rio/rio_internal.h) --
# the M of the program's "sites covered N/M".
if(WIN32)
  file(GLOB _riox_fault_srcs CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/core/*.c
       ${PROJECT_SOURCE_DIR}/src/win/*.c ${PROJECT_SOURCE_DIR}/src/iocp/*.c ${PROJECT_SOURCE_DIR}/src/rio/*.c)
  set(_riox_fault_re "(ws_(socket|ioctl|accept|recv|recvfrom|send|sendto|wsa_recv|wsa_recvfrom|wsa_send|wsa_sendto|nt_ioctl|getsockopt|wsaioctl|nt_create|shutdown|accept_ex|setsockopt|wsa_recvmsg|wsa_sendmsg|bind|listen|connect|connect_ex|getsockname)|OSCALL_(CREATE_PORT|POST|WAIT|SET_MODES|VALLOC|STATUS)|RIO_FAULT|os_(bind|listen|connect|getsockname))\\(")
else()
  file(GLOB _riox_fault_srcs CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/core/*.c
       ${PROJECT_SOURCE_DIR}/src/linux/*.c ${PROJECT_SOURCE_DIR}/src/epoll/*.c ${PROJECT_SOURCE_DIR}/src/uring/*.c)
  set(_riox_fault_re "(sys_[a-z][a-z0-9_]*|URING_CALL|URING_GET_SQE|URING_SET_DATA(64)?|os_(bind|listen|connect|getsockname))\\(")
endif()
set(RIOX_FAULT_SITES_TOTAL 0)
foreach(_f ${_riox_fault_srcs})
  file(STRINGS ${_f} _lines REGEX "${_riox_fault_re}")
  foreach(_l IN LISTS _lines)
    # Not a comment line, nor a definition.
    if(NOT _l MATCHES "^[ ]*(/?\\*|#)" AND NOT _l MATCHES "^(static|int|void|SOCKET|BOOL)[ ]")
      math(EXPR RIOX_FAULT_SITES_TOTAL "${RIOX_FAULT_SITES_TOTAL} + 1")
    endif()
  endforeach()
endforeach()

file(GLOB _riox_fault_test_srcs CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tests/faults/*.c)
add_executable(test_faults ${_riox_fault_test_srcs})
target_link_libraries(test_faults PRIVATE riox_test_harness)
target_compile_definitions(test_faults PRIVATE RIOX_FAULT_SITES_TOTAL=${RIOX_FAULT_SITES_TOTAL})

if(WIN32)
  # Under Wine, one backend per test (the harness's RIOX_TEST_BACKEND);
  # RIOX_FAULTS_QUICK=1 and RIOX_FAULTS_PART=i/n would shorten or split a
  # run that grew too long there (both ~20 s today).
  foreach(_be iocp rio-emulated)
    add_test(NAME win/test_faults/${_be} COMMAND test_faults)
    set_tests_properties(win/test_faults/${_be} PROPERTIES TIMEOUT 600 SKIP_RETURN_CODE 77
      ENVIRONMENT "RIOX_TEST_BACKEND=${_be}")
  endforeach()
else()
  foreach(_variant epoll uring uring-basic)
    set(_env "RIOX_TEST_BACKEND=uring")
    if(_variant STREQUAL "epoll")
      set(_env "RIOX_TEST_BACKEND=epoll")
    elseif(_variant STREQUAL "uring-basic")
      list(APPEND _env "RIOX_URING_NO_MULTISHOT=1" "RIOX_URING_ZC_MIN=0")
    endif()
    add_test(NAME faults/test_faults/${_variant} COMMAND test_faults)
    set_tests_properties(faults/test_faults/${_variant} PROPERTIES TIMEOUT 600 SKIP_RETURN_CODE 77
                         ENVIRONMENT "${_env}")
  endforeach()
endif()
