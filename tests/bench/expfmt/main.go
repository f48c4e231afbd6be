// expfmt/main.go - the reference for `make bench`: Prometheus's own text
// parser (github.com/prometheus/common/expfmt, Debian's
// golang-github-prometheus-common-dev, built offline in GOPATH mode) on a
// page file, in a loop for the given seconds.  Prints one line:
//   expfmt bytes=N series=N seconds=S mb_per_s=X
package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/prometheus/common/expfmt"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: expfmt-bench PAGE SECONDS")
		os.Exit(2)
	}
	page, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	secs, _ := strconv.ParseFloat(os.Args[2], 64)
	var parser expfmt.TextParser
	series, runs := 0, 0
	start := time.Now()
	for time.Since(start).Seconds() < secs {
		fams, err := parser.TextToMetricFamilies(bytes.NewReader(page))
		if err != nil {
			fmt.Fprintln(os.Stderr, "expfmt:", err)
			os.Exit(1)
		}
		series = 0
		for _, f := range fams {
			series += len(f.Metric)
		}
		runs++
	}
	el := time.Since(start).Seconds()
	fmt.Printf("expfmt bytes=%d series=%d seconds=%.3f mb_per_s=%.1f\n",
		len(page), series, el, float64(len(page))*float64(runs)/el/1e6)
}
