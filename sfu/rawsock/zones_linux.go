package rawsock

import (
	"net"
	"strconv"
	"sync"
	"time"
)

// zones maps IPv6 scope ids to interface names and back, as the net
// package's own cache does: a datagram from or to a link-local address
// needs one, and asking the kernel for the interfaces each time would
// cost more than the datagram.
var zones zoneCache

// zoneRefresh is how old the table may grow, and how often a miss may
// refresh it.
const zoneRefresh = time.Minute

type zoneCache struct {
	mu      sync.RWMutex
	byIndex map[uint32]string
	byName  map[string]uint32
	at      time.Time // of the last refresh
}

// name is the zone of scope id: its interface's name, else its number.
func (z *zoneCache) name(id uint32) string {
	if n, ok := lookup(z, func() map[uint32]string { return z.byIndex }, id); ok {
		return n
	}
	return strconv.FormatUint(uint64(id), 10)
}

// index is the scope id of zone: its interface's index, or its number.
func (z *zoneCache) index(zone string) uint32 {
	if id, err := strconv.ParseUint(zone, 10, 32); err == nil {
		return uint32(id)
	}
	id, _ := lookup(z, func() map[string]uint32 { return z.byName }, zone)
	return id
}

// lookup finds k in the table that table returns, refreshing it first
// if it is old or k is missing.
func lookup[K comparable, V any](z *zoneCache, table func() map[K]V, k K) (V, bool) {
	z.mu.RLock()
	v, ok := table()[k]
	fresh := time.Since(z.at) < zoneRefresh
	z.mu.RUnlock()
	if ok && fresh {
		return v, true
	}
	z.refresh()
	z.mu.RLock()
	defer z.mu.RUnlock()
	v, ok = table()[k]
	return v, ok
}

// refresh reads the interfaces again: when the table is older than
// zoneRefresh, or a look-up missed, but at most once a second.
func (z *zoneCache) refresh() {
	z.mu.Lock()
	defer z.mu.Unlock()
	if time.Since(z.at) < time.Second {
		return // another caller just did, or a miss storm
	}
	z.at = time.Now()
	ifs, err := net.Interfaces()
	if err != nil {
		return
	}
	z.byIndex = make(map[uint32]string, len(ifs))
	z.byName = make(map[string]uint32, len(ifs))
	for _, i := range ifs {
		z.byIndex[uint32(i.Index)] = i.Name
		z.byName[i.Name] = uint32(i.Index)
	}
}
