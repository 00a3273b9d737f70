package client

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"time"
)

// tokenMargin is how long before its expiry a cached token is no longer
// used.
const tokenMargin = 30 * time.Second

// cachedToken is one token in the cache directory.
type cachedToken struct {
	Token   string    `json:"token"`
	Expires time.Time `json:"expires"`
}

// cacheFile names the cache entry of this daemon, namespace and key: the
// key itself appears only through a hash, so a cache cannot be used to
// learn it, and a replaced key misses the old entry.
func (c *Client) cacheFile() string {
	if c.tokenCache == "" {
		return ""
	}
	h := sha256.New()
	for _, part := range [][]byte{[]byte(c.base), {0}, []byte(c.namespace), {0}, c.key} {
		h.Write(part)
	}
	return filepath.Join(c.tokenCache, hex.EncodeToString(h.Sum(nil))[:32]+".json")
}

// loadToken returns a cached token with time left, or "".
func (c *Client) loadToken(now time.Time) string {
	p := c.cacheFile()
	if p == "" {
		return ""
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return ""
	}
	var t cachedToken
	if json.Unmarshal(b, &t) != nil || now.Add(tokenMargin).After(t.Expires) {
		return ""
	}
	return t.Token
}

// saveToken caches a token (mode 0600, written atomically). Failures only
// cost a login next time, so they are ignored.
func (c *Client) saveToken(tok string, expires time.Time) {
	p := c.cacheFile()
	if p == "" {
		return
	}
	if err := os.MkdirAll(c.tokenCache, 0o700); err != nil {
		return
	}
	b, _ := json.Marshal(cachedToken{Token: tok, Expires: expires})
	f, err := os.CreateTemp(c.tokenCache, ".token-*")
	if err != nil {
		return
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(b); err != nil || f.Close() != nil {
		return
	}
	_ = os.Rename(f.Name(), p)
}
