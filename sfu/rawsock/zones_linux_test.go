package rawsock

import (
	"net"
	"testing"
)

func TestZonesNameTheirInterfaces(t *testing.T) {
	ifs, err := net.Interfaces()
	if err != nil || len(ifs) == 0 {
		t.Skip("no interfaces to name")
	}
	i := ifs[0]
	if got := zones.name(uint32(i.Index)); got != i.Name {
		t.Errorf("zone of %d is %q, want %q", i.Index, got, i.Name)
	}
	if got := zones.index(i.Name); got != uint32(i.Index) {
		t.Errorf("index of %q is %d, want %d", i.Name, got, i.Index)
	}
	if got := zones.index("7"); got != 7 {
		t.Errorf("index of \"7\" is %d", got)
	}
	if got := zones.name(1 << 30); got != "1073741824" {
		t.Errorf("an unknown scope is named %q", got)
	}
}
