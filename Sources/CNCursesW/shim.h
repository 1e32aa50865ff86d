// Wide-character ncurses. Debian: libncursesw5-dev.
#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif
#ifndef _XOPEN_SOURCE_EXTENDED
#define _XOPEN_SOURCE_EXTENDED 1
#endif
#if __has_include(<ncursesw/ncurses.h>)
#include <ncursesw/ncurses.h>
#elif __has_include(<ncurses.h>)
#include <ncurses.h>
#else
#error "ncurses.h not found: install the Debian package libncursesw5-dev (apt-get install libncursesw5-dev), or run tools/setup.sh"
#endif
