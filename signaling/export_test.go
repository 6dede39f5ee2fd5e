package signaling

import "time"

// SetClientDeadlines shortens the join and message deadlines for a test
// that starts its servers afterwards; restore puts them back.
func SetClientDeadlines(join, message time.Duration) (restore func()) {
	oldJoin, oldMessage := joinTimeout, messageTimeout
	joinTimeout, messageTimeout = join, message
	return func() { joinTimeout, messageTimeout = oldJoin, oldMessage }
}

// ResumeTokens counts the resume tokens the server holds.
func (srv *Server) ResumeTokens() int {
	srv.resumeMu.Lock()
	defer srv.resumeMu.Unlock()
	return len(srv.resumes)
}

// The per-participant rate limits, for the tests that check them.
const (
	ChatBurst    = chatBurst
	ChatRate     = chatRate
	MessageBurst = messageBurst
	MessageRate  = messageRate
)
