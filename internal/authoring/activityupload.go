package authoring

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"milepost/internal/activity"
	"milepost/internal/content"
)

// A watch file chosen in the editor goes into the post's page bundle like a
// photo (photos.go): under a name made here from the upload's (as a slug,
// -2, -3, … while the bundle has it, never replacing a file), written with
// the post's file and removed again when that write fails. It is read by
// activity.Read before anything is written: a file the site could not read
// refuses the save, saying why, and the post's activity: names the stored
// file. The file itself is never served (content's bundle rule).

// ActivityUpload is an activity file chosen in the editor.
type ActivityUpload struct {
	// Name is the upload's file name as the browser sent it: its
	// extension says the format (.fit, .gpx, .tcx, each possibly .gz),
	// the rest is a hint for the stored file's name.
	Name string
	Data io.Reader
}

// ActivityError is the refusal of a save's activity file: Name is the
// upload's name, Err why (matching activity.ErrUnreadable with the
// reader's reason, or ErrNotActivity). Nothing of the save was written.
type ActivityError struct {
	Name string
	Err  error
}

func (e *ActivityError) Error() string { return fmt.Sprintf("activity file %q: %v", e.Name, e.Err) }
func (e *ActivityError) Unwrap() error { return e.Err }

// Reason is why the file was refused, in words for its runner.
func (e *ActivityError) Reason() string {
	var fe *activity.FileError
	if errors.As(e.Err, &fe) {
		return fe.Reason
	}
	return e.Err.Error()
}

// ErrNotActivity is matched by the error for an upload whose name is not
// that of a FIT, GPX or TCX file.
var ErrNotActivity = errors.New("it is not a FIT, GPX or TCX file (gzipped or not)")

// prepareActivity reads the upload u (nil for none) into memory, within
// the reader's size limit, and checks with readers that the site can read
// it.
func prepareActivity(ctx context.Context, readers *activity.Readers, u *ActivityUpload) (*photoFile, error) {
	if u == nil {
		return nil, nil
	}
	refuse := func(err error) error { return &ActivityError{Name: u.Name, Err: err} }
	if !content.IsActivityFile(u.Name) {
		return nil, refuse(ErrNotActivity)
	}
	// The limit is the reader's own; one byte more tells a file that
	// exceeds it from one that fills it.
	limit := activity.DefaultLimits.MaxFileBytes
	data, err := io.ReadAll(io.LimitReader(u.Data, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading the uploaded activity file %q: %w", u.Name, err)
	}
	name, gz := u.Name, ""
	if strings.EqualFold(path.Ext(name), ".gz") {
		name, gz = name[:len(name)-len(".gz")], ".gz"
	}
	ext := strings.ToLower(path.Ext(name))
	if _, err := readers.Read(ctx, "upload"+ext+gz, bytes.NewReader(data), activity.DefaultLimits); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, refuse(err)
	}
	return &photoFile{upload: u.Name, base: photoBase(name), ext: ext + gz, data: data}, nil
}

// stored is every file the change stores in the bundle: its photos and
// its activity file.
func (c change) stored() []photoFile {
	return append(c.photos[:len(c.photos):len(c.photos)], activityList(c.activity)...)
}

// activityList is the activity file as a list of none or one.
func activityList(act *photoFile) []photoFile {
	if act == nil {
		return nil
	}
	return []photoFile{*act}
}
