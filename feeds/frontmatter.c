/*
 * frontmatter: the fence, the limits, libyaml and the field table (see
 * frontmatter.h).
 */
#include "frontmatter.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "text.h"
#include "url.h"

/*
 * libyaml's time grows faster than the square of the nesting of flow
 * collections ("k: [[[[...": 20 000 deep took seconds, 200 000 minutes),
 * so front matter past these limits is refused before it is parsed.
 * Block (indented) nesting costs libyaml linear time and is bounded by the
 * size alone.
 */
#define FM_MAX_BYTES	(64 * 1024)
#define FM_MAX_DEPTH	32	/* '[' and '{' open at once */
#define FM_MAX_OPENS	1024	/* '[' and '{' in all, quoted or not */

/* ------------------------------------------------------------------ */
/* The fence */

static bool
is_fence(const char *s, size_t n, const char *fence)
{
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return n == 3 && memcmp(s, fence, 3) == 0;
}

int
frontmatter_split(struct release *r, struct release_error *err)
{
	const char *t = r->text, *p;
	size_t n = text_line_len(t);

	r->fm_off = r->fm_len = r->body_off = 0;
	r->body_line = 1;
	if (!is_fence(t, n, "---") || t[n] != '\n')
		return 0;
	r->fm_off = n + 1;
	for (p = t + r->fm_off; *p != '\0'; p += n + 1) {
		n = text_line_len(p);
		if (is_fence(p, n, "---") || is_fence(p, n, "...")) {
			r->fm_len = (size_t)(p - t) - r->fm_off;
			r->body_off = (size_t)(p - t) + n + (p[n] == '\n');
			r->body_line = text_line_of(t, r->body_off);
			return 0;
		}
		if (p[n] == '\0')
			break;
	}
	return release_error_set(err, 1, "the front matter opened on line 1 "
	    "is not closed: put a line '---' after its last field");
}

/* ------------------------------------------------------------------ */
/* Validation of single values */

/* A release's link: any absolute http(s) URL a reader can follow. */
static bool
is_http_url(const char *s)
{
	return url_check_http(s, URL_ALLOW_QUERY | URL_ALLOW_FRAGMENT |
	    URL_ALLOW_USER | URL_ALLOW_IRI) == NULL;
}

static bool
is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/*
 * An IRI as far as an id needs one: an RFC 3986 scheme (ALPHA *( ALPHA /
 * DIGIT / "+" / "-" / "." )), ':', at least one more character, and no
 * white space or control character anywhere. Feed readers compare ids as
 * strings, so nothing more is checked.
 */
static bool
is_iri(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (!is_alpha(*p))
		return false;
	while (is_alpha(*p) || (*p >= '0' && *p <= '9') || *p == '+' ||
	    *p == '-' || *p == '.')
		p++;
	if (*p != ':' || p[1] == '\0')
		return false;
	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p <= ' ' || *p == 0x7F)
			return false;
	return true;
}

/*
 * A YAML boolean, as YAML 1.2's core schema and YAML 1.1 write one: 1 for
 * true, 0 for false, -1 for anything else ("1", "ja", "sant", "maybe").
 */
static int
yaml_bool(const char *s)
{
	static const char *const yes[] = { "true", "True", "TRUE", "yes",
	    "Yes", "YES", "on", "On", "ON", "y", "Y" };
	static const char *const no[] = { "false", "False", "FALSE", "no",
	    "No", "NO", "off", "Off", "OFF", "n", "N" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcmp(s, yes[i]) == 0)
			return 1;
		if (strcmp(s, no[i]) == 0)
			return 0;
	}
	return -1;
}

/* ------------------------------------------------------------------ */
/* The fields */

enum field_type {
	FIELD_TEXT,	/* a string, trimmed; empty means unset */
	FIELD_LIST,	/* a string or a list of strings */
	FIELD_DATE,	/* date_parse(); sets a has_ flag */
	FIELD_BOOL,	/* a YAML boolean, unquoted; anything else is an error */
	FIELD_CONTACTS,	/* a list of mappings (struct contact) */
	FIELD_MEDIA,	/* a path or URL, or a mapping (struct media); */
			/* aux 0: one (a pointer), else a list's count */
};

/* What else a field's row asks for. */
enum field_flag {
	FIELD_NO_BLANK = 1 << 0,	/* a quoted blank value is an error */
	FIELD_SPLIT = 1 << 1,		/* a string is split at commas */
	/*
	 * The field can hold a release back (draft, an embargo date): a
	 * near miss of its key is an error, not a warning.
	 */
	FIELD_HOLDS = 1 << 2,
};

/*
 * One front matter field: its key, its shape, where it goes in struct
 * release (at), and what else it sets there (aux: a list's count, a
 * date's has_ flag). A FIELD_TEXT may have a
 * check, and rule says what the check wants ("'link' must be <rule>:
 * ..."). flags: enum field_flag. near: how many edits away an unknown key
 * is still taken for a near miss of this one (case never counts).
 */
struct field {
	const char *name;
	enum field_type type;
	size_t at, aux;
	bool (*valid)(const char *s);
	const char *rule;
	unsigned flags;
	unsigned near;
};

#define AT(member)	offsetof(struct release, member)
#define TEXT(name, member, valid, rule, flags) \
	{ name, FIELD_TEXT, AT(member), 0, valid, rule, flags, 1 }
#define LIST(name, member, count, flags) \
	{ name, FIELD_LIST, AT(member), AT(count), NULL, NULL, flags, 1 }
#define DATE(name, member, flag, flags) \
	{ name, FIELD_DATE, AT(member), AT(flag), NULL, NULL, flags, 1 }
#define BOOL(name, member, flags, near) \
	{ name, FIELD_BOOL, AT(member), 0, NULL, NULL, flags, near }
#define CONTACTS(name, member, count, flags) \
	{ name, FIELD_CONTACTS, AT(member), AT(count), NULL, NULL, flags, 1 }
#define MEDIA(name, member, count) \
	{ name, FIELD_MEDIA, AT(member), count, NULL, NULL, 0, 1 }

static const struct field fields[] = {
	TEXT("title", title, NULL, NULL, FIELD_NO_BLANK),
	TEXT("id", id, is_iri,
	    "an IRI such as tag:..., urn:uuid:... or https://...", 0),
	TEXT("summary", summary, NULL, NULL, 0),
	TEXT("type", type, NULL, NULL, 0),
	TEXT("lang", lang, NULL, NULL, 0),
	TEXT("link", link, is_http_url, "an absolute http(s) URL", 0),
	LIST("author", authors, nauthors, 0),
	LIST("tags", tags, ntags, FIELD_SPLIT),
	/* A mistyped date would publish an embargoed release now. */
	DATE("date", date, has_date, FIELD_HOLDS),
	DATE("updated", updated, has_updated, 0),
	/* "darft", "drafts": two edits, as draft is the costliest miss. */
	BOOL("draft", draft, FIELD_HOLDS, 2),
	TEXT("facts", facts, NULL, NULL, 0),
	CONTACTS("contacts", contacts, ncontacts, 0),
	MEDIA("image", image, 0),
	MEDIA("attachments", attachments, AT(nattachments)),
};

#define NFIELDS	(sizeof(fields) / sizeof(fields[0]))

static const struct field *
field_named(const char *key)
{
	for (size_t i = 0; i < NFIELDS; i++)
		if (strcmp(key, fields[i].name) == 0)
			return &fields[i];
	return NULL;
}

#define KEY_MAX	32	/* longer keys are no near miss of ours */

static char
lc(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/*
 * The edit distance between a and b, ASCII case ignored: insertions,
 * deletions, substitutions and swaps of two neighbours ("darft") count
 * one each (optimal string alignment). Both are shorter than KEY_MAX.
 */
static unsigned
distance(const char *a, const char *b)
{
	unsigned d[KEY_MAX + 1][KEY_MAX + 1];
	size_t n = strlen(a), m = strlen(b);

	for (size_t i = 0; i <= n; i++)
		d[i][0] = (unsigned)i;
	for (size_t j = 0; j <= m; j++)
		d[0][j] = (unsigned)j;
	for (size_t i = 1; i <= n; i++) {
		for (size_t j = 1; j <= m; j++) {
			unsigned c = lc(a[i - 1]) !=
			    lc(b[j - 1]);
			unsigned v = d[i - 1][j - 1] + c;

			if (d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && lc(a[i - 1]) ==
			    lc(b[j - 2]) &&
			    lc(a[i - 2]) ==
			    lc(b[j - 1]) &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	}
	return d[n][m];
}

/*
 * The known field an unknown key probably meant, or NULL: the key in
 * another case, or within the field's near edits. A field that holds a
 * release back wins over the others; then the nearest.
 */
static const struct field *
near_miss(const char *key)
{
	const struct field *best = NULL;
	unsigned bestd = 0;

	if (strlen(key) >= KEY_MAX)
		return NULL;
	for (size_t i = 0; i < NFIELDS; i++) {
		const struct field *f = &fields[i];
		unsigned d = distance(key, f->name);

		if (d > f->near)
			continue;
		if (best == NULL || ((f->flags & FIELD_HOLDS) &&
		    !(best->flags & FIELD_HOLDS)) || ((f->flags & FIELD_HOLDS)
		    == (best->flags & FIELD_HOLDS) && d < bestd)) {
			best = f;
			bestd = d;
		}
	}
	return best;
}

/* Where a field goes in r, as a pointer to type T. */
#define SLOT(T, r, off)	((T *)(void *)((char *)(r) + (off)))

/* The parse of one key's value, and where to report it. */
struct value {
	yaml_document_t *doc;
	yaml_node_t *node;
	size_t line;
};

static char *
scalar(const yaml_node_t *n)
{
	return strndup((const char *)n->data.scalar.value,
	    n->data.scalar.length);
}

static int
set_text(struct release *r, const struct field *f, const struct value *v,
    struct release_error *err)
{
	char **slot = SLOT(char *, r, f->at);

	if (v->node->type != YAML_SCALAR_NODE)
		return release_error_set(err, v->line, "'%s' must be a string",
		    f->name);
	free(*slot);
	*slot = text_trim_dup((const char *)v->node->data.scalar.value,
	    v->node->data.scalar.length);
	if (*slot == NULL)
		return release_error_oom(err);
	if (**slot == '\0') {
		free(*slot);
		*slot = NULL;
		/* "title:" means none; "title: ''" is a slip of the hand. */
		if ((f->flags & FIELD_NO_BLANK) &&
		    v->node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
			return release_error_set(err, v->line, "'%s' is blank: "
			    "write the %s, or remove the line", f->name,
			    f->name);
		return 0;
	}
	if (f->valid != NULL && !f->valid(*slot))
		return release_error_set(err, v->line, "'%s' must be %s: "
		    "\"%.80s\"", f->name, f->rule, *slot);
	return 0;
}

/*
 * "jul, marknad" -> "jul" and "marknad" into *out, as people type a list;
 * blank parts are dropped.
 */
static int
split_commas(const yaml_node_t *n, char ***out, size_t *nout,
    struct release_error *err)
{
	const char *s = (const char *)n->data.scalar.value, *end = s +
	    n->data.scalar.length;
	size_t cap = 1;

	for (const char *p = s; p < end; p++)
		cap += *p == ',';
	if ((*out = calloc(cap, sizeof(char *))) == NULL)
		return release_error_oom(err);
	while (s <= end) {
		const char *c = memchr(s, ',', (size_t)(end - s));
		char *part;

		if (c == NULL)
			c = end;
		if ((part = text_trim_dup(s, (size_t)(c - s))) == NULL)
			return release_error_oom(err);
		if (*part == '\0')
			free(part);
		else
			(*out)[(*nout)++] = part;
		s = c + 1;
	}
	return 0;
}

/*
 * The items of a field's value: a sequence's (*it set), or the value alone
 * as one item (*it NULL). Returns how many; 0 for an empty sequence or an
 * empty scalar.
 */
static size_t
value_items(const struct value *v, yaml_node_item_t **it)
{
	*it = NULL;
	if (v->node->type == YAML_SEQUENCE_NODE) {
		*it = v->node->data.sequence.items.start;
		return (size_t)(v->node->data.sequence.items.top - *it);
	}
	if (v->node->type == YAML_SCALAR_NODE &&
	    v->node->data.scalar.length == 0)
		return 0;
	return 1;
}

/* Item i of what value_items() found (NULL for a dangling reference). */
static yaml_node_t *
value_item(const struct value *v, yaml_node_item_t *it, size_t i)
{
	return it ? yaml_document_get_node(v->doc, it[i]) : v->node;
}

/* Fill *out (n strings) from a scalar or a sequence of scalars. */
static int
set_list(struct release *r, const struct field *f, const struct value *v,
    struct release_error *err)
{
	char ***out = SLOT(char **, r, f->at);
	size_t *nout = SLOT(size_t, r, f->aux), n;
	yaml_node_item_t *it = NULL;

	release_list_free(*out, *nout);
	*out = NULL;
	*nout = 0;
	if (v->node->type != YAML_SEQUENCE_NODE &&
	    v->node->type != YAML_SCALAR_NODE)
		goto shape;
	if ((n = value_items(v, &it)) == 0)
		return 0;
	if (it == NULL && (f->flags & FIELD_SPLIT))
		return split_commas(v->node, out, nout, err);
	if ((*out = calloc(n, sizeof(char *))) == NULL)
		return release_error_oom(err);
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *e = value_item(v, it, i);

		if (e == NULL || e->type != YAML_SCALAR_NODE)
			goto shape;
		if (((*out)[(*nout)++] = scalar(e)) == NULL)
			return release_error_oom(err);
	}
	return 0;
shape:
	return release_error_set(err, v->line, "'%s' must be a string or a "
	    "list of strings", f->name);
}

/*
 * A boolean holds a release back: only an unquoted true or false will do,
 * so "draft: ja" or "draft: 'no'" cannot publish a draft by mistake.
 */
static int
set_bool(struct release *r, const struct field *f, const struct value *v,
    const char *s, struct release_error *err)
{
	int b = yaml_bool(s);

	if (v->node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE && b >= 0)
		return release_error_set(err, v->line, "'%s' must be true or "
		    "false without quotes: \"%.60s\" is text", f->name, s);
	if (b < 0)
		return release_error_set(err, v->line, "'%s' must be true or "
		    "false, not \"%.60s\"", f->name, s);
	*SLOT(bool, r, f->at) = b == 1;
	return 0;
}

/*
 * A date. A local time the zone skips (spring forward) is an error; one
 * it has twice (autumn) is read as the later, so an embargo never lifts
 * early, with a warning that names the offset chosen.
 */
static int
set_date(struct release *r, const struct field *f, const struct value *v,
    const char *s, struct release_error *err)
{
	struct fp_time *t = SLOT(struct fp_time, r, f->at);
	enum date_local how;
	char off[DATE_OFFSZ];

	if (date_parse_local(s, t, &how) < 0)
		return release_error_set(err, v->line, "'%s' is not a date: "
		    "\"%.60s\" (use e.g. 2019-12-10T08:54:00+01:00 or "
		    "2019-12-10 08:54)", f->name, s);
	date_offset(t, off);
	switch (how) {
	case DATE_LOCAL_ONE:
		break;
	case DATE_LOCAL_GAP:
		return release_error_set(err, v->line, "'%s' %.40s does not "
		    "exist in %s: the clocks skip that hour (daylight saving "
		    "time); choose another time, or write its offset",
		    f->name, s, date_zone_name());
	case DATE_LOCAL_TWICE:
		if (release_diag_add(r, RELEASE_WARNING, v->line, "'%s' %.40s "
		    "happens twice in %s (the clocks go back): read as %s, "
		    "the later; write the offset to choose", f->name, s,
		    date_zone_name(), off) < 0)
			return release_error_oom(err);
		break;
	}
	*SLOT(bool, r, f->aux) = true;
	return 0;
}

/* A date or a boolean: one scalar. */
static int
set_single(struct release *r, const struct field *f, const struct value *v,
    struct release_error *err)
{
	char *s;
	int rc;

	if (v->node->type != YAML_SCALAR_NODE)
		return release_error_set(err, v->line, "'%s' must be a single "
		    "value", f->name);
	if ((s = scalar(v->node)) == NULL)
		return release_error_oom(err);
	rc = f->type == FIELD_BOOL ? set_bool(r, f, v, s, err) :
	    set_date(r, f, v, s, err);
	free(s);
	return rc;
}

/*
 * An e-mail address as a contact may give one: local@domain, no white
 * space, controls or characters that would end a mailto: URL or an
 * address in Atom ("<>\"(),;:[]\\" and a second '@').
 */
static bool
is_email(const char *s)
{
	const char *at = strchr(s, '@');

	if (at == NULL || at == s || at[1] == '\0' || strchr(at + 1, '@'))
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= ' ' || *p == 0x7F || strchr("<>\"(),;:[]\\", *p))
			return false;
	return true;
}

/* The keys of one contact, as struct contact holds them. */
static const struct {
	const char *key;
	size_t at;
} contact_keys[] = {
	{ "name", offsetof(struct contact, name) },
	{ "role", offsetof(struct contact, role) },
	{ "organisation", offsetof(struct contact, organisation) },
	{ "organization", offsetof(struct contact, organisation) },
	{ "phone", offsetof(struct contact, phone) },
	{ "email", offsetof(struct contact, email) },
};

/* One mapping (or a bare name) of the contacts list into *c. */
static int
set_contact(struct contact *c, const struct value *v, yaml_node_t *e,
    size_t i, struct release_error *err)
{
	if (e->type == YAML_SCALAR_NODE) {
		if ((c->name = text_trim_dup((const char *)e->data.scalar.value,
		    e->data.scalar.length)) == NULL)
			return release_error_oom(err);
		goto check;
	}
	if (e->type != YAML_MAPPING_NODE)
		goto shape;
	for (yaml_node_pair_t *p = e->data.mapping.pairs.start;
	    p < e->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(v->doc, p->key);
		yaml_node_t *val = yaml_document_get_node(v->doc, p->value);
		char **slot = NULL;

		if (k == NULL || val == NULL || k->type != YAML_SCALAR_NODE)
			goto shape;
		for (size_t j = 0; j < sizeof(contact_keys) /
		    sizeof(contact_keys[0]); j++)
			if (strlen(contact_keys[j].key) ==
			    k->data.scalar.length &&
			    memcmp(contact_keys[j].key, k->data.scalar.value,
			    k->data.scalar.length) == 0)
				slot = SLOT(char *, c, contact_keys[j].at);
		if (slot == NULL)
			continue;	/* unknown keys are kept for later */
		if (val->type != YAML_SCALAR_NODE)
			goto shape;
		free(*slot);
		if ((*slot = text_trim_dup((const char *)val->data.scalar.value,
		    val->data.scalar.length)) == NULL)
			return release_error_oom(err);
		if (**slot == '\0') {
			free(*slot);
			*slot = NULL;
		}
	}
check:
	if (c->name == NULL && c->organisation == NULL)
		return release_error_set(err, v->line, "contact %zu in "
		    "'contacts' needs a name or an organisation", i + 1);
	if (c->email != NULL && !is_email(c->email))
		return release_error_set(err, v->line, "contact %zu in "
		    "'contacts': not an e-mail address: \"%.80s\"", i + 1,
		    c->email);
	return 0;
shape:
	return release_error_set(err, v->line, "'contacts' must be a list of "
	    "contacts (name, role, organisation, phone, email)");
}

/* contacts: a list of set_contact()s (one mapping alone is one contact). */
static int
set_contacts(struct release *r, const struct field *f, const struct value *v,
    struct release_error *err)
{
	struct contact **out = SLOT(struct contact *, r, f->at);
	size_t *nout = SLOT(size_t, r, f->aux), n;
	yaml_node_item_t *it = NULL;

	release_contacts_free(*out, *nout);
	*out = NULL;
	*nout = 0;
	if ((n = value_items(v, &it)) == 0)
		return 0;
	if ((*out = calloc(n, sizeof(**out))) == NULL)
		return release_error_oom(err);
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *e = value_item(v, it, i);

		(*nout)++;
		if (e == NULL)
			return release_error_set(err, v->line, "'contacts' "
			    "must be a list of contacts");
		if (set_contact(&(*out)[i], v, e, i, err) < 0)
			return -1;
	}
	return 0;
}

/* The keys of one medium, as struct media holds them. */
static const struct {
	const char *key;
	size_t at;
} media_keys[] = {
	{ "src", offsetof(struct media, src) },
	{ "caption", offsetof(struct media, caption) },
	{ "credit", offsetof(struct media, credit) },
	{ "title", offsetof(struct media, title) },
};

#define NMEDIA_KEYS	(sizeof(media_keys) / sizeof(media_keys[0]))

/* A medium's place in the editor's words: "'image'", "attachment 2". */
static void
media_where(const struct field *f, size_t i, char *buf, size_t sz)
{
	if (f->aux == 0)
		snprintf(buf, sz, "'%s'", f->name);
	else
		snprintf(buf, sz, "attachment %zu in '%s'", i + 1, f->name);
}

/* One mapping's key into md; a key not in media_keys is an error. */
static int
set_media_key(struct media *md, const char *where, const yaml_node_t *k,
    const yaml_node_t *val, const struct value *v, struct release_error *err)
{
	char **slot = NULL;

	for (size_t j = 0; j < NMEDIA_KEYS; j++)
		if (strlen(media_keys[j].key) == k->data.scalar.length &&
		    memcmp(media_keys[j].key, k->data.scalar.value,
		    k->data.scalar.length) == 0)
			slot = SLOT(char *, md, media_keys[j].at);
	/* A mistyped caption would vanish: say so. */
	if (slot == NULL)
		return release_error_set(err, v->line, "%s: unknown key "
		    "'%.*s' (src, caption, credit, title)", where,
		    (int)(k->data.scalar.length > 40 ? 40 :
		    k->data.scalar.length), k->data.scalar.value);
	if (val->type != YAML_SCALAR_NODE)
		return release_error_set(err, v->line, "%s: '%.*s' must be a "
		    "string", where, (int)k->data.scalar.length,
		    k->data.scalar.value);
	free(*slot);
	if ((*slot = text_trim_dup((const char *)val->data.scalar.value,
	    val->data.scalar.length)) == NULL)
		return release_error_oom(err);
	if (**slot == '\0') {
		free(*slot);
		*slot = NULL;
	}
	return 0;
}

/* One medium: a bare path or URL, or a mapping with src. */
static int
set_medium(struct media *md, const struct field *f, const struct value *v,
    yaml_node_t *e, size_t i, struct release_error *err)
{
	char where[64];
	const char *why;

	media_where(f, i, where, sizeof(where));
	md->line = v->line;
	if (e->type == YAML_SCALAR_NODE) {
		if ((md->src = text_trim_dup((const char *)e->data.scalar.value,
		    e->data.scalar.length)) == NULL)
			return release_error_oom(err);
	} else if (e->type == YAML_MAPPING_NODE) {
		for (yaml_node_pair_t *p = e->data.mapping.pairs.start;
		    p < e->data.mapping.pairs.top; p++) {
			yaml_node_t *k = yaml_document_get_node(v->doc, p->key);
			yaml_node_t *val = yaml_document_get_node(v->doc,
			    p->value);

			if (k == NULL || val == NULL ||
			    k->type != YAML_SCALAR_NODE)
				goto shape;
			if (set_media_key(md, where, k, val, v, err) < 0)
				return -1;
		}
	} else {
		goto shape;
	}
	if (md->src == NULL || *md->src == '\0')
		return release_error_set(err, v->line, "%s needs a file or an "
		    "http(s) URL (src: photo.jpg)", where);
	if ((why = media_check_src(md->src)) != NULL)
		return release_error_set(err, v->line, "%s: \"%.80s\" %s",
		    where, md->src, why);
	return 0;
shape:
	return release_error_set(err, v->line, "%s must be a file name, a URL "
	    "or a mapping (src, caption, credit, title)", where);
}

/* image: one medium; attachments: a list of them (or one alone). */
static int
set_media(struct release *r, const struct field *f, const struct value *v,
    struct release_error *err)
{
	struct media **out = SLOT(struct media *, r, f->at);
	size_t *nout = f->aux ? SLOT(size_t, r, f->aux) : NULL, n;
	yaml_node_item_t *it = NULL;

	media_list_free(*out, nout ? *nout : 1);
	*out = NULL;
	if (nout != NULL)
		*nout = 0;
	n = value_items(v, &it);
	if (nout == NULL && it != NULL) {
		/* 'image' is one medium: set_medium() calls a list a mistake. */
		it = NULL;
		n = 1;
	}
	if (n == 0)
		return 0;
	if ((*out = calloc(n, sizeof(**out))) == NULL)
		return release_error_oom(err);
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *e = value_item(v, it, i);

		if (nout != NULL)
			(*nout)++;
		if (e == NULL)
			return release_error_set(err, v->line, "'%s' must be "
			    "a list of files", f->name);
		if (set_medium(&(*out)[i], f, v, e, i, err) < 0)
			return -1;
	}
	return 0;
}

static int
set_field(struct release *r, const struct field *f, const struct value *v,
    struct release_error *err)
{
	switch (f->type) {
	case FIELD_TEXT:
		return set_text(r, f, v, err);
	case FIELD_LIST:
		return set_list(r, f, v, err);
	case FIELD_DATE:
	case FIELD_BOOL:
		return set_single(r, f, v, err);
	case FIELD_CONTACTS:
		return set_contacts(r, f, v, err);
	case FIELD_MEDIA:
		return set_media(r, f, v, err);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Limits and libyaml */

/*
 * Refuse front matter that would take libyaml too long (FM_MAX_*). line is
 * that of s[0]. Depth is counted outside quoted strings and comments, the
 * way YAML reads them, so '[' in a title does not count; a quote opens only
 * where a scalar can start. That reading is a cheap guess, so every '['
 * and '{', quoted or not, also counts towards FM_MAX_OPENS, which bounds
 * the real depth whatever the guess gets wrong.
 */
static int
check_limits(const char *s, size_t n, size_t line, struct release_error *err)
{
	size_t depth = 0, opens = 0;
	char state = 0;		/* '\'' or '"': quoted; '#': a comment */
	char prev = '\n';	/* the last non-blank outside them */
	bool esc = false;	/* the next character is escaped */

	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if ((c == '[' || c == '{') && ++opens > FM_MAX_OPENS)
			return release_error_set(err, line, "front matter has "
			    "more than %d '[' and '{'", FM_MAX_OPENS);
		if (c == '\n') {
			line++;
			esc = false;
			if (state == '#')
				state = 0;
			if (state == 0)
				prev = c;
			continue;
		}
		if (esc) {
			esc = false;
			continue;
		}
		if (state == '#')
			continue;
		if (state != 0) {
			if (state == '"' && c == '\\')
				esc = true;
			else if (state == '\'' && c == '\'' && i + 1 < n &&
			    s[i + 1] == '\'')
				esc = true;	/* '' stands for ' */
			else if (c == state)
				state = 0;
			prev = c;
			continue;
		}
		if (c == ' ' || c == '\t')
			continue;
		if (c == '#' && (i == 0 || s[i - 1] == ' ' ||
		    s[i - 1] == '\t' || s[i - 1] == '\n')) {
			state = c;
		} else if ((c == '\'' || c == '"') &&
		    strchr("\n[{,:-?", prev) != NULL) {
			state = c;
		} else if ((c == '[' || c == '{') && ++depth > FM_MAX_DEPTH) {
			return release_error_set(err, line, "front matter nests "
			    "'[' and '{' more than %d deep", FM_MAX_DEPTH);
		} else if ((c == ']' || c == '}') && depth > 0) {
			depth--;
		}
		prev = c;
	}
	return 0;
}

/*
 * The commonest slips get a hint in the editor's words; the rest libyaml's
 * complaint. fm is the front matter (its first line is base + 1), and
 * line/col the 0-based place of libyaml's mark in it.
 */

/* The line'th line of fm (0-based) and its length in *n. */
static const char *
line_at(const char *fm, size_t len, size_t line, size_t *n)
{
	const char *p = fm, *end = fm + len, *nl;

	while (line-- > 0 && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL)
		p = nl + 1;
	nl = memchr(p, '\n', (size_t)(end - p));
	*n = (size_t)((nl != NULL ? nl : end) - p);
	return p;
}

/*
 * "title: Budget 2027: skatter": the second ': ' at col makes YAML read a
 * new field. Fills *err with how to quote it, or returns 0 when the line
 * is not a "key: value" with col past the key's colon.
 */
static int
colon_hint(const char *s, size_t n, size_t col, size_t lineno,
    struct release_error *err)
{
	size_t ind = strspn(s, " "), k;
	const char *sep = NULL, *v;
	char q = '"';

	for (k = ind; k + 1 < n; k++)
		if (s[k] == ':' && (s[k + 1] == ' ' || s[k + 1] == '\t')) {
			sep = s + k;
			break;
		}
	if (sep == NULL || col <= k || ind == k || strchr("-#'\"[{", s[ind]))
		return 0;
	v = sep + 1 + strspn(sep + 1, " \t");
	if (memchr(v, '"', n - (size_t)(v - s)) != NULL)
		q = '\'';
	return release_error_set(err, lineno, "the %.*s holds ': ', which "
	    "starts a new field: put the %.*s in quotes: %.*s: %c%.*s%c",
	    (int)(k - ind), s + ind, (int)(k - ind), s + ind,
	    (int)(k - ind), s + ind, q, (int)(n - (size_t)(v - s) > 80 ? 80 :
	    n - (size_t)(v - s)), v, q);
}

static int
yaml_error(const yaml_parser_t *parser, const char *fm, size_t len,
    size_t base, struct release_error *err)
{
	const char *problem = parser->problem ? parser->problem : "";
	size_t line = parser->problem_mark.line, n;
	const char *s = line_at(fm, len, line, &n);
	size_t ind = strspn(s, " \t");

	/* A quote left open runs to the end of the block. */
	if (parser->context != NULL && strstr(problem, "end of stream") &&
	    strstr(parser->context, "quoted scalar")) {
		size_t at = parser->context_mark.line;

		return release_error_set(err, base + at + 1, "the quote "
		    "opened on line %zu is not closed: end the value with %c",
		    base + at + 1, parser->context_mark.index < len ?
		    fm[parser->context_mark.index] : '"');
	}
	if (strstr(problem, "tab") != NULL || memchr(s, '\t', ind) != NULL)
		return release_error_set(err, base + line + 1, "this line is "
		    "indented with a tab: use spaces");
	if (strstr(problem, "mapping values are not allowed") != NULL &&
	    colon_hint(s, n, parser->problem_mark.column, base + line + 1,
	    err) < 0)
		return -1;
	/* An unclosed quote fails at the end: name where it began. */
	if (parser->context != NULL && strstr(problem, "end of stream"))
		line = parser->context_mark.line;
	return release_error_set(err, base + line + 1,
	    "invalid YAML in front matter: %s%s%s",
	    parser->problem ? parser->problem : "syntax error",
	    parser->context ? " " : "",
	    parser->context ? parser->context : "");
}

/*
 * A key that is not a field. A near miss of a field that holds a release
 * back is an error (a mistyped draft or date would publish it); of another
 * field, a warning; any other key is kept for templates, with a note.
 * key is NULL when too long to be a near miss; raw[0..n) is the key.
 */
static int
unknown_key(struct release *r, const char *key, const char *raw, size_t n,
    size_t line, struct release_error *err)
{
	const struct field *f = key != NULL ? near_miss(key) : NULL;
	int rc;

	if (f != NULL && (f->flags & FIELD_HOLDS))
		return release_error_set(err, line, "unknown field '%s': did "
		    "you mean '%s'?", key, f->name);
	if (f != NULL)
		rc = release_diag_add(r, RELEASE_WARNING, line, "unknown field "
		    "'%s': did you mean '%s'?", key, f->name);
	else
		rc = release_diag_add(r, RELEASE_NOTE, line, "field '%.*s' is "
		    "not one feedpubd uses: kept for templates",
		    (int)(n > 60 ? 60 : n), raw);
	return rc < 0 ? release_error_oom(err) : 0;
}

/* Set the known fields from the mapping at root; base: line of the '---'. */
static int
set_fields(struct release *r, yaml_document_t *doc, yaml_node_t *root,
    size_t base, struct release_error *err)
{
	if (root->type != YAML_MAPPING_NODE)
		return release_error_set(err, base + root->start_mark.line + 1,
		    "front matter must be a mapping of fields (title: ...)");
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
	    p < root->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key);
		struct value v = { doc, yaml_document_get_node(doc, p->value),
		    0 };
		const struct field *f;
		char key[KEY_MAX];
		size_t n;

		if (k == NULL || v.node == NULL || k->type != YAML_SCALAR_NODE)
			continue;
		v.line = base + k->start_mark.line + 1;
		n = k->data.scalar.length;
		memcpy(key, k->data.scalar.value, n < KEY_MAX ? n : KEY_MAX - 1);
		key[n < KEY_MAX ? n : KEY_MAX - 1] = '\0';
		if (n < KEY_MAX && (f = field_named(key)) != NULL) {
			if (set_field(r, f, &v, err) < 0)
				return -1;
		} else if (unknown_key(r, n < KEY_MAX ? key : NULL,
		    (const char *)k->data.scalar.value, n, v.line, err) < 0) {
			return -1;
		}
	}
	return 0;
}

int
frontmatter_parse(struct release *r, struct release_error *err)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	size_t base = text_line_of(r->text, r->fm_off) - 1;
	int rc;

	if (r->fm_len == 0)
		return 0;
	if (r->fm_len > FM_MAX_BYTES)
		return release_error_set(err, base, "front matter is larger "
		    "than %d KiB", FM_MAX_BYTES / 1024);
	if (check_limits(r->text + r->fm_off, r->fm_len, base + 1, err) < 0)
		return -1;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser,
	    (const unsigned char *)r->text + r->fm_off, r->fm_len);
	if (!yaml_parser_load(&parser, &doc)) {
		rc = yaml_error(&parser, r->text + r->fm_off, r->fm_len, base,
		    err);
		yaml_parser_delete(&parser);
		return rc;
	}
	root = yaml_document_get_root_node(&doc);
	rc = root == NULL ? 0 : set_fields(r, &doc, root, base, err);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return rc;
}
