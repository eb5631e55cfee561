//! SSH failures in words an operator can act on: ssh's own stderr (from
//! [`super::Shared::connect`]) or the docker CLI's account of an ssh that
//! failed under it, sorted into a [`FailureKind`], ssh's noise left out.

use super::Target;

/// What kind of SSH failure: each has its own help.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The host's key is not in known_hosts (ssh runs in batch mode: it
    /// never asks).
    HostKeyUnknown,
    /// The host's key differs from the one known_hosts records.
    HostKeyChanged,
    /// sshd refused every key (`Permission denied`).
    AuthRefused,
    /// No connection: refused, timed out, no route, a name that does not
    /// resolve.
    Unreachable,
    /// sshd closed the connection before the handshake
    /// (`kex_exchange_identification`): past its `MaxStartups`, or unwell.
    Dropped,
    /// ssh did not finish within the time fleet gave it.
    Timeout,
    /// No `ssh` program to run.
    NotInstalled,
    /// Connected, but `docker` is not on the far side's PATH (exit 127).
    DockerMissing,
    /// The docker CLI's "client version … is too new" on an ssh host: its
    /// version check's connections dropped.
    VersionCheck,
    /// ssh failed in a way none of the above names.
    Other,
}

/// One SSH failure: its kind, the ssh command it was about (when known) and
/// ssh's own words, noise stripped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshFailure {
    kind: FailureKind,
    target: Option<Target>,
    detail: String,
    /// ssh's own `ssh-keygen -f … -R …` line for a changed host key.
    keygen: Option<String>,
}

impl SshFailure {
    /// Sorts ssh's stderr (after it exited non-zero) into a failure.
    pub fn from_ssh_stderr(target: Option<Target>, stderr: &str) -> SshFailure {
        let lines = clean_lines(stderr);
        let text = lines.join("\n");
        let kind = classify(&text);
        let keygen = lines
            .iter()
            .find(|l| l.starts_with("ssh-keygen ") && l.contains(" -R "))
            .cloned();
        let detail = match kind {
            // The banner is a page; its last two lines say it.
            FailureKind::HostKeyChanged => lines
                .iter()
                .skip_while(|l| !l.starts_with("Host key for "))
                .cloned()
                .collect::<Vec<_>>()
                .join(" "),
            _ => lines.join(" "),
        };
        let detail = strip_prefix(target.as_ref(), &detail);
        SshFailure {
            kind,
            target,
            detail: if detail.is_empty() {
                "ssh failed and said nothing".into()
            } else {
                detail
            },
            keygen,
        }
    }

    /// ssh ran longer than `timeout` (and a second's grace) and was killed.
    pub fn timeout(target: Target, timeout: std::time::Duration, stderr: &str) -> SshFailure {
        let said = clean_lines(stderr).join(" ");
        let mut detail = format!("ssh did not finish within {} s", timeout.as_secs_f64());
        if !said.is_empty() {
            detail = format!("{detail} ({said})");
        }
        SshFailure {
            kind: FailureKind::Timeout,
            target: Some(target),
            detail,
            keygen: None,
        }
    }

    /// There is no ssh to run (`error`: why, e.g. the spawn's ENOENT).
    pub fn not_installed(target: Target, error: &str) -> SshFailure {
        SshFailure {
            kind: FailureKind::NotInstalled,
            target: Some(target),
            detail: format!("ssh is not installed ({error})"),
            keygen: None,
        }
    }

    /// ssh could not be started or waited for, for another reason than a
    /// missing program.
    pub fn spawn(target: Target, error: &str) -> SshFailure {
        SshFailure {
            kind: FailureKind::Other,
            target: Some(target),
            detail: format!("could not run ssh: {error}"),
            keygen: None,
        }
    }

    /// The SSH failure the docker CLI's stderr reports, if it reports one:
    /// `command [ssh …] has exited with exit status 255 … stderr=<ssh's
    /// words>`, the same with 127 (no docker on the far side), or "client
    /// version … is too new" (which only means that on an ssh host).
    pub fn from_docker_stderr(stderr: &str) -> Option<SshFailure> {
        if let Some(f) = from_connhelper(stderr) {
            return Some(f);
        }
        let line = stderr
            .lines()
            .find(|l| l.contains("is too new. Maximum supported API version is"))?;
        let said = line
            .trim()
            .trim_start_matches("Error response from daemon: ");
        Some(SshFailure {
            kind: FailureKind::VersionCheck,
            target: None,
            detail: said.to_string(),
            keygen: None,
        })
    }

    /// The kind of failure.
    pub fn kind(&self) -> FailureKind {
        self.kind
    }

    /// The ssh command it was about, when known.
    pub fn target(&self) -> Option<&Target> {
        self.target.as_ref()
    }

    /// What happened, on its own: ssh's words (noise stripped), or fleet's
    /// for what ssh or docker did not say plainly.
    pub fn reason(&self) -> String {
        match self.kind {
            FailureKind::VersionCheck => {
                "the SSH connection dropped during docker's version check \
                 (the docker CLI reports this as a version mismatch)"
                    .to_string()
            }
            FailureKind::DockerMissing => format!(
                "docker is not on the PATH of the SSH user on that host ({})",
                self.detail
            ),
            _ => self.detail.clone(),
        }
    }

    /// The whole message, naming fleet's host: "could not reach host
    /// `gpu-1` over SSH (ssh -l ops -p 2222 gpu-1): Permission denied
    /// (publickey)."
    pub fn message(&self, host_name: &str) -> String {
        let cmd = self
            .target
            .as_ref()
            .map(|t| format!(" ({t})"))
            .unwrap_or_default();
        match self.kind {
            FailureKind::DockerMissing => format!(
                "host `{host_name}` answered over SSH{cmd}, but docker is not on the PATH of \
                 the SSH user there: {}",
                self.detail
            ),
            FailureKind::VersionCheck => format!(
                "the SSH connection to host `{host_name}` dropped during docker's version check \
                 (the docker CLI reports this as \"{}\")",
                self.detail
            ),
            _ => format!(
                "could not reach host `{host_name}` over SSH{cmd}: {}",
                self.detail
            ),
        }
    }

    /// What to do about it, where there is something to say.
    pub fn help(&self) -> Option<String> {
        let by_hand = self
            .target
            .as_ref()
            .map_or_else(|| "ssh to the host".to_string(), |t| format!("`{t}`"));
        Some(match self.kind {
            FailureKind::HostKeyUnknown => format!(
                "fleet runs ssh in batch mode, so it never accepts a new host key: connect once \
                 by hand ({by_hand}), check the fingerprint and accept it, or add the key to \
                 ~/.ssh/known_hosts"
            ),
            FailureKind::HostKeyChanged => {
                let remove = self
                    .keygen
                    .clone()
                    .unwrap_or_else(|| "ssh-keygen -R <host>".into());
                format!(
                    "the host presents another key than known_hosts records: if the host was \
                     reinstalled, remove the old key (`{remove}`) and connect once by hand \
                     ({by_hand}); if not, someone may be intercepting the connection"
                )
            }
            FailureKind::AuthRefused => format!(
                "the SSH server refused every key offered: is the key loaded (`ssh-add -l`) or \
                 named in ~/.ssh/config (IdentityFile), and listed in the user's \
                 ~/.ssh/authorized_keys on the host? Try {by_hand}"
            ),
            FailureKind::Unreachable | FailureKind::Timeout => format!(
                "is the host up, its name right, and sshd listening on that port? Try {by_hand}"
            ),
            FailureKind::Dropped => "sshd closed the connection before the SSH handshake: it \
                 does that to connections past its MaxStartups limit (10 unauthenticated at \
                 once, by default), or it is unwell; run again, and if it lasts, look at sshd's \
                 log on the host"
                .to_string(),
            FailureKind::NotInstalled => {
                "install the OpenSSH client (e.g. `apt install openssh-client`), or put `ssh` \
                 on fleet's PATH"
                    .to_string()
            }
            FailureKind::DockerMissing => "install docker on the host, or make it reachable on \
                 the PATH a non-interactive SSH session gets (e.g. a link in /usr/local/bin); \
                 check with `ssh <host> docker version`"
                .to_string(),
            FailureKind::VersionCheck => "run again; if it lasts, look for SSH connections the \
                 host refuses (`ssh <host> docker version`, sshd's log: MaxStartups, MaxSessions)"
                .to_string(),
            FailureKind::Other => return None,
        })
    }
}

/// The docker CLI's words for an SSH failure turned into what really
/// happened (see [`SshFailure::from_docker_stderr`]); `None` when its
/// stderr reports no SSH failure. For an `ssh://` host only: elsewhere
/// "client version … is too new" means what it says.
pub fn explain_docker_stderr(stderr: &str) -> Option<String> {
    SshFailure::from_docker_stderr(stderr).map(|f| f.reason())
}

/// `… command [ssh ARGS] has exited with exit status N, … stderr=TEXT`, as
/// the CLI's connection helper (docker/cli `commandconn`) words it.
fn from_connhelper(stderr: &str) -> Option<SshFailure> {
    let start = stderr.find("command [ssh ")? + "command [".len();
    let (argv, after) = stderr[start..].split_once("] has exited with exit status ")?;
    let status: String = after.chars().take_while(char::is_ascii_digit).collect();
    let said = after.split_once("stderr=").map_or("", |(_, s)| s);
    let target = target_of_argv(argv);
    match status.as_str() {
        "255" => Some(SshFailure::from_ssh_stderr(target, said)),
        "127" => Some(SshFailure {
            kind: FailureKind::DockerMissing,
            target,
            detail: clean_lines(said).join(" "),
            keygen: None,
        }),
        _ => None,
    }
}

/// The target in `ssh [-o X] [-T] [-l user] [-p port] -- host docker …`.
fn target_of_argv(argv: &str) -> Option<Target> {
    let mut words = argv.split_whitespace().skip(1);
    let (mut user, mut port) = (None, None);
    while let Some(w) = words.next() {
        match w {
            "-l" => user = words.next().map(str::to_string),
            "-p" => port = words.next().and_then(|p| p.parse().ok()),
            "--" => {
                let host = words.next()?.to_string();
                return Some(Target { user, host, port });
            }
            _ => {}
        }
    }
    None
}

fn classify(text: &str) -> FailureKind {
    let has = |s: &str| text.contains(s);
    if has("REMOTE HOST IDENTIFICATION HAS CHANGED")
        || has("has changed and you have requested strict checking")
    {
        FailureKind::HostKeyChanged
    } else if has("Host key verification failed") || has("host key is known for") {
        FailureKind::HostKeyUnknown
    } else if has("Permission denied") || has("Too many authentication failures") {
        FailureKind::AuthRefused
    } else if has("kex_exchange_identification")
        || has("Connection closed by ")
        || has("Connection reset by peer")
    {
        FailureKind::Dropped
    } else if [
        "Connection refused",
        "Connection timed out",
        "timed out during banner exchange",
        "No route to host",
        "Network is unreachable",
        "Could not resolve hostname",
        "Name or service not known",
    ]
    .iter()
    .any(|s| has(s))
    {
        FailureKind::Unreachable
    } else {
        FailureKind::Other
    }
}

/// ssh's stderr lines without what says nothing about the failure: known
/// hosts added, the post-quantum notice, the multiplexer's fallbacks, the
/// changed-key banner's prose.
fn clean_lines(stderr: &str) -> Vec<String> {
    const NOISE: &[&str] = &[
        "Warning: Permanently added",
        "** ",
        "mux_client_",
        "ControlSocket ",
        "Control socket connect",
        "@",
        "IT IS POSSIBLE THAT SOMEONE",
        "Someone could be eavesdropping",
        "It is also possible that",
        "The fingerprint for the",
        "SHA256:",
        "Please contact your system administrator",
        "Add correct host key in",
        "Offending ",
        "remove with:",
    ];
    stderr
        .lines()
        .map(|l| l.trim_matches(|c: char| c == '\r' || c.is_whitespace()))
        .filter(|l| !l.is_empty() && !NOISE.iter().any(|n| l.starts_with(n)))
        .map(str::to_string)
        .collect()
}

/// ssh's `ssh: ` and `user@host: ` prefixes: the message names both.
fn strip_prefix(target: Option<&Target>, text: &str) -> String {
    let text = text.strip_prefix("ssh: ").unwrap_or(text);
    if let Some((who, rest)) = text.split_once(": ")
        && let Some((_, host)) = who.split_once('@')
        && target.is_none_or(|t| t.host == host)
        && !who.contains(' ')
    {
        return rest.to_string();
    }
    text.to_string()
}
