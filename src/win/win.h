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
/* A new socket; flags & RIOX_SOCK_READINESS chooses its mode for good
 * (readiness sockets are non-blocking from the start). */
int sock_create(riox_loop *loop, int kind, int family, uint32_t flags, void *ctx,
                riox_sock **out);
int sock_bind(riox_sock *sock, const riox_addr *local);
/* Wrap an accepted connection: from AcceptEx (completion mode) or accept()
 * on a readiness listener (readiness mode); wsa_flags as it was made with. */
int sock_adopt(riox_loop *loop, SOCKET s, int family, int mode, DWORD wsa_flags,
               riox_sock **out);
/* The address family (AF_INET/AF_INET6) for a socket given its local and
 * remote addresses (either may be NULL) and RIOX_SOCK_DUALSTACK. */
int sock_family_for(const riox_addr *a, const riox_addr *b, uint32_t flags, int *family);

/* tcp.c */
int tcp_accept_post(riox_sock *listener);
/* A readiness-mode connect finished: ok = connected, else failed. */
void tcp_connect_settled(riox_sock *sock, int ok);

/* sockaddr.c */
int win_sockaddr_from(const riox_addr *addr, int family, SOCKADDR_STORAGE *ss, int *len);
int win_sockaddr_to(const struct sockaddr *sa, riox_addr *out);

/* Backends. */
extern const backend_ops_t iocp_backend;
extern const backend_ops_t rio_backend;

#endif
