// main.go - reference benchmark for `make bench`: parses a Prometheus text
// page with the Prometheus project's own Go parser (expfmt.TextParser, as
// Prometheus-compatible tools written in Go do) in a loop for about the given
// time and prints one line of key=value figures that tests/bench/run.sh
// puts beside ours:
//
//	expfmt bytes=N families=N samples=N iters=N seconds=S mbps=X sps=X peak_kb=N
//
// Built offline in GOPATH mode against Debian's
// golang-github-prometheus-common-dev (see tests/bench/run.sh).
//
// Usage: expfmt-bench [-seconds 2] PAGE
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"syscall"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

func countSamples(mfs map[string]*dto.MetricFamily) (families, samples int) {
	for _, mf := range mfs {
		families++
		for _, m := range mf.GetMetric() {
			switch {
			case m.GetSummary() != nil:
				s := m.GetSummary()
				samples += len(s.GetQuantile())
				if s.SampleCount != nil {
					samples++
				}
				if s.SampleSum != nil {
					samples++
				}
			case m.GetHistogram() != nil:
				h := m.GetHistogram()
				samples += len(h.GetBucket())
				if h.SampleCount != nil {
					samples++
				}
				if h.SampleSum != nil {
					samples++
				}
			default:
				samples++
			}
		}
	}
	return families, samples
}

func main() {
	seconds := flag.Float64("seconds", 2, "how long to parse, in seconds")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: expfmt-bench [-seconds S] PAGE")
		os.Exit(2)
	}
	page, err := os.ReadFile(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, "expfmt-bench:", err)
		os.Exit(1)
	}

	var p expfmt.TextParser
	mfs, err := p.TextToMetricFamilies(bytes.NewReader(page))
	if err != nil {
		fmt.Fprintln(os.Stderr, "expfmt-bench: parse:", err)
		os.Exit(1)
	}
	families, samples := countSamples(mfs)

	limit := time.Duration(*seconds * float64(time.Second))
	iters := 0
	start := time.Now()
	elapsed := time.Duration(0)
	for elapsed < limit {
		var tp expfmt.TextParser
		if _, err := tp.TextToMetricFamilies(bytes.NewReader(page)); err != nil {
			fmt.Fprintln(os.Stderr, "expfmt-bench: parse:", err)
			os.Exit(1)
		}
		iters++
		elapsed = time.Since(start)
	}
	secs := elapsed.Seconds()
	var ru syscall.Rusage
	peak := int64(-1)
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		peak = int64(ru.Maxrss)
	}
	fmt.Printf("expfmt bytes=%d families=%d samples=%d iters=%d seconds=%.3f mbps=%.1f sps=%.0f peak_kb=%d\n",
		len(page), families, samples, iters, secs,
		float64(len(page))*float64(iters)/secs/1e6,
		float64(samples)*float64(iters)/secs, peak)
}
