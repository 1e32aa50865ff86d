// libpng 1.6. Debian: libpng-dev.
#if __has_include(<png.h>)
#include <png.h>
#else
#error "png.h not found: install the Debian package libpng-dev (apt-get install libpng-dev), or run tools/setup.sh"
#endif
