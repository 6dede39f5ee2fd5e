//go:build !unix

package keyfile

// ownerOf knows no owners where files have none in the Unix sense; no
// file is given away.
func ownerOf(string) (uid, gid int, ok bool) { return 0, 0, false }
