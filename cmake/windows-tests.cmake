# Windows tests (RIOX_BUILD_TESTS), one program per behaviour, run under Wine.
include(${PROJECT_SOURCE_DIR}/cmake/behave.cmake)

# tests/win/test_*.c: the Windows-only programs (RIO conformance, test
# hooks, Winsock internals; tests/README.md); exit code = verdict (77 = skip
# with a printed reason). Each runs on every Windows backend (h_run).
# tests/win/sendspy.c (sendspy.h: the sends riox makes, watched) is built
# once and offered to every program; the linker takes it only into those
# that call it.
add_library(riox_win_sendspy STATIC ${PROJECT_SOURCE_DIR}/tests/win/sendspy.c)
target_include_directories(riox_win_sendspy PRIVATE ${PROJECT_SOURCE_DIR}/tests/win)
target_link_libraries(riox_win_sendspy PUBLIC riox_test_harness)
file(GLOB RIOX_WIN_TESTS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tests/win/test_*.c)
foreach(src ${RIOX_WIN_TESTS})
  get_filename_component(name ${src} NAME_WE)
  add_executable(${name} ${src} ${PROJECT_SOURCE_DIR}/tests/win/harness.c ${PROJECT_SOURCE_DIR}/tests/win/rioconf.c)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests/win)
  # RIOX_HAVE_TEST_HOOKS comes with the harness (cmake/behave.cmake).
  target_link_libraries(${name} PRIVATE riox_win_sendspy riox_test_harness)
  add_test(NAME win/${name} COMMAND ${name})
  set_tests_properties(win/${name} PROPERTIES TIMEOUT 120 SKIP_RETURN_CODE 77)
endforeach()

# Fault injection on every backend (tests/faults).
include(${PROJECT_SOURCE_DIR}/cmake/faults.cmake)
