# Windows build: the library, examples and one test program per behaviour.
# The OS-neutral core (src/core), the Windows layer (src/win) and its two
# backends; the core finds the OS layer's os.h on the include path.
file(GLOB RIOX_WIN_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/core/*.c
  ${CMAKE_SOURCE_DIR}/src/win/*.c ${CMAKE_SOURCE_DIR}/src/iocp/*.c ${CMAKE_SOURCE_DIR}/src/rio/*.c)
add_library(riox STATIC ${RIOX_WIN_SOURCES})
target_include_directories(riox PUBLIC ${CMAKE_SOURCE_DIR}/include
  PRIVATE ${CMAKE_SOURCE_DIR}/src/common ${CMAKE_SOURCE_DIR}/src/core ${CMAKE_SOURCE_DIR}/src/win)
target_link_libraries(riox PUBLIC riox_common ws2_32 mswsock ntdll)
if(NOT MSVC)
  # One self-contained .exe per program: Wine then needs no mingw DLLs.
  target_link_options(riox PUBLIC -static -static-libgcc)
endif()

# The RIO emulator: test support, never part of the shipped library.
option(RIOX_RIO_EMU "Build the RIO emulator and test the rio backend against it" ON)
# Test seams compiled into the library (src/win/ws.h: the socket calls the
# emulator wraps). Off in a release build; the emulator needs them.
option(RIOX_TEST_HOOKS "Compile the library's test seams (needed by the RIO emulator)" ${RIOX_RIO_EMU})
if(RIOX_RIO_EMU AND NOT RIOX_TEST_HOOKS)
  message(FATAL_ERROR "RIOX_RIO_EMU=ON needs RIOX_TEST_HOOKS=ON")
endif()
if(RIOX_TEST_HOOKS)
  target_compile_definitions(riox PRIVATE RIOX_TEST_HOOKS=1)
endif()
file(GLOB RIOX_EMU_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/rio_emu/*.c)
if(RIOX_RIO_EMU AND RIOX_EMU_SOURCES)
  add_library(riox_rio_emu STATIC ${RIOX_EMU_SOURCES})
  target_include_directories(riox_rio_emu PUBLIC ${CMAKE_SOURCE_DIR}/tests/rio_emu
    PRIVATE ${CMAKE_SOURCE_DIR}/src/common ${CMAKE_SOURCE_DIR}/src/core ${CMAKE_SOURCE_DIR}/src/win)
  target_link_libraries(riox_rio_emu PUBLIC riox)
  target_compile_definitions(riox_rio_emu PUBLIC RIOX_WITH_RIO_EMU=1)
endif()

function(riox_example name)
  add_executable(${name} ${ARGN})
  target_link_libraries(${name} PRIVATE riox)
  if(TARGET riox_rio_emu)
    target_link_libraries(${name} PRIVATE riox_rio_emu)
  endif()
endfunction()

file(GLOB RIOX_EXAMPLES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/examples/*.c)
foreach(src ${RIOX_EXAMPLES})
  get_filename_component(name ${src} NAME_WE)
  riox_example(${name} ${src})
endforeach()

include(${CMAKE_SOURCE_DIR}/cmake/behave.cmake)

# tests/win/test_*.c: the Windows-only programs (RIO conformance, test
# hooks, Winsock internals; tests/README.md); exit code = verdict (77 = skip
# with a printed reason). Each runs on every Windows backend (h_run).
# tests/win/sendspy.c (sendspy.h: the sends riox makes, watched) is built
# once and offered to every program; the linker takes it only into those
# that call it.
add_library(riox_win_sendspy STATIC ${CMAKE_SOURCE_DIR}/tests/win/sendspy.c)
target_include_directories(riox_win_sendspy PRIVATE ${CMAKE_SOURCE_DIR}/tests/win)
target_link_libraries(riox_win_sendspy PUBLIC riox_test_harness)
file(GLOB RIOX_WIN_TESTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/win/test_*.c)
foreach(src ${RIOX_WIN_TESTS})
  get_filename_component(name ${src} NAME_WE)
  add_executable(${name} ${src} ${CMAKE_SOURCE_DIR}/tests/win/harness.c ${CMAKE_SOURCE_DIR}/tests/win/rioconf.c)
  target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR}/tests/win)
  # RIOX_HAVE_TEST_HOOKS comes with the harness (cmake/behave.cmake).
  target_link_libraries(${name} PRIVATE riox_win_sendspy riox_test_harness)
  add_test(NAME win/${name} COMMAND ${name})
  set_tests_properties(win/${name} PROPERTIES TIMEOUT 120 SKIP_RETURN_CODE 77)
endforeach()

# ---- riox-perf (issue 5) -------------------------------------------------------
# examples/riox-perf.c is made a program by the glob above; its helper
# sources live in examples/perf/ (plat_<os>.c is the one OS-specific file).
if(TARGET riox-perf)
  file(GLOB RIOX_PERF_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/examples/perf/*.c)
  list(FILTER RIOX_PERF_SOURCES EXCLUDE REGEX "/plat_[a-z]+\\.c$")
  target_sources(riox-perf PRIVATE ${RIOX_PERF_SOURCES} ${CMAKE_SOURCE_DIR}/examples/perf/plat_win.c)
  target_include_directories(riox-perf PRIVATE ${CMAKE_SOURCE_DIR}/examples/perf)
endif()
