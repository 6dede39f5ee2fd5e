package server

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"sync/atomic"
	"time"
)

// CertificateFiles is a certificate and key read from PEM files, which
// Reload reads again (on SIGHUP, after certbot renewed them) without
// dropping a connection: handshakes pick the current pair.
type CertificateFiles struct {
	certFile, keyFile string
	current           atomic.Pointer[tls.Certificate]
}

// LoadCertificateFiles reads a certificate chain and its key.
func LoadCertificateFiles(certFile, keyFile string) (*CertificateFiles, error) {
	c := &CertificateFiles{certFile: certFile, keyFile: keyFile}
	if _, err := c.Reload(); err != nil {
		return nil, err
	}
	return c, nil
}

// Reload reads the files again. On error the previous certificate stays
// in use. It returns the new certificate's expiry.
func (c *CertificateFiles) Reload() (notAfter time.Time, err error) {
	cert, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		return time.Time{}, fmt.Errorf("load %s and %s: %w", c.certFile, c.keyFile, err)
	}
	if cert.Leaf == nil && len(cert.Certificate) > 0 {
		if cert.Leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return time.Time{}, fmt.Errorf("parse %s: %w", c.certFile, err)
		}
	}
	c.current.Store(&cert)
	return cert.Leaf.NotAfter, nil
}

// Files are the certificate and key file names.
func (c *CertificateFiles) Files() (certFile, keyFile string) { return c.certFile, c.keyFile }

// TLSConfig serves the current certificate, for HTTPS and TURN over TLS.
func (c *CertificateFiles) TLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			return c.current.Load(), nil
		},
	}
}
