package main

import (
	"log/slog"
	"os"

	"github.com/spf13/pflag"

	"github.com/plenum-meet/plenum/cmd/plenum/server"
)

// reloader does what SIGHUP asks: read the certificate files again
// (after certbot renewed them), and read the environment and the
// configuration file again, applying what can change while running
// (--log-level) and saying which other changes need a restart.
type reloader struct {
	log      *slog.Logger
	level    *slog.LevelVar
	certs    *server.CertificateFiles // nil unless --tls-cert
	cli      flagSnapshot
	current  *pflag.FlagSet
	env      func(string) (string, bool)
	readFile func(string) ([]byte, error)
}

func (r *reloader) reload() {
	r.log.Info("SIGHUP: reloading")
	if r.certs != nil {
		certFile, keyFile := r.certs.Files()
		if notAfter, err := r.certs.Reload(); err != nil {
			r.log.Error("TLS certificate not reloaded; the previous one stays in use", "err", certError(certFile, keyFile, err))
		} else {
			r.log.Info("reloaded the TLS certificate", "file", certFile, "expires", notAfter)
		}
	}
	var next serveOptions
	fresh := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	next.register(fresh)
	if err := r.cli.apply(fresh); err != nil {
		r.log.Error("configuration not reloaded", "err", err)
		return
	}
	src, err := resolveFlags(fresh, r.env, r.readFile)
	if err != nil {
		r.log.Error("configuration not reloaded", "err", err)
		return
	}
	// As at start: with --domain, :443 and :80 are the defaults.
	next.applyDerivedDefaults(fresh, src)
	// Checked as a start would check it, or the admin is told to
	// restart into a configuration that does not start. (What this
	// creates in --data-dir, the secrets, a restart would create too.)
	if _, _, err := next.config(slog.New(slog.DiscardHandler)); err != nil {
		r.log.Error("configuration not reloaded: Plenum would not start with it, so it runs on as it started", "err", nameSources(err, src))
		return
	}
	r.current.VisitAll(func(f *pflag.Flag) {
		g := fresh.Lookup(f.Name)
		if g == nil || g.Value.String() == f.Value.String() {
			return
		}
		if f.Name == "log-level" {
			var l slog.Level
			if err := l.UnmarshalText([]byte(g.Value.String())); err != nil {
				r.log.Error("--log-level not reloaded", "err", err)
				return
			}
			r.level.Set(l)
			_ = f.Value.Set(g.Value.String())
			r.log.Info("reloaded --log-level", "level", l)
			return
		}
		shown := g.Value.String()
		if secretFlags[f.Name] {
			shown = "(hidden)"
		}
		r.log.Warn("configuration changed; restart Plenum to apply it", "flag", "--"+f.Name, "new", shown)
	})
}

func newReloader(log *slog.Logger, level *slog.LevelVar, certs *server.CertificateFiles, cli flagSnapshot, current *pflag.FlagSet) *reloader {
	return &reloader{log: log, level: level, certs: certs, cli: cli, current: current, env: os.LookupEnv, readFile: readConfigFile}
}
