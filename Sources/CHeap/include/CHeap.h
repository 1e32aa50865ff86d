// glibc's malloc tuning (<malloc.h>, which Swift's Glibc module does not export), for
// TensorCore's HeapPolicy. Elsewhere, and under a sanitizer, the calls do nothing.
#ifndef ZOETROPE_CHEAP_H
#define ZOETROPE_CHEAP_H

// Sets M_MMAP_THRESHOLD and M_TRIM_THRESHOLD; 1 if glibc took both, else 0.
int zoetrope_heap_set_thresholds(long mmap_threshold, long trim_threshold);
// malloc_trim(0): returns free heap pages to the system.
void zoetrope_heap_trim(void);

#endif
