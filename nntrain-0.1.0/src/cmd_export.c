/* cmd_export: `nntrain export -m MODEL -o FILE`: the model for other
 * programs, in the format of FILE's extension (export.h). The command
 * table in src/main.c has checked the options. */
#include <stdio.h>

#include "cli.h"
#include "commands.h"
#include "export.h"
#include "model.h"
#include "net.h"

/* nntrain export -m MODEL -o FILE: the format from FILE's extension. */
int cmd_export(const cli_options *o)
{
    err_t err;
    err_clear(&err);
    export_format fmt;
    net_t net = {0};
    if (export_format_of(o->output, &fmt, &err) != 0 || model_load(o->model, &net, &err) != 0 ||
        export_file(o->output, &net, &err) != 0) {
        net_free(&net);
        return cli_fail(&err);
    }
    if (!o->quiet)
        printf("%s: %s model written to %s\n", o->model, fmt == EXPORT_ONNX ? "ONNX" : "NumPy",
               o->output);
    net_free(&net);
    return 0;
}
