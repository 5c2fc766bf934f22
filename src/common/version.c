/* The library's own version, for programs that want to know which riox.dll
 * or libriox.so they were given (riox.h: riox_version). */
#include "riox.h"

unsigned riox_version(void) { return RIOX_VERSION_NUMBER; }

const char *riox_version_string(void) { return RIOX_VERSION_STRING; }
