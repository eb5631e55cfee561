//! `ssh://[user@]host[:port][/path]`, read as the docker CLI reads a
//! `DOCKER_HOST` (docker/cli `cli/connhelper/ssh`, `ParseURL`): no password,
//! no query, no fragment; a path is allowed (newer CLIs run
//! `docker --host unix://<path> system dial-stdio` on the far side) and plays
//! no part in the SSH connection. An empty user (`ssh://@host`) or port
//! (`ssh://host:`) is no user or port, as for the CLI. Stricter than the
//! CLI where it would only hand ssh something ssh refuses: the port must be
//! 1-65535, the host a name, an IPv4 address or a bracketed IPv6 address.
//!
//! [`parse_docker_host`] reads any `DOCKER_HOST` fleet drives (`unix://`,
//! `tcp://`, `ssh://` by [`parse_url`]): the one reading of such a URL, for
//! `check` and for the runs alike. [`redact_userinfo`] hides the password of
//! any URL in free text (docker's own errors repeat its endpoint's URL).

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
    let (host, port) = split_host_port(host_port, Scheme::Ssh)?;
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

/// The two schemes whose URLs name a host and a port, for messages.
#[derive(Clone, Copy)]
enum Scheme {
    Ssh,
    Tcp,
}

impl Scheme {
    fn name(self) -> &'static str {
        match self {
            Scheme::Ssh => "ssh",
            Scheme::Tcp => "tcp",
        }
    }

    /// The URL's shape, as a message shows it.
    fn shape(self) -> &'static str {
        match self {
            Scheme::Ssh => "ssh://[user@]host[:port]",
            Scheme::Tcp => "tcp://host[:port]",
        }
    }
}

fn split_host_port(hp: &str, scheme: Scheme) -> Result<(String, Option<u16>), String> {
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
        return Err(format!(
            "the {} URL names no host (expected {})",
            scheme.name(),
            scheme.shape()
        ));
    }
    if !hp.starts_with('[') {
        check_host_name(host, scheme)?;
    }
    Ok((host.to_string(), parse_port(port)?))
}

fn check_host_name(host: &str, scheme: Scheme) -> Result<(), String> {
    if host.starts_with('-') {
        return Err(format!("the host name `{host}` starts with `-`"));
    }
    match host
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')))
    {
        Some(c) => Err(format!(
            "the host name `{host}` holds `{c}`: expected letters, digits, `.`, `-`, `_` \
             (an IPv6 address goes in brackets: {}://[::1]:22)",
            scheme.name()
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

/// A `DOCKER_HOST` URL fleet drives, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// `unix:///path`: the socket's path.
    Unix(String),
    /// `tcp://host[:port][/path]`; no port: the docker CLI's default.
    Tcp { host: String, port: Option<u16> },
    /// `ssh://…`, as [`parse_url`] reads it.
    Ssh(Target),
}

/// Why a `DOCKER_HOST` URL is refused: what is wrong, never quoting a
/// password, and what to write instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadUrl {
    pub message: String,
    pub help: &'static str,
}

const SSH_HELP: &str =
    "write it as ssh://[user@]host[:port][/path], e.g. ssh://ops@gpu-1 or ssh://ops@[fd00::7]:2222";
const TCP_HELP: &str = "write it as tcp://host[:port], e.g. tcp://gpu-1:2376 (an IPv6 address in brackets: tcp://[fd00::7]:2376)";
const UNIX_HELP: &str =
    "write it as unix:// and the socket's absolute path, e.g. unix:///var/run/docker.sock";
const ANY_HELP: &str = "write a URL such as unix:///var/run/docker.sock, tcp://gpu-1:2376 or \
     ssh://ops@gpu-1, or name a docker context with `context`";

/// Reads a `DOCKER_HOST` URL: `unix:///path`, `tcp://host[:port][/path]`,
/// or `ssh://…` by [`parse_url`]. Schemes are matched as the docker CLI's
/// `--host` matches them (in lowercase). A URL with a password is refused
/// first, and no message shows it.
pub fn parse_docker_host(url: &str) -> Result<Endpoint, BadUrl> {
    if holds_password(url) {
        return Err(BadUrl {
            message: "a password in the URL is refused (and never shown)".to_string(),
            help: "use an SSH key (ssh-agent or ~/.ssh/config) or TLS certificates",
        });
    }
    let split = url.split_once("://");
    let help = match split {
        Some(("unix", _)) => UNIX_HELP,
        Some(("tcp", _)) => TCP_HELP,
        Some(("ssh", _)) => SSH_HELP,
        _ => ANY_HELP,
    };
    let bad = |message: String| BadUrl { message, help };
    if url.chars().any(|c| c.is_whitespace() || c == '\0') {
        return Err(bad("a URL holds no whitespace or NUL".to_string()));
    }
    match split {
        None => Err(bad("not a URL (no `://`)".to_string())),
        Some(("unix", path)) if path.starts_with('/') => Ok(Endpoint::Unix(path.to_string())),
        Some(("unix", _)) => Err(bad(
            "a unix:// URL takes an absolute socket path (unix:///path)".to_string(),
        )),
        Some(("tcp", rest)) => parse_tcp(rest).map_err(bad),
        Some(("ssh", _)) => parse_url(url).map(Endpoint::Ssh).map_err(bad),
        Some((scheme, _)) => Err(bad(format!(
            "the scheme `{scheme}` is not one fleet drives (unix, tcp, ssh)"
        ))),
    }
}

/// `host[:port][/path]` after `tcp://`.
fn parse_tcp(rest: &str) -> Result<Endpoint, String> {
    if let Some(i) = rest.find(['?', '#']) {
        return Err(format!(
            "a tcp URL takes no query or fragment: `{}`",
            &rest[i..]
        ));
    }
    let authority = rest.split_once('/').map_or(rest, |(a, _)| a);
    if authority.contains('@') {
        return Err(
            "a tcp URL names no user (`user@`): the engine's TLS certificates say who you are"
                .to_string(),
        );
    }
    let (host, port) = split_host_port(authority, Scheme::Tcp)?;
    Ok(Endpoint::Tcp { host, port })
}

/// What a hidden password shows instead.
const HIDDEN: &str = "<hidden>";

/// `text` with the password of every URL in it (`scheme://user:password@`)
/// replaced by `<hidden>`: for free text such as docker's errors, which
/// repeat an endpoint's URL. A URL ends at whitespace or a quote; its user
/// info runs to its last `@`, so a password holding `/` is hidden too.
pub fn redact_userinfo(text: &str) -> String {
    redact(text, false)
}

/// [`redact_userinfo`], and also a bare `user:password@host` (no `/`
/// before its `@`): for text about a host, where a word such as
/// `name:tag@sha256:…` is not expected.
pub(crate) fn redact_any_userinfo(text: &str) -> String {
    redact(text, true)
}

/// Whether `text` holds a password: a URL's (`scheme://user:password@`)
/// or a bare `user:password@host`.
pub fn holds_password(text: &str) -> bool {
    hide_password(text, true).is_some() || redact_any_userinfo(text) != text
}

fn redact(text: &str, bare: bool) -> String {
    let is_end = |c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '`');
    let mut out = String::with_capacity(text.len());
    for piece in text.split_inclusive(is_end) {
        let (token, end) = match piece.char_indices().last() {
            Some((i, c)) if is_end(c) => piece.split_at(i),
            _ => (piece, ""),
        };
        match hide_password(token, bare) {
            Some(hidden) => out.push_str(&hidden),
            None => out.push_str(token),
        }
        out.push_str(end);
    }
    out
}

/// `token` with its password hidden, if it has one: after `scheme://`, or
/// (`bare`) at its start when no `/` comes before the `@`.
fn hide_password(token: &str, bare: bool) -> Option<String> {
    let (head, rest) = match token.find("://") {
        Some(i) => token.split_at(i + 3),
        None if bare => ("", token),
        None => return None,
    };
    let at = rest.rfind('@')?;
    let userinfo = &rest[..at];
    let colon = userinfo.find(':')?;
    if head.is_empty() && userinfo.contains('/') {
        return None;
    }
    Some(format!(
        "{head}{}{HIDDEN}{}",
        &userinfo[..=colon],
        &rest[at..]
    ))
}
