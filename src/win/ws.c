/* The socket calls of ws.h that are more than one call (non-inheritable
 * sockets), and the test seam: which socket-call table is installed. */
#include "ws.h"

#include "riox_test.h"

#ifdef RIOX_TEST_HOOKS
const ws_api_t *ws_hook;

int ws_fault(unsigned fault) {
  int err;
  switch (fault) {
    case 0:
      return 0;
    case RIOX_TEST_FAULT_NOMEM:
      err = WSAENOBUFS;
      break;
    case RIOX_TEST_FAULT_AGAIN:
      err = WSAEWOULDBLOCK;
      break;
    case RIOX_TEST_FAULT_MFILE:
      err = WSAEMFILE;
      break;
    case RIOX_TEST_FAULT_CONNRESET:
      err = WSAECONNRESET;
      break;
    default:
      err = WSAEINTR;
      break;
  }
  WSASetLastError(err);
  return 1;
}

int riox_test_set_sockapi(const void *api) {
  ws_hook = (const ws_api_t *)api;
  return 0;
}
#else
int riox_test_set_sockapi(const void *api) {
  (void)api;
  return RIOX_ENOTSUP; /* release build: riox calls the OS directly */
}
#endif

void ws_no_inherit(SOCKET s) {
  /* Best effort: the socket works either way, and old systems (or a
   * layered provider's handle) may refuse it; Ruby's win32.c ignores the
   * result for the same reason. */
  (void)SetHandleInformation((HANDLE)s, HANDLE_FLAG_INHERIT, 0);
}

SOCKET ws_open(int af, int type, int protocol, DWORD flags) {
  SOCKET s = ws_socket(af, type, protocol, flags | WSA_FLAG_NO_HANDLE_INHERIT);
  if (s != INVALID_SOCKET || WSAGetLastError() != WSAEINVAL) return s;
  /* The flag is unknown before Windows 7 SP1 (WSAEINVAL). Any other
   * WSAEINVAL comes back from this call as well, and is the answer. */
  s = ws_socket(af, type, protocol, flags & ~(DWORD)WSA_FLAG_NO_HANDLE_INHERIT);
  if (s != INVALID_SOCKET) ws_no_inherit(s);
  return s;
}
