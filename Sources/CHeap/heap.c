#include "CHeap.h"
#include <stdlib.h>  // defines __GLIBC__ on glibc

// Under a sanitizer its own allocator serves malloc; leave it alone.
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define ZOETROPE_HEAP_SANITIZED 1
#endif
#endif

#if defined(__GLIBC__) && !defined(ZOETROPE_HEAP_SANITIZED)
#include <malloc.h>
#define ZOETROPE_HEAP_TUNABLE 1
#endif

int zoetrope_heap_set_thresholds(long mmap_threshold, long trim_threshold) {
#if defined(ZOETROPE_HEAP_TUNABLE)
    return mallopt(M_MMAP_THRESHOLD, (int)mmap_threshold) == 1 && mallopt(M_TRIM_THRESHOLD, (int)trim_threshold) == 1;
#else
    (void)mmap_threshold; (void)trim_threshold;
    return 0;
#endif
}

void zoetrope_heap_trim(void) {
#if defined(ZOETROPE_HEAP_TUNABLE)
    malloc_trim(0);
#endif
}
