//! Docker's image reference grammar (distribution/reference, as the docker
//! CLI applies it before it asks the engine anything), written out by hand
//! so that `fleet check` refuses what `docker run` and `docker create` would
//! refuse:
//!
//! ```text
//! reference  := name [ ":" tag ] [ "@" digest ]
//! name       := [ domain "/" ] path
//! domain     := host [ ":" port ]          (first component with `.` or `:`, or `localhost`)
//! host       := label ( "." label )*       label: [A-Za-z0-9] or [A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]
//! path       := component ( "/" component )*
//! component  := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
//! tag        := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
//! digest     := sha256:<64 hex> | sha384:<96 hex> | sha512:<128 hex>   (lowercase hex)
//! ```
//!
//! Where docker CLI versions disagree, the stricter reading wins, so a
//! config that passes works with docker 20.10 as with 28: an IPv6 registry
//! (`[::1]:5000/x`) and an uppercase first component without `.` or `:`
//! (`Foo/bar`) are refused (docker 28 accepts both, 20.10 neither), and the
//! 255-character limit counts the name as 20.10 does, with `docker.io/` and
//! `library/` added (28 counts the path alone).

/// Longest repository name, counted with the registry docker fills in.
pub(crate) const NAME_MAX: usize = 255;
/// Longest tag.
pub(crate) const TAG_MAX: usize = 128;

const EXAMPLE: &str =
    "expected `[registry[:port]/]name[:tag][@sha256:<64 hex digits>]`, e.g. `claude-agent:latest`";

/// `Ok` when docker accepts `s` as an image reference; otherwise the whole
/// message: the reference and the precise reason.
pub fn check(s: &str) -> Result<(), String> {
    reason(s).map_err(|why| {
        // Invisible characters escaped, so the reference reads on one line.
        let seen: String = s
            .chars()
            .map(|c| match super::shown(c) {
                q if q.starts_with('`') || c == ' ' => c.to_string(),
                _ => c.escape_debug().to_string(),
            })
            .collect();
        format!("invalid image reference `{seen}`: {why}")
    })
}

fn reason(s: &str) -> Result<(), String> {
    check_text(s)?;
    let (rest, digest) = match s.split_once('@') {
        Some((rest, digest)) => (rest, Some(digest)),
        None => (s, None),
    };
    if rest.is_empty() {
        return Err(
            "a digest alone is not a reference: name the repository too (`name@sha256:…`)".into(),
        );
    }
    // The tag's `:` is the last one after the last `/`; a `:` before a `/`
    // belongs to a registry port.
    let last_slash = rest.rfind('/');
    let (name, tag) = match rest.rfind(':') {
        Some(i) if last_slash.is_none_or(|j| i > j) => (&rest[..i], Some(&rest[i + 1..])),
        _ => (rest, None),
    };
    if name.is_empty() {
        return Err(format!("there is no repository name before `:`; {EXAMPLE}"));
    }
    let (domain, path) = match name.split_once('/') {
        Some((first, path))
            if first.contains(['.', ':']) || first == "localhost" || first.starts_with('[') =>
        {
            (Some(first), path)
        }
        _ => (None, name),
    };
    if let Some(d) = domain {
        check_domain(d)?;
    }
    check_path(path, domain.is_none())?;
    if let Some(t) = tag {
        check_tag(t)?;
    }
    if let Some(d) = digest {
        check_digest(d)?;
    }
    let full = normalized_len(domain, path);
    if full > NAME_MAX {
        return Err(format!(
            "the repository name is {full} characters long as docker counts it (with the registry, `docker.io/` and `library/` for Docker Hub); the limit is {NAME_MAX}"
        ));
    }
    Ok(())
}

/// What no reference may be: empty, an option, or holding a character
/// that is whitespace, a control or otherwise not seen.
fn check_text(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err(format!("it is empty; {EXAMPLE}"));
    }
    if s.starts_with('-') {
        return Err(
            "it starts with `-`, so docker would read it as an option; image names start with a lowercase letter or a digit"
                .into(),
        );
    }
    match s
        .chars()
        .find(|&c| c.is_whitespace() || c.is_control() || !super::shown(c).starts_with('`'))
    {
        Some(c) => Err(format!(
            "it contains {}, which no reference may; {EXAMPLE}",
            describe(c)
        )),
        None => Ok(()),
    }
}

/// The length of the name as docker 20.10 measures it: `docker.io/` in
/// front when no registry is given, `library/` in front of a one-component
/// Docker Hub path.
fn normalized_len(domain: Option<&str>, path: &str) -> usize {
    let domain = match domain {
        None | Some("index.docker.io") => "docker.io",
        Some(d) => d,
    };
    let library = if domain == "docker.io" && !path.contains('/') {
        "library/".len()
    } else {
        0
    };
    domain.len() + 1 + library + path.len()
}

fn check_domain(d: &str) -> Result<(), String> {
    if d.starts_with('[') {
        return Err(
            "IPv6 registry addresses are refused: docker CLIs before 23 cannot parse them; name the registry by a host name (e.g. `localhost:5000/name`)"
                .into(),
        );
    }
    let (host, port) = match d.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (d, None),
    };
    if let Some(port) = port
        && (port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(format!(
            "the registry port `{port}` in `{d}` is not a number; {EXAMPLE}"
        ));
    }
    let label_ok = |l: &str| {
        let b = l.as_bytes();
        !b.is_empty()
            && b[0].is_ascii_alphanumeric()
            && b[b.len() - 1].is_ascii_alphanumeric()
            && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
    };
    if !host.split('.').all(label_ok) {
        return Err(format!(
            "the registry host `{host}` is not a host name: dot-separated labels of letters, digits and inner `-`"
        ));
    }
    Ok(())
}

fn check_path(path: &str, first_may_be_host: bool) -> Result<(), String> {
    if path.chars().any(|c| c.is_ascii_uppercase()) {
        let mut why = "repository names must be lowercase".to_string();
        if first_may_be_host
            && let Some((first, _)) = path.split_once('/')
            && first.chars().any(|c| c.is_ascii_uppercase())
        {
            why += &format!(
                " (`{first}` is not taken as a registry: a registry has a `.` or a `:port`, or is `localhost`)"
            );
        }
        return Err(why);
    }
    for component in path.split('/') {
        check_component(component)?;
    }
    Ok(())
}

/// `[a-z0-9]+` runs joined by `.`, `_`, `__` or any number of `-`.
fn check_component(c: &str) -> Result<(), String> {
    let allowed = "lowercase letters and digits, joined by `.`, `_`, `__` or `-`";
    if c.is_empty() {
        return Err(format!(
            "the repository name has an empty component (a leading, trailing or doubled `/`); components are {allowed}"
        ));
    }
    if let Some(bad) = c
        .chars()
        .find(|ch| !(ch.is_ascii_lowercase() || ch.is_ascii_digit() || "._-".contains(*ch)))
    {
        return Err(format!(
            "{} is not allowed in a repository name; components are {allowed}",
            describe(bad)
        ));
    }
    let is_alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let b = c.as_bytes();
    if !is_alnum(b[0]) || !is_alnum(b[b.len() - 1]) {
        return Err(format!(
            "the component `{c}` must start and end with a lowercase letter or a digit; components are {allowed}"
        ));
    }
    for sep in c.split(|ch: char| ch.is_ascii_lowercase() || ch.is_ascii_digit()) {
        let ok = sep.is_empty()
            || sep == "."
            || sep == "_"
            || sep == "__"
            || sep.bytes().all(|x| x == b'-');
        if !ok {
            return Err(format!(
                "`{sep}` in `{c}` is not a separator docker accepts; components are {allowed}"
            ));
        }
    }
    Ok(())
}

fn check_tag(t: &str) -> Result<(), String> {
    let allowed = format!(
        "a tag is 1 to {TAG_MAX} letters, digits, `_`, `.` or `-`, not starting with `.` or `-`"
    );
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    match t.chars().next() {
        None => return Err(format!("the tag after `:` is empty; {allowed}")),
        Some(c) if !word(c) => return Err(format!("the tag `{t}` starts with `{c}`; {allowed}")),
        _ => {}
    }
    if let Some(bad) = t.chars().find(|&c| !(word(c) || c == '.' || c == '-')) {
        return Err(format!(
            "{} is not allowed in the tag `{t}`; {allowed}",
            describe(bad)
        ));
    }
    if t.len() > TAG_MAX {
        return Err(format!(
            "the tag is {} characters long; the limit is {TAG_MAX}",
            t.len()
        ));
    }
    Ok(())
}

fn check_digest(d: &str) -> Result<(), String> {
    let allowed = "a digest is `sha256:` and 64 lowercase hex digits (or sha384: 96, sha512: 128)";
    let Some((algorithm, hex)) = d.split_once(':') else {
        return Err(format!("the digest `{d}` has no `algorithm:`; {allowed}"));
    };
    let digits = match algorithm {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => {
            return Err(format!(
                "unsupported digest algorithm `{algorithm}`; {allowed}"
            ));
        }
    };
    if !hex
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(format!(
            "the {algorithm} digest is not lowercase hex; {allowed}"
        ));
    }
    if hex.len() != digits {
        return Err(format!(
            "the {algorithm} digest has {} hex digits, not {digits}; {allowed}",
            hex.len()
        ));
    }
    Ok(())
}

/// A character, quoted so that an invisible one is still seen.
fn describe(c: char) -> String {
    let shown = super::shown(c);
    if shown.starts_with('`') {
        shown
    } else {
        format!("the character {shown}")
    }
}

/// A JSON Schema pattern for the same grammar (ECMA-262). It cannot count
/// (the name's 255 characters, the digest's exact length, the stricter
/// readings above); the Rust check is the authority.
pub(crate) const SCHEMA_PATTERN: &str = concat!(
    "^(?:(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?)/)?",
    "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*",
    "(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?",
    "(?:@sha(?:256|384|512):[0-9a-f]{64,128})?$"
);
