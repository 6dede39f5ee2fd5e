package sfu

import (
	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
)

// readingRTCP wraps reader so that handle sees each RTCP packet read, in
// order. The packets are parsed once per read and kept in the attributes,
// where the other interceptors of the chain find them; a packet that does
// not parse is left to pion's own readers to report.
func readingRTCP(reader interceptor.RTCPReader, handle func(rtcp.Packet)) interceptor.RTCPReader {
	return interceptor.RTCPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		n, attr, err := reader.Read(b, a)
		if err != nil {
			return n, attr, err
		}
		if attr == nil {
			attr = make(interceptor.Attributes)
		}
		pkts, err := attr.GetRTCPPackets(b[:n])
		if err != nil {
			return n, attr, nil
		}
		for _, p := range pkts {
			handle(p)
		}
		return n, attr, nil
	})
}
