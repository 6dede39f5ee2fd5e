package main

import (
	"bufio"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/plenum-meet/plenum/sfu/looks"
	"github.com/plenum-meet/plenum/signaling"
	"github.com/plenum-meet/plenum/signaling/auth"
)

type linkOptions struct {
	room     string
	role     string
	expires  string
	name     string
	password string
	url      string
	dataDir  string
	config   string
}

func newLinkCommand() *cobra.Command {
	var o linkOptions
	cmd := &cobra.Command{
		Use:   "link --room NAME",
		Short: "Print a signed link to a room (for --require-token, moderators and viewers)",
		Long: `Print a link to a room, signed with this server's key, in the data
directory "plenum serve" uses, found as it finds it: --data-dir, else
PLENUM_DATA_DIR, else the data-dir of its configuration file (--config or
PLENUM_CONFIG, e.g. /etc/plenum/plenum.conf), else its default. Run
it as the user "plenum serve" runs as (or root); where there is no key,
it makes none and says where it looked. The link opens
that room only, in the role given, until it expires; whoever holds it
needs no room password. With "plenum serve --require-token", only such
links let people in.

  plenum link --url https://meet.example.org --room council --role moderator --expires 7d
  plenum link --url https://meet.example.org --room council --role viewer --name "Press"
  plenum link rotate-key     # every link signed so far stops working`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyEnv(cmd.Flags(), linkEnvPrefix); err != nil {
				return err
			}
			return o.run(cmd.Flags(), cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr(), time.Now())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.room, "room", "", "the room the link opens (required)")
	f.StringVar(&o.role, "role", auth.RoleParticipant, "moderator, participant or viewer (receives only)")
	// A day covers "the meeting tomorrow", and a leaked link soon dies.
	f.StringVar(&o.expires, "expires", "24h", "how long the link works, e.g. 90m, 24h, 7d")
	f.StringVar(&o.name, "name", "", "display name the holder appears under, whatever they type")
	f.StringVar(&o.password, "password", "", "room password the link sets when its holder enters a room that has none (- reads it from standard input)")
	f.StringVar(&o.url, "url", "http://localhost:8080/", "the server's public address, as participants open it")
	serveKeyFlags(f, &o.dataDir, &o.config)
	annotateEnv(f, linkEnvPrefix)
	cmd.AddCommand(newRotateKeyCommand())
	return cmd
}

func newRotateKeyCommand() *cobra.Command {
	var dataDir, config string
	cmd := &cobra.Command{
		Use:   "rotate-key",
		Short: "Replace the signing key: every link signed so far stops working",
		Long: `Replace the key links are signed with. Every link signed so far stops
working at once, on the running server too, and those who came with one
leave the meeting within a second (the server looks at the key every
second); links signed afterwards work. Use it when a link leaked.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// Where there is no key, there is nothing to void: most
			// likely not the server's directory, whose links would go
			// on working.
			k, dir, err := openServersKey(cmd.Flags())
			if err != nil {
				return err
			}
			if err := auth.RotateKey(dir); err != nil {
				return fileError("--data-dir", dir, err)
			}
			if k, err = auth.OpenKeyring(dir); err != nil {
				return fileError("--data-dir", dir, err)
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "New signing key %s in %s: links signed before no longer work.\n", k.KeyID(), auth.KeyPath(dir))
			return err
		},
	}
	serveKeyFlags(cmd.Flags(), &dataDir, &config)
	annotateEnv(cmd.Flags(), linkEnvPrefix)
	return cmd
}

func (o *linkOptions) run(flags *pflag.FlagSet, stdin io.Reader, stdout, stderr io.Writer, now time.Time) error {
	if !signaling.ValidRoomName(o.room) {
		return fmt.Errorf("--room %q: a room name has 1 to 64 characters from A-Z a-z 0-9 . _ ~ -, starting with a letter or digit", o.room)
	}
	if !auth.ValidRole(o.role) {
		return fmt.Errorf("--role %q: want moderator, participant or viewer", o.role)
	}
	validity, err := parseValidity(o.expires)
	if err != nil {
		return err
	}
	claims := auth.Claims{Room: o.room, Role: o.role, Expires: now.Add(validity).Unix()}
	if o.name != "" {
		name, ok := signaling.CleanDisplayName(o.name)
		if why := looks.Refusal(o.name); !ok && why != "" {
			// Escaped: the characters at fault would not show.
			return fmt.Errorf("--name %+q: %s", o.name, why)
		}
		if !ok {
			return fmt.Errorf("--name %q: a display name has 1 to 64 printable characters", o.name)
		}
		claims.Name = name
	}
	if o.password != "" {
		pw := o.password
		if pw == "-" {
			line, err := bufio.NewReader(stdin).ReadString('\n')
			if err != nil && line == "" {
				return fmt.Errorf("--password -: read standard input: %w", err)
			}
			pw = strings.TrimRight(line, "\r\n")
		}
		if claims.Password, err = auth.HashPassword(pw); err != nil {
			return fmt.Errorf("--password: %w", err)
		}
	}
	base, err := url.Parse(o.url)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return fmt.Errorf("--url %q: want the server's address, e.g. https://meet.example.org", o.url)
	}
	keys, _, err := openServersKey(flags)
	if err != nil {
		return err
	}
	token, err := keys.Sign(claims)
	if err != nil {
		return err
	}
	link := *base
	link.Path = strings.TrimSuffix(base.Path, "/") + "/" + o.room
	link.RawQuery = ""
	// In the fragment, the token never reaches a server's or proxy's
	// access log; the page reads it and sends it in its join.
	link.Fragment = ""
	fmt.Fprintf(stderr, "%s link to %s, valid until %s (key %s)\n",
		o.role, o.room, claims.ExpiresAt().Local().Format("2006-01-02 15:04 MST"), keys.KeyID())
	_, err = fmt.Fprintf(stdout, "%s#token=%s\n", link.String(), token)
	return err
}

// maxValidityDays bounds --expires in days: a century is "for ever"
// enough, and far from where a time.Duration overflows (292 years).
const maxValidityDays = 36500

// parseValidity reads a duration as Go writes them (90m, 24h), or in
// days (7d).
func parseValidity(s string) (time.Duration, error) {
	var d time.Duration
	var err error
	if days, ok := strings.CutSuffix(s, "d"); ok {
		var n int
		n, err = strconv.Atoi(days)
		if n > maxValidityDays {
			return 0, fmt.Errorf("--expires %q: at most %dd", s, maxValidityDays)
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		d, err = time.ParseDuration(s)
	}
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("--expires %q: want a positive duration, e.g. 90m, 24h or 7d", s)
	}
	return d, nil
}
