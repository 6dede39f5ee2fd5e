package server

import "testing"

func TestReadinessFollowsStartAndShutdown(t *testing.T) {
	var s Server
	if got := s.notReady(); got != "starting" {
		t.Errorf("before Serve: %q, want starting", got)
	}
	s.serving.Store(true)
	if got := s.notReady(); got != "" {
		t.Errorf("serving: %q, want ready", got)
	}
	s.acme = &ACME{domain: "meet.example.org"}
	if got := s.notReady(); got != "waiting for the TLS certificate of meet.example.org" {
		t.Errorf("serving without its certificate: %q", got)
	}
	s.acme.ready.Store(true)
	if got := s.notReady(); got != "" {
		t.Errorf("serving with its certificate: %q, want ready", got)
	}
	s.shuttingDown.Store(true)
	if got := s.notReady(); got != "shutting down" {
		t.Errorf("shutting down: %q", got)
	}
}
