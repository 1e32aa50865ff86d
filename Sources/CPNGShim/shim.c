// The only file in Zoetrope that calls libpng. libpng reports errors by calling an error
// function that must not return; ours records the message and longjmps back to the setjmp
// in the function that started the work, which frees everything and returns a code.
//
// State that changes after setjmp lives in heap-allocated contexts (never in automatic
// variables), so it is still valid after the longjmp (C11 7.13.2.1).
#include "CPNGShim.h"
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

int zp_libpng_version(char *out, size_t len) {
    snprintf(out, len, "%s", png_get_libpng_ver(NULL));
    return 0;
}

void zp_free(void *pointer) { free(pointer); }

static void set_error(char *err, size_t err_length, const char *message) {
    if (err != NULL && err_length > 0) {
        snprintf(err, err_length, "%s", message);
    }
}

/// Shared by the encoder and decoder: the message of the first libpng error.
typedef struct {
    char message[256];
} error_state;

static void on_error(png_structp png, png_const_charp message) {
    error_state *state = (error_state *)png_get_error_ptr(png);
    if (state != NULL && state->message[0] == 0) {
        snprintf(state->message, sizeof state->message, "%s", message ? message : "libpng error");
    }
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp message) {
    (void)png;
    (void)message; // Warnings (e.g. a bad CRC in an ancillary chunk, which libpng skips) are not fatal.
}

// MARK: - Encoding

typedef struct {
    error_state error;
    uint8_t *data;
    size_t length;
    size_t capacity;
    png_bytep *rows;
    png_text *texts;
} encode_context;

static void write_to_memory(png_structp png, png_bytep bytes, png_size_t count) {
    encode_context *ctx = (encode_context *)png_get_io_ptr(png);
    if (ctx->length + count > ctx->capacity) {
        size_t capacity = ctx->capacity ? ctx->capacity : 4096;
        while (capacity < ctx->length + count) capacity *= 2;
        uint8_t *grown = (uint8_t *)realloc(ctx->data, capacity);
        if (grown == NULL) png_error(png, "out of memory while encoding PNG");
        ctx->data = grown;
        ctx->capacity = capacity;
    }
    memcpy(ctx->data + ctx->length, bytes, count);
    ctx->length += count;
}

static void flush_memory(png_structp png) { (void)png; }

int zp_png_encode_rgb8(const uint8_t *rgb, uint32_t width, uint32_t height,
                       const zp_png_text_in *texts, int text_count, int compression_level,
                       uint8_t **out, size_t *out_length, char *err, size_t err_length) {
    *out = NULL;
    *out_length = 0;
    if (width == 0 || height == 0) {
        set_error(err, err_length, "image has zero width or height");
        return ZP_PNG_ERROR;
    }
    encode_context *ctx = (encode_context *)calloc(1, sizeof(encode_context));
    if (ctx == NULL) {
        set_error(err, err_length, "out of memory");
        return ZP_PNG_NO_MEMORY;
    }
    ctx->rows = (png_bytep *)malloc(sizeof(png_bytep) * height);
    ctx->texts = text_count > 0 ? (png_text *)calloc((size_t)text_count, sizeof(png_text)) : NULL;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &ctx->error, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (ctx->rows == NULL || (text_count > 0 && ctx->texts == NULL) || png == NULL || info == NULL) {
        png_destroy_write_struct(png ? &png : NULL, info ? &info : NULL);
        free(ctx->rows);
        free(ctx->texts);
        free(ctx);
        set_error(err, err_length, "out of memory");
        return ZP_PNG_NO_MEMORY;
    }
    if (setjmp(png_jmpbuf(png))) {
        set_error(err, err_length, ctx->error.message[0] ? ctx->error.message : "libpng error");
        png_destroy_write_struct(&png, &info);
        free(ctx->data);
        free(ctx->rows);
        free(ctx->texts);
        free(ctx);
        return ZP_PNG_ERROR;
    }
    png_set_write_fn(png, ctx, write_to_memory, flush_memory);
    png_set_IHDR(png, info, width, height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_compression_level(png, compression_level);
    for (int i = 0; i < text_count; i++) {
        png_text *t = &ctx->texts[i];
        t->key = (png_charp)texts[i].keyword;
        t->text = (png_charp)texts[i].text;
        if (texts[i].is_utf8) {
            t->compression = PNG_ITXT_COMPRESSION_NONE;
            t->itxt_length = texts[i].text_length;
            t->lang = NULL;
            t->lang_key = NULL;
        } else {
            t->compression = PNG_TEXT_COMPRESSION_NONE;
            t->text_length = texts[i].text_length;
        }
    }
    if (text_count > 0) png_set_text(png, info, ctx->texts, text_count);
    png_write_info(png, info);
    for (uint32_t y = 0; y < height; y++) {
        ctx->rows[y] = (png_bytep)(rgb + (size_t)y * width * 3);
    }
    png_write_image(png, ctx->rows);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);

    *out = ctx->data;
    *out_length = ctx->length;
    free(ctx->rows);
    free(ctx->texts);
    free(ctx);
    return ZP_PNG_OK;
}

// MARK: - Decoding

typedef struct {
    error_state error;
    const uint8_t *data;
    size_t length;
    size_t offset;
    int truncated;
    png_bytep *rows;
} decode_context;

static void read_from_memory(png_structp png, png_bytep bytes, png_size_t count) {
    decode_context *ctx = (decode_context *)png_get_io_ptr(png);
    if (count > ctx->length - ctx->offset) {
        ctx->truncated = 1;
        png_error(png, "file ends early (truncated PNG)");
    }
    memcpy(bytes, ctx->data + ctx->offset, count);
    ctx->offset += count;
}

static char *copy_string(const char *s) {
    size_t n = s ? strlen(s) : 0;
    char *copy = (char *)malloc(n + 1);
    if (copy != NULL) {
        if (n > 0) memcpy(copy, s, n);
        copy[n] = 0;
    }
    return copy;
}

void zp_png_decoded_free(zp_png_decoded *decoded) {
    if (decoded == NULL) return;
    free(decoded->rgb);
    for (int i = 0; i < decoded->text_count; i++) {
        free(decoded->texts[i].keyword);
        free(decoded->texts[i].text);
    }
    free(decoded->texts);
    memset(decoded, 0, sizeof *decoded);
}

int zp_png_decode_rgb8(const uint8_t *data, size_t length, zp_png_decoded *out,
                       char *err, size_t err_length) {
    memset(out, 0, sizeof *out);
    if (length < 8 || png_sig_cmp((png_const_bytep)data, 0, 8) != 0) {
        set_error(err, err_length, "not a PNG file (the 8-byte PNG signature is missing)");
        return ZP_PNG_NOT_PNG;
    }
    // No chunk may be longer than what follows it in the file. libpng allocates an ancillary
    // chunk's buffer from its declared length before reading it (a length over its limit is
    // only a warning), so a 1 kB file declaring a 1.9 GB text chunk took 1.9 GB (found by
    // tools/fuzz/run.sh png, issue #19).
    for (size_t offset = 8; offset + 12 <= length;) {
        size_t declared = (size_t)data[offset] << 24 | (size_t)data[offset + 1] << 16 |
                          (size_t)data[offset + 2] << 8 | (size_t)data[offset + 3];
        if (declared > length - offset - 12) {
            char message[160];
            snprintf(message, sizeof message, "chunk %.4s at byte %zu declares %zu bytes, but the file ends %zu bytes later",
                     (const char *)data + offset + 4, offset, declared, length - offset - 12);
            set_error(err, err_length, message);
            return ZP_PNG_TRUNCATED;
        }
        if (memcmp(data + offset + 4, "IEND", 4) == 0) break;
        offset += 12 + declared;
    }
    decode_context *ctx = (decode_context *)calloc(1, sizeof(decode_context));
    if (ctx == NULL) {
        set_error(err, err_length, "out of memory");
        return ZP_PNG_NO_MEMORY;
    }
    ctx->data = data;
    ctx->length = length;
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &ctx->error, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (png == NULL || info == NULL) {
        png_destroy_read_struct(png ? &png : NULL, info ? &info : NULL, NULL);
        free(ctx);
        set_error(err, err_length, "out of memory");
        return ZP_PNG_NO_MEMORY;
    }
    if (setjmp(png_jmpbuf(png))) {
        int code = ctx->truncated ? ZP_PNG_TRUNCATED : ZP_PNG_ERROR;
        set_error(err, err_length, ctx->error.message[0] ? ctx->error.message : "libpng error");
        png_destroy_read_struct(&png, &info, NULL);
        free(ctx->rows);
        free(ctx);
        zp_png_decoded_free(out);
        return code;
    }
    png_set_read_fn(png, ctx, read_from_memory);
    png_read_info(png, info);

    png_uint_32 width = png_get_image_width(png, info);
    png_uint_32 height = png_get_image_height(png, info);
    int color_type = png_get_color_type(png, info);
    int bit_depth = png_get_bit_depth(png, info);
    // The filtered rows as stored (before any conversion), for the check below.
    uint64_t stored_bytes = ((uint64_t)width * png_get_channels(png, info) * (uint64_t)bit_depth + 7) / 8 * height + height;
    if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (bit_depth == 16) png_set_scale_16(png);
    if (color_type == PNG_COLOR_TYPE_GRAY || color_type == PNG_COLOR_TYPE_GRAY_ALPHA) {
        png_set_gray_to_rgb(png);
    }
    // Palette and low-bit gray expansion also turn tRNS into an alpha channel; drop it too.
    if ((color_type & PNG_COLOR_MASK_ALPHA) || png_get_valid(png, info, PNG_INFO_tRNS)) {
        png_set_strip_alpha(png);
    }
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    if (png_get_rowbytes(png, info) != (size_t)width * 3) {
        png_error(png, "internal error: conversion to 8-bit RGB did not give 3 bytes per pixel");
    }
    size_t byte_count = (size_t)width * height * 3;
    if (byte_count / 3 / width != height) png_error(png, "image too large for memory");
    // Check before allocating (issue #19: a 44-byte file declaring a huge image made the
    // process take gigabytes). Pictures Zoetrope reads are at most 8192 × 8192; and deflate
    // cannot expand data more than 1032-fold, so a file too short to hold the declared image
    // is cut off, whatever its header says.
    if ((uint64_t)width * height > (uint64_t)ZP_PNG_MAX_PIXELS) {
        snprintf(ctx->error.message, sizeof ctx->error.message,
                 "the image is %u x %u pixels, more than the %d pixels Zoetrope reads", (unsigned)width,
                 (unsigned)height, ZP_PNG_MAX_PIXELS);
        png_error(png, ctx->error.message);
    }
    if (stored_bytes > (uint64_t)length * 1032u + 1024u) {
        ctx->truncated = 1;
        snprintf(ctx->error.message, sizeof ctx->error.message,
                 "%zu bytes cannot hold a %u x %u image (its pixel data would be cut off)", length,
                 (unsigned)width, (unsigned)height);
        png_error(png, ctx->error.message);
    }
    out->rgb = (uint8_t *)malloc(byte_count);
    ctx->rows = (png_bytep *)malloc(sizeof(png_bytep) * height);
    if (out->rgb == NULL || ctx->rows == NULL) png_error(png, "out of memory for the decoded image");
    out->width = width;
    out->height = height;
    for (png_uint_32 y = 0; y < height; y++) ctx->rows[y] = out->rgb + (size_t)y * width * 3;
    png_read_image(png, ctx->rows);
    png_read_end(png, info);

    png_textp texts = NULL;
    int text_count = png_get_text(png, info, &texts, NULL);
    if (text_count > 0) {
        out->texts = (zp_png_text_out *)calloc((size_t)text_count, sizeof(zp_png_text_out));
        if (out->texts == NULL) png_error(png, "out of memory for text chunks");
        for (int i = 0; i < text_count; i++) {
            out->texts[i].keyword = copy_string(texts[i].key);
            out->texts[i].text = copy_string(texts[i].text);
            out->texts[i].is_utf8 = texts[i].compression >= PNG_ITXT_COMPRESSION_NONE;
            out->text_count = i + 1;
            if (out->texts[i].keyword == NULL || out->texts[i].text == NULL) {
                png_error(png, "out of memory for text chunks");
            }
        }
    }
    png_destroy_read_struct(&png, &info, NULL);
    free(ctx->rows);
    free(ctx);
    return ZP_PNG_OK;
}

int zp_inflate_bounded(const uint8_t *data, size_t length, uint8_t *out, size_t capacity, size_t *written,
                       char *err, size_t err_length) {
    *written = 0;
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit(&z) != Z_OK) {
        set_error(err, err_length, "zlib could not start");
        return ZP_PNG_NO_MEMORY;
    }
    z.next_in = (Bytef *)data;
    z.avail_in = (uInt)(length > UINT32_MAX ? UINT32_MAX : length);
    z.next_out = out;
    z.avail_out = (uInt)(capacity > UINT32_MAX ? UINT32_MAX : capacity);
    int code = inflate(&z, Z_FINISH);
    *written = z.total_out;
    inflateEnd(&z);
    if (code == Z_STREAM_END) return ZP_PNG_OK;
    if (code == Z_BUF_ERROR && z.avail_out == 0) {
        set_error(err, err_length, "the compressed text is longer than the limit");
        return ZP_PNG_NO_MEMORY;
    }
    set_error(err, err_length, z.msg ? z.msg : "the compressed text is corrupt or cut off");
    return ZP_PNG_ERROR;
}
