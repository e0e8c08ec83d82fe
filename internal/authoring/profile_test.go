package authoring_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"milepost/internal/authoring"
	"milepost/internal/media"
	"milepost/internal/media/mediatest"
)

func (s *site) saveProfile(e authoring.ProfileEdit, basedOn authoring.Version) authoring.Profile {
	s.t.Helper()
	p, err := s.svc.SaveProfile(context.Background(), e, basedOn)
	if err != nil {
		s.t.Fatalf("SaveProfile(%s): %v", e.ID, err)
	}
	return p
}

func TestANewProfileIsAnAuthorFileContentLoads(t *testing.T) {
	s := newSite(t)
	id := s.svc.NewProfileID("Zoë Pace-Setter")
	if id != "zoe-pace-setter" {
		t.Fatalf("NewProfileID = %q", id)
	}
	p := s.saveProfile(authoring.ProfileEdit{ID: id, Name: " Zoë Pace-Setter ", Website: "https://zoe.example/",
		Bio: "Runs *before* dawn.\r\n", By: "zoe"}, "")
	want := "---\nname: Zoë Pace-Setter\nwebsite: https://zoe.example/\n---\n\nRuns *before* dawn.\n"
	if got := s.read("authors/zoe-pace-setter.md"); got != want {
		t.Fatalf("file:\n%s\nwant:\n%s", got, want)
	}
	a := s.load().Authors[id]
	if a == nil || a.Name != "Zoë Pace-Setter" || a.Website != "https://zoe.example/" || !strings.Contains(string(a.Bio), "<em>before</em>") {
		t.Fatalf("loaded author = %+v", a)
	}
	if p.Name != "Zoë Pace-Setter" || p.Version != authoring.VersionOf([]byte(want)) {
		t.Errorf("profile = %+v", p)
	}
	if again := s.svc.NewProfileID("Zoë Pace-Setter"); again != "zoe-pace-setter-2" {
		t.Errorf("a second runner of the same name gets %q", again)
	}
	if none := s.svc.NewProfileID("🏃"); none != "" {
		t.Errorf("a name without letters gives %q", none)
	}
}

func TestEditingAProfileKeepsWhatItDoesNotChange(t *testing.T) {
	s := newSite(t)
	hand := "---\n# kept\nname: Kay  # the club\nstrava: 12345\n---\nOld bio.\n"
	s.write("authors/kay.md", hand)
	p, err := s.svc.OpenProfile(context.Background(), "kay")
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "Kay" || p.Bio != "Old bio.\n" {
		t.Fatalf("opened %+v", p)
	}
	same := s.saveProfile(authoring.ProfileEdit{ID: "kay", Name: p.Name, Bio: p.Bio}, p.Version)
	if got := s.read("authors/kay.md"); got != hand || same.Version != p.Version {
		t.Fatalf("saving unchanged changed the file:\n%s", got)
	}
	s.saveProfile(authoring.ProfileEdit{ID: "kay", Name: "Kay K", Website: "http://kay.example", Bio: "New bio.\n"}, p.Version)
	want := "---\n# kept\nname: Kay K  # the club\nstrava: 12345\nwebsite: http://kay.example\n---\nNew bio.\n"
	if got := s.read("authors/kay.md"); got != want {
		t.Fatalf("file:\n%s\nwant:\n%s", got, want)
	}
}

func TestAHandEditMeanwhileIsAProfileConflict(t *testing.T) {
	s := newSite(t)
	s.write("authors/kay.md", "---\nname: Kay\n---\n")
	p, err := s.svc.OpenProfile(context.Background(), "kay")
	if err != nil {
		t.Fatal(err)
	}
	s.write("authors/kay.md", "---\nname: Kay by hand\n---\n")
	_, err = s.svc.SaveProfile(context.Background(), authoring.ProfileEdit{ID: "kay", Name: "Kay from the form"}, p.Version)
	c := asConflict(t, err)
	if string(c.Current) != "---\nname: Kay by hand\n---\n" || !strings.Contains(string(c.Yours), "Kay from the form") {
		t.Errorf("conflict = %+v", c)
	}
	// A new profile never replaces a file that is there.
	_, err = s.svc.SaveProfile(context.Background(), authoring.ProfileEdit{ID: "kay", Name: "Another Kay"}, "")
	asConflict(t, err)
	if got := s.read("authors/kay.md"); got != "---\nname: Kay by hand\n---\n" {
		t.Errorf("file after conflicts: %q", got)
	}
}

func TestHostileProfilesAreRefusedAndWriteNothing(t *testing.T) {
	s := newSite(t)
	for _, e := range []authoring.ProfileEdit{
		{ID: "x", Name: "X", Website: "javascript:alert(1)"},
		{ID: "x", Name: "X", Website: "  JavaScript:alert(1)"},
		{ID: "x", Name: "X", Website: "data:text/html,<script>"},
		{ID: "x", Name: "   "},
		{ID: "x", Name: "bad \xff utf-8"},
	} {
		_, err := s.svc.SaveProfile(context.Background(), e, "")
		var invalid *authoring.InvalidError
		if !errors.As(err, &invalid) {
			t.Errorf("%+v: err = %v, want an InvalidError", e, err)
		}
	}
	for _, id := range []string{"../posts/x", "a/b", "", "X", "a\x00b", ".hidden"} {
		_, err := s.svc.SaveProfile(context.Background(), authoring.ProfileEdit{ID: id, Name: "X"}, "")
		if !errors.Is(err, authoring.ErrInvalidSlug) {
			t.Errorf("ID %q: err = %v", id, err)
		}
	}
	if _, err := os.Stat(s.path("authors/x.md")); !os.IsNotExist(err) {
		t.Errorf("authors/x.md: %v", err)
	}
	s.noStrayFiles()
}

func TestAProfilePhotoIsStoredStrippedAndARefusedOneStoresNothing(t *testing.T) {
	s := newSite(t)
	phone := mediatest.PhoneJPEG(t, 800, 600, 6)
	s.saveProfile(authoring.ProfileEdit{ID: "kay", Name: "Kay", Photo: bytes.NewReader(phone)}, "")
	stored, err := os.ReadFile(s.path("authors/kay.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(stored, []byte("Exif")) || bytes.Equal(stored, phone) {
		t.Error("the stored photo carries the phone's EXIF")
	}
	info, err := media.Probe(bytes.NewReader(stored))
	if err != nil || info.Width != authoring.AvatarWidth || info.Height != 640 || info.Orientation != 1 {
		// Turned upright (orientation 6) and cut to AvatarWidth.
		t.Errorf("stored photo: %+v %v", info, err)
	}
	if a := s.load().Authors["kay"]; a == nil || a.Avatar != "avatar.jpg" {
		t.Errorf("loaded author: %+v", a)
	}

	for name, photo := range map[string][]byte{
		"HEIC":    []byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"),
		"garbage": []byte("not a photo at all"),
	} {
		err := s.svc.CheckProfile(context.Background(), authoring.ProfileEdit{ID: "zed", Name: "Zed", Photo: bytes.NewReader(photo)})
		if !errors.Is(err, authoring.ErrPhoto) || !errors.Is(err, media.ErrRefused) {
			t.Errorf("%s: CheckProfile = %v", name, err)
		}
		_, err = s.svc.SaveProfile(context.Background(), authoring.ProfileEdit{ID: "zed", Name: "Zed", Photo: bytes.NewReader(photo)}, "")
		if !errors.Is(err, authoring.ErrPhoto) {
			t.Errorf("%s: SaveProfile = %v", name, err)
		}
	}
	for _, rel := range []string{"authors/zed.md", "authors/zed.jpg", "authors/zed.png"} {
		if _, err := os.Stat(s.path(rel)); !os.IsNotExist(err) {
			t.Errorf("%s after a refused photo: %v", rel, err)
		}
	}
	s.noStrayFiles()
}

func TestOfConcurrentNewProfilesWithOneIDExactlyOneIsMade(t *testing.T) {
	s := newSite(t)
	const n = 8
	errs := make(chan error, n)
	for i := range n {
		go func() {
			_, err := s.svc.SaveProfile(context.Background(), authoring.ProfileEdit{ID: "twin", Name: "Twin " + string(rune('A'+i))}, "")
			errs <- err
		}()
	}
	made := 0
	for range n {
		err := <-errs
		var c *authoring.ConflictError
		switch {
		case err == nil:
			made++
		case errors.As(err, &c):
		default:
			t.Errorf("SaveProfile: %v", err)
		}
	}
	if made != 1 {
		t.Errorf("%d saves made the profile, want 1", made)
	}
	if a := s.load().Authors["twin"]; a == nil || !strings.HasPrefix(a.Name, "Twin ") {
		t.Errorf("the profile: %+v", a)
	}
	s.noStrayFiles()
}
