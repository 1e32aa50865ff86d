#ifndef ZOETROPE_CPNGSHIM_H
#define ZOETROPE_CPNGSHIM_H
// libpng reports errors with longjmp, which Swift cannot catch; these C functions own the
// setjmp and return an error string instead.
#include <stddef.h>
#include <stdint.h>
int zp_libpng_version(char *out, size_t len);
#endif
