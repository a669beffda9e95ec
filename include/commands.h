/* commands: the program's commands (src/cmd_*.c), each a function of the
 * parsed command line. The table that names them, parses their options
 * and checks them is in src/main.c (COMMANDS[] and OPTIONS[]); this
 * header is the program's only, never the library's. */
#ifndef NNTRAIN_COMMANDS_H
#define NNTRAIN_COMMANDS_H

#include "cli.h"
#include "reduce.h"
#include "sweep.h"

/* Every command's options, as main() parsed them from one table; a
 * command reads the ones its row in COMMANDS[] allows (the others stay
 * at their defaults). */
typedef struct {
    cli_command command;         /* the command's name and usage, for its own usage errors */
    const char *config;          /* -c */
    const char *model;           /* -m */
    const char *output;          /* -o (export, plot) */
    const char *data_dir;        /* --data-dir */
    const char *images, *labels; /* --images, --labels */
    const char *resume;          /* --resume (train) */
    int pause_after;             /* > 0: stop after this epoch with a checkpoint (a sweep's rung) */
    const char *overrides[CLI_MAX_OVERRIDES]; /* -s, in order */
    int n_overrides;
    int all_digits;              /* --all-digits (predict) */
    int port;                    /* --port (serve; default 8080) */
    const char *bind;            /* --bind (serve; default 127.0.0.1) */
    int threads;                 /* --threads (serve; 0: one per core) */
    int rows, cols, scale, max_images, global; /* plot (0: the picture's default) */
    int quiet;                   /* -q */
    int silent;                  /* not even the final accuracy line (sweep trials) */
    char **files;                /* operands */
    int n_files;
} cli_options;

/* Each returns the process's exit code, its errors printed once:
 * 0 done, 1 runtime failure, 2 bad usage or input, 128+N stopped by
 * signal N. */
int cmd_train(const cli_options *o);   /* src/cmd_train.c: a run, or a sweep */
int cmd_eval(const cli_options *o);    /* src/cmd_eval.c */
int cmd_predict(const cli_options *o); /* src/cmd_predict.c */
int cmd_export(const cli_options *o);  /* src/cmd_export.c */
int cmd_describe(const cli_options *o); /* src/cmd_describe.c */
int cmd_plot(const cli_options *o);    /* src/cmd_plot.c: files[0] is the picture */
int cmd_serve(const cli_options *o);   /* src/cmd_serve.c */

/* src/cmd_sweep.c: the train command with a config that has a sweep:
 * section (base: the config without it, loaded and validated). */
int cmd_sweep(const cli_options *o, const cfg_t *base, const sweep_spec *spec);

/* src/cmd_run.c: one training run as the train command makes it (run.h's
 * steps with the banner, epoch lines, metrics file and signals), for the
 * MPI ranks of group (NULL: this process alone); *res (a sweep's trial)
 * gets its figures when given. Returns the exit code, the error printed.
 * With o->pause_after the run stops after that epoch, its checkpoint
 * written, and returns 0 with res->paused set (no model saved, no test). */
int train_one(const cli_options *o, const cfg_t *c, const reduce_group *group,
              sweep_result *res);

/* The signal (SIGINT, SIGTERM) that stopped the last train_one, or 0. */
int train_stop_signal(void);

#endif
