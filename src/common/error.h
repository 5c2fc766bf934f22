/* The one mapping from OS error codes (Win32 ERROR_*, WSA*, NTSTATUS; errno
 * on Linux) to RIOX_E*, and the per-thread detail message. The tables use numeric
 * values so this file builds and is tested on any host. */
#ifndef RIOX_COMMON_ERROR_H
#define RIOX_COMMON_ERROR_H

#include <stdint.h>

#include "riox.h"

/* Win32 or WSA error code (GetLastError / WSAGetLastError) -> RIOX_E*.
 * 0 -> 0; unknown -> RIOX_EIO. */
int error_from_win32(uint32_t code);
/* NTSTATUS (as found in OVERLAPPED.Internal) -> RIOX_E*. Success and
 * informational codes -> 0; STATUS_BUFFER_OVERFLOW -> RIOX_EMSGSIZE;
 * unknown -> RIOX_EIO. */
int error_from_ntstatus(uint32_t status);
#ifndef _WIN32
/* POSIX errno -> RIOX_E*. 0 -> 0; unknown -> RIOX_EIO. */
int error_from_errno(int e);
#endif
/* Record a printf-style detail for riox_last_detail() and return err, so a
 * failure path reads `return error_detail(RIOX_EINVAL, "len %u > %u", a, b);` */
int error_detail(int err, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void error_clear_detail(void);

#endif
