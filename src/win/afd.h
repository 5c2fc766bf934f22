/* The AFD driver's poll request, which is how readiness works on Windows:
 * IOCTL_AFD_POLL on an AFD file (a \Device\Afd handle, or a private socket where
 * the device cannot be used) associated with the loop's port
 * completes (one packet) when any of the asked conditions holds on a socket.
 * Layouts follow the driver's ABI; they are checked with static asserts. */
#ifndef RIOX_WIN_AFD_H
#define RIOX_WIN_AFD_H

#include "winapi.h"

#define AFD_POLL_RECEIVE 0x0001
#define AFD_POLL_RECEIVE_EXPEDITED 0x0002
#define AFD_POLL_SEND 0x0004
#define AFD_POLL_DISCONNECT 0x0008
#define AFD_POLL_ABORT 0x0010
#define AFD_POLL_LOCAL_CLOSE 0x0020
#define AFD_POLL_ACCEPT 0x0080
#define AFD_POLL_CONNECT_FAIL 0x0100

typedef struct afd_poll_handle_info {
  HANDLE Handle;
  ULONG Events;
  LONG Status;
} afd_poll_handle_info_t;

typedef struct afd_poll_info {
  LARGE_INTEGER Timeout;
  ULONG NumberOfHandles;
  ULONG Exclusive;
  afd_poll_handle_info_t Handles[1];
} afd_poll_info_t;

#if defined(_WIN64)
_Static_assert(sizeof(afd_poll_info_t) == 32, "AFD_POLL_INFO layout");
#endif

/* A handle polls are submitted on: a handle to the AFD device itself
 * (owner INVALID_SOCKET), or the base handle of a private socket `owner`. */
typedef struct afd_handle {
  HANDLE h;
  SOCKET owner;
} afd_handle_t;

/* Open a handle to submit polls on, bound to `port` (packets carry `key`):
 * \Device\Afd\riox, opened with NtCreateFile as wepoll does (no socket per
 * group, nothing a layered provider can intercept), unless `use_socket`,
 * or when the device cannot be opened: then a private socket. */
int afd_open(HANDLE port, ULONG_PTR key, int use_socket, afd_handle_t *out);
void afd_close(afd_handle_t *afd);
/* Submit a poll; the OVERLAPPED doubles as the IO_STATUS_BLOCK and is the
 * packet's lpOverlapped. 0: a packet will follow; else RIOX_E* (none will). */
int afd_poll(HANDLE afd, afd_poll_info_t *info, OVERLAPPED *ov);
/* Ask a pending poll to end; its packet still arrives (cancelled or done). */
void afd_cancel(HANDLE afd, OVERLAPPED *ov);
/* The socket the AFD driver knows: the base provider's, past every layered
 * provider (SIO_BASE_HANDLE; where a provider intercepts it, through the
 * next layer's socket that SIO_BSP_HANDLE_POLL names, until one answers). */
int afd_base_socket(SOCKET s, SOCKET *base);

#endif
