#ifndef ZOETROPE_CPNGSHIM_H
#define ZOETROPE_CPNGSHIM_H
// libpng reports errors with longjmp, which Swift cannot catch; these C functions own the
// setjmp and return an error string instead. Every libpng call in Zoetrope lives in shim.c.
//
// All functions return one of the ZP_PNG_* codes below and, on failure, write a
// NUL-terminated English message into `err` (at most `err_length` bytes).
#include <stddef.h>
#include <stdint.h>

#define ZP_PNG_OK 0
#define ZP_PNG_ERROR (-1)        /* libpng reported an error (corrupt data, bad CRC, ...) */
#define ZP_PNG_NOT_PNG (-2)      /* the data does not start with the PNG signature */
#define ZP_PNG_TRUNCATED (-3)    /* the data ended before libpng was done */
#define ZP_PNG_NO_MEMORY (-4)    /* an allocation failed */

/// Decoding refuses pictures with more pixels than this (8192 × 8192), before allocating.
#define ZP_PNG_MAX_PIXELS (8192 * 8192)

/// libpng's version string (e.g. "1.6.39").
int zp_libpng_version(char *out, size_t len);

/// One text chunk to write. `keyword` is NUL-terminated Latin-1 (1-79 bytes, checked by the
/// caller); `text` holds `text_length` bytes: Latin-1 when `is_utf8` is 0 (written as tEXt),
/// UTF-8 when `is_utf8` is 1 (written as uncompressed iTXt).
typedef struct {
    const char *keyword;
    const char *text;
    size_t text_length;
    int is_utf8;
} zp_png_text_in;

/// Encodes `height` rows of `width` 8-bit RGB pixels (interleaved, no row padding) as a PNG
/// in memory, with the given text chunks before the image data. On success `*out` is a
/// malloc'd buffer of `*out_length` bytes; release it with `zp_free`.
int zp_png_encode_rgb8(const uint8_t *rgb, uint32_t width, uint32_t height,
                       const zp_png_text_in *texts, int text_count, int compression_level,
                       uint8_t **out, size_t *out_length, char *err, size_t err_length);

/// One text chunk read back. `text` is NUL-terminated; `is_utf8` is 1 for iTXt, 0 for
/// tEXt / zTXt (whose bytes are Latin-1).
typedef struct {
    char *keyword;
    char *text;
    int is_utf8;
} zp_png_text_out;

/// A decoded image: 8-bit RGB, interleaved, `width * 3` bytes per row.
typedef struct {
    uint8_t *rgb;
    uint32_t width;
    uint32_t height;
    zp_png_text_out *texts;
    int text_count;
} zp_png_decoded;

/// Decodes any PNG libpng reads (gray, gray+alpha, palette, RGB, RGBA; 1-16 bits; interlaced)
/// to 8-bit RGB. Palette and low-bit gray are expanded; 16-bit samples are scaled with
/// rounding (png_set_scale_16); gray becomes R=G=B; alpha (and tRNS) is dropped, as PIL's
/// `Image.convert("RGB")` does. No gamma correction. All tEXt, zTXt and iTXt chunks, before
/// and after the image data, are returned. Free the result with `zp_png_decoded_free`, also
/// after a failure (it is then empty).
int zp_png_decode_rgb8(const uint8_t *data, size_t length, zp_png_decoded *out,
                       char *err, size_t err_length);

void zp_png_decoded_free(zp_png_decoded *decoded);
void zp_free(void *pointer);

/// Inflates zlib data (a zTXt or compressed iTXt chunk's text) into `out`, at most `capacity`
/// bytes; `*written` says how many. Returns ZP_PNG_OK, ZP_PNG_ERROR for corrupt data, or
/// ZP_PNG_NO_MEMORY when the text would be longer than `capacity` (a decompression bomb is
/// refused instead of followed).
int zp_inflate_bounded(const uint8_t *data, size_t length, uint8_t *out, size_t capacity, size_t *written,
                       char *err, size_t err_length);

#endif
