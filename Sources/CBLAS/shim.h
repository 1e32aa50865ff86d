// OpenBLAS's CBLAS interface. Debian: libopenblas-dev.
#if __has_include(<cblas.h>)
#include <cblas.h>
#else
#error "cblas.h not found: install the Debian package libopenblas-dev (apt-get install libopenblas-dev), or run tools/setup.sh"
#endif
// openblas_set_num_threads / openblas_get_num_threads are declared by OpenBLAS's cblas.h.
