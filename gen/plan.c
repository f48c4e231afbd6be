/*
 * plan.c - building flinkhpa-gen's output in memory and writing it out
 * (see plan.h).
 */
#include "gen/plan.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/str.h"

static int plan_add(struct plan *pl, const char *ns, const char *base,
		    struct plan_file **f, struct err *e)
{
	struct plan_file *v;

	if (pl->n == PLAN_MAX_FILES)
		return err_set(e, ERR_LIMIT, "too many files");
	v = realloc(pl->v, (pl->n + 1) * sizeof(*v));
	if (!v)
		return err_set(e, ERR_NOMEM, "out of memory");
	pl->v = v;
	*f = &v[pl->n++];
	memset(*f, 0, sizeof(**f));
	str_lcpy((*f)->ns, ns, sizeof((*f)->ns));
	str_lcpy((*f)->base, base, sizeof((*f)->base));
	snprintf((*f)->name, sizeof((*f)->name), "%s%s%s", ns, *ns ? "/" : "",
		 base);
	buf_init(&(*f)->text, PLAN_MAX_BYTES);
	return 0;
}

void plan_release(struct plan *pl)
{
	for (size_t i = 0; i < pl->n; i++)
		buf_release(&pl->v[i].text);
	free(pl->v);
	pl->v = NULL;
	pl->n = 0;
}

/* "a.yaml" or "a.yaml, b.yaml" for the banner. */
static int plan_sources(const struct pol_file *files, size_t n, struct buf *b)
{
	int rc = 0;

	for (size_t i = 0; i < n && !rc; i++)
		rc = buf_addf(b, "%s%s", i ? ", " : "", files[i].path);
	return rc;
}

static int plan_same_name(const struct pol_file *files, size_t fi, size_t pi,
			  struct err *e)
{
	const struct pol *p = &files[fi].v[pi];

	for (size_t f = 0; f < fi; f++)
		for (size_t i = 0; i < files[f].n; i++)
			if (!strcmp(files[f].v[i].name, p->name) &&
			    !strcmp(files[f].v[i].namespace, p->namespace))
				return err_set(e, ERR_EXISTS, "%s:%lu:%lu: "
					       "metadata.name: duplicate policy "
					       "%s/%s (also in %s:%lu)",
					       files[fi].path, p->at.line,
					       p->at.col, p->namespace, p->name,
					       files[f].path,
					       files[f].v[i].at.line);
	return 0;
}

static bool plan_has_ns(const struct plan *pl, const char *ns)
{
	for (size_t i = 0; i < pl->n; i++)
		if (!strcmp(pl->v[i].ns, ns) &&
		    !strcmp(pl->v[i].base, "namespace.yaml"))
			return true;
	return false;
}

typedef int (*plan_emit_fn)(struct buf *b, const struct pol *p,
			    const struct emit_opts *o);

static int plan_one(struct plan *pl, const struct pol *p, const char *suffix,
		    plan_emit_fn fn, const struct emit_opts *eo, struct err *e)
{
	struct plan_file *f;
	char name[128];
	int rc;

	snprintf(name, sizeof(name), "%s-%s.yaml", p->name, suffix);
	if ((rc = plan_add(pl, p->namespace, name, &f, e)))
		return rc;
	if ((rc = fn(&f->text, p, eo)))
		return err_set(e, rc, "%s: too large", name);
	return 0;
}

/* spec.jobManager: the JobManager's objects, one file each. */
static int plan_jobmanager(struct plan *pl, const struct pol *p,
			   const struct emit_opts *eo, struct err *e)
{
	int rc;

	if ((rc = plan_one(pl, p, "flink-config", emit_configmap, eo, e)) ||
	    (rc = plan_one(pl, p, "jobmanager-deployment", emit_jm_deployment,
			   eo, e)) ||
	    (rc = plan_one(pl, p, "jobmanager-service", emit_jm_service, eo,
			   e)))
		return rc;
	if (!p->jm.ha_storage_dir)
		return 0;
	if ((rc = plan_one(pl, p, "serviceaccount", emit_serviceaccount, eo,
			   e)) ||
	    (rc = plan_one(pl, p, "role", emit_role, eo, e)))
		return rc;
	return plan_one(pl, p, "rolebinding", emit_rolebinding, eo, e);
}

static int plan_policy(struct plan *pl, const struct pol *p,
		       const struct plan_opts *o, const struct emit_opts *eo,
		       struct err *e)
{
	struct plan_file *f;
	char name[128];
	int rc;

	if (o->namespaces && !plan_has_ns(pl, p->namespace)) {
		if ((rc = plan_add(pl, p->namespace, "namespace.yaml", &f, e)))
			return rc;
		if ((rc = emit_namespace(&f->text, p->namespace, eo)))
			return err_set(e, rc, "%s: too large", f->name);
	}
	snprintf(name, sizeof(name), "%s-deployment.yaml", p->name);
	if ((rc = plan_add(pl, p->namespace, name, &f, e)))
		return rc;
	if ((rc = emit_deployment(&f->text, p, eo)))
		return err_set(e, rc, "%s: too large", name);
	snprintf(name, sizeof(name), "%s-hpa.yaml", p->name);
	if ((rc = plan_add(pl, p->namespace, name, &f, e)))
		return rc;
	if ((rc = emit_hpa(&f->text, p, eo)))
		return err_set(e, rc, "%s: too large", name);
	return p->jm.given ? plan_jobmanager(pl, p, eo, e) : 0;
}

static int plan_kustomization(struct plan *pl, const struct emit_opts *eo,
			      struct err *e)
{
	const char **names = calloc(pl->n + 1, sizeof(*names));
	struct plan_file *f;
	size_t n = pl->n;
	int rc;

	if (!names)
		return err_set(e, ERR_NOMEM, "out of memory");
	/* plan_add may move pl->v: the names are taken after it */
	rc = plan_add(pl, "", "kustomization.yaml", &f, e);
	if (!rc) {
		for (size_t i = 0; i < n; i++)
			names[i] = pl->v[i].name;
		f->is_kustomization = true;
		if ((rc = emit_kustomization(&f->text, names, n, eo)))
			rc = err_set(e, rc, "kustomization.yaml: too large");
	}
	free(names);
	return rc;
}

int plan_build(struct plan *pl, const struct pol_file *files, size_t n,
	       const struct plan_opts *o, struct err *e)
{
	struct buf src = BUF_INIT(1 << 16);
	struct emit_opts eo = { .hpa = o->hpa };
	int rc;

	memset(pl, 0, sizeof(*pl));
	if ((rc = plan_sources(files, n, &src)))
		goto fail;
	eo.source = buf_str(&src);
	for (size_t fi = 0; fi < n; fi++)
		for (size_t pi = 0; pi < files[fi].n; pi++)
			if ((rc = plan_same_name(files, fi, pi, e)) ||
			    (rc = plan_policy(pl, &files[fi].v[pi], o, &eo, e)))
				goto fail;
	if ((rc = plan_kustomization(pl, &eo, e)))
		goto fail;
	buf_release(&src);
	return 0;
fail:
	if (rc == ERR_LIMIT && !*e->msg)
		err_set(e, rc, "too many source files");
	buf_release(&src);
	plan_release(pl);
	return rc;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* dir/NS/.FILE.tmp */
static void plan_tmp_path(const char *dir, const struct plan_file *f,
			  char *tmp, size_t n)
{
	snprintf(tmp, n, "%s/%s%s.%s.tmp", dir, f->ns, *f->ns ? "/" : "",
		 f->base);
}

/* Every namespace directory under dir. */
static int plan_mkdirs(const struct plan *pl, const char *dir, struct err *e)
{
	char path[4096];

	if (mkdir(dir, 0755) && errno != EEXIST)
		return err_set(e, ERR_IO, "%s: %s", dir, strerror(errno));
	for (size_t i = 0; i < pl->n; i++) {
		if (!*pl->v[i].ns)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, pl->v[i].ns);
		if (mkdir(path, 0755) && errno != EEXIST)
			return err_set(e, ERR_IO, "%s: %s", path,
				       strerror(errno));
	}
	return 0;
}

/* dir/NS/.FILE.tmp, written and synced; its path in tmp. */
static int plan_write_tmp(const char *dir, const struct plan_file *f,
			  char *tmp, size_t n, struct err *e)
{
	int fd, rc = 0;

	plan_tmp_path(dir, f, tmp, n);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return err_set(e, ERR_IO, "%s: %s", tmp, strerror(errno));
	if (write_all(fd, buf_str(&f->text), f->text.len) || fsync(fd))
		rc = err_set(e, ERR_IO, "%s: %s", tmp, strerror(errno));
	if (close(fd) && !rc)
		rc = err_set(e, ERR_IO, "%s: %s", tmp, strerror(errno));
	if (rc)
		unlink(tmp);
	return rc;
}

static bool plan_has(const struct plan *pl, const char *ns, const char *base)
{
	for (size_t i = 0; i < pl->n; i++)
		if (!strcmp(pl->v[i].ns, ns) && !strcmp(pl->v[i].base, base))
			return true;
	return false;
}

/* Ours: the file starts with our banner. */
static bool plan_ours(const char *path)
{
	static const char banner[] = "# generated by flinkhpa-gen from ";
	char head[sizeof(banner)] = "";
	FILE *f = fopen(path, "rb");
	size_t n = 0;

	if (f) {
		n = fread(head, 1, sizeof(banner) - 1, f);
		fclose(f);
	}
	return n == sizeof(banner) - 1 && !memcmp(head, banner, n);
}

/* Files an earlier run wrote for policies that are gone: removed, so the
 * directory holds what the kustomization lists.  Other files stay. */
static int plan_prune(const struct plan *pl, const char *dir, struct err *e)
{
	DIR *top = opendir(dir), *sub;
	struct dirent *d, *f;
	char path[4096], file[4096 + 512];

	if (!top)
		return err_set(e, ERR_IO, "%s: %s", dir, strerror(errno));
	while ((d = readdir(top))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		if (!(sub = opendir(path)))
			continue;
		while ((f = readdir(sub))) {
			size_t n = strlen(f->d_name);
			snprintf(file, sizeof(file), "%s/%s", path, f->d_name);
			if (n > 5 && !strcmp(f->d_name + n - 5, ".yaml") &&
			    f->d_name[0] != '.' &&
			    !plan_has(pl, d->d_name, f->d_name) && plan_ours(file))
				unlink(file);
		}
		closedir(sub);
		rmdir(path); /* only when empty */
	}
	closedir(top);
	return 0;
}

int plan_write_dir(const struct plan *pl, const char *dir, struct err *e)
{
	char tmp[4096], final[4096];
	size_t done = 0;
	int rc = 0;

	if ((rc = plan_mkdirs(pl, dir, e)))
		return rc;
	for (; done < pl->n && !rc; done++)
		rc = plan_write_tmp(dir, &pl->v[done], tmp, sizeof(tmp), e);
	if (rc) { /* remove the temporaries written so far */
		for (size_t i = 0; i + 1 < done; i++) {
			plan_tmp_path(dir, &pl->v[i], tmp, sizeof(tmp));
			unlink(tmp);
		}
		return rc;
	}
	for (size_t i = 0; i < pl->n && !rc; i++) {
		plan_tmp_path(dir, &pl->v[i], tmp, sizeof(tmp));
		snprintf(final, sizeof(final), "%s/%s", dir, pl->v[i].name);
		if (rename(tmp, final))
			rc = err_set(e, ERR_IO, "%s: %s", final,
				     strerror(errno));
	}
	return rc ? rc : plan_prune(pl, dir, e);
}

int plan_write_stream(const struct plan *pl, FILE *f, struct err *e)
{
	bool first = true;

	for (size_t i = 0; i < pl->n; i++) {
		if (pl->v[i].is_kustomization)
			continue;
		if (!first)
			fputs("---\n", f);
		first = false;
		fwrite(buf_str(&pl->v[i].text), 1, pl->v[i].text.len, f);
	}
	if (fflush(f) || ferror(f))
		return err_set(e, ERR_IO, "writing the output: %s",
			       strerror(errno));
	return 0;
}
