# cmake --install: the public headers, the library, rioxConfig.cmake +
# rioxConfigVersion.cmake (the imported target riox::riox) and riox.pc.
# Nothing test-only goes in: not riox_test.h, not the RIO emulator, not the
# example programs (which link the emulator in a test tree), and a tree
# whose library carries test seams refuses to install at all.
include(CMakePackageConfigHelpers)
set(RIOX_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/riox)

if(RIOX_TEST_HOOKS)
  # install(CODE) runs at install time: configuring and building a test
  # tree stays possible, installing its library is what is refused.
  install(CODE "message(FATAL_ERROR \"riox: this tree's library has test seams compiled in \
(RIOX_TEST_HOOKS=ON, a test build). Configure a tree to install from with \
-DRIOX_BUILD_TESTS=OFF (README: Use riox in your project).\")")
endif()

install(TARGETS riox EXPORT rioxTargets
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
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
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/templates/rioxConfig.cmake.in
  ${PROJECT_BINARY_DIR}/rioxConfig.cmake INSTALL_DESTINATION ${RIOX_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/rioxConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY ${RIOX_COMPATIBILITY})
install(FILES ${PROJECT_BINARY_DIR}/rioxConfig.cmake ${PROJECT_BINARY_DIR}/rioxConfigVersion.cmake
        DESTINATION ${RIOX_CMAKE_DIR})

# riox.pc. Its prefix is found from where the file lies (${pcfiledir}), so
# `cmake --install --prefix` anywhere, or moving the tree, keeps it right.
# A static riox lists what it needs itself in Libs (a plain
# `pkg-config --libs riox` then links), a shared one keeps liburing private.
file(RELATIVE_PATH RIOX_PC_TO_PREFIX /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
string(REGEX REPLACE "/$" "" RIOX_PC_TO_PREFIX "${RIOX_PC_TO_PREFIX}")
set(RIOX_PC_REQUIRES "")
set(RIOX_PC_REQUIRES_PRIVATE "")
set(RIOX_PC_LIBS "")
set(RIOX_PC_LIBS_PRIVATE "")
if(WIN32)
  set(RIOX_PC_LIBS "-lws2_32 -lmswsock -lntdll")
elseif(BUILD_SHARED_LIBS)
  set(RIOX_PC_REQUIRES_PRIVATE "liburing")
  set(RIOX_PC_LIBS_PRIVATE "-pthread")
else()
  set(RIOX_PC_REQUIRES "liburing")
  set(RIOX_PC_LIBS "-pthread")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/templates/riox.pc.in ${PROJECT_BINARY_DIR}/riox.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/riox.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
