/* The fault answers of oscall.h (test builds only). */
#include "oscall.h"

#ifdef RIOX_TEST_HOOKS
int oscall_fault(unsigned fault) {
  DWORD err;
  switch (fault) {
    case 0:
      return 0;
    case RIOX_TEST_FAULT_NOMEM:
      err = ERROR_NOT_ENOUGH_MEMORY;
      break;
    case RIOX_TEST_FAULT_MFILE:
      err = ERROR_TOO_MANY_OPEN_FILES;
      break;
    case RIOX_TEST_FAULT_CONNRESET:
      err = ERROR_NETNAME_DELETED;
      break;
    default:
      err = WAIT_IO_COMPLETION;
      break;
  }
  SetLastError(err);
  return 1;
}

int oscall_status(unsigned fault, int status) {
  if (fault == 0 || status != 0) return status;
  return fault == RIOX_TEST_FAULT_NOMEM ? RIOX_ENOBUFS : RIOX_ECONNRESET;
}
#else
/* ISO C forbids an empty translation unit. */
typedef int oscall__release_build;
#endif
