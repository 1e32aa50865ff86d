#include "CCursesShim.h"
#define NCURSES_WIDECHAR 1
#define _XOPEN_SOURCE_EXTENDED 1
#include <locale.h>
#include <string.h>
#if __has_include(<ncursesw/ncurses.h>)
#include <ncursesw/ncurses.h>
#elif __has_include(<ncurses.h>)
#include <ncurses.h>
#else
#error "ncurses.h not found: install the Debian package libncursesw5-dev"
#endif

static int zc_active = 0;

int zc_initialize(void) {
    setlocale(LC_ALL, "");
    if (initscr() == NULL) return -1;
    zc_active = 1;
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    curs_set(0);
    if (has_colors()) { start_color(); use_default_colors(); }
    mousemask(ALL_MOUSE_EVENTS | REPORT_MOUSE_POSITION, NULL);
    mouseinterval(0);
    set_escdelay(25);
    return 0;
}
void zc_finalize(void) { if (zc_active) { endwin(); zc_active = 0; } }
int zc_is_active(void) { return zc_active; }
int zc_lines(void) { return LINES; }
int zc_cols(void) { return COLS; }
int zc_color_pair(int pair) { return (int)COLOR_PAIR(pair); }
int zc_key_resize(void) { return KEY_RESIZE; }
int zc_key_mouse(void) { return KEY_MOUSE; }
int zc_attr_bold(void) { return (int)A_BOLD; }
int zc_attr_reverse(void) { return (int)A_REVERSE; }
int zc_attr_dim(void) { return (int)A_DIM; }
int zc_attr_underline(void) { return (int)A_UNDERLINE; }
int zc_put_wch(int y, int x, wchar_t ch, int attrs, int pair) {
    cchar_t c; wchar_t s[2] = { ch, 0 };
    setcchar(&c, s, (attr_t)attrs, (short)pair, NULL);
    return mvadd_wch(y, x, &c);
}
int zc_put_str(int y, int x, const char *utf8, int attrs, int pair) {
    attr_set((attr_t)attrs, (short)pair, NULL);
    int r = mvaddstr(y, x, utf8);
    attr_set(A_NORMAL, 0, NULL);
    return r;
}
int zc_get_wch(int timeout_ms, int32_t *out) {
    timeout(timeout_ms);
    wint_t ch = 0;
    int r = get_wch(&ch);
    *out = (int32_t)ch;
    if (r == OK) return 0;
    if (r == KEY_CODE_YES) return 1;
    return -1;
}
int zc_mouse_event(int *y, int *x, unsigned long *bstate) {
    MEVENT ev;
    if (getmouse(&ev) != OK) return -1;
    *y = ev.y; *x = ev.x; *bstate = (unsigned long)ev.bstate;
    return 0;
}
unsigned long zc_button1_pressed(void) { return BUTTON1_PRESSED | BUTTON1_CLICKED; }
unsigned long zc_button4_pressed(void) { return BUTTON4_PRESSED; }
unsigned long zc_button5_pressed(void) {
#ifdef BUTTON5_PRESSED
    return BUTTON5_PRESSED;
#else
    return 0;
#endif
}
