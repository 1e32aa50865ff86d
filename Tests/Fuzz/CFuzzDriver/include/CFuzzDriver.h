#ifndef ZOETROPE_CFUZZDRIVER_H
#define ZOETROPE_CFUZZDRIVER_H
// SwiftPM links every executable with `main` renamed to `<module>_main`, so a fuzz target
// defines that symbol and calls `zoetrope_fuzz_main`, which hands control to libFuzzer's
// driver (compiler-rt, LLVM >= 11) with the target's `LLVMFuzzerTestOneInput`.
#include <stddef.h>
#include <stdint.h>

int zoetrope_fuzz_main(int argc, char **argv);

#endif
