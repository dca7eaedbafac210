/*
 * gitdates: see gitdates.h.
 */
#include "gitdates.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <git2.h>
#include <libxml/hash.h>

/* What the walk learnt of one file at HEAD. */
struct gitdate {
	struct fp_time first, last;
	bool has_last;		/* a commit changed its bytes */
	git_oid blob;		/* its bytes at HEAD */
};

struct gitdates {
	char *root;
	bool have_head;		/* head is the HEAD the dates are of */
	git_oid head;
	bool in_repo;		/* dates holds what git says */
	xmlHashTablePtr dates;	/* relpath -> struct gitdate */
	char warned[256];	/* the last warning given; "": none */
};

/* The walk's state: which file each name in the history was. */
struct walk {
	xmlHashTablePtr dates;	/* final path -> struct gitdate */
	xmlHashTablePtr names;	/* name at this point -> struct gitdate */
	git_oid next;		/* the parent of the last commit walked */
	bool nomem;
};

/* The names of files deleted later on: their history is no one's. */
static struct gitdate dead;

struct gitdates *
gitdates_new(const char *root)
{
	struct gitdates *g = calloc(1, sizeof(*g));

	if (g == NULL || (g->root = strdup(root)) == NULL) {
		free(g);
		return NULL;
	}
	git_libgit2_init();
	/*
	 * Hashing every object read again (a SHA-1 per tree) was half of a
	 * walk's time; the pack's own checksums and libgit2's parsing still
	 * stand between a damaged repository and a crash, and the worst a
	 * damaged tree that parses can do is give wrong dates.
	 */
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
	return g;
}

static void
free_entry(void *payload, const xmlChar *name)
{
	(void)name;
	free(payload);
}

void
gitdates_free(struct gitdates *g)
{
	if (g == NULL)
		return;
	xmlHashFree(g->dates, free_entry);
	free(g->root);
	free(g);
	git_libgit2_shutdown();
}

static struct fp_time
time_of(const git_commit *c)
{
	struct fp_time t = { .sec = (int64_t)git_commit_time(c),
	    .off = (int32_t)git_commit_time_offset(c) * 60 };

	return t;
}

/* The file a name stands for at this point of the walk (made if new). */
static struct gitdate *
file_named(struct walk *w, const char *name)
{
	struct gitdate *d = xmlHashLookup(w->names, BAD_CAST name);

	if (d != NULL)
		return d;
	if ((d = calloc(1, sizeof(*d))) == NULL ||
	    xmlHashAddEntry(w->dates, BAD_CAST name, d) < 0) {
		free(d);
		w->nomem = true;
		return &dead;
	}
	if (xmlHashAddEntry(w->names, BAD_CAST name, d) < 0)
		w->nomem = true;
	return d;
}

static void
rename_to(struct walk *w, const char *name, struct gitdate *d)
{
	if (xmlHashUpdateEntry(w->names, BAD_CAST name, d, NULL) < 0)
		w->nomem = true;
}

/*
 * One change of commit time t, seen walking from HEAD back: the newest
 * one a file sees sets its bytes and its last change, the oldest its
 * first date. Before an add (or a rename to it) its name was another
 * file's, or none.
 */
static void
take_delta(struct walk *w, const git_diff_delta *dl, struct fp_time t)
{
	const char *name = dl->new_file.path;
	struct gitdate *d;

	if (dl->status == GIT_DELTA_DELETED) {
		if (xmlHashLookup(w->names, BAD_CAST dl->old_file.path) == NULL)
			rename_to(w, dl->old_file.path, &dead);
		return;
	}
	if ((d = file_named(w, name)) == &dead) {
		if (dl->status == GIT_DELTA_RENAMED)
			rename_to(w, dl->old_file.path, &dead);
		return;
	}
	if (git_oid_is_zero(&d->blob))
		d->blob = dl->new_file.id;
	d->first = t;
	if (!d->has_last && (dl->status != GIT_DELTA_RENAMED ||
	    !git_oid_equal(&dl->old_file.id, &dl->new_file.id))) {
		d->last = t;
		d->has_last = true;
	}
	if (dl->status == GIT_DELTA_ADDED)
		rename_to(w, name, &dead);
	else if (dl->status == GIT_DELTA_RENAMED) {
		rename_to(w, name, &dead);
		rename_to(w, dl->old_file.path, d);
	}
}

/* c's tree at prefix ("": the root), or NULL when it has none. */
static int
subtree(git_repository *repo, const git_commit *c, const char *prefix,
    git_tree **out)
{
	git_tree *t;
	git_tree_entry *e;
	int rc;

	*out = NULL;
	if ((rc = git_commit_tree(&t, c)) < 0 || *prefix == '\0') {
		*out = rc < 0 ? NULL : t;
		return rc;
	}
	rc = git_tree_entry_bypath(&e, t, prefix);
	git_tree_free(t);
	if (rc == GIT_ENOTFOUND)
		return 0;
	if (rc < 0)
		return rc;
	if (git_tree_entry_type(e) == GIT_OBJECT_TREE)
		rc = git_tree_lookup(out, repo, git_tree_entry_id(e));
	git_tree_entry_free(e);
	return rc;
}

static bool
same_tree(const git_tree *a, const git_tree *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return git_oid_equal(git_tree_id(a), git_tree_id(b));
}

/* What a commit changed: blobs added, changed or gone. */
struct change {
	git_delta_t status;
	char *path;
	git_oid old, new;
};

struct changes {
	struct change *v;
	size_t n, cap;
	bool adds, dels;
};

static void
changes_clear(struct changes *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->v[i].path);
	c->n = 0;
	c->adds = c->dels = false;
}

static int
add_change(struct changes *c, git_delta_t st, const char *path,
    const git_tree_entry *old, const git_tree_entry *new)
{
	struct change *ch;

	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		struct change *v = realloc(c->v, cap * sizeof(*v));

		if (v == NULL) {
			git_error_set_oom();
			return -1;
		}
		c->v = v;
		c->cap = cap;
	}
	ch = &c->v[c->n];
	memset(ch, 0, sizeof(*ch));
	if ((ch->path = strdup(path)) == NULL) {
		git_error_set_oom();
		return -1;
	}
	ch->status = st;
	if (old != NULL)
		ch->old = *git_tree_entry_id(old);
	if (new != NULL)
		ch->new = *git_tree_entry_id(new);
	c->adds |= st == GIT_DELTA_ADDED;
	c->dels |= st == GIT_DELTA_DELETED;
	c->n++;
	return 0;
}

static int compare(git_repository *repo, const git_tree *a,
    const git_tree *b, const char *base, struct changes *c);

/* e's path under base into buf. Returns 0, or -1 when too long. */
static int
join(char *buf, size_t len, const char *base, const git_tree_entry *e)
{
	int n = snprintf(buf, len, "%s%s", base, git_tree_entry_name(e));

	return n < 0 || (size_t)n >= len - 1 ? -1 : 0;
}

/* Tree entries ea (before) and eb (after) of one name, or one NULL. */
static int
compare_entry(git_repository *repo, const git_tree_entry *ea,
    const git_tree_entry *eb, const char *base, struct changes *c)
{
	git_object_t ta = ea ? git_tree_entry_type(ea) : GIT_OBJECT_INVALID,
	    tb = eb ? git_tree_entry_type(eb) : GIT_OBJECT_INVALID;
	git_tree *a = NULL, *b = NULL;
	char path[PATH_MAX];
	int rc = 0;

	if (ea != NULL && eb != NULL &&
	    git_oid_equal(git_tree_entry_id(ea), git_tree_entry_id(eb)))
		return 0;
	if (join(path, sizeof(path), base, ea ? ea : eb) < 0)
		return 0;	/* no file under root can be that long */
	if (ta == GIT_OBJECT_BLOB && tb == GIT_OBJECT_BLOB)
		return add_change(c, GIT_DELTA_MODIFIED, path, ea, eb);
	if (ta == GIT_OBJECT_BLOB &&
	    (rc = add_change(c, GIT_DELTA_DELETED, path, ea, NULL)) < 0)
		return rc;
	if (tb == GIT_OBJECT_BLOB)
		return add_change(c, GIT_DELTA_ADDED, path, NULL, eb);
	if (ta != GIT_OBJECT_TREE && tb != GIT_OBJECT_TREE)
		return 0;	/* a submodule */
	strcat(path, "/");
	if ((ta == GIT_OBJECT_TREE &&
	    (rc = git_tree_lookup(&a, repo, git_tree_entry_id(ea))) < 0) ||
	    (tb == GIT_OBJECT_TREE &&
	    (rc = git_tree_lookup(&b, repo, git_tree_entry_id(eb))) < 0))
		goto out;
	rc = compare(repo, a, b, path, c);
out:
	git_tree_free(a);
	git_tree_free(b);
	return rc;
}

/*
 * The blobs that differ between a and b (NULL: empty), skipping the
 * subtrees whose oids are equal: the work is in what changed.
 */
static int
compare(git_repository *repo, const git_tree *a, const git_tree *b,
    const char *base, struct changes *c)
{
	size_t i = 0, j = 0, na = a ? git_tree_entrycount(a) : 0,
	    nb = b ? git_tree_entrycount(b) : 0;
	int rc = 0;

	while (rc == 0 && (i < na || j < nb)) {
		const git_tree_entry *ea = i < na ?
		    git_tree_entry_byindex(a, i) : NULL,
		    *eb = j < nb ? git_tree_entry_byindex(b, j) : NULL;
		int k = ea == NULL ? 1 : eb == NULL ? -1 :
		    git_tree_entry_cmp(ea, eb);

		rc = compare_entry(repo, k <= 0 ? ea : NULL,
		    k >= 0 ? eb : NULL, base, c);
		i += k <= 0;
		j += k >= 0;
	}
	return rc;
}

/*
 * A commit that both added and removed files may have renamed some: ask
 * libgit2's diff to pair them (exact or similar content).
 */
static int
take_renames(struct walk *w, git_repository *repo, git_tree *before,
    git_tree *now, struct fp_time t)
{
	git_diff_options o;
	git_diff_find_options fo;
	git_diff *diff = NULL;
	int rc;

	git_diff_options_init(&o, GIT_DIFF_OPTIONS_VERSION);
	git_diff_find_options_init(&fo, GIT_DIFF_FIND_OPTIONS_VERSION);
	fo.flags = GIT_DIFF_FIND_RENAMES;
	if ((rc = git_diff_tree_to_tree(&diff, repo, before, now, &o)) == 0 &&
	    (rc = git_diff_find_similar(diff, &fo)) == 0)
		for (size_t i = 0, n = git_diff_num_deltas(diff); i < n; i++)
			take_delta(w, git_diff_get_delta(diff, i), t);
	git_diff_free(diff);
	return rc;
}

/*
 * The changes c made under prefix, against its first parent. *now is
 * c's subtree when known (a first-parent walk meets each commit first as
 * the parent of the one before), else NULL with *known false; it becomes
 * the parent's, for the next commit.
 */
static int
walk_commit(struct walk *w, git_repository *repo, const git_commit *c,
    const char *prefix, struct changes *ch, git_tree **now, bool *known)
{
	git_commit *parent = NULL;
	git_tree *before = NULL;
	struct fp_time t = time_of(c);
	int rc = 0;

	if (!*known && (rc = subtree(repo, c, prefix, now)) < 0)
		return rc;
	if (git_commit_parentcount(c) > 0 &&
	    ((rc = git_commit_parent(&parent, c, 0)) < 0 ||
	    (rc = subtree(repo, parent, prefix, &before)) < 0))
		goto out;
	if (same_tree(*now, before))
		goto out;
	changes_clear(ch);
	if ((rc = compare(repo, before, *now, "", ch)) < 0)
		goto out;
	if (ch->adds && ch->dels) {
		rc = take_renames(w, repo, before, *now, t);
		goto out;
	}
	for (size_t i = 0; i < ch->n; i++) {
		git_diff_delta d;

		memset(&d, 0, sizeof(d));
		d.status = ch->v[i].status;
		d.old_file.path = d.new_file.path = ch->v[i].path;
		d.old_file.id = ch->v[i].old;
		d.new_file.id = ch->v[i].new;
		take_delta(w, &d, t);
	}
out:
	git_tree_free(*now);
	*now = before;
	*known = rc == 0 && parent != NULL;
	if (*known)
		w->next = *git_commit_id(parent);
	git_commit_free(parent);
	if (rc < 0)
		git_tree_free(before), *now = NULL;
	return rc;
}

/*
 * Every commit from HEAD back, along first parents, or only down to stop
 * (not NULL: an ancestor of HEAD). Returns 0, 1 when the first parents do
 * not lead to stop (walk it all instead), or a libgit2 error.
 */
static int
walk_all(struct walk *w, git_repository *repo, const char *prefix,
    const git_oid *stop)
{
	struct changes ch = { .v = NULL };
	git_tree *now = NULL;
	bool known = false;
	git_revwalk *rw;
	git_oid oid;
	int rc;

	if ((rc = git_revwalk_new(&rw, repo)) < 0)
		return rc;
	git_revwalk_simplify_first_parent(rw);
	if ((rc = git_revwalk_push_head(rw)) < 0 ||
	    (stop != NULL && (rc = git_revwalk_hide(rw, stop)) < 0))
		goto out;
	while (!w->nomem && (rc = git_revwalk_next(&oid, rw)) == 0) {
		git_commit *c;

		if ((rc = git_commit_lookup(&c, repo, &oid)) < 0)
			break;
		if (known && !git_oid_equal(&oid, &w->next)) {
			git_tree_free(now);
			now = NULL;
			known = false;
		}
		rc = walk_commit(w, repo, c, prefix, &ch, &now, &known);
		git_commit_free(c);
		if (rc < 0)
			break;
	}
	if (rc == GIT_ITEROVER)
		rc = stop == NULL || (known && git_oid_equal(&w->next, stop)) ?
		    0 : 1;
out:
	git_tree_free(now);
	changes_clear(&ch);
	free(ch.v);
	git_revwalk_free(rw);
	return rc;
}

/*
 * After a walk down to the HEAD of old: what the walk met of a file there
 * takes old's earlier dates, and the files it did not meet stay as old
 * has them.
 */
static void
merge_one(void *payload, void *data, const xmlChar *name)
{
	const struct gitdate *o = payload;
	struct walk *w = data;
	struct gitdate *e = xmlHashLookup(w->names, name);

	if (e == &dead)
		return;
	if (e == NULL) {
		if ((e = malloc(sizeof(*e))) == NULL ||
		    xmlHashAddEntry(w->dates, name, e) < 0) {
			free(e);
			w->nomem = true;
			return;
		}
		*e = *o;
		return;
	}
	e->first = o->first;
	if (!e->has_last) {
		e->last = o->last;
		e->has_last = o->has_last;
	}
}

/* root's path in the work tree of repo into prefix. Returns 0, or -1. */
static int
prefix_of(git_repository *repo, const char *root, char *prefix, size_t len)
{
	const char *wd = git_repository_workdir(repo);
	char rr[PATH_MAX], rw[PATH_MAX];
	size_t n;

	if (wd == NULL || realpath(root, rr) == NULL ||
	    realpath(wd, rw) == NULL)
		return -1;
	n = strlen(rw);
	if (strncmp(rr, rw, n) != 0 || (rr[n] != '\0' && rr[n] != '/'))
		return -1;
	if (snprintf(prefix, len, "%s", rr[n] == '/' ? rr + n + 1 : "") >=
	    (int)len)
		return -1;
	return 0;
}

static void
forget(struct gitdates *g)
{
	xmlHashFree(g->dates, free_entry);
	g->dates = NULL;
	g->in_repo = g->have_head = false;
}

/* Fill why; 1 when it is news (not the last warning given). */
static int
warn(struct gitdates *g, char *why, size_t whylen, const char *what)
{
	const git_error *e = git_error_last();

	forget(g);
	snprintf(why, whylen, "%s%s%s; undated releases take their file's "
	    "time", what, e != NULL && e->message != NULL ? ": " : "",
	    e != NULL && e->message != NULL ? e->message : "");
	if (strcmp(g->warned, why) == 0)
		return 0;
	snprintf(g->warned, sizeof(g->warned), "%s", why);
	return 1;
}

int
gitdates_refresh(struct gitdates *g, char *why, size_t whylen)
{
	git_repository *repo = NULL;
	struct walk w = { .nomem = false };
	char prefix[PATH_MAX];
	git_oid head;
	bool since;
	int rc;

	git_error_clear();
	rc = git_repository_open_ext(&repo, g->root, 0, NULL);
	if (rc == GIT_ENOTFOUND || (rc == 0 && git_repository_is_bare(repo))) {
		git_repository_free(repo);
		forget(g);
		g->warned[0] = '\0';
		return 0;
	}
	if (rc < 0)
		return warn(g, why, whylen, "cannot open the git repository");
	if (git_repository_is_shallow(repo) == 1) {
		git_repository_free(repo);
		git_error_clear();
		return warn(g, why, whylen, "a shallow clone lacks the first "
		    "commits");
	}
	if ((rc = git_reference_name_to_id(&head, repo, "HEAD")) < 0) {
		git_repository_free(repo);
		if (rc == GIT_ENOTFOUND || rc == GIT_EUNBORNBRANCH) {
			forget(g);	/* no commit yet */
			g->in_repo = true;
			g->warned[0] = '\0';
			return 0;
		}
		return warn(g, why, whylen, "cannot read HEAD");
	}
	if (g->have_head && git_oid_equal(&head, &g->head)) {
		git_repository_free(repo);
		return 0;
	}
	if (prefix_of(repo, g->root, prefix, sizeof(prefix)) < 0) {
		git_repository_free(repo);
		forget(g);
		return 0;
	}
	/* A HEAD that moved on from the last: only the new commits. */
	since = g->have_head && g->dates != NULL &&
	    git_graph_descendant_of(repo, &head, &g->head) == 1;
	rc = 1;
	for (int pass = 0; rc == 1 && pass < 2; pass++, since = false) {
		xmlHashFree(w.dates, free_entry);
		xmlHashFree(w.names, NULL);
		w.dates = xmlHashCreate(256);
		w.names = xmlHashCreate(256);
		if (w.dates == NULL || w.names == NULL)
			w.nomem = true;
		else
			rc = walk_all(&w, repo, prefix, since ? &g->head :
			    NULL);
		if (rc == 0 && since)
			xmlHashScan(g->dates, merge_one, &w);
	}
	git_repository_free(repo);
	xmlHashFree(w.names, NULL);
	if (w.nomem || rc < 0) {
		xmlHashFree(w.dates, free_entry);
		if (w.nomem)
			git_error_clear();
		return warn(g, why, whylen, w.nomem ? "out of memory reading "
		    "the git history" : "cannot read the git history");
	}
	forget(g);
	g->dates = w.dates;
	g->head = head;
	g->have_head = g->in_repo = true;
	g->warned[0] = '\0';
	return 0;
}

enum gitdate_result
gitdates_lookup(const struct gitdates *g, const char *relpath,
    const char *buf, size_t len, struct fp_time *first, struct fp_time *last)
{
	const struct gitdate *d;
	git_oid oid;

	if (g == NULL || !g->in_repo)
		return GITDATE_NONE;
	if (g->dates == NULL ||
	    (d = xmlHashLookup(g->dates, BAD_CAST relpath)) == NULL ||
	    git_odb_hash(&oid, buf, len, GIT_OBJECT_BLOB) < 0 ||
	    !git_oid_equal(&oid, &d->blob))
		return GITDATE_UNCOMMITTED;
	*first = d->first;
	*last = d->has_last ? d->last : d->first;
	return GITDATE_FOUND;
}
