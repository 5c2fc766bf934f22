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
  set_target_properties(${target} PROPERTIES C_VISIBILITY_PRESET hidden
                        POSITION_INDEPENDENT_CODE ${BUILD_SHARED_LIBS})
endfunction()
