/*
 * apiresp_proto.c - protobuf answers of the metrics API (see apiresp.h):
 * "k8s\0" then runtime.Unknown{typeMeta, raw, contentEncoding, contentType}
 * with raw the encoded list, Status or discovery document (APIGroupList,
 * APIGroup, APIResourceList), following the gogo marshallers' habits:
 * non-pointer strings and embedded messages always written (even empty),
 * pointer fields only when set, map entries sorted by key.
 *
 * Strings are written as the JSON answers write them: each byte that is not
 * part of valid UTF-8 becomes U+FFFD (Go's encoding/json), so a label value
 * read from a page reads the same in both encodings (kube-apiserver's
 * strings are valid UTF-8 already, having come through JSON).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapter/serve/apiresp.h"
#include "proto/custom_metrics.pb-c.h"
#include "proto/k8s_discovery.pb-c.h"

typedef K8s__Io__Apimachinery__Pkg__Apis__Meta__V1__ListMeta PbListMeta;
typedef K8s__Io__Apimachinery__Pkg__Apis__Meta__V1__ObjectReference PbRef;
typedef K8s__Io__Apimachinery__Pkg__Apis__Meta__V1__Time PbTime;
typedef K8s__Io__Apimachinery__Pkg__Apis__Meta__V1__Quantity PbQuantity;
typedef K8s__Io__Apimachinery__Pkg__Apis__Meta__V1__LabelSelector PbSelector;
typedef K8s__Io__Apimachinery__Pkg__Apis__Meta__V1__LabelSelector__MatchLabelsEntry PbLabel;
typedef K8s__Io__Apimachinery__Pkg__Apis__Meta__V1__LabelSelectorRequirement PbReq;
typedef K8s__Io__Apimachinery__Pkg__Apis__Meta__V1__Status PbStatus;
typedef K8s__Io__Apimachinery__Pkg__Apis__Meta__V1__StatusDetails PbDetails;
typedef K8s__Io__Apimachinery__Pkg__Apis__Meta__V1__RuntimeUnknown PbUnknown;
typedef K8s__Io__Apimachinery__Pkg__Apis__Meta__V1__RuntimeTypeMeta PbTypeMeta;
typedef K8s__Io__Apimachinery__Pkg__Apis__Meta__V1__GroupVersionForDiscovery PbGv;
typedef K8s__Io__Apimachinery__Pkg__Apis__Meta__V1__APIGroup PbGroup;
typedef K8s__Io__Apimachinery__Pkg__Apis__Meta__V1__APIGroupList PbGroupList;
typedef K8s__Io__Apimachinery__Pkg__Apis__Meta__V1__Verbs PbVerbs;
typedef K8s__Io__Apimachinery__Pkg__Apis__Meta__V1__APIResource PbResource;
typedef K8s__Io__Apimachinery__Pkg__Apis__Meta__V1__APIResourceList PbResourceList;

#define PB_INIT(T) K8S__IO__APIMACHINERY__PKG__APIS__META__V1__##T##__INIT

/* Per-item storage so one allocation serves a whole external list. */
struct pb_item {
	PbRef ref;
	PbTime ts;
	PbQuantity q;
	char qs[32];
	K8s__Io__Metrics__ExternalMetricValue ext;
	K8s__Io__Metrics__ExternalMetricValue__MetricLabelsEntry lab;
	K8s__Io__Metrics__ExternalMetricValue__MetricLabelsEntry *labp;
	void *ptr; /* this item's entry in the items array */
};

/* Selector storage: matchLabels entries and requirements, sorted. */
struct pb_sel {
	PbSelector sel;
	PbLabel lab[SEL_MAX_REQS];
	PbLabel *labp[SEL_MAX_REQS];
	PbReq req[SEL_MAX_REQS];
	PbReq *reqp[SEL_MAX_REQS];
};

static const char *pb_ops[] = { [SEL_EXISTS] = "Exists",
				[SEL_NOT_EXISTS] = "DoesNotExist",
				[SEL_IN] = "In", [SEL_NOTIN] = "NotIn" };

static int pb_cmp_key(const void *a, const void *b)
{
	return strcmp((*(PbLabel *const *)a)->key, (*(PbLabel *const *)b)->key);
}

static int pb_cmp_req(const void *a, const void *b)
{
	return strcmp((*(PbReq *const *)a)->key, (*(PbReq *const *)b)->key);
}

static int pb_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void pb_selector(struct pb_sel *p, const struct selector *s)
{
	PbSelector init = PB_INIT(LABEL_SELECTOR);

	p->sel = init;
	for (size_t i = 0; i < s->n; i++) {
		const struct sel_req *r = &s->req[i];
		if (r->op == SEL_EQ) {
			PbLabel l = PB_INIT(LABEL_SELECTOR__MATCH_LABELS_ENTRY);
			l.key = r->key;
			l.value = r->values[0];
			p->lab[p->sel.n_matchlabels] = l;
			p->labp[p->sel.n_matchlabels] = &p->lab[p->sel.n_matchlabels];
			p->sel.n_matchlabels++;
		} else {
			PbReq q = PB_INIT(LABEL_SELECTOR_REQUIREMENT);
			q.key = r->key;
			q.operator_ = (char *)pb_ops[r->op];
			q.n_values = r->nvalues;
			q.values = r->values;
			if (q.n_values)
				qsort(q.values, q.n_values, sizeof(char *),
				      pb_cmp_str);
			p->req[p->sel.n_matchexpressions] = q;
			p->reqp[p->sel.n_matchexpressions] = &p->req[p->sel.n_matchexpressions];
			p->sel.n_matchexpressions++;
		}
	}
	qsort(p->labp, p->sel.n_matchlabels, sizeof(PbLabel *), pb_cmp_key);
	qsort(p->reqp, p->sel.n_matchexpressions, sizeof(PbReq *), pb_cmp_req);
	p->sel.matchlabels = p->labp;
	p->sel.matchexpressions = p->reqp;
}

/* ---- UTF-8: invalid bytes become U+FFFD, as in the JSON answers ---- */

/* Replacement strings and arrays, freed after packing. */
struct pb_blk {
	struct pb_blk *next;
	char data[];
};

static void *pb_alloc(struct pb_blk **arena, size_t n)
{
	struct pb_blk *b = malloc(sizeof(*b) + n);

	if (!b)
		return NULL;
	b->next = *arena;
	*arena = b;
	return b->data;
}

static void pb_arena_free(struct pb_blk *b)
{
	while (b) {
		struct pb_blk *next = b->next;
		free(b);
		b = next;
	}
}

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid:
 * the rule of common/jsonw.c (no overlong forms, no surrogates). */
static size_t pb_utf8_seq(const unsigned char *s, size_t n)
{
	size_t len = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : 2;
	uint32_t min = len == 4 ? 0x10000 : len == 3 ? 0x800 : 0x80;
	uint32_t c = s[0] & (0x7f >> len);

	if (s[0] < 0x80)
		return 1;
	if (s[0] < 0xc2 || s[0] > 0xf4 || n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	return c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff) ? 0 : len;
}

/* s itself when it is valid UTF-8, else a copy with U+FFFD for each bad
 * byte; NULL when out of memory. */
static char *pb_utf8(char *s, struct pb_blk **arena)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), bad = 0, k = 0;
	char *out;

	for (size_t i = 0, len; i < n; i += len ? len : 1)
		bad += !(len = pb_utf8_seq(p + i, n - i));
	if (!bad)
		return s;
	if (!(out = pb_alloc(arena, n + 2 * bad + 1)))
		return NULL;
	for (size_t i = 0, len; i < n; i += len ? len : 1) {
		if ((len = pb_utf8_seq(p + i, n - i))) {
			memcpy(out + k, p + i, len);
			k += len;
		} else {
			memcpy(out + k, "\xef\xbf\xbd", 3);
			k += 3;
		}
	}
	out[k] = '\0';
	return out;
}

static int pb_fix_msg(ProtobufCMessage *m, struct pb_blk **arena);

/* One string field (single or repeated): replaced where invalid; a
 * repeated one gets a new array, the caller's stays untouched. */
static int pb_fix_strings(char **v, size_t n, bool repeated, void *member,
			  struct pb_blk **arena)
{
	char **copy = NULL;

	for (size_t i = 0; i < n; i++) {
		char *fixed = v[i] ? pb_utf8(v[i], arena) : NULL;
		if (v[i] && !fixed)
			return ERR_NOMEM;
		if (fixed == v[i])
			continue;
		if (!repeated) {
			*(char **)member = fixed;
			continue;
		}
		if (!copy && !(copy = pb_alloc(arena, n * sizeof(*copy))))
			return ERR_NOMEM;
		if (copy != v) {
			memcpy(copy, v, n * sizeof(*copy));
			*(char ***)member = v = copy;
		}
		v[i] = fixed;
	}
	return 0;
}

/* Every string of m and of the messages in it, through pb_utf8. */
static int pb_fix_msg(ProtobufCMessage *m, struct pb_blk **arena)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	int rc = 0;

	for (unsigned i = 0; i < d->n_fields && !rc; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		void *member = (char *)m + f->offset;
		bool rep = f->label == PROTOBUF_C_LABEL_REPEATED;
		size_t n = rep ? *(size_t *)((char *)m + f->quantifier_offset) : 1;
		void **v = rep ? *(void ***)member : (void **)member;

		if (!v)
			continue;
		if (f->type == PROTOBUF_C_TYPE_STRING)
			rc = pb_fix_strings((char **)v, n, rep, member, arena);
		else if (f->type == PROTOBUF_C_TYPE_MESSAGE)
			for (size_t k = 0; k < n && !rc; k++)
				if (v[k])
					rc = pb_fix_msg(v[k], arena);
	}
	return rc;
}

/* Pack m, its strings made valid UTF-8 first; *raw is malloc'd. */
static int pb_pack(ProtobufCMessage *m, uint8_t **raw, size_t *len)
{
	struct pb_blk *arena = NULL;
	int rc = pb_fix_msg(m, &arena);
	size_t n;

	*raw = NULL;
	if (!rc) {
		n = protobuf_c_message_get_packed_size(m);
		*raw = malloc(n ? n : 1);
		rc = *raw ? 0 : ERR_NOMEM;
	}
	if (!rc)
		*len = protobuf_c_message_pack(m, *raw);
	pb_arena_free(arena);
	return rc;
}

/* Envelope around an encoded object. */
static int pb_envelope(struct buf *out, const char *api_version,
		       const char *kind, const uint8_t *raw, size_t n)
{
	PbTypeMeta tm = PB_INIT(RUNTIME_TYPE_META);
	PbUnknown u = PB_INIT(RUNTIME_UNKNOWN);
	size_t size;
	int rc;

	tm.apiversion = (char *)api_version;
	tm.kind = (char *)kind;
	u.typemeta = &tm;
	u.has_raw = 1;
	u.raw.data = (uint8_t *)raw;
	u.raw.len = n;
	u.contentencoding = u.contenttype = "";
	size = k8s__io__apimachinery__pkg__apis__meta__v1__runtime_unknown__get_packed_size(&u);
	rc = buf_add(out, "k8s\0", 4);
	if (!rc)
		rc = buf_reserve(out, size);
	if (rc)
		return rc;
	out->len += k8s__io__apimachinery__pkg__apis__meta__v1__runtime_unknown__pack(
		&u, (uint8_t *)out->p + out->len);
	out->p[out->len] = '\0';
	return 0;
}

static void pb_common(struct pb_item *p, const struct api_item *it)
{
	PbRef ref = PB_INIT(OBJECT_REFERENCE);
	PbTime ts = PB_INIT(TIME);
	PbQuantity q = PB_INIT(QUANTITY);

	ref.kind = (char *)it->kind;
	ref.namespace_ = (char *)(it->ns ? it->ns : "");
	ref.name = (char *)it->name;
	ref.apiversion = (char *)it->api_version;
	ref.uid = ref.resourceversion = ref.fieldpath = "";
	ts.has_seconds = ts.has_nanos = 1;
	ts.seconds = it->at_ms / 1000;
	api_quantity(it->milli, p->qs);
	q.string = p->qs;
	p->ref = ref;
	p->ts = ts;
	p->q = q;
}

static void *pb_external_item(struct pb_item *p, const struct api_list *l,
			      const struct api_item *it)
{
	K8s__Io__Metrics__ExternalMetricValue v =
		K8S__IO__METRICS__EXTERNAL_METRIC_VALUE__INIT;
	K8s__Io__Metrics__ExternalMetricValue__MetricLabelsEntry lab =
		K8S__IO__METRICS__EXTERNAL_METRIC_VALUE__METRIC_LABELS_ENTRY__INIT;

	pb_common(p, it);
	v.metricname = (char *)l->metric;
	if (it->job_label) {
		lab.key = "job_name";
		lab.value = (char *)it->job_label;
		p->lab = lab;
		p->labp = &p->lab;
		v.n_metriclabels = 1;
		v.metriclabels = &p->labp;
	}
	v.timestamp = &p->ts;
	v.has_window = it->window_s != 0;
	v.window = it->window_s;
	v.value = &p->q;
	p->ext = v;
	return &p->ext;
}

/* Pack the list message (of the list's kind) into raw; returns size. */
static size_t pb_pack_list(const struct api_list *l, PbListMeta *meta,
			   void **items, uint8_t **raw)
{
	K8s__Io__Metrics__MetricValueListV1beta1 l1 =
		K8S__IO__METRICS__METRIC_VALUE_LIST_V1BETA1__INIT;
	K8s__Io__Metrics__MetricValueListV1beta2 l2 =
		K8S__IO__METRICS__METRIC_VALUE_LIST_V1BETA2__INIT;
	K8s__Io__Metrics__ExternalMetricValueList le =
		K8S__IO__METRICS__EXTERNAL_METRIC_VALUE_LIST__INIT;
	const ProtobufCMessage *m = &l1.base;
	size_t n = 0;

	l1.metadata = l2.metadata = le.metadata = meta;
	l1.n_items = l2.n_items = le.n_items = l->n;
	l1.items = (void *)items;
	l2.items = (void *)items;
	le.items = (void *)items;
	if (l->gv == API_CUSTOM_V1BETA2)
		m = &l2.base;
	else if (l->gv == API_EXTERNAL_V1BETA1)
		m = &le.base;
	return pb_pack((ProtobufCMessage *)m, raw, &n) ? 0 : n;
}

/* ---- custom lists of many items: the items written by hand ----
 *
 * A list of 10,000 pods through protobuf-c costs its size computed once
 * per level of nesting and every string checked; here what the items
 * share (the described object's kind, namespace and apiVersion, the
 * metric and its selector) is packed once by protobuf-c, as one message
 * of the item's type with only those fields set, and each item is then
 * its name, time, window and value around those bytes, in field order:
 * the bytes protobuf-c writes for the whole list (test_apiresp and the
 * answers before this fast path agree). */

/* Bytes packed once: ref_pre (kind, namespace) and ref_post (uid,
 * apiVersion, resourceVersion, fieldPath) of the ObjectReference around
 * its name; mid (v1beta2: field 2, the MetricIdentifier; v1beta1: field
 * 2, metricName) and end (v1beta1: field 6, the selector). */
struct pb_shared {
	uint8_t *ref_pre, *ref_post, *mid, *end;
	size_t n_ref_pre, n_ref_post, n_mid, n_end;
};

static void pb_shared_free(struct pb_shared *sh)
{
	free(sh->ref_pre);
	free(sh->ref_post);
	free(sh->mid);
	free(sh->end);
}

static size_t pb_vlen(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static uint8_t *pb_varint(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

/* A length-delimited field (number < 16): tag, length, data. */
static uint8_t *pb_bytes(uint8_t *p, unsigned field, const void *d, size_t n)
{
	*p++ = (uint8_t)(field << 3 | 2);
	p = pb_varint(p, n);
	memcpy(p, d, n);
	return p + n;
}

static int pb_shared_make(struct pb_shared *sh, const struct api_list *l,
			  const struct api_item *it, PbSelector *sel)
{
	PbRef pre = PB_INIT(OBJECT_REFERENCE), post = PB_INIT(OBJECT_REFERENCE);
	K8s__Io__Metrics__MetricIdentifier id =
		K8S__IO__METRICS__METRIC_IDENTIFIER__INIT;
	K8s__Io__Metrics__MetricValueV1beta1 v1 =
		K8S__IO__METRICS__METRIC_VALUE_V1BETA1__INIT;
	K8s__Io__Metrics__MetricValueV1beta2 v2 =
		K8S__IO__METRICS__METRIC_VALUE_V1BETA2__INIT;
	int rc;

	pre.kind = (char *)it->kind;
	pre.namespace_ = (char *)(it->ns ? it->ns : "");
	post.uid = post.resourceversion = post.fieldpath = "";
	post.apiversion = (char *)it->api_version;
	rc = pb_pack(&pre.base, &sh->ref_pre, &sh->n_ref_pre);
	if (!rc)
		rc = pb_pack(&post.base, &sh->ref_post, &sh->n_ref_post);
	if (rc || l->gv == API_CUSTOM_V1BETA1) {
		v1.metricname = (char *)l->metric;
		if (!rc)
			rc = pb_pack(&v1.base, &sh->mid, &sh->n_mid);
		v1.metricname = NULL;
		v1.selector = sel;
		return rc ? rc : pb_pack(&v1.base, &sh->end, &sh->n_end);
	}
	id.name = (char *)l->metric;
	id.selector = sel;
	v2.metric = &id;
	rc = pb_pack(&v2.base, &sh->mid, &sh->n_mid);
	sh->end = malloc(1);
	sh->n_end = 0;
	return rc ? rc : sh->end ? 0 : ERR_NOMEM;
}

/* Size of item it's message (without its own tag and length); name and
 * q as they will be written. */
static size_t pb_item_size(const struct pb_shared *sh,
			   const struct api_item *it, size_t nname, size_t nq,
			   size_t *nref, size_t *nts)
{
	size_t n;

	*nref = sh->n_ref_pre + 1 + pb_vlen(nname) + nname + sh->n_ref_post;
	*nts = 1 + pb_vlen((uint64_t)(it->at_ms / 1000)) + 2;
	n = 1 + pb_vlen(*nref) + *nref + sh->n_mid + 1 + pb_vlen(*nts) + *nts;
	if (it->window_s)
		n += 1 + pb_vlen((uint64_t)it->window_s);
	return n + 1 + pb_vlen(2 + nq) + 2 + nq + sh->n_end;
}

/* An item's name as written (valid UTF-8) and its length: the name
 * itself when ASCII (a pod's name is), else pb_utf8's answer. */
static char *pb_item_name(const struct api_item *it, size_t *n,
			  struct pb_blk **arena)
{
	const unsigned char *s = (const unsigned char *)it->name;
	char *fixed;
	size_t k = 0;

	while (s[k] && s[k] < 0x80)
		k++;
	*n = k;
	if (!s[k])
		return (char *)it->name;
	fixed = pb_utf8((char *)it->name, arena);
	*n = fixed ? strlen(fixed) : 0;
	return fixed;
}

/* Field 2 of the list: item it; its size (tag and length included) in
 * *size only, when b is NULL. */
static int pb_item_write(struct buf *b, const struct pb_shared *sh,
			 const struct api_item *it, struct pb_blk **arena,
			 size_t *size)
{
	char q[32], *name;
	size_t nname, nq, nref, nts, n;
	uint8_t *p;
	int rc;

	if (!(name = pb_item_name(it, &nname, arena)))
		return ERR_NOMEM;
	api_quantity(it->milli, q);
	nq = strlen(q);
	n = pb_item_size(sh, it, nname, nq, &nref, &nts);
	*size = 1 + pb_vlen(n) + n;
	if (!b)
		return 0;
	if ((rc = buf_reserve(b, *size)))
		return rc;
	p = (uint8_t *)b->p + b->len;
	*p++ = 2 << 3 | 2;
	p = pb_varint(p, n);
	*p++ = 1 << 3 | 2; /* describedObject */
	p = pb_varint(p, nref);
	memcpy(p, sh->ref_pre, sh->n_ref_pre);
	p = pb_bytes(p + sh->n_ref_pre, 3, name, nname);
	memcpy(p, sh->ref_post, sh->n_ref_post);
	p += sh->n_ref_post;
	memcpy(p, sh->mid, sh->n_mid); /* metric, metricName */
	p += sh->n_mid;
	*p++ = 3 << 3 | 2; /* timestamp: seconds, nanos (0) */
	p = pb_varint(p, nts);
	*p++ = 1 << 3;
	p = pb_varint(p, (uint64_t)(it->at_ms / 1000));
	*p++ = 2 << 3;
	*p++ = 0;
	if (it->window_s) {
		*p++ = 4 << 3;
		p = pb_varint(p, (uint64_t)it->window_s);
	}
	*p++ = 5 << 3 | 2; /* value: Quantity{string} */
	p = pb_varint(p, 2 + nq);
	p = pb_bytes(p, 1, q, nq);
	memcpy(p, sh->end, sh->n_end); /* v1beta1: selector */
	p += sh->n_end;
	b->len = (size_t)((char *)p - b->p);
	b->p[b->len] = '\0';
	return 0;
}

/* Write the items of l to b (NULL: add their sizes to *size only). */
static int pb_items(struct buf *b, const struct api_list *l,
		    const struct pb_shared *sh, struct pb_blk **arena,
		    size_t *size)
{
	int rc = 0;

	for (size_t i = 0; i < l->n && !rc; i++) {
		const struct api_item *it = &l->items[i], *first = &l->items[0];
		size_t n = 0;

		if (it->kind != first->kind || it->ns != first->ns ||
		    it->api_version != first->api_version)
			return ERR_INVAL; /* one kind of object per list */
		rc = pb_item_write(b, sh, it, arena, &n);
		*size += n;
	}
	return rc;
}

static const char *pb_list_gv(enum api_group_version gv)
{
	return gv == API_CUSTOM_V1BETA1	  ? "custom.metrics.k8s.io/v1beta1"
	       : gv == API_CUSTOM_V1BETA2 ? "custom.metrics.k8s.io/v1beta2"
					  : "external.metrics.k8s.io/v1beta1";
}

/* Bytes packed once around the items: the envelope's fields before its
 * raw (typeMeta) and after it (contentEncoding, contentType), the list's
 * field 1 (metadata, alike in every list kind). */
struct pb_frame {
	uint8_t *pre, *post, *meta;
	size_t n_pre, n_post, n_meta;
};

static int pb_frame_make(struct pb_frame *f, const struct api_list *l)
{
	PbTypeMeta tm = PB_INIT(RUNTIME_TYPE_META);
	PbUnknown pre = PB_INIT(RUNTIME_UNKNOWN), post = PB_INIT(RUNTIME_UNKNOWN);
	PbListMeta meta = PB_INIT(LIST_META);
	K8s__Io__Metrics__MetricValueListV1beta1 empty =
		K8S__IO__METRICS__METRIC_VALUE_LIST_V1BETA1__INIT;
	int rc;

	tm.apiversion = (char *)pb_list_gv(l->gv);
	tm.kind = "MetricValueList";
	pre.typemeta = &tm;
	post.contentencoding = post.contenttype = "";
	meta.selflink = meta.resourceversion = meta.continue_ = "";
	empty.metadata = &meta;
	rc = pb_pack(&pre.base, &f->pre, &f->n_pre);
	if (!rc)
		rc = pb_pack(&post.base, &f->post, &f->n_post);
	return rc ? rc : pb_pack(&empty.base, &f->meta, &f->n_meta);
}

/* A custom list, items by hand, straight into out in its envelope: the
 * bytes of pb_envelope around the list protobuf-c would pack. */
static int pb_list_custom(const struct api_list *l, PbSelector *sel,
			  struct buf *out)
{
	struct pb_shared sh = { NULL, NULL, NULL, NULL, 0, 0, 0, 0 };
	struct pb_frame f = { NULL, NULL, NULL, 0, 0, 0 };
	struct pb_blk *arena = NULL;
	uint8_t len[10];
	size_t nraw = 0;
	int rc = pb_frame_make(&f, l);

	if (!rc && l->n)
		rc = pb_shared_make(&sh, l, &l->items[0], sel);
	if (!rc)
		rc = pb_items(NULL, l, &sh, &arena, &nraw);
	nraw += f.n_meta;
	if (!rc)
		rc = buf_reserve(out, 4 + f.n_pre + 11 + nraw + f.n_post);
	if (!rc)
		rc = buf_add(out, "k8s\0", 4);
	if (!rc)
		rc = buf_add(out, f.pre, f.n_pre);
	len[0] = 2 << 3 | 2; /* raw */
	if (!rc)
		rc = buf_add(out, len, (size_t)(pb_varint(len + 1, nraw) - len));
	if (!rc)
		rc = buf_add(out, f.meta, f.n_meta);
	if (!rc)
		rc = pb_items(out, l, &sh, &arena, &nraw);
	if (!rc)
		rc = buf_add(out, f.post, f.n_post);
	pb_arena_free(arena);
	pb_shared_free(&sh);
	free(f.pre);
	free(f.post);
	free(f.meta);
	return rc;
}

int apiresp_list_proto(const struct api_list *l, struct buf *out)
{
	PbListMeta meta = PB_INIT(LIST_META);
	bool ext = l->gv == API_EXTERNAL_V1BETA1;
	struct pb_item *p = NULL;
	void **items = NULL;
	struct pb_sel *sel = calloc(1, sizeof(*sel));
	PbSelector *msel = NULL;
	uint8_t *raw = NULL;
	size_t n;
	int rc = ERR_NOMEM;

	if (!sel)
		goto out;
	if (l->metric_sel && l->metric_sel->n) {
		pb_selector(sel, l->metric_sel);
		msel = &sel->sel;
	}
	if (!ext) {
		rc = pb_list_custom(l, msel, out);
		goto out;
	}
	p = calloc(l->n ? l->n : 1, sizeof(*p));
	items = calloc(l->n ? l->n : 1, sizeof(*items));
	if (!p || !items)
		goto out;
	meta.selflink = meta.resourceversion = meta.continue_ = "";
	for (size_t i = 0; i < l->n; i++)
		items[i] = pb_external_item(&p[i], l, &l->items[i]);
	n = pb_pack_list(l, &meta, items, &raw);
	if (!raw)
		goto out;
	rc = pb_envelope(out, pb_list_gv(l->gv), "ExternalMetricValueList",
			 raw, n);
out:
	free(raw);
	free(sel);
	free(items);
	free(p);
	return rc;
}

int apiresp_status_proto(const struct api_status *st, struct buf *out)
{
	PbListMeta meta = PB_INIT(LIST_META);
	PbStatus s = PB_INIT(STATUS);
	PbDetails d = PB_INIT(STATUS_DETAILS);
	uint8_t *raw;
	size_t n;
	int rc;

	meta.selflink = meta.resourceversion = meta.continue_ = "";
	s.metadata = &meta;
	s.status = "Failure";
	s.message = (char *)st->message;
	s.reason = (char *)st->reason;
	s.has_code = 1;
	s.code = st->code;
	if (st->details_kind) {
		d.name = (char *)(st->details_name ? st->details_name : "");
		d.group = (char *)(st->details_group ? st->details_group : "");
		d.kind = (char *)st->details_kind;
		d.uid = "";
		d.has_retryafterseconds = 1;
		s.details = &d;
	}
	rc = pb_pack(&s.base, &raw, &n);
	if (!rc)
		rc = pb_envelope(out, "v1", "Status", raw, n);
	free(raw);
	return rc;
}

/* ---- discovery ---- */

/* Pack m and wrap it as apiVersion v1, kind. */
static int pb_envelope_msg(struct buf *out, const char *kind,
			   ProtobufCMessage *m)
{
	uint8_t *raw;
	size_t n;
	int rc = pb_pack(m, &raw, &n);

	if (!rc)
		rc = pb_envelope(out, "v1", kind, raw, n);
	free(raw);
	return rc;
}

#define PB_MAX_VERSIONS 8

/* Storage of one APIGroup: versions, "group/version" texts, preferred. */
struct pb_group {
	PbGroup g;
	PbGv v[PB_MAX_VERSIONS];
	PbGv *vp[PB_MAX_VERSIONS];
	PbGv pref;
	char gv[PB_MAX_VERSIONS][320];
};

static int pb_group(struct pb_group *p, const struct api_group *g)
{
	PbGroup init = PB_INIT(APIGROUP);
	PbGv gv = PB_INIT(GROUP_VERSION_FOR_DISCOVERY);

	if (g->nversions > PB_MAX_VERSIONS)
		return ERR_LIMIT;
	p->g = init;
	p->g.name = (char *)g->name;
	for (size_t i = 0; i < g->nversions; i++) {
		snprintf(p->gv[i], sizeof(p->gv[i]), "%s/%s", g->name,
			 g->versions[i]);
		p->v[i] = gv;
		p->v[i].groupversion = p->gv[i];
		p->v[i].version = (char *)g->versions[i];
		p->vp[i] = &p->v[i];
	}
	p->g.n_versions = g->nversions;
	p->g.versions = p->vp;
	/* a non-pointer struct in Go: always written, empty or not */
	p->pref = g->nversions ? p->v[0] : gv;
	if (!g->nversions)
		p->pref.groupversion = p->pref.version = "";
	p->g.preferredversion = &p->pref;
	return 0;
}

int apiresp_group_proto(const struct api_group *g, struct buf *out)
{
	struct pb_group *p = calloc(1, sizeof(*p));
	int rc = p ? pb_group(p, g) : ERR_NOMEM;

	if (!rc)
		rc = pb_envelope_msg(out, "APIGroup", &p->g.base);
	free(p);
	return rc;
}

int apiresp_group_list_proto(const struct api_group *g, size_t n,
			     struct buf *out)
{
	PbGroupList l = PB_INIT(APIGROUP_LIST);
	struct pb_group *p = calloc(n ? n : 1, sizeof(*p));
	PbGroup **gp = calloc(n ? n : 1, sizeof(*gp));
	int rc = p && gp ? 0 : ERR_NOMEM;

	for (size_t i = 0; i < n && !rc; i++) {
		rc = pb_group(&p[i], &g[i]);
		gp[i] = &p[i].g;
	}
	l.n_groups = n;
	l.groups = gp;
	if (!rc)
		rc = pb_envelope_msg(out, "APIGroupList", &l.base);
	free(gp);
	free(p);
	return rc;
}

int apiresp_resources_proto(const struct api_resource_list *l,
			    struct buf *out)
{
	static char *get[] = { "get" };
	PbResourceList rl = PB_INIT(APIRESOURCE_LIST);
	PbVerbs verbs = PB_INIT(VERBS);
	PbResource init = PB_INIT(APIRESOURCE);
	PbResource *r = calloc(l->n ? l->n : 1, sizeof(*r));
	PbResource **rp = calloc(l->n ? l->n : 1, sizeof(*rp));
	int rc = ERR_NOMEM;

	if (r && rp) {
		verbs.n_items = 1;
		verbs.items = get;
		for (size_t i = 0; i < l->n; i++) {
			r[i] = init;
			r[i].name = (char *)l->res[i].name;
			r[i].has_namespaced = 1;
			r[i].namespaced = l->res[i].namespaced;
			r[i].kind = (char *)l->res[i].kind;
			r[i].verbs = &verbs;
			r[i].singularname = r[i].group = r[i].version = "";
			r[i].storageversionhash = "";
			rp[i] = &r[i];
		}
		rl.groupversion = (char *)l->group_version;
		rl.n_resources = l->n;
		rl.resources = rp;
		rc = pb_envelope_msg(out, "APIResourceList", &rl.base);
	}
	free(rp);
	free(r);
	return rc;
}
