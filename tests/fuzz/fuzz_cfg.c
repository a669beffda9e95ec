/* libFuzzer harness: the YAML config loader (src/cfg.c).
 *
 * Each input is used three ways:
 *   1. as a whole YAML file: cfg_load_string, then cfg_validate on success,
 *      then cfg_write_yaml and a reload of what it wrote, which must load
 *      and give the same values (written again, the same text);
 *   2. as a "key=value" override applied to the defaults (cfg_set), then
 *      cfg_validate;
 *   3. line by line as overrides on top of the defaults (like repeated -s).
 * Any error must come back as -1 with a message, never as a crash. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"

static cfg_t c, c2; /* big structs: keep them off the stack */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s) return 0;
    memcpy(s, data, size);
    s[size] = '\0'; /* an embedded NUL just ends the text early */

    err_t err;
    err_clear(&err);
    if (cfg_load_string(s, "fuzz.yaml", &c, &err) == 0) {
        if (cfg_validate(&c, &err) == 0) {
            /* What cfg_write_yaml writes must load back. */
            char *buf = NULL;
            size_t len = 0;
            FILE *f = open_memstream(&buf, &len);
            if (f) {
                int w = cfg_write_yaml(&c, f);
                fclose(f);
                if (w == 0 && buf) {
                    err_t e2;
                    err_clear(&e2);
                    if (cfg_load_string(buf, "rewritten.yaml", &c2, &e2) != 0) {
                        fprintf(stderr, "cfg_write_yaml output does not load back: %s\n---\n%s\n",
                                e2.msg, buf);
                        abort();
                    }
                    /* ... to the same values: written again, the same text. */
                    char *buf2 = NULL;
                    size_t len2 = 0;
                    FILE *f2 = open_memstream(&buf2, &len2);
                    if (f2) {
                        cfg_write_yaml(&c2, f2);
                        fclose(f2);
                        if (len2 != len || memcmp(buf, buf2, len) != 0) {
                            fprintf(stderr, "cfg_write_yaml output loads back to other values:\n"
                                            "--- first\n%s\n--- after a reload\n%s\n", buf, buf2);
                            abort();
                        }
                        free(buf2);
                    }
                }
                free(buf);
            }
        }
    } else if (err.msg[0] == '\0') {
        fprintf(stderr, "cfg_load_string failed without a message\n");
        abort();
    }

    /* The whole input as one override. */
    if (cfg_defaults(&c, &err) != 0) {
        fprintf(stderr, "cfg_defaults: %s\n", err.msg);
        abort();
    }
    err_clear(&err);
    if (cfg_set(&c, s, &err) == 0)
        cfg_validate(&c, &err);
    else if (err.msg[0] == '\0') {
        fprintf(stderr, "cfg_set failed without a message\n");
        abort();
    }

    /* Each line as an override, in order. */
    if (cfg_defaults(&c, &err) != 0) {
        fprintf(stderr, "cfg_defaults: %s\n", err.msg);
        abort();
    }
    for (char *line = s, *next; line; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        err_clear(&err);
        cfg_set(&c, line, &err);
    }
    err_clear(&err);
    cfg_validate(&c, &err);

    free(s);
    return 0;
}
