/* What the Windows layer's files share beyond the core (src/core/core.h):
 * Winsock errors and socket flags, socket creation and adoption, TCP, and
 * address conversion, for src/win, src/iocp and src/rio. */
#ifndef RIOX_WIN_WIN_H
#define RIOX_WIN_WIN_H

#include "core.h"

/* The failed Winsock call's WSAGetLastError as RIOX_E*, with a detail. */
int sock_wsa_error(const char *what);
/* WSASocketW flags for a socket of this mode: WSA_FLAG_REGISTERED_IO (the
 * backend's os_sock_flags) only for completion sockets. */
DWORD sock_wsa_flags(const riox_loop *loop, int mode);
/* Wrap an accepted connection: from AcceptEx (completion mode) or accept()
 * on a readiness listener (readiness mode); wsa_flags as it was made with. */
int sock_adopt(riox_loop *loop, SOCKET s, int family, int mode, DWORD wsa_flags,
               riox_sock **out);

/* Backends. */
extern const backend_ops_t iocp_backend;
extern const backend_ops_t rio_backend;
/* RIO: os_wait skips its kernel wait when this answers 1 (src/rio/rio_cq.c). */
int rio_cq_skip_port(riox_loop *loop, uint32_t timeout_ms);

#endif
