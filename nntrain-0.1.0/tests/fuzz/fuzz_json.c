/* libFuzzer harness: the JSON reader (src/json.c, json_parse), which reads
 * the request bodies of `nntrain serve`. Errors must come back as -1 with a
 * message; a parsed document must be well formed: every subtree inside its
 * parent, child counts matching, strings NUL-terminated, numbers finite.
 * Every string is then written back with json_put_str. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "json: %s\n", what);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_doc d;
    err_t err;
    err_clear(&err);
    int rc = json_parse((const char *)data, size, 4096, &d, &err);
    if (rc != 0) {
        check(rc == -1 && err.msg[0] != '\0', "an error without a message");
        return 0;
    }
    check(d.n >= 1 && d.nodes[0].end == d.n, "the top value does not span the document");
    json_buf b = {0};
    for (int i = 0; i < d.n; i++) {
        const json_node *nd = &d.nodes[i];
        check(nd->end > i && nd->end <= d.n, "a subtree outside the document");
        if (nd->type == JSON_ARRAY || nd->type == JSON_OBJECT) {
            int kids = 0;
            for (int k = i + 1; k < nd->end; k = d.nodes[k].end)
                kids++;
            check(kids == (nd->type == JSON_OBJECT ? 2 : 1) * nd->len, "a wrong child count");
        } else {
            check(nd->end == i + 1, "a scalar with children");
        }
        if (nd->type == JSON_NUMBER)
            check(isfinite(nd->num), "a number that is not finite");
        if (nd->type == JSON_STRING) {
            check(strlen(nd->str) == (size_t)nd->len, "a string with a NUL inside");
            json_put_str(&b, nd->str);
        }
    }
    json_buf_free(&b);
    json_doc_free(&d);
    return 0;
}
