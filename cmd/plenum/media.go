package main

import (
	"fmt"
	"strings"

	"github.com/spf13/pflag"

	"github.com/plenum-meet/plenum/sfu"
	"github.com/plenum-meet/plenum/signaling"
)

// Media defaults: what a 720p camera needs in three simulcast layers
// (the figures browsers and LiveKit use), a sharp screen share, and Opus
// at the rate where speech is transparent.
const (
	defaultVideoMax  = 1_500_000
	defaultScreenMax = 2_500_000
	defaultAudio     = 32_000
	defaultRoomMax   = 10_000_000
)

var defaultSimulcast = bitrateList{150_000, 500_000, 1_500_000}

// mediaOptions holds the flags that tune bitrates and codecs.
type mediaOptions struct {
	videoMax, screenMax, audio, roomMax bitrate
	simulcast                           bitrateList
	videoCodecs                         []string
}

func (m *mediaOptions) register(f *pflag.FlagSet) {
	m.videoMax, m.screenMax, m.audio, m.roomMax = defaultVideoMax, defaultScreenMax, defaultAudio, defaultRoomMax
	m.simulcast = defaultSimulcast
	f.Var(&m.videoMax, "video-bitrate-max", "most a camera sends without simulcast, e.g. 1.5M (higher: sharper, more upload)")
	f.Var(&m.simulcast, "simulcast-bitrates", "bitrates of the camera's low, medium and high layers, e.g. 150k,500k,1.5M")
	f.Var(&m.screenMax, "screen-bitrate-max", "most a screen share sends, e.g. 2.5M (higher: crisper text)")
	f.Var(&m.audio, "audio-bitrate", "Opus bitrate, e.g. 32k (speech is clear from about 24k; 0: the browser's choice)")
	f.Var(&m.roomMax, "room-bitrate-max", "most one participant receives in all, e.g. 10M (caps the bandwidth estimate)")
	f.StringSliceVar(&m.videoCodecs, "video-codecs", sfu.DefaultVideoCodecs, "video codecs in order of preference: vp8, h264")
}

// settings checks the flags and returns what clients are told and what
// the SFU enforces.
func (m *mediaOptions) settings() (signaling.MediaSettings, sfu.BandwidthConfig, []string, error) {
	// The SFU and the page take 0 for their own default: 0 would quietly
	// mean 1.5M, 2.5M or 10M, where 0 elsewhere means no limit.
	for _, b := range []struct {
		flag  string
		value bitrate
	}{
		{"--simulcast-bitrates", m.simulcast[0]}, {"--simulcast-bitrates", m.simulcast[1]}, {"--simulcast-bitrates", m.simulcast[2]},
		{"--video-bitrate-max", m.videoMax}, {"--screen-bitrate-max", m.screenMax}, {"--room-bitrate-max", m.roomMax},
	} {
		if b.value == 0 {
			return signaling.MediaSettings{}, sfu.BandwidthConfig{}, nil, fmt.Errorf("%s: want bitrates above 0 (here 0 would not mean no limit but the default)", b.flag)
		}
	}
	for i := 1; i < len(m.simulcast); i++ {
		if m.simulcast[i] < m.simulcast[i-1] {
			return signaling.MediaSettings{}, sfu.BandwidthConfig{}, nil, fmt.Errorf("--simulcast-bitrates %s: want low, medium and high in rising order", m.simulcast.String())
		}
	}
	if m.audio != 0 && (m.audio < 6_000 || m.audio > 510_000) {
		return signaling.MediaSettings{}, sfu.BandwidthConfig{}, nil, fmt.Errorf("--audio-bitrate %s: Opus takes 6k to 510k", m.audio.String())
	}
	for _, c := range m.videoCodecs {
		if c := strings.ToLower(strings.TrimSpace(c)); c != "vp8" && c != "h264" {
			return signaling.MediaSettings{}, sfu.BandwidthConfig{}, nil, fmt.Errorf("--video-codecs: %q is not supported (vp8, h264)", c)
		}
	}
	media := signaling.MediaSettings{
		Simulcast: [3]int{int(m.simulcast[0]), int(m.simulcast[1]), int(m.simulcast[2])},
		VideoMax:  int(m.videoMax),
		ScreenMax: int(m.screenMax),
		Audio:     int(m.audio),
	}
	// The SFU budgets a screen share at the same cap until it is measured.
	return media, sfu.BandwidthConfig{Max: int(m.roomMax), Screen: int(m.screenMax)}, m.videoCodecs, nil
}

// bitrateList is a flag value of three bitrates, low to high.
type bitrateList [3]bitrate

func (l *bitrateList) String() string {
	return l[0].String() + "," + l[1].String() + "," + l[2].String()
}

func (l *bitrateList) Set(s string) error {
	parts := strings.Split(s, ",")
	if len(parts) != 3 {
		return fmt.Errorf("%q: want three bitrates, low,medium,high (e.g. 150k,500k,1.5M)", s)
	}
	var next bitrateList
	for i, p := range parts {
		if err := next[i].Set(p); err != nil {
			return err
		}
	}
	*l = next
	return nil
}

func (l *bitrateList) Type() string { return "LOW,MID,HIGH" }
