/* The Win32 calls of the Windows layer and the RIO backend that are not
 * socket calls (those are ws.h's): the completion port (associations,
 * posts, the wait), completion-notification modes, VirtualAlloc, and a
 * completion's status. In test builds each use is a fault site
 * (src/core/fault.h): a fault a test armed there makes the call fail as
 * Windows would -- its failure value, the Win32 error set (oscall_fault:
 * ERROR_NOT_ENOUGH_MEMORY, ERROR_TOO_MANY_OPEN_FILES, WAIT_IO_COMPLETION,
 * ERROR_NETNAME_DELETED) -- without calling; a completion a test fails
 * reports RIOX_ENOBUFS or RIOX_ECONNRESET in place of its success. In a
 * release build each is the plain call. */
#ifndef RIOX_WIN_OSCALL_H
#define RIOX_WIN_OSCALL_H

#include "winapi.h"
#include "../core/fault.h"

#ifdef RIOX_TEST_HOOKS
int oscall_fault(unsigned fault);
int oscall_status(unsigned fault, int status);
#define OSCALL__F(name, faults, fail, expr) (oscall_fault(FAULT_HIT(name, faults)) ? (fail) : (expr))
#define OSCALL_STATUS(status) \
  oscall_status(FAULT_HIT("completion", RIOX_TEST_FAULT_NOMEM | RIOX_TEST_FAULT_CONNRESET), status)
#else
#define OSCALL__F(name, faults, fail, expr) (expr)
#define OSCALL_STATUS(status) (status)
#endif

#define OSCALL_CREATE_PORT(h, port, key, n) \
  OSCALL__F("CreateIoCompletionPort", RIOX_TEST_FAULT_NOMEM, NULL, CreateIoCompletionPort(h, port, key, n))
#define OSCALL_POST(port, bytes, key, ov)                             \
  OSCALL__F("PostQueuedCompletionStatus", RIOX_TEST_FAULT_NOMEM, FALSE, \
            PostQueuedCompletionStatus(port, bytes, key, ov))
#define OSCALL_WAIT(port, entries, n, count, ms)                      \
  OSCALL__F("GetQueuedCompletionStatusEx", RIOX_TEST_FAULT_INTR, FALSE, \
            GetQueuedCompletionStatusEx(port, entries, n, count, ms, FALSE))
#define OSCALL_SET_MODES(h, modes)                                            \
  OSCALL__F("SetFileCompletionNotificationModes", RIOX_TEST_FAULT_NOMEM, FALSE, \
            SetFileCompletionNotificationModes(h, modes))
#define OSCALL_VALLOC(size)                                     \
  OSCALL__F("VirtualAlloc", RIOX_TEST_FAULT_NOMEM, NULL,        \
            VirtualAlloc(NULL, size, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE))

#endif
