package sfu

// H.264 NAL unit types that matter to an SFU (RFC 6184, ITU-T H.264
// table 7-1): a decoder can start at an IDR picture, which browsers send
// right after the sequence parameter set.
const (
	h264NALIDR   = 5
	h264NALSPS   = 7
	h264NALSTAPA = 24 // several NAL units in one packet
	h264NALFUA   = 28 // one NAL unit in several packets
)

// isH264Keyframe reports whether an H.264 RTP payload starts a keyframe:
// an IDR slice or a sequence parameter set, on its own, inside an
// aggregation packet, or as the first fragment of a fragmented unit.
func isH264Keyframe(p []byte) bool {
	if len(p) < 1 {
		return false
	}
	switch t := p[0] & 0x1f; t {
	case h264NALIDR, h264NALSPS:
		return true
	case h264NALSTAPA:
		for i := 1; i+2 < len(p); {
			size := int(p[i])<<8 | int(p[i+1])
			if size == 0 || i+2+size > len(p) {
				return false
			}
			if nt := p[i+2] & 0x1f; nt == h264NALIDR || nt == h264NALSPS {
				return true
			}
			i += 2 + size
		}
	case h264NALFUA:
		return len(p) > 1 && p[1]&0x80 != 0 && p[1]&0x1f == h264NALIDR
	}
	return false
}
