package federation

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/go-fed/httpsig"
)

// vocabulary helpers: servers send a single value where a list is allowed,
// and an object or its id where either is allowed.

// str is a value's id: the string itself, or an object's "id" (or a
// link's "href").
func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case map[string]any:
		if id, ok := x["id"].(string); ok {
			return id
		}
		if h, ok := x["href"].(string); ok {
			return h
		}
	}
	return ""
}

// list is a value that may be one item or a list of them.
func list(v any) []any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		return x
	}
	return []any{v}
}

func strs(v any) []string {
	var out []string
	for _, x := range list(v) {
		if s := str(x); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func text(m map[string]any, key string) string { s, _ := m[key].(string); return s }

// hostOf is the lower-cased host of an address, "" when it has none.
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Hostname())
}

// verify checks an incoming POST's HTTP signature and returns the remote
// actor that signed it: the signature must cover (request-target), host,
// date and digest; the Date must be within DateWindow of now; the Digest
// must be the body's SHA-256; the signer's domain must be neither blocked
// nor over its rate. The key is fetched (signed) and cached; when the
// cached key does not verify, it is fetched again once, in case it was
// rotated.
//
// Each request is charged to the client address it came from before its
// key is looked up or fetched, and refunded once its signature verifies:
// so an address's failed requests are limited, concurrent ones too, and
// once it has used up its allowance its requests are refused before any
// key is fetched. Only a verified request is charged to its instance: the
// keyId is anyone's to write, and forged requests naming a real instance
// must not use up that instance's allowance.
func (s *Service) verify(ctx context.Context, r *http.Request, body []byte, client string) (RemoteActor, error) {
	charged, refund := s.charge(clientLimit(client))
	if !charged {
		return RemoteActor{}, ErrRateLimited
	}
	actor, err := s.verifySignature(ctx, r, body)
	if err != nil {
		return RemoteActor{}, err // the charge stands
	}
	refund()
	if s.limited(instanceLimit(hostOf(actor.ID))) {
		return RemoteActor{}, ErrRateLimited
	}
	return actor, nil
}

// verifySignature is verify's check of the signature itself.
func (s *Service) verifySignature(ctx context.Context, r *http.Request, body []byte) (RemoteActor, error) {
	// The server takes Host out of the header map; the signature covers it.
	r.Header.Set("Host", r.Host)
	v, err := httpsig.NewVerifier(r)
	if err != nil {
		return RemoteActor{}, fmt.Errorf("%w: %w", ErrBadSignature, err)
	}
	covered := signedHeaders(r.Header)
	for _, h := range signedPost {
		if !slices.Contains(covered, h) {
			return RemoteActor{}, fmt.Errorf("%w: %q is not signed", ErrBadSignature, h)
		}
	}
	date, err := http.ParseTime(r.Header.Get("Date"))
	if err != nil {
		return RemoteActor{}, fmt.Errorf("%w: no readable Date", ErrBadSignature)
	}
	if d := s.now().Sub(date); d > DateWindow || d < -DateWindow {
		return RemoteActor{}, fmt.Errorf("%w: Date %s is outside the window of %s", ErrBadSignature, date.UTC(), DateWindow)
	}
	if err := checkDigest(r.Header.Get("Digest"), body); err != nil {
		return RemoteActor{}, fmt.Errorf("%w: %w", ErrBadSignature, err)
	}
	keyID := v.KeyId()
	domain := hostOf(keyID)
	if domain == "" {
		return RemoteActor{}, fmt.Errorf("%w: keyId %q is not an address", ErrBadSignature, keyID)
	}
	if err := s.checkBlocked(ctx, keyID); err != nil {
		return RemoteActor{}, err
	}
	actor, cached, err := s.remoteActor(ctx, keyID, false)
	if err != nil {
		return RemoteActor{}, err
	}
	err = verifyWith(v, actor)
	if err != nil && cached && s.now().Sub(actor.Fetched) > keyRefetchAfter {
		if actor, _, err = s.remoteActor(ctx, keyID, true); err != nil {
			return RemoteActor{}, err
		}
		err = verifyWith(v, actor)
	}
	if err != nil {
		return RemoteActor{}, fmt.Errorf("%w: %w", ErrBadSignature, err)
	}
	return actor, nil
}

// signedHeaders lists the headers a Signature header says it covers
// ("date" alone when it names none, as the drafts say).
func signedHeaders(h http.Header) []string {
	sig := h.Get("Signature")
	if sig == "" {
		sig = strings.TrimPrefix(h.Get("Authorization"), "Signature ")
	}
	for part := range strings.SplitSeq(sig, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok && k == "headers" {
			return strings.Fields(strings.ToLower(strings.Trim(v, `"`)))
		}
	}
	return []string{"date"}
}

// checkDigest checks a "SHA-256=base64" Digest header against the body.
func checkDigest(header string, body []byte) error {
	for part := range strings.SplitSeq(header, ",") {
		alg, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || !strings.EqualFold(alg, "SHA-256") {
			continue
		}
		sum := sha256.Sum256(body)
		if subtle.ConstantTimeCompare([]byte(val), []byte(base64.StdEncoding.EncodeToString(sum[:]))) == 1 {
			return nil
		}
		return errors.New("the Digest is not the body's")
	}
	return errors.New("no SHA-256 Digest")
}

// verifyWith verifies the signature with a's key. "hs2019" and
// "rsa-sha256" signatures alike are verified by the key's algorithm:
// RSA with SHA-256, as every server signing with RSA keys uses.
func verifyWith(v httpsig.Verifier, a RemoteActor) error {
	key, err := ParsePublicKey(a.PublicKeyPEM)
	if err != nil {
		return err
	}
	return v.Verify(key, httpsig.RSA_SHA256)
}

// remoteActor returns the actor whose key is keyID, from the cache unless
// refetch, else fetched: the key's document is the actor itself (Mastodon)
// or a key naming its owner, whose document must name the key back.
func (s *Service) remoteActor(ctx context.Context, keyID string, refetch bool) (RemoteActor, bool, error) {
	if !refetch {
		a, ok, err := s.opts.Store.RemoteActor(ctx, keyID)
		if err != nil {
			return RemoteActor{}, false, fmt.Errorf("reading the cached key %s: %w", keyID, err)
		}
		if ok {
			return a, true, nil
		}
	}
	if err := s.keyFetches.Acquire(ctx, 1); err != nil {
		return RemoteActor{}, false, fmt.Errorf("waiting to fetch key %s: %w", keyID, err)
	}
	defer s.keyFetches.Release(1)
	doc, err := s.fetchJSON(ctx, keyID)
	if err != nil {
		return RemoteActor{}, false, fmt.Errorf("%w: fetching key %s: %w", ErrBadSignature, keyID, err)
	}
	if _, isActor := doc["inbox"]; !isActor {
		owner := text(doc, "owner")
		if owner == "" || hostOf(owner) != hostOf(keyID) {
			return RemoteActor{}, false, fmt.Errorf("%w: key %s has no owner on its server", ErrBadSignature, keyID)
		}
		if doc, err = s.fetchJSON(ctx, owner); err != nil {
			return RemoteActor{}, false, fmt.Errorf("%w: fetching the owner of %s: %w", ErrBadSignature, keyID, err)
		}
	}
	a, err := actorFrom(doc, keyID)
	if err != nil {
		return RemoteActor{}, false, fmt.Errorf("%w: %w", ErrBadSignature, err)
	}
	a.Fetched = s.now()
	if err := s.opts.Store.PutRemoteActor(ctx, a); err != nil {
		return RemoteActor{}, false, fmt.Errorf("caching the key %s: %w", keyID, err)
	}
	return a, false, nil
}

// actorFrom reads an actor document whose key must be keyID and whose id
// must be on the key's server.
func actorFrom(doc map[string]any, keyID string) (RemoteActor, error) {
	a := RemoteActor{ID: text(doc, "id"), KeyID: keyID, Inbox: str(doc["inbox"]), Username: text(doc, "preferredUsername"),
		Name: text(doc, "name"), URL: str(doc["url"])}
	if a.ID == "" || hostOf(a.ID) != hostOf(keyID) {
		return RemoteActor{}, fmt.Errorf("actor %q is not on the server of key %s", a.ID, keyID)
	}
	if ep, ok := doc["endpoints"].(map[string]any); ok {
		a.SharedInbox = str(ep["sharedInbox"])
	}
	for _, k := range list(doc["publicKey"]) {
		km, _ := k.(map[string]any)
		if km != nil && text(km, "id") == keyID {
			if owner := text(km, "owner"); owner != "" && owner != a.ID {
				return RemoteActor{}, fmt.Errorf("key %s is owned by %s, not %s", keyID, owner, a.ID)
			}
			a.PublicKeyPEM = text(km, "publicKeyPem")
		}
	}
	if a.PublicKeyPEM == "" {
		return RemoteActor{}, fmt.Errorf("actor %s does not publish key %s", a.ID, keyID)
	}
	if a.URL == "" {
		a.URL = a.ID
	}
	return a, nil
}

// checkBlocked refuses an address whose domain, or which itself, is
// blocked.
func (s *Service) checkBlocked(ctx context.Context, addrs ...string) error {
	bs, err := s.opts.Store.Blocks(ctx)
	if err != nil {
		return fmt.Errorf("reading blocks: %w", err)
	}
	for _, a := range addrs {
		if blocks(bs, a) {
			return ErrBlocked
		}
	}
	return nil
}
