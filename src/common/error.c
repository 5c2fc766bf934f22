/* Error names, explanations, the per-thread detail message and the mapping
 * from Windows codes to RIOX_E*. The Windows tables hold numeric values (the
 * constant's name stays in a comment) so this file builds and is tested on
 * hosts without windows.h; tests/native/test_error.c checks representative
 * entries and tests/win compiles against the real headers. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---------------------------------------------------------------- names */

/* The X-macro arguments (EINVAL, EOF, ...) are only ever used through # and
 * ##: a plain use would let <errno.h>/<stdio.h> macros of the same name (EOF
 * is (-1)) expand inside the table. */
const char *riox_strerror(int err) {
  switch (err) {
#define ERROR__STR_CASE(name, value, text) \
  case RIOX_##name:                        \
    return text;
    RIOX_ERRNO_MAP(ERROR__STR_CASE)
#undef ERROR__STR_CASE
    case 0:
      return "success";
    default:
      return "unknown error";
  }
}

const char *riox_err_name(int err) {
  switch (err) {
#define ERROR__NAME_CASE(name, value, text) \
  case RIOX_##name:                         \
    return "RIOX_" #name;
    RIOX_ERRNO_MAP(ERROR__NAME_CASE)
#undef ERROR__NAME_CASE
    case 0:
      return "RIOX_OK";
    default:
      return "RIOX_UNKNOWN";
  }
}

/* ------------------------------------------------------- detail message */

/* Each thread has its own detail so a failure on one loop's thread never
 * overwrites the explanation another thread is about to read. */
#if defined(_MSC_VER)
#define ERROR__THREAD_LOCAL __declspec(thread)
#else
#define ERROR__THREAD_LOCAL _Thread_local
#endif

#define ERROR__DETAIL_SIZE 256

static ERROR__THREAD_LOCAL char error__detail[ERROR__DETAIL_SIZE];

const char *riox_last_detail(void) { return error__detail; }

void error_clear_detail(void) { error__detail[0] = '\0'; }

int error_detail(int err, const char *fmt, ...) {
  /* Format into a scratch buffer first: callers may pass riox_last_detail()
   * itself as an argument (to prefix a lower-level detail), and vsnprintf
   * must not read and write the same buffer. */
  char tmp[ERROR__DETAIL_SIZE];
  va_list ap;
  if (fmt == NULL) {
    error_clear_detail();
    return err;
  }
  va_start(ap, fmt);
  if (vsnprintf(tmp, sizeof tmp, fmt, ap) < 0) tmp[0] = '\0';
  va_end(ap);
  tmp[sizeof tmp - 1] = '\0';
  memcpy(error__detail, tmp, sizeof tmp);
  return err;
}

/* ----------------------------------------------------- Win32 and WSA */

/* One table for GetLastError() and WSAGetLastError(): the WSA codes live in
 * the same number space (WSA_IO_PENDING is ERROR_IO_PENDING, and so on). */
#define ERROR__WIN32_MAP(XX)                                                        \
  XX(1, ENOTSUP)           /* ERROR_INVALID_FUNCTION: wrong ioctl for the device */ \
  XX(2, ENOENT)            /* ERROR_FILE_NOT_FOUND */                               \
  XX(3, ENOENT)            /* ERROR_PATH_NOT_FOUND */                               \
  XX(4, ENOBUFS)           /* ERROR_TOO_MANY_OPEN_FILES, like WSAEMFILE */          \
  XX(5, EACCES)            /* ERROR_ACCESS_DENIED */                                \
  XX(6, EINVAL)            /* ERROR_INVALID_HANDLE, WSA_INVALID_HANDLE */           \
  XX(8, ENOMEM)            /* ERROR_NOT_ENOUGH_MEMORY, WSA_NOT_ENOUGH_MEMORY */     \
  XX(14, ENOMEM)           /* ERROR_OUTOFMEMORY */                                  \
  XX(38, EOF)              /* ERROR_HANDLE_EOF */                                   \
  XX(50, ENOTSUP)          /* ERROR_NOT_SUPPORTED */                                \
  XX(64, ECONNRESET)       /* ERROR_NETNAME_DELETED: how IOCP reports a reset */    \
  XX(87, EINVAL)           /* ERROR_INVALID_PARAMETER, WSA_INVALID_PARAMETER */     \
  XX(109, EOF)             /* ERROR_BROKEN_PIPE: the writer went away */            \
  XX(121, ETIMEDOUT)       /* ERROR_SEM_TIMEOUT: TCP retransmission timeout */      \
  XX(122, EMSGSIZE)        /* ERROR_INSUFFICIENT_BUFFER */                          \
  XX(234, EMSGSIZE)        /* ERROR_MORE_DATA: datagram truncated */                \
  XX(258, ETIMEDOUT)       /* WAIT_TIMEOUT: GetQueuedCompletionStatus timed out */  \
  XX(735, ELOOP)           /* ERROR_ABANDONED_WAIT_0: the port was closed */        \
  XX(995, ECANCELED)       /* ERROR_OPERATION_ABORTED, WSA_OPERATION_ABORTED */     \
  XX(996, EAGAIN)          /* ERROR_IO_INCOMPLETE, WSA_IO_INCOMPLETE: not done */   \
  XX(997, EAGAIN)          /* ERROR_IO_PENDING, WSA_IO_PENDING: see below */        \
  XX(998, EINVAL)          /* ERROR_NOACCESS: bad buffer pointer, like WSAEFAULT */ \
  XX(1168, ENOENT)         /* ERROR_NOT_FOUND: CancelIoEx found nothing */          \
  XX(1214, EADDRNOTAVAIL)  /* ERROR_INVALID_NETNAME */                              \
  XX(1222, ENETUNREACH)    /* ERROR_NO_NETWORK */                                   \
  XX(1225, ECONNREFUSED)   /* ERROR_CONNECTION_REFUSED */                           \
  XX(1226, EOF)            /* ERROR_GRACEFUL_DISCONNECT */                          \
  XX(1227, EINVAL)         /* ERROR_ADDRESS_ALREADY_ASSOCIATED: bound twice */      \
  XX(1228, ENOTCONN)       /* ERROR_ADDRESS_NOT_ASSOCIATED */                       \
  XX(1229, ENOTCONN)       /* ERROR_CONNECTION_INVALID */                           \
  XX(1230, EISCONN)        /* ERROR_CONNECTION_ACTIVE */                            \
  XX(1231, ENETUNREACH)    /* ERROR_NETWORK_UNREACHABLE */                          \
  XX(1232, EHOSTUNREACH)   /* ERROR_HOST_UNREACHABLE */                             \
  XX(1233, ENETUNREACH)    /* ERROR_PROTOCOL_UNREACHABLE (ICMP) */                  \
  XX(1234, ECONNRESET)     /* ERROR_PORT_UNREACHABLE: Windows' UDP convention */    \
  XX(1235, ECANCELED)      /* ERROR_REQUEST_ABORTED */                              \
  XX(1236, ECONNABORTED)   /* ERROR_CONNECTION_ABORTED */                           \
  XX(1450, ENOBUFS)        /* ERROR_NO_SYSTEM_RESOURCES */                          \
  XX(1460, ETIMEDOUT)      /* ERROR_TIMEOUT */                                      \
  XX(10004, ECANCELED)     /* WSAEINTR: blocking call cancelled */                  \
  XX(10009, EINVAL)        /* WSAEBADF */                                           \
  XX(10013, EACCES)        /* WSAEACCES */                                          \
  XX(10014, EINVAL)        /* WSAEFAULT: bad pointer or length argument */          \
  XX(10022, EINVAL)        /* WSAEINVAL */                                          \
  XX(10024, ENOBUFS)       /* WSAEMFILE: out of sockets is back-pressure */         \
  XX(10035, EAGAIN)        /* WSAEWOULDBLOCK */                                     \
  XX(10036, EALREADY)      /* WSAEINPROGRESS */                                     \
  XX(10037, EALREADY)      /* WSAEALREADY */                                        \
  XX(10038, EINVAL)        /* WSAENOTSOCK */                                        \
  XX(10039, EINVAL)        /* WSAEDESTADDRREQ */                                    \
  XX(10040, EMSGSIZE)      /* WSAEMSGSIZE */                                        \
  XX(10041, EPROTO)        /* WSAEPROTOTYPE: wrong socket type for the call */      \
  XX(10042, ENOTSUP)       /* WSAENOPROTOOPT */                                     \
  XX(10043, ENOTSUP)       /* WSAEPROTONOSUPPORT */                                 \
  XX(10044, ENOTSUP)       /* WSAESOCKTNOSUPPORT */                                 \
  XX(10045, ENOTSUP)       /* WSAEOPNOTSUPP */                                      \
  XX(10046, EAFNOSUPPORT)  /* WSAEPFNOSUPPORT */                                    \
  XX(10047, EAFNOSUPPORT)  /* WSAEAFNOSUPPORT */                                    \
  XX(10048, EADDRINUSE)    /* WSAEADDRINUSE */                                      \
  XX(10049, EADDRNOTAVAIL) /* WSAEADDRNOTAVAIL */                                   \
  XX(10050, ENETUNREACH)   /* WSAENETDOWN */                                        \
  XX(10051, ENETUNREACH)   /* WSAENETUNREACH */                                     \
  XX(10052, ECONNRESET)    /* WSAENETRESET */                                       \
  XX(10053, ECONNABORTED)  /* WSAECONNABORTED */                                    \
  XX(10054, ECONNRESET)    /* WSAECONNRESET */                                      \
  XX(10055, ENOBUFS)       /* WSAENOBUFS */                                         \
  XX(10056, EISCONN)       /* WSAEISCONN */                                         \
  XX(10057, ENOTCONN)      /* WSAENOTCONN */                                        \
  XX(10058, ESHUTDOWN)     /* WSAESHUTDOWN */                                       \
  XX(10060, ETIMEDOUT)     /* WSAETIMEDOUT */                                       \
  XX(10061, ECONNREFUSED)  /* WSAECONNREFUSED */                                    \
  XX(10064, EHOSTUNREACH)  /* WSAEHOSTDOWN */                                       \
  XX(10065, EHOSTUNREACH)  /* WSAEHOSTUNREACH */                                    \
  XX(10091, ENOTSUP)       /* WSASYSNOTREADY: network subsystem unusable */         \
  XX(10092, ENOTSUP)       /* WSAVERNOTSUPPORTED: no Winsock 2.2 */                 \
  XX(10093, EINVAL)        /* WSANOTINITIALISED: a riox bug, not the caller's */    \
  XX(10101, EOF)           /* WSAEDISCON: graceful close (message sockets) */       \
  XX(10103, ECANCELED)     /* WSAECANCELLED */

/* ERROR_IO_PENDING is not a failure: code that sees it must wait for the
 * completion instead of mapping it. Should it be mapped anyway, EAGAIN (the
 * outcome is not known yet) is the least wrong answer: it never claims the
 * operation failed or finished. */

int error_from_win32(uint32_t code) {
  switch (code) {
    case 0:
      return 0;
#define ERROR__WIN32_CASE(num, name) \
  case num:                          \
    return RIOX_##name;
      ERROR__WIN32_MAP(ERROR__WIN32_CASE)
#undef ERROR__WIN32_CASE
    default:
      return RIOX_EIO;
  }
}

/* ------------------------------------------------------------- NTSTATUS */

/* The statuses AFD leaves in OVERLAPPED.Internal. RIORESULT.Status is not
 * one of them: Microsoft's RIORESULT page calls it "the completion status of
 * the Winsock registered I/O request", a WSA/Win32 code (WSAEMSGSIZE,
 * WSAECONNRESET, WSA_OPERATION_ABORTED...), so src/rio/rio_cq.c decodes it
 * with error_from_win32. */
#define ERROR__NTSTATUS_MAP(XX)                                                                 \
  XX(0x80000005u, EMSGSIZE)      /* STATUS_BUFFER_OVERFLOW: datagram truncated (a warning) */  \
  XX(0xC0000002u, ENOTSUP)       /* STATUS_NOT_IMPLEMENTED */                                   \
  XX(0xC0000005u, EINVAL)        /* STATUS_ACCESS_VIOLATION: bad buffer pointer */              \
  XX(0xC0000008u, EINVAL)        /* STATUS_INVALID_HANDLE */                                    \
  XX(0xC000000Du, EINVAL)        /* STATUS_INVALID_PARAMETER */                                 \
  XX(0xC0000010u, ENOTSUP)       /* STATUS_INVALID_DEVICE_REQUEST */                            \
  XX(0xC0000017u, ENOMEM)        /* STATUS_NO_MEMORY */                                         \
  XX(0xC0000018u, EADDRINUSE)    /* STATUS_CONFLICTING_ADDRESSES */                             \
  XX(0xC0000022u, EACCES)        /* STATUS_ACCESS_DENIED */                                     \
  XX(0xC0000023u, EMSGSIZE)      /* STATUS_BUFFER_TOO_SMALL */                                  \
  XX(0xC0000043u, EADDRINUSE)    /* STATUS_SHARING_VIOLATION: exclusive address use */          \
  XX(0xC0000044u, ENOBUFS)       /* STATUS_QUOTA_EXCEEDED */                                    \
  XX(0xC000009Au, ENOBUFS)       /* STATUS_INSUFFICIENT_RESOURCES */                            \
  XX(0xC00000A3u, EAGAIN)        /* STATUS_DEVICE_NOT_READY */                                  \
  XX(0xC00000B5u, ETIMEDOUT)     /* STATUS_IO_TIMEOUT */                                        \
  XX(0xC00000BBu, ENOTSUP)       /* STATUS_NOT_SUPPORTED */                                     \
  XX(0xC00000BCu, ECONNREFUSED)  /* STATUS_REMOTE_NOT_LISTENING */                              \
  XX(0xC0000120u, ECANCELED)     /* STATUS_CANCELLED */                                         \
  XX(0xC000012Du, ENOMEM)        /* STATUS_COMMITMENT_LIMIT */                                  \
  XX(0xC000013Bu, ECONNABORTED)  /* STATUS_LOCAL_DISCONNECT */                                  \
  XX(0xC000013Cu, ECONNRESET)    /* STATUS_REMOTE_DISCONNECT */                                 \
  XX(0xC0000140u, ENOTCONN)      /* STATUS_INVALID_CONNECTION */                                \
  XX(0xC0000141u, EADDRNOTAVAIL) /* STATUS_INVALID_ADDRESS */                                   \
  XX(0xC0000206u, EMSGSIZE)      /* STATUS_INVALID_BUFFER_SIZE */                               \
  XX(0xC0000207u, EADDRNOTAVAIL) /* STATUS_INVALID_ADDRESS_COMPONENT */                         \
  XX(0xC000020Au, EADDRINUSE)    /* STATUS_ADDRESS_ALREADY_EXISTS */                            \
  XX(0xC000020Bu, ECONNABORTED)  /* STATUS_ADDRESS_CLOSED: our endpoint went away */            \
  XX(0xC000020Cu, ECONNRESET)    /* STATUS_CONNECTION_DISCONNECTED */                           \
  XX(0xC000020Du, ECONNRESET)    /* STATUS_CONNECTION_RESET */                                  \
  XX(0xC000020Fu, ECONNABORTED)  /* STATUS_TRANSACTION_ABORTED */                               \
  XX(0xC0000236u, ECONNREFUSED)  /* STATUS_CONNECTION_REFUSED */                                \
  XX(0xC0000237u, EOF)           /* STATUS_GRACEFUL_DISCONNECT */                               \
  XX(0xC0000238u, EINVAL)        /* STATUS_ADDRESS_ALREADY_ASSOCIATED: bound twice */           \
  XX(0xC0000239u, ENOTCONN)      /* STATUS_ADDRESS_NOT_ASSOCIATED */                            \
  XX(0xC000023Au, ENOTCONN)      /* STATUS_CONNECTION_INVALID */                                \
  XX(0xC000023Bu, EISCONN)       /* STATUS_CONNECTION_ACTIVE */                                 \
  XX(0xC000023Cu, ENETUNREACH)   /* STATUS_NETWORK_UNREACHABLE */                               \
  XX(0xC000023Du, EHOSTUNREACH)  /* STATUS_HOST_UNREACHABLE */                                  \
  XX(0xC000023Eu, ENETUNREACH)   /* STATUS_PROTOCOL_UNREACHABLE, as ERROR_PROTOCOL_UNREACHABLE */ \
  XX(0xC000023Fu, ECONNRESET)    /* STATUS_PORT_UNREACHABLE: Windows' UDP convention */         \
  XX(0xC0000240u, ECANCELED)     /* STATUS_REQUEST_ABORTED */                                   \
  XX(0xC0000241u, ECONNABORTED)  /* STATUS_CONNECTION_ABORTED */                                \
  XX(0xC0000350u, EHOSTUNREACH)  /* STATUS_HOST_DOWN */                                         \
  XX(0xC000A012u, ECONNRESET)    /* STATUS_HOPLIMIT_EXCEEDED: a UDP ICMP report, as in libuv */

/* Severity lives in the top two bits: 00 success, 01 informational (both
 * mean the operation worked, e.g. STATUS_PENDING), 10 warning, 11 error. */
#define ERROR__NT_SEVERITY_WARNING 0x80000000u

int error_from_ntstatus(uint32_t status) {
  if (status < ERROR__NT_SEVERITY_WARNING) return 0;
  switch (status) {
#define ERROR__NTSTATUS_CASE(num, name) \
  case num:                             \
    return RIOX_##name;
    ERROR__NTSTATUS_MAP(ERROR__NTSTATUS_CASE)
#undef ERROR__NTSTATUS_CASE
    default:
      return RIOX_EIO;
  }
}

/* ---------------------------------------------------------------- errno */

#ifndef _WIN32
#include <errno.h>

/* POSIX errno (Linux) -> RIOX_E*, the same names the Windows tables land
 * on. EPIPE is what a send gets after the peer reset the connection (with
 * MSG_NOSIGNAL), so it reads as a reset, as WSAECONNRESET does on Windows. */
int error_from_errno(int e) {
  switch (e) {
    case 0: return 0;
    case EINVAL: case EBADF: case EFAULT: case ENOTSOCK: case EDESTADDRREQ: return RIOX_EINVAL;
    case ENOMEM: return RIOX_ENOMEM;
    case ENOBUFS: case EMFILE: case ENFILE: return RIOX_ENOBUFS;
    case EAGAIN:
#if EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK:
#endif
    case EINPROGRESS: return RIOX_EAGAIN;
    case EADDRINUSE: return RIOX_EADDRINUSE;
    case EADDRNOTAVAIL: return RIOX_EADDRNOTAVAIL;
    case EAFNOSUPPORT: case EPFNOSUPPORT: return RIOX_EAFNOSUPPORT;
    case ECONNREFUSED: return RIOX_ECONNREFUSED;
    case ECONNRESET: case EPIPE: return RIOX_ECONNRESET;
    case ECONNABORTED: return RIOX_ECONNABORTED;
    case ETIMEDOUT: return RIOX_ETIMEDOUT;
    case ENETUNREACH: case ENETDOWN: return RIOX_ENETUNREACH;
    case EHOSTUNREACH: case EHOSTDOWN: return RIOX_EHOSTUNREACH;
    case ENOTCONN: return RIOX_ENOTCONN;
    case EISCONN: return RIOX_EISCONN;
    case ESHUTDOWN: return RIOX_ESHUTDOWN;
    case EMSGSIZE: return RIOX_EMSGSIZE;
    case ECANCELED: return RIOX_ECANCELED;
    case EOPNOTSUPP:
#if ENOTSUP != EOPNOTSUPP
    case ENOTSUP:
#endif
    case ENOSYS: case EPROTONOSUPPORT: case ESOCKTNOSUPPORT: return RIOX_ENOTSUP;
    case EBUSY: return RIOX_EBUSY;
    case ENOENT: return RIOX_ENOENT;
    case EALREADY: return RIOX_EALREADY;
    case EACCES: case EPERM: return RIOX_EACCES;
    case EPROTOTYPE: case ENOPROTOOPT: return RIOX_EPROTO;
    default: return RIOX_EIO;
  }
}
#endif
