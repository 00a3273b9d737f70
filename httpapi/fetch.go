package httpapi

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/sfcas/sfcas/cas"
)

// FetchOptions configure downloads from URLs (publish from a URL, and the
// Shaken Fist POST /artifacts). Zero fields take the defaults.
type FetchOptions struct {
	// MaxRedirects bounds redirects per attempt; default 5.
	MaxRedirects int
	// Attempts is how many times a transient failure (connection error, 5xx,
	// 429, a body cut short) is tried; default 4.
	Attempts int
	// Backoff is the delay before the first retry, doubling after each;
	// default 1s.
	Backoff time.Duration
	// HeaderTimeout bounds connecting and waiting for response headers;
	// default 30s. The body may take as long as it needs.
	HeaderTimeout time.Duration
	// UserAgent is sent with every request.
	UserAgent string
}

// fetcher downloads URLs into blob writers.
type fetcher struct {
	o      FetchOptions
	client *http.Client
}

// errTooManyRedirects marks the redirect bound being hit.
var errTooManyRedirects = errors.New("too many redirects")

func newFetcher(o FetchOptions) *fetcher {
	if o.MaxRedirects <= 0 {
		o.MaxRedirects = 5
	}
	if o.Attempts <= 0 {
		o.Attempts = 4
	}
	if o.Backoff <= 0 {
		o.Backoff = time.Second
	}
	if o.HeaderTimeout <= 0 {
		o.HeaderTimeout = 30 * time.Second
	}
	if o.UserAgent == "" {
		o.UserAgent = "sfcas"
	}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: o.HeaderTimeout}).DialContext,
		TLSHandshakeTimeout:   o.HeaderTimeout,
		ResponseHeaderTimeout: o.HeaderTimeout,
		MaxIdleConnsPerHost:   4,
	}
	client := &http.Client{Transport: tr, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) > o.MaxRedirects {
			return fmt.Errorf("%w (more than %d)", errTooManyRedirects, o.MaxRedirects)
		}
		if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
			return errRedirectScheme
		}
		return nil
	}}
	return &fetcher{o: o, client: client}
}

// checkURL validates a URL to fetch: http or https with a host.
func checkURL(raw string) (*url.URL, error) {
	if len(raw) > 8192 {
		return nil, errorf(http.StatusBadRequest, codeBadURL, "URL is longer than 8192 bytes")
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errorf(http.StatusBadRequest, codeBadURL, fmt.Sprintf("%q is not an http or https URL", clip(raw)))
	}
	return u, nil
}

// fetch downloads raw into w, retrying transient failures with backoff and
// resuming with a Range request when the origin allows it. progress, if not
// nil, is called now and then with bytes received and the total (-1 if the
// origin did not say).
func (f *fetcher) fetch(ctx context.Context, raw string, w *cas.Writer, progress func(done, total int64)) error {
	u, err := checkURL(raw)
	if err != nil {
		return err
	}
	delay := f.o.Backoff
	var last error
	for attempt := 1; attempt <= f.o.Attempts; attempt++ {
		retry, err := f.attempt(ctx, u, w, progress)
		if err == nil {
			return nil
		}
		last = err
		if !retry || attempt == f.o.Attempts {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		delay *= 2
	}
	return last
}

// attempt makes one request. It returns whether a failure is worth retrying.
func (f *fetcher) attempt(ctx context.Context, u *url.URL, w *cas.Writer, progress func(done, total int64)) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return false, errorf(http.StatusBadRequest, codeBadURL, "cannot request "+clip(u.Redacted()))
	}
	req.Header.Set("User-Agent", f.o.UserAgent)
	have := w.Size()
	if have > 0 {
		req.Header.Set("Range", "bytes="+strconv.FormatInt(have, 10)+"-")
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return classifyDialError(u, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusPartialContent && have > 0:
	case resp.StatusCode == http.StatusOK:
		if have > 0 {
			if err := w.Truncate(0); err != nil {
				return false, err
			}
		}
	default:
		retry := resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests
		return retry, &apiError{status: http.StatusBadGateway, code: codeOriginError,
			msg: fmt.Sprintf("%s answered %s", u.Redacted(), resp.Status)}
	}
	total := int64(-1)
	if resp.ContentLength >= 0 {
		total = w.Size() + resp.ContentLength
	}
	body := io.Reader(resp.Body)
	if progress != nil {
		body = &progressReader{r: resp.Body, done: w.Size(), total: total, fn: progress}
	}
	if _, err := w.ReadFrom(body); err != nil {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		if errors.Is(err, cas.ErrNoSpace) {
			return false, err
		}
		return true, &apiError{status: http.StatusBadGateway, code: codeDownload,
			msg: fmt.Sprintf("download from %s was cut short after %d bytes", u.Redacted(), w.Size()), err: err}
	}
	if total >= 0 && w.Size() != total {
		return true, &apiError{status: http.StatusBadGateway, code: codeDownload,
			msg: fmt.Sprintf("download from %s ended at %d of %d bytes", u.Redacted(), w.Size(), total)}
	}
	return false, nil
}

// classifyDialError turns a client error into a typed one.
func classifyDialError(u *url.URL, err error) (bool, error) {
	if errors.Is(err, errTooManyRedirects) {
		return false, &apiError{status: http.StatusBadGateway, code: codeRedirects,
			msg: fmt.Sprintf("%s: too many redirects", u.Redacted()), err: err}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false, err
	}
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil && !isNetError(ue.Err) {
		return false, &apiError{status: http.StatusBadGateway, code: codeDownload,
			msg: fmt.Sprintf("%s: %s", u.Redacted(), clientReason(ue.Err)), err: err}
	}
	return true, &apiError{status: http.StatusBadGateway, code: codeUnreachable,
		msg: fmt.Sprintf("%s is unreachable: %s", u.Redacted(), netReason(err)), err: err}
}

func isNetError(err error) bool {
	var ne net.Error
	var oe *net.OpError
	var de *net.DNSError
	return errors.As(err, &ne) || errors.As(err, &oe) || errors.As(err, &de)
}

// errRedirectScheme marks a redirect to a scheme other than http(s).
var errRedirectScheme = errors.New("redirect to a URL that is not http or https refused")

// clientReason is a short, safe description of a non-network failure of a
// request (TLS, redirects); Go's own error text is not shown to clients.
func clientReason(err error) string {
	var cve *tls.CertificateVerificationError
	var uae x509.UnknownAuthorityError
	var hne x509.HostnameError
	switch {
	case errors.Is(err, errRedirectScheme):
		return errRedirectScheme.Error()
	case errors.As(err, &cve), errors.As(err, &uae), errors.As(err, &hne):
		return "the TLS certificate could not be verified"
	}
	return "the request failed"
}

// netReason is a short, safe description of a network failure.
func netReason(err error) string {
	var de *net.DNSError
	var oe *net.OpError
	switch {
	case errors.As(err, &de):
		return "host name not found"
	case errors.As(err, &oe) && oe.Op == "dial":
		if oe.Timeout() {
			return "connection timed out"
		}
		return "connection refused"
	}
	return "network error"
}

// progressReader reports progress at most once per second.
type progressReader struct {
	r     io.Reader
	done  int64
	total int64
	fn    func(done, total int64)
	last  time.Time
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.done += int64(n)
	if now := time.Now(); now.Sub(p.last) >= time.Second || err != nil {
		p.last = now
		p.fn(p.done, p.total)
	}
	return n, err
}
