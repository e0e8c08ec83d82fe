// Package clientaddr says which client addresses count as one for limits and
// throttles. One IPv6 customer is routinely handed a whole /64, so counting
// IPv6 addresses one by one would let a single machine rotate through 2^64
// "different" clients; an IPv4 address stands for itself.
package clientaddr

import "net/netip"

// IPv6Bits is the prefix length that groups IPv6 addresses into one client.
const IPv6Bits = 64

// Group returns the network that ip is counted under: the address itself for
// IPv4 (and IPv4-mapped IPv6), its /64 for IPv6.
func Group(ip netip.Addr) netip.Prefix {
	ip = ip.Unmap().WithZone("")
	if ip.Is4() {
		return netip.PrefixFrom(ip, 32)
	}
	p, err := ip.Prefix(IPv6Bits)
	if err != nil { // only for the zero Addr
		return netip.Prefix{}
	}
	return p
}

// Key returns the string a limiter keys addr under: its Group, or addr itself
// when it is not an IP address (so a malformed value still gets a bucket of
// its own rather than none).
func Key(addr string) string {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	return Group(ip).String()
}
