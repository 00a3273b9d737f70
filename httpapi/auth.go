package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/sfcas/sfcas/catalog"
	"github.com/sfcas/sfcas/httpapi/api"
)

// tokenIssuer names this service in tokens.
const tokenIssuer = "sfcas"

// claims are what a token carries: the namespace and key it was minted for
// and the key's generation, so replacing or deleting the key revokes it.
type claims struct {
	Namespace string `json:"ns"`
	Key       string `json:"key"`
	Gen       uint64 `json:"gen"`
	jwt.RegisteredClaims
}

// handleAuth is POST /auth: {"namespace", "key"} → a short-lived bearer
// token. Every failure is 401 (or 400 for a malformed body), so a caller
// cannot probe which namespaces exist.
func (s *Server) handleAuth(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Namespace *string `json:"namespace"`
		Key       *string `json:"key"`
	}
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	if body.Namespace == nil || *body.Namespace == "" {
		return badRequest("missing namespace in request")
	}
	if body.Key == nil || *body.Key == "" {
		return badRequest("missing key in request")
	}
	c, gen, err := s.db.Authenticate(r.Context(), *body.Namespace, []byte(*body.Key))
	if err != nil {
		return err
	}
	tok, err := s.issueToken(c, gen)
	if err != nil {
		return err
	}
	writeJSON(w, api.Token{AccessToken: tok, TokenType: "Bearer", ExpiresIn: int(s.tokenTTL / time.Second)})
	return nil
}

func (s *Server) issueToken(c catalog.Caller, gen uint64) (string, error) {
	now := s.db.Now()
	t := jwt.NewWithClaims(jwt.SigningMethodHS256, claims{
		Namespace: c.Namespace, Key: c.Key, Gen: gen,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: tokenIssuer, Subject: c.Namespace + ":" + c.Key,
			IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(s.tokenTTL)),
		},
	})
	return t.SignedString(s.db.TokenSecret())
}

// errUnauthenticated is the one answer to every token problem.
func errUnauthenticated(why string) error {
	return fmt.Errorf("%s: %w", why, catalog.ErrUnauthenticated)
}

// authenticate returns the caller a request's bearer token names. It
// accepts only HS256 tokens signed with the catalog's secret, unexpired,
// whose key still exists at the generation they were minted for.
func (s *Server) authenticate(r *http.Request) (catalog.Caller, error) {
	h := r.Header.Get("Authorization")
	raw, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || raw == "" {
		return catalog.Caller{}, errUnauthenticated("missing bearer token (POST /auth first)")
	}
	c, err := s.parseToken(r.Context(), strings.TrimSpace(raw))
	if err != nil {
		return catalog.Caller{}, err
	}
	return c, nil
}

// parseToken validates a token string.
func (s *Server) parseToken(ctx context.Context, raw string) (catalog.Caller, error) {
	if len(raw) > 4096 {
		return catalog.Caller{}, errUnauthenticated("token too long")
	}
	var cl claims
	_, err := jwt.ParseWithClaims(raw, &cl, func(*jwt.Token) (any, error) { return s.db.TokenSecret(), nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(tokenIssuer), jwt.WithExpirationRequired(), jwt.WithTimeFunc(s.db.Now),
		jwt.WithLeeway(time.Second))
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return catalog.Caller{}, errUnauthenticated("token expired")
	case err != nil:
		return catalog.Caller{}, errUnauthenticated("invalid token")
	}
	c := catalog.Caller{Namespace: cl.Namespace, Key: cl.Key}
	if !s.db.KeyValid(ctx, c, cl.Gen) {
		return catalog.Caller{}, errUnauthenticated("token revoked: its key was replaced or deleted")
	}
	return c, nil
}
