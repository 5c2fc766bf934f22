# Windows build: the library, the example programs and (RIOX_BUILD_TESTS)
# the Windows tests (cmake/windows-tests.cmake).
#
# The OS-neutral core (src/core), the Windows layer (src/win) and its two
# backends, plus the portable modules of src/common; the core finds the OS
# layer's os.h on the include path.
file(GLOB RIOX_WIN_SOURCES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/core/*.c
  ${PROJECT_SOURCE_DIR}/src/win/*.c ${PROJECT_SOURCE_DIR}/src/iocp/*.c ${PROJECT_SOURCE_DIR}/src/rio/*.c)
add_library(riox ${RIOX_WIN_SOURCES} $<TARGET_OBJECTS:riox_common_obj>)
riox_library_compile_settings(riox)
target_include_directories(riox
  PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include> $<BUILD_INTERFACE:${RIOX_GENERATED_INCLUDE}>
         $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>
  PRIVATE ${PROJECT_SOURCE_DIR}/src/common ${PROJECT_SOURCE_DIR}/src/core ${PROJECT_SOURCE_DIR}/src/win)
# The Win32 libraries riox calls, usage requirements of riox::riox: a
# program linking the static library needs them, and one that uses riox
# with Winsock of its own does too.
target_link_libraries(riox PUBLIC ws2_32 mswsock ntdll)
# riox.dll's image version (major.minor), from project(riox VERSION).
set_target_properties(riox PROPERTIES VERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR})
if(MSVC)
  # Debug and Release side by side in one prefix: rioxd.lib beside riox.lib
  # (rioxTargets-debug.cmake / -release.cmake point at each).
  set_target_properties(riox PROPERTIES DEBUG_POSTFIX d)
endif()
if(BUILD_SHARED_LIBS)
  # riox.dll (not mingw's default libriox.dll) beside its import library
  # libriox.dll.a (cl.exe: riox.lib), as a Windows user looks for it.
  set_target_properties(riox PROPERTIES PREFIX "")
endif()
if(NOT MSVC)
  # Programs of this tree are self-contained: Wine then needs no mingw
  # DLLs. riox.dll carries libgcc inside for the same reason.
  set(CMAKE_EXE_LINKER_FLAGS "${CMAKE_EXE_LINKER_FLAGS} -static -static-libgcc")
  set(CMAKE_SHARED_LINKER_FLAGS "${CMAKE_SHARED_LINKER_FLAGS} -static-libgcc")
endif()

# The RIO emulator: test support, never part of the shipped library nor
# installed (tests/rio_emu; on in the test trees).
option(RIOX_RIO_EMU "Build the RIO emulator and test the rio backend against it" ${RIOX_BUILD_TESTS})
# Test seams compiled into the library (src/win/ws.h: the socket calls the
# emulator wraps). Off in a release build; the emulator needs them.
option(RIOX_TEST_HOOKS "Compile the library's test seams (needed by the RIO emulator)" ${RIOX_RIO_EMU})
if(RIOX_RIO_EMU AND NOT RIOX_TEST_HOOKS)
  message(FATAL_ERROR "RIOX_RIO_EMU=ON needs RIOX_TEST_HOOKS=ON")
endif()
if(RIOX_RIO_EMU AND BUILD_SHARED_LIBS)
  message(FATAL_ERROR "RIOX_RIO_EMU=ON needs the static library (the emulator uses riox's internals)")
endif()
if(RIOX_TEST_HOOKS)
  target_compile_definitions(riox PRIVATE RIOX_TEST_HOOKS=1)
endif()
riox_static_api_only(riox)
file(GLOB RIOX_EMU_SOURCES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tests/rio_emu/*.c)
if(RIOX_RIO_EMU AND RIOX_EMU_SOURCES)
  add_library(riox_rio_emu STATIC ${RIOX_EMU_SOURCES})
  target_include_directories(riox_rio_emu PUBLIC ${PROJECT_SOURCE_DIR}/tests/rio_emu
    PRIVATE ${PROJECT_SOURCE_DIR}/src/common ${PROJECT_SOURCE_DIR}/src/core ${PROJECT_SOURCE_DIR}/src/win)
  target_link_libraries(riox_rio_emu PUBLIC riox)
  target_compile_definitions(riox_rio_emu PUBLIC RIOX_WITH_RIO_EMU=1)
endif()

if(RIOX_BUILD_EXAMPLES OR RIOX_BUILD_TESTS)
  function(riox_example name)
    add_executable(${name} ${ARGN})
    target_link_libraries(${name} PRIVATE riox)
    if(TARGET riox_rio_emu)
      target_link_libraries(${name} PRIVATE riox_rio_emu)
    endif()
  endfunction()

  file(GLOB RIOX_EXAMPLES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/examples/*.c)
  foreach(src ${RIOX_EXAMPLES})
    get_filename_component(name ${src} NAME_WE)
    riox_example(${name} ${src})
  endforeach()

  # ---- riox-perf (issue 5) -----------------------------------------------------
  # examples/riox-perf.c is made a program by the glob above; its helper
  # sources live in examples/perf/ (plat_<os>.c is the one OS-specific file),
  # its latency histogram in src/common (CMakeLists.txt).
  if(TARGET riox-perf)
    file(GLOB RIOX_PERF_SOURCES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/examples/perf/*.c)
    list(FILTER RIOX_PERF_SOURCES EXCLUDE REGEX "/plat_[a-z]+\\.c$")
    target_sources(riox-perf PRIVATE ${RIOX_PERF_SOURCES} ${PROJECT_SOURCE_DIR}/examples/perf/plat_win.c
      ${RIOX_HISTOGRAM_SOURCE})
    target_include_directories(riox-perf PRIVATE ${PROJECT_SOURCE_DIR}/examples/perf ${PROJECT_SOURCE_DIR}/src/common)
  endif()
endif()

if(RIOX_BUILD_TESTS)
  include(${PROJECT_SOURCE_DIR}/cmake/windows-tests.cmake)
endif()
