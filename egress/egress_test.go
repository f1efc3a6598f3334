package egress

import (
	"net/netip"
	"testing"
)

func TestCheckHost(t *testing.T) {
	refused := []string{
		"localhost", "api.localhost", "127.0.0.1", "10.1.2.3", "192.168.1.1", "172.16.0.1",
		"169.254.169.254", "100.64.0.1", "192.0.0.8", "192.0.2.1", "198.18.0.1", "198.19.255.255",
		"198.51.100.1", "203.0.113.1", "224.0.0.1", "239.1.1.1", "240.0.0.1", "255.255.255.255", "0.0.0.0",
		"[::1]", "[::]", "[::127.0.0.1]", "[::ffff:127.0.0.1]", "[::ffff:8.8.8.8]", "[64:ff9b::7f00:1]",
		"[64:ff9b:1::1]", "[2002:7f00:1::]", "[2001::1]", "[2001:db8::1]", "[fc00::1]", "[fd12::1]",
		"[fe80::1]", "[fec0::1]", "[ff02::1]", "[100::1]", "[3fff::1]", "[::2]",
		"2130706433", "0x7f.1", "0x7f000001", "017700000001", "127.1", "0177.0.0.1", "127.000.000.001",
		"1.2.3.4.5", "example.0x10", "foo.123",
	}
	for _, h := range refused {
		if err := CheckHost(h); err == nil {
			t.Errorf("%s passed", h)
		}
	}
	allowed := []string{"example.org", "8.8.8.8", "1.1.1.1", "[2606:4700:4700::1111]", "feeds.example.com.", "123.example.org", "a1"}
	for _, h := range allowed {
		if err := CheckHost(h); err != nil {
			t.Errorf("%s refused: %v", h, err)
		}
	}
}

func TestControl(t *testing.T) {
	for addr, ok := range map[string]bool{
		"8.8.8.8:443": true, "[2606:4700:4700::1111]:443": true,
		"127.0.0.1:80": false, "[::ffff:127.0.0.1]:80": false, "198.18.0.1:80": false, "[64:ff9b::a00:1]:80": false,
	} {
		if err := Control("tcp", addr, nil); (err == nil) != ok {
			t.Errorf("%s: %v", addr, err)
		}
	}
	if Why(netip.MustParseAddr("fe80::1%eth0")) == "" {
		t.Error("a scoped address passed")
	}
}
