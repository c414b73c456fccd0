//! Which addresses a webhook may reach: public unicast only. Checked on every address a
//! host resolves to at delivery time (DNS can change between create and send), and on an
//! IP literal at create/update. Anything inside the VPC, the instance metadata service,
//! the carrier's NAT or a documentation range is refused; IPv4 embedded in IPv6 (mapped,
//! NAT64, 6to4) is judged as the IPv4 address it carries.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// `(first address, prefix length)` of the IPv4 ranges that are not public unicast.
const V4_REFUSED: [([u8; 4], u8); 17] = [
    ([0, 0, 0, 0], 8),       // "this network", unspecified
    ([10, 0, 0, 0], 8),      // private
    ([100, 64, 0, 0], 10),   // carrier-grade NAT
    ([127, 0, 0, 0], 8),     // loopback
    ([169, 254, 0, 0], 16),  // link-local: instance metadata (169.254.169.254)
    ([172, 16, 0, 0], 12),   // private
    ([192, 0, 0, 0], 24),    // IETF protocol assignments
    ([192, 0, 2, 0], 24),    // documentation (TEST-NET-1)
    ([192, 31, 196, 0], 24), // AS112
    ([192, 52, 193, 0], 24), // AMT
    ([192, 88, 99, 0], 24),  // 6to4 relay anycast (deprecated)
    ([192, 168, 0, 0], 16),  // private
    ([198, 18, 0, 0], 15),   // benchmarking
    ([198, 51, 100, 0], 24), // documentation (TEST-NET-2)
    ([203, 0, 113, 0], 24),  // documentation (TEST-NET-3)
    ([224, 0, 0, 0], 4),     // multicast
    ([240, 0, 0, 0], 4),     // reserved, and 255.255.255.255 broadcast
];

/// The IPv6 ranges that are not public unicast (those that embed IPv4 are handled apart).
const V6_REFUSED: [(u128, u8); 11] = [
    (0, 96),                      // ::/96 unspecified, ::1, IPv4-compatible
    (0x0064_ff9b_0001 << 80, 48), // 64:ff9b:1::/48 local-use NAT64
    (0x0100 << 112, 64),          // 100::/64 discard
    (0x2001 << 112, 23),          // 2001::/23 IETF protocols (Teredo, ...)
    (0x2001_0db8 << 96, 32),      // 2001:db8::/32 documentation
    (0x3fff << 112, 20),          // 3fff::/20 documentation
    (0x5f00 << 112, 16),          // 5f00::/16 SRv6 SIDs
    (0xfc00 << 112, 7),           // fc00::/7 unique local
    (0xfe80 << 112, 10),          // fe80::/10 link-local
    (0xfec0 << 112, 10),          // fec0::/10 site-local (deprecated)
    (0xff00 << 112, 8),           // ff00::/8 multicast
];

fn in_v4(ip: Ipv4Addr, (net, len): ([u8; 4], u8)) -> bool {
    let mask = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
    u32::from(ip) & mask == u32::from(Ipv4Addr::from(net)) & mask
}

fn in_v6(ip: Ipv6Addr, (net, len): (u128, u8)) -> bool {
    let mask = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
    u128::from(ip) & mask == net & mask
}

fn v4_is_public(ip: Ipv4Addr) -> bool {
    !V4_REFUSED.iter().any(|r| in_v4(ip, *r))
}

/// Whether a webhook may be sent to `ip`.
pub fn is_public(ip: IpAddr) -> bool {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4_is_public(v4),
        IpAddr::V6(v6) => {
            let bits = u128::from(v6);
            // 64:ff9b::/96 (NAT64) and 2002::/16 (6to4) reach the IPv4 address they embed.
            if in_v6(v6, (0x0064_ff9b << 96, 96)) {
                return v4_is_public(Ipv4Addr::from((bits & 0xffff_ffff) as u32));
            }
            if in_v6(v6, (0x2002 << 112, 16)) {
                return v4_is_public(Ipv4Addr::from(((bits >> 80) & 0xffff_ffff) as u32));
            }
            !V6_REFUSED.iter().any(|r| in_v6(v6, *r))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn public(s: &str) -> bool {
        is_public(s.parse().unwrap())
    }

    #[test]
    fn every_refused_ipv4_range_is_refused_at_both_ends() {
        for (net, len) in V4_REFUSED {
            let first = u32::from(Ipv4Addr::from(net));
            let last = first | (u32::MAX >> len);
            for ip in [first, last] {
                let ip = Ipv4Addr::from(ip);
                assert!(!is_public(ip.into()), "{ip} of {net:?}/{len}");
                // The same address IPv4-mapped, as a dual-stack resolver may answer it.
                assert!(!is_public(ip.to_ipv6_mapped().into()), "mapped {ip}");
            }
        }
        for ip in [
            "127.0.0.1",
            "169.254.169.254",
            "10.1.2.3",
            "172.31.255.255",
            "192.168.1.1",
            "100.64.0.1",
            "100.127.255.254",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.251",
            "192.0.2.10",
            "198.51.100.7",
            "203.0.113.9",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
        ] {
            assert!(!public(ip), "{ip}");
        }
    }

    #[test]
    fn every_refused_ipv6_range_is_refused() {
        for ip in [
            "::",
            "::1",
            "::127.0.0.1",
            "fe80::1",
            "febf:ffff::1",
            "fc00::1",
            "fd12:3456::1",
            "ff02::1",
            "ff0e::1",
            "2001:db8::1",
            "3fff::1",
            "100::1",
            "2001::1",
            "fec0::1",
            "64:ff9b:1::1",
            "64:ff9b::7f00:1",    // NAT64 of 127.0.0.1
            "64:ff9b::a9fe:a9fe", // NAT64 of 169.254.169.254
            "2002:7f00:1::1",     // 6to4 of 127.0.0.1
            "2002:a00:1::1",      // 6to4 of 10.0.0.1
        ] {
            assert!(!public(ip), "{ip}");
        }
    }

    #[test]
    fn public_addresses_pass() {
        for ip in [
            "1.1.1.1",
            "8.8.8.8",
            "100.63.255.255",
            "100.128.0.0",
            "172.15.255.255",
            "172.32.0.0",
            "192.169.0.1",
            "169.253.255.255",
            "198.20.0.1",
            "223.255.255.254",
            "2606:4700:4700::1111",
            "2a00:1450:4001::200e",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808", // NAT64 of 8.8.8.8
            "2002:808:808::1",  // 6to4 of 8.8.8.8
        ] {
            assert!(public(ip), "{ip}");
        }
    }
}
