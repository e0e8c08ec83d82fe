// Package websub tells WebSub hubs (https://www.w3.org/TR/websub/) that a
// feed changed, so that feed readers subscribed through a hub get a new
// post at once instead of at their next poll. It owns the websub: block of
// site.yaml, the pings a change makes (one per hub and feed), and sending
// them; the pings go through the outbox, so that a hub that is down gets
// them later and a restart sends none twice.
package websub

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"milepost/internal/outbox"
)

// Kind is the outbox Kind of a ping.
const Kind = "websub"

// Settings is site.yaml's websub: block.
type Settings struct {
	// Hubs are the hubs every feed names (rel="hub"), and that are pinged
	// when a feed changes. None: no WebSub.
	Hubs []string `yaml:"hubs" toml:"hubs"`
}

// Validate checks that every hub is an absolute http(s) URL, trimming
// spaces.
func (s *Settings) Validate() error {
	for i, h := range s.Hubs {
		h = strings.TrimSpace(h)
		u, err := url.Parse(h)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("websub: hub %q is not an absolute http or https URL", h)
		}
		s.Hubs[i] = h
	}
	return nil
}

// Ping is the payload of one ping: tell Hub that Topic changed.
type Ping struct {
	Hub   string `json:"hub"`
	Topic string `json:"topic"`
}

// Messages are the pings for one change (named by event, a stable key such
// as publication.Event.Key()): one per hub and changed feed (topic, the
// feed's absolute URL).
func Messages(hubs, topics []string, event string) ([]outbox.Message, error) {
	var out []outbox.Message
	for _, hub := range hubs {
		for _, topic := range topics {
			payload, err := json.Marshal(Ping{Hub: hub, Topic: topic})
			if err != nil {
				return nil, fmt.Errorf("encoding a ping of %s: %w", hub, err)
			}
			out = append(out, outbox.Message{Kind: Kind, Key: outbox.KeyOf(Kind, event, hub, topic), Payload: payload})
		}
	}
	return out, nil
}

// Sender posts pings: hub.mode=publish and hub.url=topic, as a form.
type Sender struct {
	Client    *http.Client // http.DefaultClient when nil
	UserAgent string
}

// Send posts the ping. A hub answering 4xx (other than 408 and 429) refuses
// the ping for good; anything else not 2xx is tried again later.
func (s *Sender) Send(ctx context.Context, m outbox.Message) error {
	var p Ping
	if err := json.Unmarshal(m.Payload, &p); err != nil || p.Hub == "" || p.Topic == "" {
		return outbox.Permanent(fmt.Errorf("unreadable ping %q", m.Payload))
	}
	form := url.Values{"hub.mode": {"publish"}, "hub.url": {p.Topic}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.Hub, strings.NewReader(form.Encode()))
	if err != nil {
		return outbox.Permanent(fmt.Errorf("pinging %s: %w", p.Hub, err))
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if s.UserAgent != "" {
		req.Header.Set("User-Agent", s.UserAgent)
	}
	client := s.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("pinging %s about %s: %w", p.Hub, p.Topic, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	switch code := resp.StatusCode; {
	case code >= 200 && code < 300:
		return nil
	case code >= 400 && code < 500 && code != http.StatusRequestTimeout && code != http.StatusTooManyRequests:
		return outbox.Permanent(fmt.Errorf("hub %s refused the ping about %s: %s %q", p.Hub, p.Topic, resp.Status, body))
	default:
		return fmt.Errorf("hub %s answered the ping about %s with %s %q", p.Hub, p.Topic, resp.Status, body)
	}
}
