# What every build of the library shares, whichever the OS: the install
# directories, the soname version, the generated public headers and the
# compile settings of everything that goes into the library.
include(GNUInstallDirs)

# The soname's version. riox is at 0.x, where a minor release may change
# the ABI (CHANGELOG.md), so 0.1.x is libriox.so.0.1; from 1.0 it is the
# major version alone. rioxConfigVersion.cmake accepts the same range.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(RIOX_SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR})
  set(RIOX_COMPATIBILITY SameMinorVersion)
else()
  set(RIOX_SOVERSION ${PROJECT_VERSION_MAJOR})
  set(RIOX_COMPATIBILITY SameMajorVersion)
endif()

#
# riox_version.h carries project(riox VERSION); riox_export.h records
# whether this tree builds a shared library and defines RIOX_API from it.
# Both land in build/<tree>/include, installed beside include/riox.h.
set(RIOX_GENERATED_INCLUDE ${PROJECT_BINARY_DIR}/include)
if(BUILD_SHARED_LIBS)
  set(RIOX_SHARED_VALUE 1)
else()
  set(RIOX_SHARED_VALUE 0)
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/templates/riox_version.h.in
               ${RIOX_GENERATED_INCLUDE}/riox_version.h @ONLY)
configure_file(${PROJECT_SOURCE_DIR}/cmake/templates/riox_export.h.in
               ${RIOX_GENERATED_INCLUDE}/riox_export.h @ONLY)

# Library code: RIOX_API means "export" while it compiles (dllexport for
# riox.dll), nothing else is visible outside a shared object
# (-fvisibility=hidden), and a shared build needs position-independent
# objects, the portable ones included.
function(riox_library_compile_settings target)
  target_compile_definitions(${target} PRIVATE RIOX_BUILDING_LIBRARY=1)
  set_target_properties(${target} PROPERTIES C_VISIBILITY_PRESET hidden)
  if(BUILD_SHARED_LIBS)
    # Otherwise CMAKE_POSITION_INDEPENDENT_CODE decides: a user linking
    # libriox.a into a shared object of their own sets it.
    set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  endif()
endfunction()

# A static libriox.a of an install tree defines riox.h's functions as its
# only global symbols, as a shared riox exports only them: the library's
# internal names (pool_init, sock_alloc, evq_push, ...) would otherwise
# collide with a program's own. After the archive is made, its objects are
# linked into one relocatable object (ld -r) in which objcopy keeps global
# only the names riox.h declares (riox_api.syms, read from riox.h here), and
# that object becomes the archive. Test trees skip it: their programs reach
# the internals. cl.exe's toolchain has no ld -r; there the archive keeps
# its objects as they are (README, "Use riox in your project").
file(STRINGS ${PROJECT_SOURCE_DIR}/include/riox.h _riox_decls
     REGEX "^RIOX_API [a-z][a-z0-9_ ]*[ *]riox_[a-z0-9_]+\\(")
set(_riox_syms "")
foreach(_d IN LISTS _riox_decls)
  string(REGEX MATCH "riox_[a-z0-9_]+\\(" _n "${_d}")
  if(_n)
    string(REPLACE "(" "" _n "${_n}")
    string(APPEND _riox_syms "${_n}\n")
  endif()
endforeach()
file(WRITE ${PROJECT_BINARY_DIR}/riox_api.syms "${_riox_syms}")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/include/riox.h)

function(riox_static_api_only target)
  if(BUILD_SHARED_LIBS OR RIOX_BUILD_TESTS OR RIOX_TEST_HOOKS OR MSVC)
    return()
  endif()
  if(NOT CMAKE_LINKER OR NOT CMAKE_OBJCOPY OR NOT CMAKE_AR)
    message(STATUS "riox: no ld/objcopy/ar: libriox.a keeps its internal symbols global")
    return()
  endif()
  set(_obj ${PROJECT_BINARY_DIR}/CMakeFiles/riox_api_only.o)
  add_custom_command(TARGET ${target} POST_BUILD
    COMMAND ${CMAKE_LINKER} -r --whole-archive $<TARGET_FILE:${target}> -o ${_obj}
    COMMAND ${CMAKE_OBJCOPY} --keep-global-symbols=${PROJECT_BINARY_DIR}/riox_api.syms ${_obj}
    COMMAND ${CMAKE_COMMAND} -E rm -f $<TARGET_FILE:${target}>
    COMMAND ${CMAKE_AR} rcs $<TARGET_FILE:${target}> ${_obj}
    COMMENT "libriox.a: riox.h's functions are its only global symbols"
    VERBATIM)
endfunction()
