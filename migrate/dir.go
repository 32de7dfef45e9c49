package migrate

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// SumFile is the name of the checksum file in a revision directory.
const SumFile = "strata.sum"

// ErrChecksum is matched by *ChecksumError.
var ErrChecksum = errors.New("migrate: revision directory does not match its checksum file")

// ChecksumError reports revision files edited, removed or added since the
// checksum file was written. Rewrite the checksum file (strata hash) only
// after checking that the change is intended: an applied revision that is
// edited is not applied again.
type ChecksumError struct {
	Edited, Missing, Added []string
	NoSumFile              bool
	Malformed              string // a line of the checksum file that is not "<file> <sum>"
}

func (e *ChecksumError) Error() string {
	if e.NoSumFile {
		return fmt.Sprintf("%v: %s is missing", ErrChecksum, SumFile)
	}
	if e.Malformed != "" {
		return fmt.Sprintf("%v: %s is not a checksum file (line %q)", ErrChecksum, SumFile, e.Malformed)
	}
	var parts []string
	for _, p := range []struct {
		what  string
		files []string
	}{{"edited", e.Edited}, {"missing", e.Missing}, {"added", e.Added}} {
		if len(p.files) > 0 {
			parts = append(parts, p.what+": "+strings.Join(p.files, ", "))
		}
	}
	return fmt.Sprintf("%v (%s)", ErrChecksum, strings.Join(parts, "; "))
}

// Is makes errors.Is(err, ErrChecksum) true.
func (e *ChecksumError) Is(target error) bool { return target == ErrChecksum }

// Dir is a directory of revision files read through an fs.FS, so that an
// application can embed its revisions (embed.FS) or read them from disk
// (os.DirFS). Revision files are the *.json files at the top of the
// directory; SumFile holds their checksums.
type Dir struct {
	fsys  fs.FS
	revs  []*Revision
	files map[string][]byte
}

// OpenDir reads and parses every revision of fsys and checks them against
// the checksum file. A directory without revisions needs no checksum file.
func OpenDir(fsys fs.FS) (*Dir, error) {
	d, err := readDir(fsys)
	if err != nil {
		return nil, err
	}
	if err := d.verify(); err != nil {
		return nil, err
	}
	return d, nil
}

func readDir(fsys fs.FS) (*Dir, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("migrate: read revision directory: %w", err)
	}
	d := &Dir{fsys: fsys, files: map[string][]byte{}}
	seen := map[string]string{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		data, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, fmt.Errorf("migrate: read %s: %w", e.Name(), err)
		}
		r, err := ParseRevision(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", e.Name(), err)
		}
		if other, dup := seen[r.ID]; dup {
			return nil, fmt.Errorf("migrate: revision %s is defined by both %s and %s", r.ID, other, e.Name())
		}
		seen[r.ID] = e.Name()
		r.File = e.Name()
		d.revs = append(d.revs, r)
		d.files[e.Name()] = data
	}
	return d, nil
}

// Revisions returns the revisions, sorted by file name.
func (d *Dir) Revisions() []*Revision { return slices.Clone(d.revs) }

func (d *Dir) verify() error {
	want, err := fs.ReadFile(d.fsys, SumFile)
	if errors.Is(err, fs.ErrNotExist) {
		if len(d.revs) == 0 {
			return nil
		}
		return &ChecksumError{NoSumFile: true}
	}
	if err != nil {
		return fmt.Errorf("migrate: read %s: %w", SumFile, err)
	}
	if bytes.Equal(want, sumFile(d.files)) {
		return nil
	}
	listed := map[string]string{}
	lines := strings.Split(strings.TrimRight(string(want), "\n"), "\n")
	for _, l := range lines[min(1, len(lines)):] {
		name, sum, ok := strings.Cut(l, " ")
		if !ok {
			return &ChecksumError{Malformed: l}
		}
		listed[name] = sum
	}
	e := &ChecksumError{}
	for _, name := range sortedKeys(d.files) {
		sum, ok := listed[name]
		switch {
		case !ok:
			e.Added = append(e.Added, name)
		case sum != fileSum(d.files[name]):
			e.Edited = append(e.Edited, name)
		}
	}
	for _, name := range sortedKeys(listed) {
		if _, ok := d.files[name]; !ok {
			e.Missing = append(e.Missing, name)
		}
	}
	return e
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func fileSum(data []byte) string {
	s := sha256.Sum256(data)
	return "h1:" + base64.StdEncoding.EncodeToString(s[:])
}

// sumFile renders the checksum file: a first line with the hash of all
// the lines after it, then "<file> h1:<sha256>" per file in name order.
func sumFile(files map[string][]byte) []byte {
	var body bytes.Buffer
	for _, name := range sortedKeys(files) {
		body.WriteString(name + " " + fileSum(files[name]) + "\n")
	}
	out := []byte(fileSum(body.Bytes()) + "\n")
	return append(out, body.Bytes()...)
}

// HashDir returns the checksum file for the revisions in fsys as they are
// now (every *.json file must parse as a revision).
func HashDir(fsys fs.FS) ([]byte, error) {
	d, err := readDir(fsys)
	if err != nil {
		return nil, err
	}
	return sumFile(d.files), nil
}

var slugUnsafe = regexp.MustCompile(`[^a-z0-9]+`)

// FileName is the file name WriteRevision gives r: its id and a slug of
// its message.
func FileName(r *Revision) string {
	slug := strings.Trim(slugUnsafe.ReplaceAllString(strings.ToLower(r.Message), "_"), "_")
	if len(slug) > 40 {
		slug = strings.TrimRight(slug[:40], "_")
	}
	if slug == "" {
		return r.ID + ".json"
	}
	return r.ID + "_" + slug + ".json"
}

// WriteRevision writes r into the directory path (on disk) and rewrites
// the checksum file; it returns the file's path. It refuses to overwrite a
// file, and to write into a directory that fails its checksum.
func WriteRevision(path string, r *Revision) (string, error) {
	d, err := OpenDir(os.DirFS(path))
	if err != nil {
		return "", err
	}
	for _, o := range d.revs {
		if o.ID == r.ID {
			return "", fmt.Errorf("migrate: revision %s exists already (%s)", r.ID, o.File)
		}
	}
	data, err := r.Marshal()
	if err != nil {
		return "", err
	}
	name := filepath.Join(path, FileName(r))
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return "", fmt.Errorf("migrate: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	return name, WriteSum(path)
}

// WriteSum rewrites the checksum file of the directory path.
func WriteSum(path string) error {
	sum, err := HashDir(os.DirFS(path))
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(path, SumFile), sum, 0o644)
}
