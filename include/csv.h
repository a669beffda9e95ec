/* csv: reading a CSV/TSV file (RFC 4180), raw or gzipped, into a table.
 *
 *   csv_opts o;
 *   csv_opts_default(&o);            // header on, delimiter detected, ...
 *   table t;
 *   if (csv_read("wine.csv", &o, &t, &err) < 0) ... err.msg ...
 *   ... table_num(&t.cols[c], r) ...
 *   table_free(&t);
 *
 * Syntax (RFC 4180, plus what real files hold):
 *   - records end with LF or CRLF; the last may lack one; blank lines are
 *     skipped (a record of one empty field is never produced from them);
 *   - a field that starts with '"' is quoted: it ends at the next lone '"',
 *     "" inside it is one '"', and it may hold delimiters, CR and LF; after
 *     the closing quote comes the delimiter or the end of the record. A '"'
 *     inside an unquoted field is an ordinary character;
 *   - the delimiter is ',' ';' TAB or '|': given, or detected as the one of
 *     these that occurs most often (outside quotes) in the first record
 *     (ties in that order; none: ','); each record must have as many fields
 *     as the first;
 *   - a UTF-8 byte-order mark at the start is skipped; gzip is detected by
 *     content (zlib), never by the file name.
 * Cells: a cell whose text (after unquoting, with leading and trailing
 * spaces and tabs ignored) is one of the missing tokens is missing. A
 * column is NUMERIC when every other cell is a decimal number
 *   [+-] digits [. digits] [(e|E) [+-] digits]   (or .digits, digits.)
 * else TEXT (the cells' exact bytes, spaces kept, are the categories).
 * Numbers are correctly rounded to double, the same in every locale and on
 * every machine (a Clinger fast path, else strtod_l in the "C" locale).
 *
 * Errors (ERR_INPUT, one message "FILE:LINE:COL: what is wrong", LINE and
 * COL 1-based, COL counted in bytes from the start of the line): a ragged
 * record, an unterminated quote, a character after a closing quote, a NUL
 * byte, invalid UTF-8 in a text cell or a name, duplicate column names,
 * an empty file, a header with no records, inf/nan/out-of-range values in a
 * column that is otherwise numeric, a record longer than max_record bytes,
 * more than max_cols columns. Memory stays bounded by the table (8 bytes a
 * numeric cell, 4 a text cell, plus the categories) plus at most about
 * 3 x chunk_bytes (the text) + max_record, whatever the input. The text
 * is read twice when some column is text (pass 2 interns the categories,
 * one thread). */
#ifndef NNTRAIN_CSV_H
#define NNTRAIN_CSV_H

#include <stddef.h>
#include "err.h"
#include "table.h"

/* Limits (defaults of csv_opts): a record (a line, or several lines when a
 * quoted field holds newlines) of at most 16 MiB, at most 100,000 columns. */
#define CSV_MAX_RECORD (16L << 20)
#define CSV_MAX_COLS 100000
#define CSV_MAX_MISSING 16 /* missing tokens at most */

typedef struct {
    int header;              /* 1 (default): the first record names the columns;
                                0: columns are named "0".."n-1" */
    char delim;              /* 0 (default): detect; else ',' ';' '\t' or '|' */
    const char *missing[CSV_MAX_MISSING]; /* missing tokens, NULL-terminated;
                                default "", "NA", "NaN", "?" */
    int threads;             /* parsing threads; 0 (default): one per core, and
                                one for a file under a MiB */
    long max_record;         /* bytes; default CSV_MAX_RECORD */
    int max_cols;            /* default CSV_MAX_COLS */
    long chunk_bytes;        /* text parsed per step (default 8 MiB; tests use
                                tiny ones to exercise the chunk seams) */
    int stream;              /* 0 (default): a plain file is mapped (mmap);
                                1: it is read as a gzipped file or a pipe is,
                                through a buffer (tests read both ways) */
} csv_opts;

void csv_opts_default(csv_opts *o);

/* Reads path into out (zeroed on failure). o NULL means the defaults. */
int csv_read(const char *path, const csv_opts *o, table *out, err_t *err);

/* Called with each piece of a file, in file order: rows, a table of the
 * file's columns holding the next records (one chunk of text, about
 * chunk_bytes), valid until fn returns. Returns 0 to go on, -1 (with err
 * set) to stop. */
typedef int (*csv_rows_fn)(void *user, table *rows, err_t *err);

/* Reads path a chunk at a time, handing each chunk's records to fn, so
 * memory stays at a chunk's whatever the file's size (prediction). The
 * same cells and errors (at the same file:line:col) as csv_read, except
 * that a column's kind is decided chunk by chunk: a column turns text in
 * the chunk of its first cell that is not a number and stays text after
 * (its earlier chunks were numeric). */
int csv_read_each(const char *path, const csv_opts *o, csv_rows_fn fn, void *user, err_t *err);

/* Where a cell of path is, read with o as csv_read reads it: record (the
 * 0-based data record, after the header; blank lines are not records)
 * and its field `column` (0-based) at *line and *col (1-based, bytes, as csv_read's
 * errors count them; the field's first byte, its opening quote when
 * quoted). A record may span lines (a quoted field holding a newline), so
 * the file is read again, gzip too, up to the record. For the messages of
 * errors found after reading (a missing value, text in a numeric
 * column...): it costs a read of the file up to there. */
int csv_locate(const char *path, const csv_opts *o, long long record, int column,
               long long *line, long long *col, err_t *err);

/* The number parser on its own: s[0..len) as a decimal number (the syntax
 * above, no surrounding spaces), correctly rounded. Returns 1 and sets *v
 * for a finite number; 0 if it is not a number; -1 if it is one but not
 * finite (overflows a double, or inf/nan spelled out). */
int csv_parse_double(const char *s, size_t len, double *v);

/* The same to the nearest float32, rounded once (not through the double:
 * a double that lands exactly halfway between two floats is decided
 * again from the text). -1 also for a number beyond float32's range. */
int csv_parse_float(const char *s, size_t len, float *v);

/* Whether a cell's text s[0..len) is a number as the reader takes a
 * numeric cell: spaces and tabs around it ignored, then csv_parse_float
 * gives a finite float. (A column whose some cell is not one is text; this
 * tells its numbers from the rest.) */
int csv_cell_is_number(const char *s, size_t len);

/* The reader's fast path for the common cell: the plain decimal at the
 * start of s[0..end), [+-] digits [. digits] with at most CSV_PLAIN_DIGITS
 * digits in all and no exponent. Returns its length and sets *v, the same
 * float32 as csv_parse_float(s, length) to the bit; returns 0 when s does
 * not start with such a number (none, too many digits, an exponent
 * follows). What follows the number is the caller's to check: "12x"
 * returns 2. */
#define CSV_PLAIN_DIGITS 15
size_t csv_plain_float(const char *s, const char *end, float *v);

#endif
