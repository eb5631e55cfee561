//! `ssh://[user@]host[:port][/path]`, read as the docker CLI reads a
//! `DOCKER_HOST` (docker/cli `cli/connhelper/ssh`, `ParseURL`): no password,
//! no query, no fragment; a path is allowed (newer CLIs run
//! `docker --host unix://<path> system dial-stdio` on the far side) and plays
//! no part in the SSH connection. An empty user (`ssh://@host`) or port
//! (`ssh://host:`) is no user or port, as for the CLI. Stricter than the
//! CLI where it would only hand ssh something ssh refuses: the port must be
//! 1-65535, the host a name, an IPv4 address or a bracketed IPv6 address.

use std::fmt;

/// Where an `ssh://` URL leads: the arguments the docker CLI gives ssh.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Target {
    /// `-l user`; `None`: ssh's own choice (its config, else the local user).
    pub user: Option<String>,
    /// The destination, as ssh gets it after `--` (an IPv6 address without
    /// its brackets).
    pub host: String,
    /// `-p port`; `None`: ssh's own choice (its config, else 22).
    pub port: Option<u16>,
}

impl Target {
    /// ssh's arguments for this target, as the docker CLI orders them:
    /// `[-l user] [-p port] -- host`.
    pub fn ssh_args(&self) -> Vec<String> {
        let mut args = Vec::with_capacity(6);
        if let Some(u) = &self.user {
            args.extend(["-l".to_string(), u.clone()]);
        }
        if let Some(p) = self.port {
            args.extend(["-p".to_string(), p.to_string()]);
        }
        args.extend(["--".to_string(), self.host.clone()]);
        args
    }
}

/// `ssh -l ops -p 2222 gpu-1`: the command an operator can type to try the
/// connection by hand.
impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ssh")?;
        if let Some(u) = &self.user {
            write!(f, " -l {u}")?;
        }
        if let Some(p) = self.port {
            write!(f, " -p {p}")?;
        }
        write!(f, " {}", self.host)
    }
}

/// Whether `url` is an `ssh://` URL (the scheme compared as the CLI does,
/// ignoring case), valid or not.
pub fn is_ssh(url: &str) -> bool {
    url.get(..6)
        .is_some_and(|s| s.eq_ignore_ascii_case("ssh://"))
}

/// Reads `ssh://[user@]host[:port][/path]`. The error says what is wrong
/// with the URL and never repeats a password.
pub fn parse_url(url: &str) -> Result<Target, String> {
    if !is_ssh(url) {
        return Err(match url.split_once("://") {
            Some((scheme, _)) => {
                format!("the scheme is `{scheme}`, not `ssh` (expected ssh://[user@]host[:port])")
            }
            None => "no scheme (expected ssh://[user@]host[:port])".to_string(),
        });
    }
    let rest = &url[6..];
    if let Some(i) = rest.find('#') {
        return Err(format!(
            "fragments are not allowed in an ssh URL: `#{}`",
            &rest[i + 1..]
        ));
    }
    let rest = match rest.split_once('?') {
        Some((_, q)) if !q.is_empty() => {
            return Err(format!(
                "query parameters are not allowed in an ssh URL: `?{q}`"
            ));
        }
        Some((before, _)) => before,
        None => rest,
    };
    // The path (anything from the first `/`) is the far side's socket.
    let authority = rest.split_once('/').map_or(rest, |(a, _)| a);
    let (user, host_port) = match authority.rsplit_once('@') {
        Some((userinfo, hp)) => (parse_user(userinfo)?, hp),
        None => (None, authority),
    };
    let (host, port) = split_host_port(host_port)?;
    Ok(Target { user, host, port })
}

/// The user of `user[:password]`, percent-decoded; empty is none.
fn parse_user(userinfo: &str) -> Result<Option<String>, String> {
    if userinfo.contains(':') {
        return Err(
            "an ssh URL cannot carry a password (plain-text passwords are not supported; \
             use a key, or an agent)"
                .to_string(),
        );
    }
    let user = percent_decode(userinfo)?;
    if user.is_empty() {
        return Ok(None);
    }
    if user.starts_with('-') || user.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(format!("`{user}` is not a user name ssh accepts"));
    }
    Ok(Some(user))
}

fn split_host_port(hp: &str) -> Result<(String, Option<u16>), String> {
    let (host, port) = if let Some(inner) = hp.strip_prefix('[') {
        let Some((addr, after)) = inner.split_once(']') else {
            return Err(format!(
                "`{hp}`: an IPv6 address opened with `[` is not closed with `]`"
            ));
        };
        if addr.is_empty()
            || !addr
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
        {
            return Err(format!("`[{addr}]` is not an IPv6 address"));
        }
        match after {
            "" => (addr, None),
            _ => match after.strip_prefix(':') {
                Some(p) => (addr, Some(p)),
                None => return Err(format!("`{after}` after `[{addr}]` is not `:port`")),
            },
        }
    } else {
        match hp.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hp, None),
        }
    };
    if host.is_empty() {
        return Err("the ssh URL names no host (expected ssh://[user@]host[:port])".to_string());
    }
    if !hp.starts_with('[') {
        check_host_name(host)?;
    }
    Ok((host.to_string(), parse_port(port)?))
}

fn check_host_name(host: &str) -> Result<(), String> {
    if host.starts_with('-') {
        return Err(format!("the host name `{host}` starts with `-`"));
    }
    match host
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')))
    {
        Some(c) => Err(format!(
            "the host name `{host}` holds `{c}`: expected letters, digits, `.`, `-`, `_` \
             (an IPv6 address goes in brackets: ssh://[::1]:22)"
        )),
        None => Ok(()),
    }
}

/// `None` or empty: no port, as for the CLI.
fn parse_port(port: Option<&str>) -> Result<Option<u16>, String> {
    match port {
        None | Some("") => Ok(None),
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 && p.bytes().all(|b| b.is_ascii_digit()) => Ok(Some(n)),
            _ => Err(format!("the port `{p}` is not a port number (1-65535)")),
        },
    }
}

/// `%XX` escapes, as URL user info may carry them (`ops%40corp`).
fn percent_decode(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()));
            let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) else {
                let end = s.len().min(i + 3);
                return Err(format!(
                    "`{}` is not a valid %-escape",
                    s.get(i..end).unwrap_or("%")
                ));
            };
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "the user name is not UTF-8 once %-decoded".to_string())
}
