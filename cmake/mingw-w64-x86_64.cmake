# Cross-compile for Windows x64 with Debian's mingw-w64 (win32 thread model)
# and run the results under Wine through CTest's emulator hook.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(RIOX_MINGW_PREFIX x86_64-w64-mingw32)

set(CMAKE_C_COMPILER ${RIOX_MINGW_PREFIX}-gcc)
set(CMAKE_CXX_COMPILER ${RIOX_MINGW_PREFIX}-g++)
set(CMAKE_RC_COMPILER ${RIOX_MINGW_PREFIX}-windres)
set(CMAKE_FIND_ROOT_PATH /usr/${RIOX_MINGW_PREFIX})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)

# scripts/wine-test.sh runs each program through scripts/wine-run.sh (a
# private WINEPREFIX, quiet defaults) and reports how a failing one ended.
get_filename_component(_riox_root "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)
set(CMAKE_CROSSCOMPILING_EMULATOR "${_riox_root}/scripts/wine-test.sh")
