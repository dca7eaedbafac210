/*
 * mediapub: see mediapub.h.
 */
#include "mediapub.h"

#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "feeds/output.h"
#include "log.h"

size_t
mediapub_copy(const struct config *c, struct release *const *rs, size_t n)
{
	/* A batch: an fsync per copy made 2000 photos take seconds. */
	struct output_batch *b = output_batch_new(c->output_dir);
	size_t failed = 0, staged = 0;
	struct media *md;
	char why[300];
	int rc;

	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; (md = release_medium(rs[i], j)) != NULL;
		    j++) {
			rc = media_copy(md, c->releases_dir,
			    c->feed.follow_symlinks, c->feed.max_media_size,
			    c->output_dir, b, why, sizeof(why));
			if (rc >= 0) {
				staged += rc == 1;
				continue;
			}
			log_errx("%s: %s", rs[i]->path, why);
			failed++;
		}
	if (staged > 0 && output_batch_sync(b) < 0) {
		log_err("cannot write the media in %s/media", c->output_dir);
		failed += staged;
	}
	output_batch_free(b);
	return failed;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The copies rs[0..n) name ("media/slug/x.jpg"), sorted; NULL: no memory. */
static const char **
names_in_use(struct release *const *rs, size_t n, size_t *count)
{
	const struct media *md;
	const char **v;
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; (md = release_medium(rs[i], j)) != NULL; j++)
			k += md->name != NULL;
	if ((v = malloc((k + 1) * sizeof(*v))) == NULL)
		return NULL;
	*count = 0;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; (md = release_medium(rs[i], j)) != NULL; j++)
			if (md->name != NULL)
				v[(*count)++] = md->name;
	qsort(v, *count, sizeof(*v), by_name);
	return v;
}

/* Remove the files of media/<slug> not in v[0..nv); then the folder if empty. */
/* d's entry e is of type t (S_IFREG, S_IFDIR), not followed if a link. */
static bool
is_type(DIR *d, const struct dirent *e, mode_t t)
{
	struct stat st;

	if (e->d_type != DT_UNKNOWN)
		return (t == S_IFREG && e->d_type == DT_REG) ||
		    (t == S_IFDIR && e->d_type == DT_DIR);
	return fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    (st.st_mode & S_IFMT) == t;
}

static size_t
prune_folder(const char *out, const char *slug, const char **v, size_t nv)
{
	char dir[4096], path[4096 + 256], name[600];
	const char *key = name;
	struct dirent *e;
	size_t removed = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/media/%s", out, slug);
	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || !is_type(d, e, S_IFREG))
			continue;
		snprintf(name, sizeof(name), "media/%s/%s", slug, e->d_name);
		if (bsearch(&key, v, nv, sizeof(*v), by_name) != NULL)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (unlink(path) == 0)
			removed++;
		else
			log_err("cannot remove %s", path);
	}
	closedir(d);
	(void)rmdir(dir);	/* fails while anything is left: fine */
	return removed;
}

size_t
mediapub_prune(const struct config *c, struct release *const *rs, size_t n)
{
	char dir[4096];
	const char **v;
	size_t nv = 0, removed = 0;
	struct dirent *e;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/media", c->output_dir);
	if ((d = opendir(dir)) == NULL)
		return 0;
	if ((v = names_in_use(rs, n, &nv)) == NULL) {
		closedir(d);
		return 0;	/* out of memory: remove nothing */
	}
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.' && is_type(d, e, S_IFDIR))
			removed += prune_folder(c->output_dir, e->d_name, v, nv);
	closedir(d);
	free(v);
	return removed;
}
