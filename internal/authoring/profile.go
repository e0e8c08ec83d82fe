package authoring

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"

	"milepost/internal/atomicfile"
	"milepost/internal/comments"
	"milepost/internal/content"
	"milepost/internal/media"
)

// A profile is an author file, content/authors/ID.md: front matter name
// (required) and website, the Markdown body the bio. It is saved the way a
// post is — atomically, refused with a *ConflictError when the file changed
// since it was opened, changing only the keys edited — and judged by
// content (Site.ParseAuthor) before it is written. Its photo is stored
// beside it as media's stripped variant, never as the bytes uploaded.

// Profile is an author profile as authored.
type Profile struct {
	ID      string
	Name    string
	Website string
	Bio     string
	// File is relative to the content directory; Avatar is the photo's
	// file ("" when there is none).
	File    string
	Avatar  string
	Version Version
}

// ProfileEdit is what a profile form sends. Photo, when not nil, is a new
// photo for the profile; it is probed before anything is stored.
type ProfileEdit struct {
	ID      string
	Name    string
	Website string
	Bio     string
	Photo   io.ReadSeeker
	By      string
}

// AvatarWidth is the widest an author's photo is stored: it is shown small.
const AvatarWidth = 480

// profileKeys are the front matter keys a profile form edits.
var profileKeys = []string{"name", "website"}

func profileFile(id string) string { return "authors/" + id + ".md" }

// profileLock is the lock key of a profile: post slugs never hold a colon.
func profileLock(id string) string { return "author:" + id }

// OpenProfile returns the author profile with the id as its file is now.
// The error matches ErrInvalidSlug or ErrNotFound, or is an *InvalidError.
func (s *Service) OpenProfile(ctx context.Context, id string) (Profile, error) {
	if err := ctx.Err(); err != nil {
		return Profile{}, err
	}
	if !content.ValidSlug(id) {
		return Profile{}, fmt.Errorf("opening profile %q: %w", id, ErrInvalidSlug)
	}
	rel := profileFile(id)
	if err := s.noLinks(rel); err != nil {
		return Profile{}, fmt.Errorf("opening profile %q: %w", id, err)
	}
	src, err := s.read(rel)
	if err != nil {
		return Profile{}, fmt.Errorf("opening profile %q: %w", id, err)
	}
	return s.profileOf(id, src)
}

func (s *Service) profileOf(id string, src []byte) (Profile, error) {
	rel := profileFile(id)
	split, err := content.SplitSource(src)
	if err != nil {
		return Profile{}, invalid(rel, err)
	}
	p := Profile{ID: id, File: rel, Bio: string(src[split.BodyStart:]), Version: VersionOf(src)}
	for _, k := range split.Keys {
		switch strings.ToLower(k.Key) {
		case "name":
			p.Name = k.Text
		case "website":
			p.Website = k.Text
		}
	}
	p.Avatar = s.avatarFile(id)
	return p, nil
}

// avatarFile is the profile's photo file, or "".
func (s *Service) avatarFile(id string) string {
	for _, ext := range content.AvatarExts {
		rel := content.AvatarFile(id, ext)
		if fi, err := os.Lstat(s.abs(rel)); err == nil && fi.Mode().IsRegular() {
			return rel
		}
	}
	return ""
}

// NewProfileID is an unused profile ID made from a display name
// (content.SlugFromTitle, then -2, -3, … while taken). It is "" when the
// name has nothing a slug can be made of.
func (s *Service) NewProfileID(name string) string {
	base := content.SlugFromTitle(name)
	if base == "" {
		return ""
	}
	for n := 1; ; n++ {
		id := base
		if n > 1 {
			id = base + "-" + strconv.Itoa(n)
		}
		if _, known := s.site().Authors[id]; known {
			continue
		}
		if _, err := os.Lstat(s.abs(profileFile(id))); errors.Is(err, fs.ErrNotExist) {
			return id
		}
	}
}

// ErrPhoto is matched by the error for a photo media refuses (also
// matching media.ErrRefused, with its reason).
var ErrPhoto = errors.New("the photo cannot be used")

// CheckProfile returns the error SaveProfile would give e for what is
// sent — a file content would skip, a photo media refuses — and writes
// nothing; conflicts are SaveProfile's to find.
func (s *Service) CheckProfile(ctx context.Context, e ProfileEdit) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !content.ValidSlug(e.ID) {
		return fmt.Errorf("checking profile %q: %w", e.ID, ErrInvalidSlug)
	}
	var current []byte
	if b, err := os.ReadFile(s.abs(profileFile(e.ID))); err == nil {
		current = b
	}
	if _, err := s.profileText(e, current); err != nil {
		return err
	}
	if e.Photo != nil {
		if _, _, err := probePhoto(e.Photo); err != nil {
			return err
		}
	}
	return nil
}

// SaveProfile writes the profile e.ID: a new file when basedOn is the zero
// Version (refused as a conflict if one exists), else an edit of the file
// that must still be basedOn. With a photo, its stripped variant replaces
// the profile's photo.
func (s *Service) SaveProfile(ctx context.Context, e ProfileEdit, basedOn Version) (Profile, error) {
	if err := ctx.Err(); err != nil {
		return Profile{}, err
	}
	if !content.ValidSlug(e.ID) {
		return Profile{}, fmt.Errorf("saving profile %q: %w", e.ID, ErrInvalidSlug)
	}
	defer s.locks.lock(profileLock(e.ID))()
	current, err := s.currentProfile(e.ID)
	if err != nil {
		return Profile{}, err
	}
	var photo []byte
	var info media.Info
	if e.Photo != nil {
		// Probed before the text is judged, so that nothing is written
		// for a profile whose photo is refused.
		if info, photo, err = probePhoto(e.Photo); err != nil {
			return Profile{}, err
		}
	}
	yours, err := s.profileText(e, current)
	if err != nil {
		return Profile{}, err
	}
	if (current == nil) != (basedOn == "") || (current != nil && VersionOf(current) != basedOn) {
		return Profile{}, profileConflict(e.ID, current, yours)
	}
	if photo != nil {
		if err := s.writeAvatar(ctx, e.ID, photo, info); err != nil {
			return Profile{}, err
		}
	}
	if !bytes.Equal(current, yours) {
		if err := s.writeProfile(ctx, e.ID, current, yours, e.By, comments.ActionProfileSave, ""); err != nil {
			return Profile{}, err
		}
	}
	s.log.InfoContext(ctx, "author profile saved", "author", e.ID, "by", e.By, "new", current == nil, "photo", photo != nil)
	return s.profileOf(e.ID, yours)
}

// profileText is the author file e makes of current (nil: a new file),
// refused with an *InvalidError when content would skip it.
func (s *Service) profileText(e ProfileEdit, current []byte) ([]byte, error) {
	rel := profileFile(e.ID)
	name, website := strings.TrimSpace(e.Name), strings.TrimSpace(e.Website)
	for what, text := range map[string]string{"name": name, "website": website, "bio": e.Bio} {
		if !utf8.ValidString(text) {
			return nil, &InvalidError{Problems: []content.Problem{{File: rel, Err: fmt.Errorf("the %s is not valid UTF-8 text", what)}}}
		}
	}
	values := map[string]string{"name": name, "website": website}
	var out []byte
	if current == nil {
		var b bytes.Buffer
		b.WriteString("---\n")
		for _, key := range profileKeys {
			if values[key] == "" {
				continue
			}
			text, err := yamlKey(key, values[key], true)
			if err != nil {
				return nil, err
			}
			b.WriteString(text)
		}
		b.WriteString("---\n")
		bio := withLineEnds(endLine(e.Bio), "\n")
		if bio != "" && !strings.HasPrefix(bio, "\n") {
			b.WriteString("\n")
		}
		b.WriteString(bio)
		out = b.Bytes()
	} else {
		split, err := content.SplitSource(current)
		if err != nil {
			return nil, invalid(rel, err)
		}
		newline := "\n"
		if split.FrontStart >= 2 && current[split.FrontStart-2] == '\r' {
			newline = "\r\n"
		}
		ed := frontEditor{split: split, front: current[split.FrontStart:split.FrontEnd], newline: newline}
		for _, key := range profileKeys {
			was := ""
			for _, k := range split.Keys {
				if strings.EqualFold(k.Key, key) {
					was = k.Text
				}
			}
			if was == values[key] {
				continue
			}
			if err := ed.set(key, values[key]); err != nil {
				return nil, err
			}
		}
		front, err := ed.apply()
		if err != nil {
			return nil, err
		}
		var b bytes.Buffer
		b.Write(current[:split.FrontStart])
		b.Write(front)
		b.Write(current[split.FrontEnd:split.BodyStart])
		was := string(current[split.BodyStart:])
		b.WriteString(sameOrWithLineEnds(sameOrEndLine(e.Bio, was, newline), was, newline))
		out = b.Bytes()
	}
	if _, problems := s.site().ParseAuthor(rel, out); len(problems) > 0 {
		return nil, &InvalidError{Problems: problems}
	}
	return out, nil
}

// probePhoto checks an uploaded photo with media.Probe before anything of
// it is kept, then reads it whole.
func probePhoto(r io.ReadSeeker) (media.Info, []byte, error) {
	info, err := media.Probe(r)
	if err != nil {
		return media.Info{}, nil, fmt.Errorf("%w: %w", ErrPhoto, err)
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return media.Info{}, nil, fmt.Errorf("rewinding the photo: %w", err)
	}
	data, err := io.ReadAll(io.LimitReader(r, media.MaxBytes+1))
	if err != nil {
		return media.Info{}, nil, fmt.Errorf("reading the photo: %w", err)
	}
	return info, data, nil
}

// writeAvatar stores the stripped variant of the photo as the profile's
// photo, and removes one in the other format.
func (s *Service) writeAvatar(ctx context.Context, id string, data []byte, info media.Info) error {
	ext := info.Output().Ext()
	rel := content.AvatarFile(id, ext)
	if err := s.noLinks(rel); err != nil {
		return fmt.Errorf("saving the photo of profile %q: %w", id, err)
	}
	width := min(info.FullWidth(), AvatarWidth)
	err := atomicfile.Write(s.abs(rel), 0o644, func(w io.Writer) error {
		return s.photos.Render(ctx, w, data, info, width)
	})
	if errors.Is(err, media.ErrRefused) {
		return fmt.Errorf("%w: %w", ErrPhoto, err)
	}
	if err != nil {
		return fmt.Errorf("saving the photo of profile %q: %w", id, err)
	}
	for _, other := range content.AvatarExts {
		if other == ext {
			continue
		}
		if err := os.Remove(s.abs(content.AvatarFile(id, other))); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("removing the old photo of profile %q: %w", id, err)
		}
	}
	return nil
}

// endLine ends text that has any with a line end, as a text file's last
// line is: a textarea sends none.
func endLine(text string) string {
	if text != "" && !strings.HasSuffix(text, "\n") {
		return text + "\n"
	}
	return text
}

// sameOrEndLine is text, or text with a line end when that is what the file
// has (was), so that an unchanged bio keeps the file's bytes.
func sameOrEndLine(text, was, newline string) string {
	if strings.TrimRight(text, "\r\n") == strings.TrimRight(was, "\r\n") && !strings.HasSuffix(text, "\n") {
		return text + strings.TrimPrefix(was, strings.TrimRight(was, "\r\n"))
	}
	return endLine(text)
}
