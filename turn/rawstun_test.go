package turn

import (
	"errors"
	"net"
	"testing"
	"time"

	"github.com/pion/stun/v4"
)

// rawClient speaks TURN with hand-built messages, to observe the exact
// response codes the server sends.
type rawClient struct {
	t      *testing.T
	conn   *net.UDPConn
	server *net.UDPAddr
	user   string
	pass   string
	realm  string
	nonce  string
}

func newRawClient(t *testing.T, s *Server, user, pass string) *rawClient {
	t.Helper()
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: loopback4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })

	return &rawClient{t: t, conn: conn, server: s.UDPAddr(), user: user, pass: pass}
}

// roundTrip sends m and returns the response with m's transaction ID,
// retransmitting up to 4 times.
func (c *rawClient) roundTrip(m *stun.Message) *stun.Message {
	c.t.Helper()
	buf := make([]byte, 2048)
	for range 4 {
		if _, err := c.conn.WriteToUDP(m.Raw, c.server); err != nil {
			c.t.Fatal(err)
		}
		_ = c.conn.SetReadDeadline(time.Now().Add(time.Second))
		for {
			n, _, err := c.conn.ReadFromUDP(buf)
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				break
			}
			if err != nil {
				c.t.Fatal(err)
			}
			res := &stun.Message{Raw: append([]byte(nil), buf[:n]...)}
			if res.Decode() == nil && res.TransactionID == m.TransactionID {
				return res
			}
		}
	}
	c.t.Fatalf("no response to %s", m.Type)

	return nil
}

// request sends an authenticated request (learning nonce and realm first)
// and returns the error code of the answer, 0 for success.
func (c *rawClient) request(method stun.Method, attrs ...stun.Setter) int {
	c.t.Helper()
	if c.nonce == "" {
		first := []stun.Setter{stun.TransactionID, stun.NewType(method, stun.ClassRequest)}
		first = append(first, attrs...)
		res := c.roundTrip(stun.MustBuild(append(first, stun.Fingerprint)...))
		var nonce stun.Nonce
		var realm stun.Realm
		if nonce.GetFrom(res) != nil || realm.GetFrom(res) != nil {
			c.t.Fatalf("unauthenticated %s: no nonce/realm in %s", method, res)
		}
		c.nonce, c.realm = nonce.String(), realm.String()
	}
	setters := []stun.Setter{stun.TransactionID, stun.NewType(method, stun.ClassRequest)}
	setters = append(setters, attrs...)
	setters = append(setters, stun.NewUsername(c.user), stun.NewRealm(c.realm), stun.NewNonce(c.nonce),
		stun.NewLongTermIntegrity(c.user, c.realm, c.pass), stun.Fingerprint)
	res := c.roundTrip(stun.MustBuild(setters...))
	if res.Type.Class == stun.ClassSuccessResponse {
		return 0
	}
	var code stun.ErrorCodeAttribute
	if err := code.GetFrom(res); err != nil {
		c.t.Fatalf("%s: error response without ERROR-CODE: %s", method, res)
	}
	if code.Code == stun.CodeStaleNonce {
		var nonce stun.Nonce
		_ = nonce.GetFrom(res)
		c.nonce = nonce.String()

		return c.request(method, attrs...)
	}

	return int(code.Code)
}

// allocate requests a UDP allocation (extra attributes appended).
func (c *rawClient) allocate(extra ...stun.Setter) int {
	return c.request(stun.MethodAllocate, append([]stun.Setter{transportUDP}, extra...)...)
}

// release deletes the allocation (Refresh with LIFETIME 0).
func (c *rawClient) release() int {
	return c.request(stun.MethodRefresh, stun.RawAttribute{Type: stun.AttrLifetime, Value: []byte{0, 0, 0, 0}})
}

var (
	transportUDP = stun.RawAttribute{Type: stun.AttrRequestedTransport, Value: []byte{17, 0, 0, 0}}
	transportTCP = stun.RawAttribute{Type: stun.AttrRequestedTransport, Value: []byte{6, 0, 0, 0}}
	dontFragment = stun.RawAttribute{Type: stun.AttrDontFragment}
)

// peerAddr is an XOR-PEER-ADDRESS setter.
type peerAddr net.UDPAddr

func (p peerAddr) AddTo(m *stun.Message) error {
	return (&stun.XORMappedAddress{IP: p.IP, Port: p.Port}).AddToAs(m, stun.AttrXORPeerAddress)
}

func channelNumber(n uint16) stun.Setter {
	return stun.RawAttribute{Type: stun.AttrChannelNumber, Value: []byte{byte(n >> 8), byte(n), 0, 0}}
}
