/* assets: the files of the page `nntrain serve` serves (web/: index.html,
 * app.js, style.css), compiled into the program by web/embed.sh at build
 * time. Only these paths exist: nothing on disk is ever served. */
#ifndef NNTRAIN_ASSETS_H
#define NNTRAIN_ASSETS_H

#include <stddef.h>

typedef struct {
    const char *path;          /* "/" for index.html, else "/NAME" */
    const char *type;          /* Content-Type */
    const unsigned char *data; /* len bytes (plus a NUL, not served) */
    size_t len;
} asset_t;

extern const asset_t assets[];
extern const int n_assets;

/* The asset served at path (exact match), or NULL. */
const asset_t *asset_find(const char *path);

#endif
