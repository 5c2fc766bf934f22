# cmake --install: the public headers, the library, rioxConfig.cmake +
# rioxConfigVersion.cmake (the imported target riox::riox) and riox.pc.
# Nothing test-only goes in: not riox_test.h, not the RIO emulator, not the
# example programs (which link the emulator in a test tree), and a tree
# whose library carries test seams or sanitizers refuses to install at all.
# One flavour per prefix: a static and a shared riox share riox_export.h,
# rioxTargets.cmake and riox.pc, so each goes into a prefix of its own.
include(CMakePackageConfigHelpers)
set(RIOX_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/riox)

if(RIOX_TEST_HOOKS OR RIOX_SANITIZE)
  # install(CODE) runs at install time: configuring and building a test
  # tree stays possible, installing its library is what is refused.
  install(CODE "message(FATAL_ERROR \"riox: this tree's library has test seams or sanitizers \
compiled in (RIOX_TEST_HOOKS=${RIOX_TEST_HOOKS}, RIOX_SANITIZE=${RIOX_SANITIZE}: a test build). \
Configure a tree to install from with -DRIOX_BUILD_TESTS=OFF (README: Use riox in your project).\")")
endif()

install(TARGETS riox EXPORT rioxTargets
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
if(MSVC AND BUILD_SHARED_LIBS)
  install(FILES $<TARGET_PDB_FILE:riox> DESTINATION ${CMAKE_INSTALL_BINDIR} OPTIONAL)
endif()
install(FILES ${PROJECT_SOURCE_DIR}/include/riox.h ${RIOX_GENERATED_INCLUDE}/riox_version.h
        ${RIOX_GENERATED_INCLUDE}/riox_export.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT rioxTargets NAMESPACE riox:: DESTINATION ${RIOX_CMAKE_DIR})

# rioxConfig.cmake finds again what a static riox needs from the system
# (riox_config_static, below) and includes rioxTargets.cmake.
if(BUILD_SHARED_LIBS)
  set(RIOX_CONFIG_STATIC 0)
else()
  set(RIOX_CONFIG_STATIC 1)
endif()
# Where the liburing riox was built with lives, looked at first again.
set(RIOX_LIBURING_HINTS "${LIBURING_LIBRARY_DIRS}")
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/templates/rioxConfig.cmake.in
  ${PROJECT_BINARY_DIR}/rioxConfig.cmake INSTALL_DESTINATION ${RIOX_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/rioxConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY ${RIOX_COMPATIBILITY})
install(FILES ${PROJECT_BINARY_DIR}/rioxConfig.cmake ${PROJECT_BINARY_DIR}/rioxConfigVersion.cmake
        DESTINATION ${RIOX_CMAKE_DIR})

# riox.pc. Its prefix is found from where the file lies (${pcfiledir}), so
# `cmake --install --prefix` anywhere, or moving the tree, keeps it right.
# A static riox lists what it needs itself in Libs (a plain
# `pkg-config --libs riox` then links); a shared one needs nothing more, as
# libriox.so records liburing itself.
# An absolute CMAKE_INSTALL_LIBDIR/INCLUDEDIR is taken as it is.
set(RIOX_PC_TO_PREFIX "")
if(NOT IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  file(RELATIVE_PATH RIOX_PC_TO_PREFIX /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
  string(REGEX REPLACE "/$" "" RIOX_PC_TO_PREFIX "${RIOX_PC_TO_PREFIX}")
  set(RIOX_PC_PREFIX "\${pcfiledir}/${RIOX_PC_TO_PREFIX}")
  set(RIOX_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
else()
  set(RIOX_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  set(RIOX_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(RIOX_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(RIOX_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
set(RIOX_PC_REQUIRES "")
set(RIOX_PC_REQUIRES_PRIVATE "")
set(RIOX_PC_LIBS "")
set(RIOX_PC_LIBS_PRIVATE "")
if(WIN32)
  set(RIOX_PC_LIBS "-lws2_32 -lmswsock -lntdll")
elseif(BUILD_SHARED_LIBS)
  # nothing
else()
  set(RIOX_PC_REQUIRES "liburing")
  set(RIOX_PC_LIBS "-pthread")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/templates/riox.pc.in ${PROJECT_BINARY_DIR}/riox.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/riox.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
