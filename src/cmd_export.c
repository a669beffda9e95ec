/* cmd_export: `nntrain export -m MODEL -o FILE`: the model for other
 * programs, in the format of FILE's extension (export.h); a table model's
 * preprocessing (its data section, prep.h) goes with it. The command
 * table in src/main.c has checked the options. */
#include <stdio.h>

#include "cli.h"
#include "commands.h"
#include "export.h"

/* nntrain export -m MODEL -o FILE: the format from FILE's extension. */
int cmd_export(const cli_options *o)
{
    err_t err;
    err_clear(&err);
    export_format fmt;
    cli_model m;
    if (export_format_of(o->output, &fmt, &err) != 0 || cli_load_model(o->model, &m, &err) != 0)
        return cli_fail(&err);
    if (export_file_with(o->output, &m.net, m.has_prep ? &m.prep : NULL, &err) != 0) {
        cli_model_free(&m);
        return cli_fail(&err);
    }
    if (!o->quiet)
        printf("%s: %s%s model written to %s\n", o->model, m.has_prep ? "table " : "",
               fmt == EXPORT_ONNX ? "ONNX" : "NumPy", o->output);
    cli_model_free(&m);
    return 0;
}
