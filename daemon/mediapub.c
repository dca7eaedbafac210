/*
 * mediapub: see mediapub.h.
 */
#include "mediapub.h"

#include "log.h"

size_t
mediapub_copy(const struct config *c, struct release *const *rs, size_t n)
{
	size_t failed = 0;
	struct media *md;
	char why[300];

	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; (md = release_medium(rs[i], j)) != NULL;
		    j++) {
			if (media_copy(md, c->releases_dir,
			    c->feed.follow_symlinks, c->feed.max_media_size,
			    c->output_dir, why, sizeof(why)) >= 0)
				continue;
			log_errx("%s: %s", rs[i]->path, why);
			failed++;
		}
	return failed;
}
