//go:build !linux

package rawsock

// pinSender does nothing here: the sender runs where the system puts it.
func pinSender(string) error { return nil }
