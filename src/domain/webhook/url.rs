//! An endpoint's URL: checked at create and update, split for the sender. The real guard is
//! the sender's, on the addresses the host resolves to at each attempt (`address`).

use super::super::Invalid;
use super::address;
use std::net::IpAddr;

/// Longest URL accepted.
pub const MAX_URL: usize = 2000;

/// A checked endpoint URL, split for the sender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub https: bool,
    /// A name, or an IP literal (IPv6 without brackets).
    pub host: String,
    pub port: u16,
    pub path_and_query: String,
}

/// Names that are never a public host.
fn private_name(host: &str) -> bool {
    host == "localhost"
        || [".localhost", ".local", ".internal", ".home.arpa", ".lan"]
            .iter()
            .any(|s| host.ends_with(s))
        || !host.contains('.')
}

/// Whether `ip` may be reached: public, or loopback when `loopback` (local development).
pub fn allowed(ip: IpAddr, loopback: bool) -> bool {
    address::is_public(ip) || (loopback && ip.to_canonical().is_loopback())
}

/// Parses an endpoint URL. Deployed: `https://` and a public host (an IP literal must be
/// public, a name must not be obviously private); the real check is the sender's, on the
/// addresses the name resolves to when it sends. `loopback` (`WEBHOOK_ALLOW_HTTP_LOOPBACK`)
/// also lets `http://127.0.0.1` (or `localhost`, `[::1]`) through, for local tests.
pub fn parse_url(param: &'static str, value: &str, loopback: bool) -> Result<Target, Invalid> {
    let bad = |rule: &str| Invalid::new(param, rule);
    if value.len() > MAX_URL {
        return Err(bad("must be at most 2000 characters"));
    }
    let uri: hyper::Uri = value
        .parse()
        .map_err(|_| bad("must be an absolute https:// URL"))?;
    let https = match uri.scheme_str() {
        Some("https") => true,
        Some("http") if loopback => false,
        _ => return Err(bad("must be an https:// URL")),
    };
    let authority = uri
        .authority()
        .ok_or_else(|| bad("must be an absolute https:// URL"))?;
    if authority.as_str().contains('@') {
        return Err(bad("must not carry a user name or password"));
    }
    let host = authority
        .host()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase();
    let ip = host.parse::<IpAddr>().ok();
    let local = match ip {
        Some(ip) => ip.to_canonical().is_loopback(),
        None => host == "localhost",
    };
    if !https && !local {
        return Err(bad(
            "must be an https:// URL (http:// only to a loopback address)",
        ));
    }
    let private = match ip {
        Some(ip) => !allowed(ip, loopback),
        None => private_name(&host) && !(loopback && local),
    };
    if private {
        return Err(bad(
            "must reach a public address (not loopback, private, link-local or reserved)",
        ));
    }
    let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
    let path_and_query = uri
        .path_and_query()
        .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
    Ok(Target {
        https,
        host,
        port,
        path_and_query,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_must_be_https_to_a_public_host() {
        let ok = parse_url("url", "https://hooks.example.com:8443/in?x=1", false).unwrap();
        assert_eq!(
            ok,
            Target {
                https: true,
                host: "hooks.example.com".into(),
                port: 8443,
                path_and_query: "/in?x=1".into()
            }
        );
        assert_eq!(
            parse_url("url", "https://8.8.8.8", false).unwrap().port,
            443
        );
        for bad in [
            "http://hooks.example.com/",
            "ftp://hooks.example.com/",
            "hooks.example.com/in",
            "https://user:pw@hooks.example.com/",
            "https://127.0.0.1/",
            "https://169.254.169.254/latest/meta-data",
            "https://10.0.0.5/",
            "https://[::1]/",
            "https://[fd00::1]/",
            "https://[::ffff:192.168.0.1]/",
            "https://localhost/",
            "https://db.internal/",
            "https://intranet/",
            "http://127.0.0.1:9000/",
        ] {
            assert!(parse_url("url", bad, false).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_loopback_setting_allows_http_to_loopback_only() {
        let t = parse_url("url", "http://127.0.0.1:9000/hook", true).unwrap();
        assert_eq!(
            (t.https, t.port, t.host.as_str()),
            (false, 9000, "127.0.0.1")
        );
        assert!(parse_url("url", "http://[::1]:9000/", true).is_ok());
        assert!(parse_url("url", "http://hooks.example.com/", true).is_err());
        assert!(parse_url("url", "http://10.0.0.1/", true).is_err());
        assert!(parse_url("url", "https://10.0.0.1/", true).is_err());
    }
}
