/* plot: pictures of a trained network, drawn as images (image.h) for PNG
 * files (the `nntrain plot` command is src/cmd_plot.c).
 *
 *   weights    every unit of the first weight layer (the first hidden layer)
 *              as a rows x cols tile of its incoming weights: blue for
 *              positive, red for negative, white for zero; intensity is |w|
 *              over the largest |w| of that unit (or of the whole layer when
 *              global is set). Tiles in a near-square grid, 2 px apart.
 *   confusion  the confusion matrix [true][predicted] as shaded cells with
 *              the counts written in them: the diagonal in blue by the share
 *              of its row (the class's recall), other cells in red by count
 *              over the largest off-diagonal count, so the worst confusions
 *              are the reddest.
 *   errors     a sheet of misclassified images, in data set order, each with
 *              "P<predicted> T<true>" under it (P in red, T in green).
 *
 * Learning curves (SVG) are in curves.h. */
#ifndef NNTRAIN_PLOT_H
#define NNTRAIN_PLOT_H

#include "err.h"
#include "idx.h"
#include "image.h"
#include "net.h"

#define PLOT_GAP 2 /* pixels between tiles */

/* The weights grid of net's layer 0; rows * cols must be sizes[0]. Each
 * weight is a scale x scale block. */
int plot_weights(const net_t *net, int rows, int cols, int scale, int global, img_t *out,
                 err_t *err);

/* The confusion matrix conf (n, n), [true][predicted], 1 <= n <= 256. */
int plot_confusion(const long long *conf, int n, img_t *out, err_t *err);

/* The first max_images examples of d whose pred[i] != labels[i], images
 * scaled up by scale (dark ink on white). pred has d->n entries. */
int plot_errors(const dataset *d, const int *pred, int max_images, int scale, img_t *out,
                err_t *err);

/* pred[i] = the class net predicts for example i of d (forward passes in
 * batches, one thread). pred has d->n entries. */
int plot_predict(const net_t *net, const dataset *d, int *pred, err_t *err);

#endif
