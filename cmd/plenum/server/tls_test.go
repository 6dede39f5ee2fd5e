package server_test

import (
	"crypto/tls"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/plenum-meet/plenum/cmd/plenum/server"
	"github.com/plenum-meet/plenum/cmd/plenum/server/certtest"
)

// writeSelfSigned writes a certificate for localhost, proxiedDomain and
// 127.0.0.1 with the given serial number to certFile and keyFile.
func writeSelfSigned(t *testing.T, certFile, keyFile string, serial int64) {
	t.Helper()
	certtest.WriteSelfSigned(t, certFile, keyFile, serial, proxiedDomain)
}

// servedSerial is the serial number of the certificate served at addr.
func servedSerial(t *testing.T, addr string) int64 {
	t.Helper()
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // reads the serial only
	if err != nil {
		t.Fatalf("TLS to %s: %v", addr, err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].SerialNumber.Int64()
}

func TestReloadedCertificateFilesServeHTTPSAndTURNOverTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writeSelfSigned(t, certFile, keyFile, 1)
	files, err := server.LoadCertificateFiles(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	srv, _ := startWith(t, func(c *server.Config) {
		c.TLS = files.TLSConfig()
		c.TURN.Server.TLSConfig = files.TLSConfig()
	})
	https, turns := srv.Addr().String(), srv.TURN().TLSAddr().String()
	if a, b := servedSerial(t, https), servedSerial(t, turns); a != 1 || b != 1 {
		t.Fatalf("serials %d (HTTPS) and %d (TURN) before reload, want 1", a, b)
	}

	writeSelfSigned(t, certFile, keyFile, 2) // as certbot renews
	if _, err := files.Reload(); err != nil {
		t.Fatal(err)
	}
	if a, b := servedSerial(t, https), servedSerial(t, turns); a != 2 || b != 2 {
		t.Errorf("serials %d (HTTPS) and %d (TURN) after reload, want 2", a, b)
	}

	if err := os.WriteFile(certFile, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := files.Reload(); err == nil {
		t.Error("a broken certificate file was accepted")
	}
	if a := servedSerial(t, https); a != 2 {
		t.Errorf("serial %d after a failed reload, want the previous certificate (2)", a)
	}
}
