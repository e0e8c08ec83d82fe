package federation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"time"
)

// Bounds of the client that talks to other servers.
const (
	fetchTimeout = 15 * time.Second
	maxRedirects = 3
)

// publicAddr reports whether a may be reached: not private, loopback,
// link-local, multicast, unspecified or shared (CGNAT) space — loopback is
// allowed only when the tests say so.
func (s *Service) publicAddr(a netip.Addr) bool {
	a = a.Unmap()
	if a.IsLoopback() {
		return s.allowLoopback
	}
	switch {
	case !a.IsValid(), a.IsPrivate(), a.IsUnspecified(), a.IsLinkLocalUnicast(), a.IsLinkLocalMulticast(),
		a.IsInterfaceLocalMulticast(), a.IsMulticast():
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("2001:db8::/32"),
}

// newClient is the client of every remote request: it resolves a host,
// refuses it unless every address it has is public, and dials the address
// it checked (so a second lookup cannot answer differently); redirects are
// bounded and each one is checked the same way when it is dialled.
func (s *Service) newClient() *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	transport := &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, port, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
			if err != nil {
				return nil, err
			}
			if len(ips) == 0 {
				return nil, fmt.Errorf("%s has no address", host)
			}
			for _, ip := range ips {
				if !s.publicAddr(ip) {
					return nil, fmt.Errorf("%s is %s: %w", host, ip, ErrUnsafeAddress)
				}
			}
			return dialer.DialContext(ctx, network, net.JoinHostPort(ips[0].Unmap().String(), port))
		},
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: 10 * time.Second,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       30 * time.Second,
	}
	return &http.Client{
		Transport: transport,
		Timeout:   fetchTimeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > maxRedirects {
				return fmt.Errorf("more than %d redirects", maxRedirects)
			}
			return s.checkURL(req.URL)
		},
	}
}

// checkURL refuses an address that is not https (http too in tests) or
// names a host by a non-public address.
func (s *Service) checkURL(u *url.URL) error {
	if u.Scheme != "https" && !(s.allowLoopback && u.Scheme == "http") {
		return fmt.Errorf("%s: only https addresses are fetched", u.Redacted())
	}
	if u.Host == "" || u.User != nil {
		return fmt.Errorf("%s: not a plain address", u.Redacted())
	}
	if a, err := netip.ParseAddr(u.Hostname()); err == nil && !s.publicAddr(a) {
		return fmt.Errorf("%s: %w", u.Redacted(), ErrUnsafeAddress)
	}
	return nil
}

// fetchJSON GETs an ActivityPub document, signed as the site actor (some
// servers answer only signed fetches), within the size limit.
func (s *Service) fetchJSON(ctx context.Context, rawURL string) (map[string]any, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("fetching %q: %w", rawURL, err)
	}
	u.Fragment = ""
	if err := s.checkURL(u); err != nil {
		return nil, fmt.Errorf("fetching: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", ContentTypeActivity+", "+ContentTypeLD)
	req.Header.Set("User-Agent", s.opts.UserAgent)
	if err := s.sign(ctx, req, nil, SiteActor); err != nil {
		return nil, err
	}
	res, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", u.Redacted(), err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetching %s: %s", u.Redacted(), res.Status)
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, MaxFetchBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", u.Redacted(), err)
	}
	if len(body) > MaxFetchBytes {
		return nil, fmt.Errorf("fetching %s: larger than %d bytes", u.Redacted(), MaxFetchBytes)
	}
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("decoding %s: %w", u.Redacted(), err)
	}
	return doc, nil
}

// errPermanent marks a delivery the receiver refused for good.
var errPermanent = errors.New("refused for good")

// post delivers a signed activity to an inbox as the local actor name.
// A 4xx answer other than 429 is wrapped with errPermanent.
func (s *Service) post(ctx context.Context, inbox string, body []byte, name string) error {
	u, err := url.Parse(inbox)
	if err != nil {
		return fmt.Errorf("delivering to %q: %w: %w", inbox, err, errPermanent)
	}
	if err := s.checkURL(u); err != nil {
		return fmt.Errorf("delivering: %w: %w", err, errPermanent)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", ContentTypeActivity)
	req.Header.Set("Accept", ContentTypeActivity)
	req.Header.Set("User-Agent", s.opts.UserAgent)
	if err := s.sign(ctx, req, body, name); err != nil {
		return err
	}
	res, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("delivering to %s: %w", u.Redacted(), err)
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	switch {
	case res.StatusCode >= 200 && res.StatusCode < 300:
		return nil
	case res.StatusCode >= 400 && res.StatusCode < 500 && res.StatusCode != http.StatusTooManyRequests:
		return fmt.Errorf("delivering to %s: %s: %w", u.Redacted(), res.Status, errPermanent)
	}
	return fmt.Errorf("delivering to %s: %s", u.Redacted(), res.Status)
}
