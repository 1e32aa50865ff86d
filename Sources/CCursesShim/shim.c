#include "CCursesShim.h"
#define NCURSES_WIDECHAR 1
#define _XOPEN_SOURCE_EXTENDED 1
#include <langinfo.h>
#include <locale.h>
#include <string.h>
#include <strings.h>
#if __has_include(<ncursesw/ncurses.h>)
#include <ncursesw/ncurses.h>
#elif __has_include(<ncurses.h>)
#include <ncurses.h>
#else
#error "ncurses.h not found: install the Debian package libncursesw5-dev"
#endif

static int zc_active = 0;

// The studio draws in UTF-8 (boxes, half-blocks, prompts in any script). With no UTF-8
// locale in the environment (LANG unset, as in many containers and CI machines) ncursesw
// would turn every non-ASCII character into '?'; take a UTF-8 character type instead,
// keeping the user's other categories.
static void zc_ensure_utf8_ctype(void) {
    const char *codeset = nl_langinfo(CODESET);
    if (codeset && (strcasecmp(codeset, "UTF-8") == 0 || strcasecmp(codeset, "utf8") == 0)) return;
    static const char *fallbacks[] = { "C.UTF-8", "C.utf8", "en_US.UTF-8", "en_US.utf8" };
    for (size_t i = 0; i < sizeof fallbacks / sizeof fallbacks[0]; i++) {
        if (setlocale(LC_CTYPE, fallbacks[i]) != NULL) return;
    }
}

static SCREEN *zc_screen = NULL;

int zc_initialize(void) {
    setlocale(LC_ALL, "");
    zc_ensure_utf8_ctype();
    // newterm, not initscr: initscr prints and exits the process on an unknown TERM.
    zc_screen = newterm(NULL, stdout, stdin);
    if (zc_screen == NULL) return -1;
    set_term(zc_screen);
    // A terminal that cannot move the cursor (TERM=dumb) would get one garbled line.
    const char *cup = tigetstr("cup");
    if (cup == NULL || cup == (char *)-1) {
        endwin();
        delscreen(zc_screen);
        zc_screen = NULL;
        return -2;
    }
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

// --- Added for the studio ---
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <term.h>

int zc_colors(void) { return has_colors() ? COLORS : 0; }
int zc_has_direct_color(void) { return tigetflag("RGB") > 0; }

int zc_pair(int fg, int bg) {
    if (!has_colors()) return 0;
    if (fg >= COLORS) fg = -1;
    if (bg >= COLORS) bg = -1;
    int p = alloc_pair(fg, bg);
    return p < 0 ? 0 : p;
}

int zc_put_cell(int y, int x, const char *utf8, int attrs, int pair) {
    wchar_t w[8];
    mbstate_t st;
    memset(&st, 0, sizeof st);
    const char *src = utf8;
    size_t n = mbsrtowcs(w, &src, 7, &st);
    if (n == (size_t)-1 || n == 0) { w[0] = L'?'; n = 1; }
    w[n] = 0;
    cchar_t c;
    int extended = pair;
    setcchar(&c, w, (attr_t)attrs, 0, &extended);
    return mvadd_wch(y, x, &c);
}

void zc_redraw_line(int y) { wredrawln(stdscr, y, 1); }
void zc_redraw_all(void) { redrawwin(stdscr); }

void zc_set_cursor(int y, int x) {
    if (y < 0) { curs_set(0); return; }
    move(y, x);
    curs_set(1);
}

void zc_refresh(void) { wnoutrefresh(stdscr); doupdate(); }

void zc_write_raw(const char *bytes, int length) {
    fflush(stdout);
    ssize_t off = 0;
    while (off < length) {
        ssize_t w = write(STDOUT_FILENO, bytes + off, (size_t)(length - off));
        if (w <= 0) break;
        off += w;
    }
}

int zc_key_for_sequence(const char *sequence) {
    int k = key_defined(sequence);
    return k > 0 ? k : 0;
}

static volatile sig_atomic_t zc_restored = 0;
void zc_restore_terminal(void) {
    if (!zc_active || zc_restored) return;
    zc_restored = 1;
    static const char off[] = "\033[?2004l\033[?1000l\033[?1002l\033[?1006l\033[?25h\033[0m";
    ssize_t ignored = write(STDOUT_FILENO, off, sizeof off - 1);
    (void)ignored;
    endwin();
    zc_active = 0;
}

static void zc_on_signal(int sig) {
    zc_restore_terminal();
    signal(sig, SIG_DFL);
    raise(sig);
}

void zc_install_restore_handlers(void) {
    zc_restored = 0;
    atexit(zc_restore_terminal);
    signal(SIGINT, zc_on_signal);
    signal(SIGTERM, zc_on_signal);
    signal(SIGHUP, zc_on_signal);
    signal(SIGQUIT, zc_on_signal);
}
