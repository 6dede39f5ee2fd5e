// Package keyfile writes the secret files of Plenum's data directory:
// the TURN secret, the key links are signed with, and the ACME account
// key and certificates.
//
// Each is written whole (a reader never sees half a file), mode 0600,
// and, when written by root, given to the owner of the directory it is
// written in: the installed service runs as its own user, which owns
// the data directory, and an admin who runs a plenum command once as
// root (plenum serve to try a flag, plenum link rotate-key) would
// otherwise leave a file that user cannot read, and the service would
// fail at its next start.
package keyfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// MkdirAll creates dir, mode 0700, and the missing directories above
// it. Run as root, each one it creates goes to the owner of the
// directory it was made in.
func MkdirAll(dir string) error {
	var made []string // the missing ones
	have := filepath.Clean(dir)
	for {
		if _, err := os.Stat(have); !errors.Is(err, fs.ErrNotExist) {
			break
		}
		made = append(made, have)
		parent := filepath.Dir(have)
		if parent == have {
			break
		}
		have = parent
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if len(made) == 0 || os.Geteuid() != 0 {
		return nil
	}
	if uid, gid, ok := ownerOf(have); ok {
		for _, d := range made {
			_ = os.Chown(d, uid, gid) // best effort, as below
		}
	}
	return nil
}

// Write stores data in the file at path, mode 0600, through a temporary
// file beside it. With replace false a file already there is kept (a
// concurrent first start wrote it), and Write returns nil. Run as root,
// the new file goes to the owner of the file it replaces, or else of
// its directory.
func Write(path string, data []byte, replace bool) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) //nolint:errcheck // best effort; gone after the rename or link
	if err := writeSync(tmp, data); err != nil {
		return err
	}
	if os.Geteuid() == 0 {
		uid, gid, ok := ownerOf(path)
		if !ok {
			uid, gid, ok = ownerOf(dir)
		}
		if ok {
			// Best effort: a file system that keeps no owners (or
			// lets root change none) keeps root's, as before.
			_ = os.Chown(tmp.Name(), uid, gid)
		}
	}
	if replace {
		err = os.Rename(tmp.Name(), path)
	} else if err = os.Link(tmp.Name(), path); errors.Is(err, fs.ErrExist) {
		// Link, unlike rename, never replaces: the first writer's file
		// stays.
		err = nil
	}
	if err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

func writeSync(f *os.File, data []byte) error {
	err := f.Chmod(0o600)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
