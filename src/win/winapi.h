/* The Windows headers riox needs, in the order they must come, and the
 * extension functions found at run time through WSAIoctl. */
#ifndef RIOX_WIN_WINAPI_H
#define RIOX_WIN_WINAPI_H

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef _WIN32_WINNT
#define _WIN32_WINNT 0x0602
#endif

#include <winsock2.h>
#include <ws2tcpip.h>
#include <mswsock.h>
#include <windows.h>

#include "../rio/rio_api.h"

#ifndef SIO_UDP_CONNRESET
#define SIO_UDP_CONNRESET _WSAIOW(IOC_VENDOR, 12)
#endif
/* Per-processor sockets sharing one UDP port (WSAIoctl, Microsoft Learn:
 * 0x98000015 where the SDK does not name it, as 10.0.19041's does not;
 * mstcpip.h, not included here). */
#ifndef SIO_CPU_AFFINITY
#define SIO_CPU_AFFINITY _WSAIOW(IOC_VENDOR, 21)
#endif

/* What the Windows SDK declares and another SDK (mingw-w64, or Wine's
 * headers that scripts/msvc-check.sh compiles against) may lack or keep in
 * a header riox does not include. Values as documented by Microsoft. */
#ifndef WSAAPI
#define WSAAPI WINAPI /* winsock2.h: the calling convention of Winsock functions */
#endif
/* SetFileCompletionNotificationModes flags (winbase.h; Wine: winternl.h). */
#ifndef FILE_SKIP_COMPLETION_PORT_ON_SUCCESS
#define FILE_SKIP_COMPLETION_PORT_ON_SUCCESS 0x1
#endif
#ifndef FILE_SKIP_SET_EVENT_ON_HANDLE
#define FILE_SKIP_SET_EVENT_ON_HANDLE 0x2
#endif
/* WSAIoctl codes of the base service provider's handle (mswsock.h), next to
 * SIO_BASE_HANDLE = _WSAIOR(IOC_WS2, 34). */
#ifndef SIO_BSP_HANDLE
#define SIO_BSP_HANDLE _WSAIOR(IOC_WS2, 27)
#endif
#ifndef SIO_BSP_HANDLE_SELECT
#define SIO_BSP_HANDLE_SELECT _WSAIOR(IOC_WS2, 28)
#endif
#ifndef SIO_BSP_HANDLE_POLL
#define SIO_BSP_HANDLE_POLL _WSAIOR(IOC_WS2, 29)
#endif

/* UDP segmentation offload (USO) and receive coalescing (URO): the
 * IPPROTO_UDP options of ws2ipdef.h ("IPPROTO_UDP socket options",
 * Windows 10 2004 and later), which mingw-w64's and Wine's headers lack.
 * UDP_COALESCED_INFO is the control message type of a coalesced receive
 * (its DWORD is the segment size). */
#ifndef UDP_SEND_MSG_SIZE
#define UDP_SEND_MSG_SIZE 2
#endif
#ifndef UDP_RECV_MAX_COALESCED_SIZE
#define UDP_RECV_MAX_COALESCED_SIZE 3
#endif
#ifndef UDP_COALESCED_INFO
#define UDP_COALESCED_INFO 3
#endif

/* Extension functions, loaded once per loop (and by riox_probe). */
typedef struct win_ext {
  LPFN_ACCEPTEX AcceptEx;
  LPFN_CONNECTEX ConnectEx;
  LPFN_GETACCEPTEXSOCKADDRS GetAcceptExSockaddrs;
  LPFN_DISCONNECTEX DisconnectEx;
  LPFN_WSARECVMSG WSARecvMsg;
  LPFN_WSASENDMSG WSASendMsg;
  RIO_EXTENSION_FUNCTION_TABLE rio; /* rio.cbSize == 0 when absent */
  int rio_error;                    /* WSA error of the lookup or of the check */
  int rio_emulated;                 /* the table came from riox_test_set_rio_table */
  int rio_usable;                   /* the table works: a request queue could be made */
  char rio_why[160];                /* why RIO is not usable, when it is not */
  /* A UDP socket accepts UDP_SEND_MSG_SIZE / UDP_RECV_MAX_COALESCED_SIZE
   * (probe.c). A loop's copy is what it uses: both 0 with
   * RIOX_UDP_OFFLOAD=0 (loop_os.c). */
  int uso, uro;
} win_ext_t;

/* probe.c: load every extension (RIO may be absent: rio.cbSize 0).
 * 0, or RIOX_E* when Winsock itself is unusable. */
int win_ext_load(win_ext_t *ext);
/* Start Winsock 2.2 (reference counted by Winsock itself). */
int win_wsa_start(void);

#endif
