package server_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/plenum-meet/plenum/cmd/plenum/server/certtest"
)

// trustedCert and trustedKey are a self-signed certificate that the
// whole test process trusts (SSL_CERT_FILE), as browsers trust a real
// one: pion's TURN-over-TLS client checks the server's certificate
// against the system's roots and has no setting to take others.
var trustedCert, trustedKey string

// panicTB lets certtest run before any test: it panics where a test
// would fail.
type panicTB struct{ testing.TB }

func (panicTB) Helper()                      {}
func (panicTB) Fatal(args ...any)            { panic(fmt.Sprint(args...)) }
func (panicTB) Fatalf(f string, args ...any) { panic(fmt.Sprintf(f, args...)) }

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "plenum-server-test")
	if err != nil {
		panic(err)
	}
	trustedCert, trustedKey = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	certtest.WriteSelfSigned(panicTB{}, trustedCert, trustedKey, 1)
	// Read once, at the first verification against the system's roots.
	os.Setenv("SSL_CERT_FILE", trustedCert)
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}
