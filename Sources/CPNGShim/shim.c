#include "CPNGShim.h"
#include <png.h>
#include <stdio.h>
int zp_libpng_version(char *out, size_t len) {
    snprintf(out, len, "%s", png_get_libpng_ver(NULL));
    return 0;
}
