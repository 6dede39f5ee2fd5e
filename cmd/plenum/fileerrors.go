package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// fileError explains why a file or directory that flag names (value)
// could not be used: the flag, the path at fault (a file inside a
// directory flag too) and, where it is plain, what to do. A bare "open
// /etc/plenum/key.pem: permission denied" leaves an admin to guess which
// flag and which user: most often the service runs as its own user and
// the file was made by root.
func fileError(flag, value string, err error) error {
	var pe *fs.PathError
	at := value
	if errors.As(err, &pe) && filepath.Clean(pe.Path) != filepath.Clean(value) {
		at = value + ": " + pe.Path
	}
	var msg string
	switch who := runningAs(); {
	case errors.Is(err, fs.ErrPermission) && at == value && pe != nil && pe.Op == "mkdir":
		// A directory plenum makes (--data-dir) in one its user may not
		// write: "cannot read it" sent the admin looking for a file.
		msg = fmt.Sprintf("%s %s: permission denied: plenum runs as %s, who cannot create it; make it for that user: install -d -o %s -m 700 %s", flag, at, who, who, value)
	case errors.Is(err, fs.ErrPermission) && at == value:
		msg = fmt.Sprintf("%s %s: permission denied: plenum runs as %s, who cannot read it; chown or chmod it (and the directories above it) so that %s can", flag, at, who, who)
	case errors.Is(err, fs.ErrPermission): // in a directory plenum keeps
		msg = fmt.Sprintf("%s %s: permission denied: plenum runs as %s, who cannot use it; give the directory and all in it to that user: chown -R %s %s", flag, at, who, who, value)
	case errors.Is(err, syscall.EISDIR):
		msg = fmt.Sprintf("%s %s is a directory: give a file", flag, at)
	case errors.Is(err, fs.ErrNotExist):
		msg = fmt.Sprintf("%s %s: no such file or directory", flag, at)
	default:
		msg = fmt.Sprintf("%s %s: %v", flag, value, err)
	}
	return &flagFileError{msg: msg, err: err}
}

// certError names the flag and path of the certificate file (--tls-cert
// certFile, --tls-key keyFile) that could not be read, or both flags
// when the pair is at fault; at start and at each SIGHUP's reload.
func certError(certFile, keyFile string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		switch filepath.Clean(pe.Path) {
		case filepath.Clean(keyFile):
			return fileError("--tls-key", keyFile, err)
		case filepath.Clean(certFile):
			return fileError("--tls-cert", certFile, err)
		}
	}
	return fmt.Errorf("--tls-cert/--tls-key: %w", err)
}

// flagFileError is fileError's error: its message, and the cause for
// errors.Is.
type flagFileError struct {
	msg string
	err error
}

func (e *flagFileError) Error() string { return e.msg }
func (e *flagFileError) Unwrap() error { return e.err }

// runningAs names the user this process runs as, as chown takes it.
func runningAs() string {
	uid := os.Geteuid()
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil {
		return u.Username
	}
	return strconv.Itoa(uid)
}
