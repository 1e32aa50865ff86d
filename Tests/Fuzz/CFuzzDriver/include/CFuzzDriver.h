#ifndef ZOETROPE_CFUZZDRIVER_H
#define ZOETROPE_CFUZZDRIVER_H
// libFuzzer's driver entry (compiler-rt, LLVM >= 11). SwiftPM links every executable with
// `main` renamed to `<module>_main`, so a fuzz target defines that symbol and hands control to
// libFuzzer here instead of relying on libFuzzer's own `main`.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
