// Command plenum is a self-hosted video-conferencing server: one binary,
// `plenum serve`, and a link to share.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func main() {
	if err := newRootCommand().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "plenum:", err)
		os.Exit(1)
	}
}

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "plenum",
		Short: "Self-hosted video meetings: one binary, a link to share",
		Long: `Plenum is a video-conferencing server for groups that meet and decide together.
Run "plenum serve" and open the printed address: a meeting on this
computer. Browsers give camera and microphone only to HTTPS pages (and
to localhost), so for others to join, run "plenum serve --domain
meet.example.org" and share the meeting's link.
Every flag of "plenum serve" can also be set with an environment variable
PLENUM_<FLAG_NAME>, for example PLENUM_UDP_PORT=10000; those of bench,
check and link with PLENUM_BENCH_, PLENUM_CHECK_ and PLENUM_LINK_
(PLENUM_BENCH_ROOMS=3), so that one environment serves every command.
"plenum link" finds the server's key as "plenum serve" does, from
PLENUM_DATA_DIR or PLENUM_CONFIG too.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newServeCommand(), newCheckCommand(), newVersionCommand())
	root.AddCommand(newBenchCommand())
	root.AddCommand(newLinkCommand())
	return root
}
