/*
 * feedmemo: see feedmemo.h. A chained hash table of (release stamp,
 * kind) with a doubly linked list in order of use: a hit moves to the
 * head, the tail goes once more than cap bytes are held.
 */
#include "feedmemo.h"

#include <stdlib.h>
#include <string.h>

struct node {
	struct node *chain;		/* the next in its bucket */
	struct node *newer, *older;	/* the use list */
	uint64_t key;			/* release stamp */
	enum feed_kind k;
	unsigned doc;			/* the document that used it last */
	size_t len;
	char bytes[];
};

struct feed_memo {
	struct node **bucket;
	size_t nbuckets;		/* a power of two */
	size_t n, used, cap;		/* used, cap: bytes */
	struct node *newest, *oldest;
	uint64_t meta;
	struct stamp_memo *sm;
	size_t hits;
	unsigned doc;			/* feed_memo_next_doc() */
};

/* A node's size as counted against cap: its bytes and its bookkeeping. */
static size_t
cost(size_t len)
{
	return sizeof(struct node) + len + 2 * sizeof(struct node *);
}

struct feed_memo *
feed_memo_new(size_t cap)
{
	struct feed_memo *fm = calloc(1, sizeof(*fm));

	if (fm == NULL)
		return NULL;
	fm->nbuckets = 1024;
	if ((fm->bucket = calloc(fm->nbuckets, sizeof(*fm->bucket))) ==
	    NULL) {
		free(fm);
		return NULL;
	}
	fm->cap = cap;
	return fm;
}

static struct node **
slot(struct feed_memo *fm, uint64_t key, enum feed_kind k)
{
	struct node **p = &fm->bucket[(key ^ (uint64_t)k * 0x9E3779B97F4A7C15ULL)
	    & (fm->nbuckets - 1)];

	while (*p != NULL && ((*p)->key != key || (*p)->k != k))
		p = &(*p)->chain;
	return p;
}

static void
unlink_use(struct feed_memo *fm, struct node *e)
{
	if (e->newer != NULL)
		e->newer->older = e->older;
	else
		fm->newest = e->older;
	if (e->older != NULL)
		e->older->newer = e->newer;
	else
		fm->oldest = e->newer;
	e->newer = e->older = NULL;
}

static void
link_newest(struct feed_memo *fm, struct node *e)
{
	e->older = fm->newest;
	e->newer = NULL;
	if (fm->newest != NULL)
		fm->newest->newer = e;
	fm->newest = e;
	if (fm->oldest == NULL)
		fm->oldest = e;
}

static void
drop(struct feed_memo *fm, struct node *e)
{
	struct node **p = slot(fm, e->key, e->k);

	*p = e->chain;
	unlink_use(fm, e);
	fm->used -= cost(e->len);
	fm->n--;
	free(e);
}

static void
drop_all(struct feed_memo *fm)
{
	while (fm->oldest != NULL)
		drop(fm, fm->oldest);
}

void
feed_memo_free(struct feed_memo *fm)
{
	if (fm == NULL)
		return;
	drop_all(fm);
	free(fm->bucket);
	free(fm);
}

void
feed_memo_begin(struct feed_memo *fm, uint64_t meta, struct stamp_memo *sm)
{
	if (fm == NULL)
		return;
	if (meta != fm->meta)
		drop_all(fm);
	fm->meta = meta;
	fm->sm = sm;
}

void
feed_memo_next_doc(struct feed_memo *fm)
{
	if (fm != NULL)
		fm->doc++;
}

size_t
feed_memo_bytes(const struct feed_memo *fm)
{
	return fm != NULL ? fm->used : 0;
}

size_t
feed_memo_hits(const struct feed_memo *fm)
{
	return fm != NULL ? fm->hits : 0;
}

/* r's stamp in this publish; 0: none (no memo, out of memory). */
static uint64_t
key_of(struct feed_memo *fm, const struct release *r)
{
	return fm == NULL || fm->sm == NULL ? 0 : stamp_release(fm->sm, r);
}

const char *
feed_memo_get(struct feed_memo *fm, enum feed_kind k,
    const struct release *r, size_t *len)
{
	uint64_t key = key_of(fm, r);
	struct node *e;

	if (key == 0 || (e = *slot(fm, key, k)) == NULL)
		return NULL;
	unlink_use(fm, e);
	link_newest(fm, e);
	e->doc = fm->doc;
	fm->hits++;
	*len = e->len;
	return e->bytes;
}

/* Twice the buckets once there are more nodes than buckets. */
static void
grow(struct feed_memo *fm)
{
	size_t nb = fm->nbuckets * 2;
	struct node **b = calloc(nb, sizeof(*b));

	if (b == NULL)
		return;		/* longer chains, still right */
	for (size_t i = 0; i < fm->nbuckets; i++)
		while (fm->bucket[i] != NULL) {
			struct node *e = fm->bucket[i];
			size_t j = (e->key ^ (uint64_t)e->k *
			    0x9E3779B97F4A7C15ULL) & (nb - 1);

			fm->bucket[i] = e->chain;
			e->chain = b[j];
			b[j] = e;
		}
	free(fm->bucket);
	fm->bucket = b;
	fm->nbuckets = nb;
}

void
feed_memo_put(struct feed_memo *fm, enum feed_kind k,
    const struct release *r, const char *data, size_t len)
{
	uint64_t key = key_of(fm, r);
	struct node **p, *e;

	if (key == 0 || cost(len) > fm->cap)
		return;
	if (*(p = slot(fm, key, k)) != NULL)
		return;		/* kept already */
	if ((e = malloc(sizeof(*e) + len)) == NULL)
		return;		/* rendered each time, still right */
	e->chain = NULL;
	e->key = key;
	e->k = k;
	e->len = len;
	e->doc = fm->doc;
	memcpy(e->bytes, data, len);
	*p = e;
	link_newest(fm, e);
	fm->used += cost(len);
	fm->n++;
	/* Not one the document under way found: it counts on its bytes. */
	while (fm->used > fm->cap && fm->oldest->doc != fm->doc)
		drop(fm, fm->oldest);
	if (fm->n > fm->nbuckets)
		grow(fm);
}
