package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/sfcas/sfcas/cas"
	"github.com/sfcas/sfcas/catalog"
	"github.com/sfcas/sfcas/httpapi"
	"github.com/sfcas/sfcas/httpapi/client"
)

// benchList times GET /v1/labels?namespace=bench&limit=100 (the first page)
// against a catalog of 100 000 labels and against one of 1 000, in
// alternation, over loopback HTTP, and reports the medians (issue target:
// ratio <= 3). The catalogs are built directly through the catalog package.
func benchList(ctx context.Context, e *env) ([]result, error) {
	big := max(int(e.scale*100_000), 2_000)
	small := 1_000
	bigURL, stopBig, err := listCatalog(ctx, filepath.Join(e.dir, "list-big"), big)
	if err != nil {
		return nil, err
	}
	defer stopBig()
	smallURL, stopSmall, err := listCatalog(ctx, filepath.Join(e.dir, "list-small"), small)
	if err != nil {
		return nil, err
	}
	defer stopSmall()
	cBig, cSmall := benchClient(bigURL), benchClient(smallURL)
	page := func(c *client.Client) func() error {
		return func() error {
			p, err := c.Labels(ctx, client.ListOptions{Namespace: "bench", Limit: 100})
			if err == nil && (len(p.Items) != 100 || p.Next == "") {
				err = fmt.Errorf("first page has %d labels", len(p.Items))
			}
			return err
		}
	}
	// Warm both (token, page cache) before measuring.
	for _, f := range []func() error{page(cBig), page(cSmall)} {
		for range 20 {
			if err := f(); err != nil {
				return nil, err
			}
		}
	}
	const rounds = 300
	var tb, ts []float64
	for range rounds {
		b, err := timed(page(cBig))
		if err != nil {
			return nil, err
		}
		s, err := timed(page(cSmall))
		if err != nil {
			return nil, err
		}
		tb, ts = append(tb, b), append(ts, s)
	}
	return []result{{
		Name:  fmt.Sprintf("first page of 100 labels, %d in the catalog", big),
		Value: median(tb) * 1e3, Baseline: median(ts) * 1e3, Unit: "ms", Lower: true, Target: "<= 3",
		BaselineIs: fmt.Sprintf("the same page with %d labels", small),
	}}, nil
}

const benchKey = "bench-list-secret"

func benchClient(url string) *client.Client {
	return client.New(client.Options{URL: url, Namespace: catalog.SystemNamespace, Key: []byte(benchKey)})
}

// listCatalog builds a store under dir whose namespace "bench" holds n
// labels (and a few other namespaces around it), serves it over loopback,
// and returns its URL and a stop function.
func listCatalog(ctx context.Context, dir string, n int) (string, func(), error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", nil, err
	}
	blobs, err := cas.Open(dir, cas.Options{})
	if err != nil {
		return "", nil, err
	}
	db, err := catalog.Open(filepath.Join(dir, "catalog.db"), blobs, catalog.Options{})
	if err != nil {
		return "", nil, err
	}
	sys := catalog.Caller{Namespace: catalog.SystemNamespace, Key: "bench"}
	if err := db.EnsureNamespace(ctx, catalog.SystemNamespace); err != nil {
		db.Close()
		return "", nil, err
	}
	if err := db.SetKey(ctx, sys, catalog.SystemNamespace, "bench", []byte(benchKey)); err != nil {
		db.Close()
		return "", nil, err
	}
	for _, ns := range []string{"alpha", "bench", "zulu"} {
		if _, err := db.CreateNamespace(ctx, sys, ns); err != nil {
			db.Close()
			return "", nil, err
		}
	}
	start := time.Now()
	add := func(ns string, count int) error {
		const batch = 5000
		for i := 0; i < count; i += batch {
			specs := make([]catalog.ArtifactSpec, 0, batch)
			for j := i; j < min(i+batch, count); j++ {
				specs = append(specs, catalog.ArtifactSpec{Namespace: ns, Name: fmt.Sprintf("label-%07d", j), Type: catalog.TypeLabel})
			}
			if _, err := db.CreateArtifacts(ctx, sys, specs); err != nil {
				return err
			}
		}
		return nil
	}
	for ns, count := range map[string]int{"alpha": n / 10, "bench": n, "zulu": n / 10} {
		if err := add(ns, count); err != nil {
			db.Close()
			return "", nil, err
		}
	}
	fmt.Fprintf(os.Stderr, "bench: catalog of %d labels built in %s\n", n+n/5, time.Since(start).Round(time.Millisecond))
	srv := httpapi.New(httpapi.Options{DB: db})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		db.Close()
		return "", nil, err
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintln(os.Stderr, "bench: list server:", err)
		}
	}()
	stop := func() {
		hs.Close()
		srv.Close()
		db.Close()
	}
	return "http://" + ln.Addr().String(), stop, nil
}
