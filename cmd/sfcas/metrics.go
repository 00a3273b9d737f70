package main

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/sfcas/sfcas/cas"
	"github.com/sfcas/sfcas/catalog"
	"github.com/sfcas/sfcas/httpapi"
)

// metrics owns the daemon's private Prometheus registry. Request metrics
// are fed by httpapi's observer; everything else is read from the packages'
// own snapshots when /metrics is scraped.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	bytesIn  *prometheus.CounterVec
	bytesOut *prometheus.CounterVec
}

func newMetrics(log *slog.Logger, db *catalog.DB, blobs *cas.Store, ms mounts) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sfcas_http_requests_total",
			Help: "HTTP requests by route pattern, method and status."}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "sfcas_http_request_duration_seconds",
			Help: "HTTP request latency by route pattern.", Buckets: prometheus.ExponentialBuckets(0.0005, 4, 10)}, []string{"route"}),
		bytesIn: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sfcas_http_request_bytes_total",
			Help: "Request body bytes received, by route pattern."}, []string{"route"}),
		bytesOut: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sfcas_http_response_bytes_total",
			Help: "Response body bytes sent (blob reads among them), by route pattern."}, []string{"route"}),
	}
	m.reg.MustRegister(m.requests, m.duration, m.bytesIn, m.bytesOut,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&storeCollector{log: log, db: db, blobs: blobs}, mountCollector(ms))
	return m
}

// observe records one request (httpapi.Options.Observe).
func (m *metrics) observe(ri httpapi.RequestInfo) {
	m.requests.WithLabelValues(ri.Route, ri.Method, strconv.Itoa(ri.Status)).Inc()
	m.duration.WithLabelValues(ri.Route).Observe(ri.Duration.Seconds())
	m.bytesIn.WithLabelValues(ri.Route).Add(float64(ri.BytesIn))
	m.bytesOut.WithLabelValues(ri.Route).Add(float64(ri.BytesOut))
}

// handler serves /metrics in front of next.
func (m *metrics) handler(next http.Handler) http.Handler {
	prom := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/metrics" && r.Method == http.MethodGet {
			prom.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// storeCollector reads catalog and blob-store state at scrape time.
type storeCollector struct {
	log   *slog.Logger
	db    *catalog.DB
	blobs *cas.Store
}

var (
	descBlobs         = prometheus.NewDesc("sfcas_blobs", "Blobs in the catalog.", nil, nil)
	descBlobBytes     = prometheus.NewDesc("sfcas_blob_bytes", "Bytes stored in blobs.", nil, nil)
	descUnrefBlobs    = prometheus.NewDesc("sfcas_unreferenced_blobs", "Blobs with refcount zero, awaiting GC.", nil, nil)
	descUnrefBytes    = prometheus.NewDesc("sfcas_unreferenced_bytes", "Bytes in blobs with refcount zero, awaiting GC.", nil, nil)
	descQuarantined   = prometheus.NewDesc("sfcas_quarantined_blobs", "Blobs found damaged; never served.", nil, nil)
	descDegraded      = prometheus.NewDesc("sfcas_degraded_labels", "Labels whose current version is quarantined.", nil, nil)
	descArtifacts     = prometheus.NewDesc("sfcas_artifacts", "Artifacts by type.", []string{"type"}, nil)
	descUploads       = prometheus.NewDesc("sfcas_upload_sessions", "Open upload sessions.", nil, nil)
	descIngested      = prometheus.NewDesc("sfcas_ingested_bytes_total", "Bytes committed to the blob store (new or deduplicated).", nil, nil)
	descIngestedBlobs = prometheus.NewDesc("sfcas_ingested_blobs_total", "Blob commits (new or deduplicated).", nil, nil)
	descPins          = prometheus.NewDesc("sfcas_leases_held", "Blobs pinned by open handles, uploads and staging writes.", nil, nil)
	descFree          = prometheus.NewDesc("sfcas_free_bytes", "Free bytes on the store's filesystem.", nil, nil)
	descFloor         = prometheus.NewDesc("sfcas_free_floor_bytes", "Configured free-space floor.", nil, nil)
	descStatsUp       = prometheus.NewDesc("sfcas_catalog_stats_up", "1 if the catalog scan behind the store gauges succeeded.", nil, nil)
	descGCRuns        = prometheus.NewDesc("sfcas_gc_runs_total", "Garbage collections run.", nil, nil)
	descGCBlobs       = prometheus.NewDesc("sfcas_gc_reclaimed_blobs_total", "Blobs garbage collection deleted.", nil, nil)
	descGCBytes       = prometheus.NewDesc("sfcas_gc_reclaimed_bytes_total", "Bytes garbage collection reclaimed.", nil, nil)
	descScrubBlobs    = prometheus.NewDesc("sfcas_scrub_checked_blobs_total", "Blobs scrub re-hashed.", nil, nil)
	descScrubBytes    = prometheus.NewDesc("sfcas_scrub_checked_bytes_total", "Bytes scrub re-hashed.", nil, nil)
	descScrubFailures = prometheus.NewDesc("sfcas_scrub_failures_total", "Damaged blobs scrub found and quarantined.", nil, nil)
	descScrubPasses   = prometheus.NewDesc("sfcas_scrub_passes_total", "Complete scrub passes.", nil, nil)
	descScrubLastPass = prometheus.NewDesc("sfcas_scrub_last_pass_timestamp_seconds", "When the last complete scrub pass ended.", nil, nil)
)

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descBlobs, descBlobBytes, descUnrefBlobs, descUnrefBytes, descQuarantined,
		descDegraded, descArtifacts, descUploads, descIngested, descIngestedBlobs, descPins, descFree, descFloor, descStatsUp,
		descGCRuns, descGCBlobs, descGCBytes, descScrubBlobs, descScrubBytes, descScrubFailures, descScrubPasses, descScrubLastPass} {
		ch <- d
	}
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := c.db.Stats(ctx, time.Second)
	if err != nil {
		c.log.Warn("catalog stats", "err", err)
		gauge(descStatsUp, 0)
	} else {
		gauge(descBlobs, float64(s.Blobs))
		gauge(descBlobBytes, float64(s.BlobBytes))
		gauge(descUnrefBlobs, float64(s.UnreferencedBlobs))
		gauge(descUnrefBytes, float64(s.UnreferencedBytes))
		gauge(descQuarantined, float64(s.QuarantinedBlobs))
		gauge(descDegraded, float64(s.DegradedLabels))
		for _, t := range []catalog.ArtifactType{catalog.TypeImage, catalog.TypeSnapshot, catalog.TypeLabel, catalog.TypeOther} {
			gauge(descArtifacts, float64(s.Artifacts[t]), string(t))
		}
		gauge(descUploads, float64(s.Uploads))
		counter(descIngested, float64(s.IngestedBytes))
		counter(descIngestedBlobs, float64(s.IngestedBlobs))
		gauge(descStatsUp, 1)
		counter(descGCRuns, float64(s.GCRuns))
		counter(descGCBlobs, float64(s.GCDeletedBlobs))
		counter(descGCBytes, float64(s.GCDeletedBytes))
		counter(descScrubBlobs, float64(s.ScrubbedBlobs))
		counter(descScrubBytes, float64(s.ScrubbedBytes))
		counter(descScrubFailures, float64(s.ScrubQuarantined))
		counter(descScrubPasses, float64(s.ScrubPasses))
	}
	if p, err := c.db.ScrubProgress(); err == nil && !p.LastPass.IsZero() {
		gauge(descScrubLastPass, float64(p.LastPass.Unix()))
	}
	gauge(descPins, float64(c.blobs.PinCount()))
	if free, err := c.blobs.FreeBytes(); err == nil {
		gauge(descFree, float64(free))
	}
	gauge(descFloor, float64(c.blobs.MinFree()))
}

// mountCollector reports what the FUSE mounts did, by mount point.
type mountCollector mounts

var (
	descFUSEOpens       = prometheus.NewDesc("sfcas_fuse_opens_total", "Files opened through the label view.", []string{"mount"}, nil)
	descFUSEPassthrough = prometheus.NewDesc("sfcas_fuse_passthrough_opens_total", "Label view opens the kernel reads through passthrough.", []string{"mount"}, nil)
	descFUSEReads       = prometheus.NewDesc("sfcas_fuse_daemon_reads_total", "READ requests the daemon served itself (no passthrough).", []string{"mount"}, nil)
	descFUSERefused     = prometheus.NewDesc("sfcas_fuse_refused_opens_total", "Label view opens answered EIO (damaged or missing blobs).", []string{"mount"}, nil)
	descFUSECommits     = prometheus.NewDesc("sfcas_staging_commits_total", "Staging writes published as versions.", []string{"mount"}, nil)
	descFUSECommitFails = prometheus.NewDesc("sfcas_staging_refused_commits_total", "Staging commits refused (close or rename failed).", []string{"mount"}, nil)
	descFUSEBytes       = prometheus.NewDesc("sfcas_staging_committed_bytes_total", "Bytes committed through the staging mount.", []string{"mount"}, nil)
	descFUSEPassOn      = prometheus.NewDesc("sfcas_fuse_passthrough_active", "1 if the label view uses kernel passthrough.", []string{"mount"}, nil)
)

func (mountCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descFUSEOpens, descFUSEPassthrough, descFUSEReads, descFUSERefused,
		descFUSECommits, descFUSECommitFails, descFUSEBytes, descFUSEPassOn} {
		ch <- d
	}
}

func (mc mountCollector) Collect(ch chan<- prometheus.Metric) {
	for _, m := range mc {
		st, dir := m.Stats(), m.Dir()
		for d, v := range map[*prometheus.Desc]int64{descFUSEOpens: st.Opens, descFUSEPassthrough: st.PassthroughOpens,
			descFUSEReads: st.DaemonReads, descFUSERefused: st.RefusedOpens, descFUSECommits: st.Commits,
			descFUSECommitFails: st.RefusedCommits, descFUSEBytes: st.CommittedBytes} {
			ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), dir)
		}
		on := 0.0
		if m.Passthrough() {
			on = 1
		}
		ch <- prometheus.MustNewConstMetric(descFUSEPassOn, prometheus.GaugeValue, on, dir)
	}
}
