/*
 * k8sname.h - the name rules kube-apiserver applies to what flinkhpa-gen
 * writes (k8s.io/apimachinery/pkg/util/validation), so that a bad policy
 * fails here, with its line and column, instead of at `kubectl apply`.
 *
 * Each check returns NULL when s is valid, otherwise a static message in
 * Kubernetes' words saying what is expected.
 */
#ifndef FH_K8SNAME_H
#define FH_K8SNAME_H

/* RFC 1123 label: namespaces, policy names (also label values). */
const char *kname_dns_label(const char *s);
/* RFC 1123 subdomain: label key prefixes. */
const char *kname_dns_subdomain(const char *s);
/* Label and annotation keys: [prefix/]name. */
const char *kname_qualified(const char *s);
/* Label values (may be empty). */
const char *kname_label_value(const char *s);
/* Metric names: path segments (not "." or "..", no '/' or '%'). */
const char *kname_path_segment(const char *s);
/* Text for annotations and Flink settings: no control characters. */
const char *kname_printable(const char *s);

#endif
