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
Every flag can also be set with an environment variable PLENUM_<FLAG_NAME>,
for example PLENUM_UDP_PORT=10000.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newServeCommand(), newCheckCommand(), newVersionCommand())
	root.AddCommand(newBenchCommand())
	root.AddCommand(newLinkCommand())
	return root
}
