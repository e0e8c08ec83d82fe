package federation

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/go-fed/httpsig"
)

// localKey is a local actor's key pair. The private key never leaves the
// Service except into the Store.
type localKey struct {
	private   *rsa.PrivateKey
	publicPEM string
}

// keyBits is the size of the actors' RSA keys, as Mastodon's.
const keyBits = 2048

// localKey returns a local actor's key, generating and storing it on first
// use. Two requests at once for a new actor agree on one key: the Store
// keeps the first stored.
func (s *Service) localKey(ctx context.Context, name string) (*localKey, error) {
	s.keysMu.Lock()
	k := s.keys[name]
	s.keysMu.Unlock()
	if k != nil {
		return k, nil
	}
	stored, err := s.opts.Store.ActorKey(ctx, name, nil)
	if err != nil {
		return nil, fmt.Errorf("reading the key of %s: %w", name, err)
	}
	if stored == nil {
		fresh, err := rsa.GenerateKey(rand.Reader, keyBits)
		if err != nil {
			return nil, fmt.Errorf("generating a key for %s: %w", name, err)
		}
		der, err := x509.MarshalPKCS8PrivateKey(fresh)
		if err != nil {
			return nil, fmt.Errorf("encoding the key of %s: %w", name, err)
		}
		stored, err = s.opts.Store.ActorKey(ctx, name, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
		if err != nil {
			return nil, fmt.Errorf("storing the key of %s: %w", name, err)
		}
	}
	k, err = parseLocalKey(stored)
	if err != nil {
		return nil, fmt.Errorf("the key of %s: %w", name, err)
	}
	s.keysMu.Lock()
	if have := s.keys[name]; have != nil {
		k = have
	} else {
		s.keys[name] = k
	}
	s.keysMu.Unlock()
	return k, nil
}

func parseLocalKey(privatePEM []byte) (*localKey, error) {
	blk, _ := pem.Decode(privatePEM)
	if blk == nil {
		return nil, errors.New("not PEM")
	}
	key, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, err
	}
	rk, ok := key.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("not an RSA key")
	}
	pub, err := x509.MarshalPKIXPublicKey(&rk.PublicKey)
	if err != nil {
		return nil, err
	}
	return &localKey{private: rk, publicPEM: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}))}, nil
}

// ParsePublicKey reads a PEM public key as actors publish it (PKIX, or
// PKCS#1 "RSA PUBLIC KEY").
func ParsePublicKey(s string) (any, error) {
	blk, _ := pem.Decode([]byte(s))
	if blk == nil {
		return nil, errors.New("the public key is not PEM")
	}
	if k, err := x509.ParsePKIXPublicKey(blk.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS1PublicKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("reading the public key: %w", err)
	}
	return k, nil
}

// Headers signed on every request: Mastodon checks (request-target), host
// and date, and digest on a POST.
var (
	signedGet  = []string{httpsig.RequestTarget, "host", "date"}
	signedPost = []string{httpsig.RequestTarget, "host", "date", "digest"}
)

// Sign signs req (with body, for a POST) as the local actor name, setting
// Date, Host, Digest and Signature.
func (s *Service) sign(ctx context.Context, req *http.Request, body []byte, name string) error {
	st, err := s.current()
	if err != nil {
		return err
	}
	k, err := s.localKey(ctx, name)
	if err != nil {
		return err
	}
	return SignRequest(req, body, k.private, st.keyID(name), s.now())
}

// SignRequest signs req with key as keyID the way Mastodon does:
// rsa-sha256 over (request-target), host, date and, with a body, digest.
// The fake instance of the tests signs with it too.
func SignRequest(req *http.Request, body []byte, key *rsa.PrivateKey, keyID string, now time.Time) error {
	req.Header.Set("Date", now.UTC().Format(http.TimeFormat))
	if req.Header.Get("Host") == "" {
		req.Header.Set("Host", req.URL.Host)
	}
	headers := signedGet
	if body != nil {
		headers = signedPost
	}
	signer, _, err := httpsig.NewSigner([]httpsig.Algorithm{httpsig.RSA_SHA256}, httpsig.DigestSha256, headers, httpsig.Signature, 0)
	if err != nil {
		return fmt.Errorf("making a signer: %w", err)
	}
	if err := signer.SignRequest(key, keyID, req, body); err != nil {
		return fmt.Errorf("signing a request to %s: %w", req.URL, err)
	}
	if body != nil {
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.ContentLength = int64(len(body))
	}
	return nil
}
