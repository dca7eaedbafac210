/*
 * mediapub: put the releases' local media (feeds/media.h) in the output
 * folder before anything that links them is written.
 */
#ifndef DAEMON_MEDIAPUB_H
#define DAEMON_MEDIAPUB_H

#include <stddef.h>

#include "config/config.h"
#include "feeds/release.h"

/*
 * Copy the local media of rs[0..n) to c->output_dir/media/<slug>/, each
 * only when its bytes changed (a file edited since its release was read
 * is copied again, and its size in the release follows). A file that
 * cannot be copied is logged; what was there stays. Returns how many
 * failed.
 */
size_t mediapub_copy(const struct config *c, struct release *const *rs,
    size_t n);

/*
 * Remove the copies under c->output_dir/media/ that no release of
 * rs[0..n) names any more (a release deleted, a file it no longer uses),
 * and the folders left empty. Call it once the pages and feeds that
 * linked them are replaced. Hidden files are left alone. Returns how
 * many files it removed.
 */
size_t mediapub_prune(const struct config *c, struct release *const *rs,
    size_t n);

#endif
