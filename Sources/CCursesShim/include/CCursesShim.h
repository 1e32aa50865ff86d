#ifndef ZOETROPE_CCURSESSHIM_H
#define ZOETROPE_CCURSESSHIM_H
// Functions for the parts of ncursesw that Swift cannot call directly:
// macros (COLOR_PAIR, getmaxyx, ...) and variadic calls (mvprintw, ...).
#include <wchar.h>
#include <stdint.h>

int zc_initialize(void);          // setlocale + newterm + cbreak/noecho/keypad; 0 on success,
                                  // -1 unknown terminal, -2 it cannot move the cursor
void zc_finalize(void);           // endwin if curses is active (idempotent)
int zc_is_active(void);
int zc_lines(void);
int zc_cols(void);
int zc_color_pair(int pair);      // COLOR_PAIR(n)
int zc_key_resize(void);          // KEY_RESIZE
int zc_key_mouse(void);           // KEY_MOUSE
int zc_attr_bold(void);
int zc_attr_reverse(void);
int zc_attr_dim(void);
int zc_attr_underline(void);
/// Draws one wide character at (y, x) with the given attributes and colour pair.
int zc_put_wch(int y, int x, wchar_t ch, int attrs, int pair);
/// Writes a UTF-8 string at (y, x).
int zc_put_str(int y, int x, const char *utf8, int attrs, int pair);
/// Reads one key or wide character with a timeout in milliseconds. Returns 0 (OK) for a
/// character in *out, 1 (KEY_CODE_YES) for a function key in *out, -1 for none.
int zc_get_wch(int timeout_ms, int32_t *out);
int zc_mouse_event(int *y, int *x, unsigned long *bstate);
unsigned long zc_button1_pressed(void);
unsigned long zc_button4_pressed(void);
unsigned long zc_button5_pressed(void);

// --- Added for the studio ---
/// Number of colours the terminal has (0 when colour is off), and whether terminfo has RGB.
int zc_colors(void);
int zc_has_direct_color(void);
/// A colour pair for foreground/background colour numbers (-1 = default), via alloc_pair.
/// Returns 0 (the default pair) when pairs run out.
int zc_pair(int fg, int bg);
/// Draws one grapheme (UTF-8, up to a few code points) at (y, x) with an extended pair.
int zc_put_cell(int y, int x, const char *utf8, int attrs, int pair);
/// Marks row y as needing a full repaint on the next refresh.
void zc_redraw_line(int y);
/// Forces a full repaint on the next refresh (after pixels were drawn over the screen).
void zc_redraw_all(void);
/// Moves the cursor and shows it, or hides it when y < 0.
void zc_set_cursor(int y, int x);
/// wnoutrefresh + doupdate.
void zc_refresh(void);
/// Writes raw bytes to the terminal (after doupdate), flushing.
void zc_write_raw(const char *bytes, int length);
/// The key code ncurses gives an escape sequence (e.g. "\033[1;5D"), or 0 if none.
int zc_key_for_sequence(const char *sequence);
/// Restores the terminal (mouse off, bracketed paste off, cursor shown, endwin). Idempotent,
/// safe to call from signal handlers and atexit.
void zc_restore_terminal(void);
/// Installs SIGINT/SIGTERM/SIGHUP/SIGQUIT handlers and an atexit hook that restore the
/// terminal before the process ends.
void zc_install_restore_handlers(void);
#endif
