# Linux build: the library, the example programs and (RIOX_BUILD_TESTS) the
# tests (cmake/native-tests.cmake).
#
# The OS-neutral core (src/core), the Linux layer (src/linux) and its
# backends (src/epoll, src/uring: liburing, Debian's liburing-dev), plus the
# portable modules of src/common. The core finds the OS layer's os.h on the
# include path, as on Windows.
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBURING REQUIRED IMPORTED_TARGET liburing)
file(GLOB RIOX_LINUX_SOURCES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/core/*.c
  ${PROJECT_SOURCE_DIR}/src/linux/*.c ${PROJECT_SOURCE_DIR}/src/epoll/*.c ${PROJECT_SOURCE_DIR}/src/uring/*.c)
add_library(riox ${RIOX_LINUX_SOURCES} $<TARGET_OBJECTS:riox_common_obj>)
riox_library_compile_settings(riox)
target_include_directories(riox
  PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include> $<BUILD_INTERFACE:${RIOX_GENERATED_INCLUDE}>
         $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>
  PRIVATE ${PROJECT_SOURCE_DIR}/src/common ${PROJECT_SOURCE_DIR}/src/core ${PROJECT_SOURCE_DIR}/src/linux
  ${PROJECT_SOURCE_DIR}/src/uring)
# liburing and the thread library are the library's own business: a
# program using libriox.so links neither; one using libriox.a gets both
# through riox::riox (rioxConfig.cmake finds them again) or riox.pc.
target_link_libraries(riox PRIVATE Threads::Threads $<BUILD_INTERFACE:PkgConfig::LIBURING>)
if(NOT BUILD_SHARED_LIBS)
  target_link_libraries(riox INTERFACE $<INSTALL_INTERFACE:riox::liburing>)
endif()
# libriox.so.<soname version> (cmake/install.cmake: RIOX_SOVERSION).
set_target_properties(riox PROPERTIES VERSION ${PROJECT_VERSION} SOVERSION ${RIOX_SOVERSION})
# Test seams compiled into the library (src/core/hooks.h: failing event-queue
# growth, slowed one-time initialisation), driven by the behaviour tests
# through riox_test.h. On in the test trees, except a Release one
# (build/bench); never in a tree that installs (cmake/install.cmake).
if(RIOX_BUILD_TESTS AND NOT CMAKE_BUILD_TYPE STREQUAL "Release")
  set(_riox_hooks_default ON)
else()
  set(_riox_hooks_default OFF)
endif()
option(RIOX_TEST_HOOKS "Compile the library's test seams (src/core/hooks.h)" ${_riox_hooks_default})
if(RIOX_TEST_HOOKS)
  target_compile_definitions(riox PRIVATE RIOX_TEST_HOOKS=1)
endif()
riox_static_api_only(riox)

if(RIOX_BUILD_EXAMPLES OR RIOX_BUILD_TESTS)
  # The examples that use only riox.h build natively too.
  foreach(name riox-echo riox-probe)
    add_executable(${name} ${PROJECT_SOURCE_DIR}/examples/${name}.c)
    target_link_libraries(${name} PRIVATE riox Threads::Threads)
  endforeach()

  # riox-perf natively: the same program, with the Linux services of plat.h,
  # and its latency histogram (src/common/histogram.c; CMakeLists.txt).
  file(GLOB RIOX_PERF_NATIVE_SOURCES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/examples/perf/*.c)
  list(FILTER RIOX_PERF_NATIVE_SOURCES EXCLUDE REGEX "/plat_[a-z]+\\.c$")
  add_executable(riox-perf ${PROJECT_SOURCE_DIR}/examples/riox-perf.c ${RIOX_PERF_NATIVE_SOURCES}
    ${PROJECT_SOURCE_DIR}/examples/perf/plat_linux.c ${RIOX_HISTOGRAM_SOURCE})
  target_include_directories(riox-perf PRIVATE ${PROJECT_SOURCE_DIR}/examples/perf ${PROJECT_SOURCE_DIR}/src/common)
  target_link_libraries(riox-perf PRIVATE riox Threads::Threads m)
endif()

if(RIOX_BUILD_TESTS)
  include(${PROJECT_SOURCE_DIR}/cmake/native-tests.cmake)
endif()
