//go:build tools

package main

import (
	_ "github.com/chromedp/chromedp"
	_ "github.com/gorilla/websocket"
	_ "github.com/pion/interceptor"
	_ "github.com/pion/turn/v5"
	_ "github.com/pion/webrtc/v4"
	_ "github.com/spf13/cobra"
	_ "go.uber.org/goleak"
)
