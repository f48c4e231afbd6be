/*
 * selector.c - Kubernetes label selector parsing and matching (see
 * selector.h).  The grammar and the checks follow apimachinery's
 * pkg/labels/selector.go: identifiers are runs of characters other than
 * blanks and the symbols ! = ( ) , < >, then checked as label keys and values.
 */
#include "adapter/serve/selector.h"

#include <stdlib.h>
#include <string.h>

#include "common/str.h"

struct sel_lex {
	const char *s;
	const char *p;
};

static bool sel_special(char c)
{
	return c == '!' || c == '=' || c == '(' || c == ')' || c == ',' ||
	       c == '<' || c == '>';
}

static bool sel_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	       c == '\v';
}

static void sel_skip(struct sel_lex *l)
{
	while (*l->p && sel_blank(*l->p))
		l->p++;
}

/* An identifier token: copies it into out (size 256). */
static size_t sel_ident(struct sel_lex *l, char *out)
{
	size_t n = 0;

	sel_skip(l);
	while (l->p[n] && !sel_blank(l->p[n]) && !sel_special(l->p[n]))
		n++;
	if (n < 256) {
		memcpy(out, l->p, n);
		out[n] = '\0';
	}
	l->p += n;
	return n;
}

static bool sel_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

/* [A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?, at most max chars. */
static bool sel_name_ok(const char *s, size_t n, size_t max)
{
	if (n == 0 || n > max || !sel_alnum(s[0]) || !sel_alnum(s[n - 1]))
		return false;
	for (size_t i = 1; i + 1 < n; i++)
		if (!sel_alnum(s[i]) && s[i] != '-' && s[i] != '_' &&
		    s[i] != '.')
			return false;
	return true;
}

/* DNS-1123 subdomain: lower case labels joined by dots, <= 253. */
static bool sel_dns_ok(const char *s, size_t n)
{
	size_t start = 0;

	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '.') {
			char c = s[i];
			if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			      c == '-'))
				return false;
			continue;
		}
		if (i == start || s[start] == '-' || s[i - 1] == '-')
			return false;
		start = i + 1;
	}
	return true;
}

static int sel_check_key(const char *k, struct err *e)
{
	const char *slash = strchr(k, '/');
	bool ok = slash ? sel_dns_ok(k, (size_t)(slash - k)) &&
				  sel_name_ok(slash + 1, strlen(slash + 1), 63)
			: sel_name_ok(k, strlen(k), 63);

	if (!ok)
		return err_set(e, ERR_INVAL,
			       "unable to parse requirement: invalid label "
			       "key \"%s\": a qualified name must be at most "
			       "63 alphanumeric characters, '-', '_' or '.' "
			       "(starting and ending alphanumeric), with an "
			       "optional DNS subdomain prefix and '/'", k);
	return 0;
}

static int sel_check_value(const char *v, struct err *e)
{
	if (*v && !sel_name_ok(v, strlen(v), 63))
		return err_set(e, ERR_INVAL,
			       "unable to parse requirement: invalid label "
			       "value \"%s\": must be empty or at most 63 "
			       "alphanumeric characters, '-', '_' or '.', "
			       "starting and ending alphanumeric", v);
	return 0;
}

static int sel_add_value(struct sel_req *r, const char *v, struct err *e)
{
	char **nv;

	if (r->nvalues == SEL_MAX_VALUES)
		return err_set(e, ERR_LIMIT, "more than %d values for %s",
			       SEL_MAX_VALUES, r->key);
	nv = realloc(r->values, (r->nvalues + 1) * sizeof(*nv));
	if (!nv)
		return err_set(e, ERR_NOMEM, "out of memory");
	r->values = nv;
	r->values[r->nvalues] = strdup(v);
	if (!r->values[r->nvalues])
		return err_set(e, ERR_NOMEM, "out of memory");
	r->nvalues++;
	return 0;
}

/* "(v1, v2, ...)" after in/notin. */
static int sel_set(struct sel_lex *l, struct sel_req *r, struct err *e)
{
	char v[256];
	int rc;

	sel_skip(l);
	if (*l->p != '(')
		return err_set(e, ERR_INVAL, "unable to parse requirement: "
			       "expected '(' after '%s %s'", r->key,
			       r->op == SEL_IN ? "in" : "notin");
	l->p++;
	for (;;) {
		if (sel_ident(l, v) >= 256)
			return err_set(e, ERR_INVAL, "label value too long");
		rc = sel_check_value(v, e);
		if (!rc)
			rc = sel_add_value(r, v, e);
		if (rc)
			return rc;
		sel_skip(l);
		if (*l->p == ')')
			break;
		if (*l->p != ',')
			return err_set(e, ERR_INVAL, "unable to parse "
				       "requirement: expected ',' or ')' in "
				       "the values of '%s'", r->key);
		l->p++;
	}
	l->p++;
	if (r->nvalues == 1 && !r->values[0][0])
		return err_set(e, ERR_INVAL, "for 'in', 'notin' operators, "
			       "values set can't be empty");
	return 0;
}

/* The operator after a key; SEL_EXISTS when none follows. */
static int sel_op(struct sel_lex *l, enum sel_op *op)
{
	char w[256];
	const char *save;

	sel_skip(l);
	if (!*l->p || *l->p == ',') {
		*op = SEL_EXISTS;
		return 0;
	}
	if (l->p[0] == '=' || (l->p[0] == '!' && l->p[1] == '=')) {
		*op = l->p[0] == '=' ? SEL_EQ : SEL_NEQ;
		l->p += (l->p[0] == '!' || l->p[1] == '=') ? 2 : 1;
		return 0;
	}
	if (*l->p == '>' || *l->p == '<') {
		*op = *l->p++ == '>' ? SEL_GT : SEL_LT;
		return 0;
	}
	save = l->p;
	sel_ident(l, w);
	if (strcmp(w, "in") == 0 || strcmp(w, "notin") == 0) {
		*op = w[0] == 'i' ? SEL_IN : SEL_NOTIN;
		return 0;
	}
	l->p = save;
	return ERR_INVAL;
}

static int sel_single_value(struct sel_lex *l, struct sel_req *r,
			    struct err *e)
{
	char v[256];
	int64_t n;
	int rc;

	if (sel_ident(l, v) >= 256)
		return err_set(e, ERR_INVAL, "label value too long");
	if ((r->op == SEL_GT || r->op == SEL_LT) &&
	    str_parse_i64(v, strlen(v), &n, NULL))
		return err_set(e, ERR_INVAL, "unable to parse requirement: "
			       "for 'Gt', 'Lt' operators, the value must be "
			       "an integer, not \"%s\"", v);
	rc = sel_check_value(v, e);
	return rc ? rc : sel_add_value(r, v, e);
}

static int sel_requirement(struct sel_lex *l, struct sel_req *r,
			   struct err *e)
{
	char key[256];
	bool not = false;
	int rc;

	sel_skip(l);
	if (*l->p == '!') {
		not = true;
		l->p++;
	}
	if (sel_ident(l, key) >= 256 || !key[0])
		return err_set(e, ERR_INVAL, "unable to parse requirement: "
			       "expected a label key at position %zu",
			       (size_t)(l->p - l->s));
	rc = sel_check_key(key, e);
	if (rc)
		return rc;
	r->key = strdup(key);
	if (!r->key)
		return err_set(e, ERR_NOMEM, "out of memory");
	if (not) {
		r->op = SEL_NOT_EXISTS;
		return 0;
	}
	if (sel_op(l, &r->op))
		return err_set(e, ERR_INVAL, "unable to parse requirement: "
			       "found '%.20s', expected: in, notin, =, ==, "
			       "!=, gt, lt", l->p);
	if (r->op == SEL_EXISTS)
		return 0;
	if (r->op == SEL_IN || r->op == SEL_NOTIN)
		return sel_set(l, r, e);
	return sel_single_value(l, r, e);
}

int sel_parse(struct selector *sel, const char *text, struct err *e)
{
	struct sel_lex l = { text ? text : "", text ? text : "" };
	int rc;

	memset(sel, 0, sizeof(*sel));
	sel_skip(&l);
	if (!*l.p)
		return 0;
	for (;;) {
		if (sel->n == SEL_MAX_REQS) {
			rc = err_set(e, ERR_LIMIT, "more than %d requirements "
				     "in a selector", SEL_MAX_REQS);
			break;
		}
		rc = sel_requirement(&l, &sel->req[sel->n++], e);
		if (rc)
			break;
		sel_skip(&l);
		if (!*l.p)
			return 0;
		if (*l.p != ',') {
			rc = err_set(e, ERR_INVAL, "unable to parse "
				     "requirement: found '%.20s', expected: "
				     "','", l.p);
			break;
		}
		l.p++;
	}
	sel_release(sel);
	return rc;
}

void sel_release(struct selector *sel)
{
	for (size_t i = 0; i < sel->n; i++) {
		for (size_t j = 0; j < sel->req[i].nvalues; j++)
			free(sel->req[i].values[j]);
		free(sel->req[i].values);
		free(sel->req[i].key);
	}
	memset(sel, 0, sizeof(*sel));
}

/* ---- matching ---- */

static const char *sel_list_get(void *ud, const char *key)
{
	const char *const *l = ud;

	for (size_t i = 0; l && l[i] && l[i + 1]; i += 2)
		if (strcmp(l[i], key) == 0)
			return l[i + 1];
	return NULL;
}

static bool sel_in(const struct sel_req *r, const char *v)
{
	for (size_t i = 0; i < r->nvalues; i++)
		if (strcmp(r->values[i], v) == 0)
			return true;
	return false;
}

static bool sel_req_matches(const struct sel_req *r, const char *v)
{
	int64_t a, b;

	switch (r->op) {
	case SEL_EXISTS: return v != NULL;
	case SEL_NOT_EXISTS: return v == NULL;
	case SEL_EQ:
	case SEL_IN: return v && sel_in(r, v);
	case SEL_NEQ:
	case SEL_NOTIN: return !v || !sel_in(r, v);
	case SEL_GT:
	case SEL_LT:
		if (!v || str_parse_i64(v, strlen(v), &a, NULL) ||
		    str_parse_i64(r->values[0], strlen(r->values[0]), &b, NULL))
			return false;
		return r->op == SEL_GT ? a > b : a < b;
	}
	return false;
}

bool sel_matches_fn(const struct selector *sel, sel_lookup_fn get, void *ud)
{
	for (size_t i = 0; i < sel->n; i++)
		if (!sel_req_matches(&sel->req[i], get(ud, sel->req[i].key)))
			return false;
	return true;
}

bool sel_matches(const struct selector *sel, const char *const *labels)
{
	return sel_matches_fn(sel, sel_list_get, (void *)labels);
}

const char *sel_equal_value(const struct selector *sel, const char *key)
{
	for (size_t i = 0; i < sel->n; i++)
		if ((sel->req[i].op == SEL_EQ ||
		     (sel->req[i].op == SEL_IN && sel->req[i].nvalues == 1)) &&
		    strcmp(sel->req[i].key, key) == 0)
			return sel->req[i].values[0];
	return NULL;
}

size_t sel_eq_pairs(const struct selector *sel,
		    const char *kv[2 * SEL_MAX_REQS])
{
	size_t n = 0;

	for (size_t i = 0; i < sel->n; i++) {
		const struct sel_req *r = &sel->req[i];
		if (r->op == SEL_EQ || (r->op == SEL_IN && r->nvalues == 1)) {
			kv[2 * n] = r->key;
			kv[2 * n + 1] = r->values[0];
			n++;
		}
	}
	return n;
}

/* ---- as a LabelSelector ---- */

static int sel_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int sel_cmp_req(const void *a, const void *b)
{
	return strcmp((*(const struct sel_req *const *)a)->key,
		      (*(const struct sel_req *const *)b)->key);
}

static int sel_json_str(struct buf *b, const char *s)
{
	/* keys and values are checked names: nothing to escape */
	return buf_addf(b, "\"%s\"", s);
}

static int sel_json_expr(struct buf *b, const struct sel_req *r)
{
	static const char *ops[] = { [SEL_EXISTS] = "Exists",
				     [SEL_NOT_EXISTS] = "DoesNotExist",
				     [SEL_IN] = "In", [SEL_NOTIN] = "NotIn" };
	char *v[SEL_MAX_VALUES];
	int rc = buf_addf(b, "{\"key\":\"%s\",\"operator\":\"%s\"", r->key,
			  ops[r->op]);

	if (r->nvalues) {
		memcpy(v, r->values, r->nvalues * sizeof(*v));
		qsort(v, r->nvalues, sizeof(*v), sel_cmp_str);
	}
	for (size_t i = 0; i < r->nvalues && !rc; i++) {
		rc = buf_adds(b, i ? "," : ",\"values\":[");
		if (!rc)
			rc = sel_json_str(b, v[i]);
	}
	if (!rc && r->nvalues)
		rc = buf_addc(b, ']');
	return rc ? rc : buf_addc(b, '}');
}

int sel_to_json(const struct selector *sel, struct buf *out)
{
	const struct sel_req *eq[SEL_MAX_REQS], *ex[SEL_MAX_REQS];
	size_t neq = 0, nex = 0;
	int rc = 0;

	for (size_t i = 0; i < sel->n; i++) {
		const struct sel_req *r = &sel->req[i];
		if (r->op == SEL_NEQ || r->op == SEL_GT || r->op == SEL_LT)
			return ERR_INVAL; /* not expressible, as in Go */
		if (r->op == SEL_EQ)
			eq[neq++] = r;
		else
			ex[nex++] = r;
	}
	qsort(eq, neq, sizeof(*eq), sel_cmp_req);
	qsort(ex, nex, sizeof(*ex), sel_cmp_req);
	rc = buf_addc(out, '{');
	for (size_t i = 0; i < neq && !rc; i++)
		rc = buf_addf(out, "%s\"%s\":\"%s\"",
			      i ? "," : "\"matchLabels\":{", eq[i]->key,
			      eq[i]->values[0]);
	if (!rc && neq)
		rc = buf_addc(out, '}');
	for (size_t i = 0; i < nex && !rc; i++) {
		rc = buf_adds(out, i ? "," : neq ? ",\"matchExpressions\":["
						 : "\"matchExpressions\":[");
		if (!rc)
			rc = sel_json_expr(out, ex[i]);
	}
	if (!rc && nex)
		rc = buf_addc(out, ']');
	return rc ? rc : buf_addc(out, '}');
}
