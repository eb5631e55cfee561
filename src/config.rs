//! `agents.json`: the serde types, defaults merging, validation, and the
//! resolved [`Spec`] of every desired container with its config hash.
//!
//! Owns every rule about what a valid config is. Parsing never spawns a
//! process and never prints; a bad file is an [`Error`] of kind `Config`
//! whose message names the file, the `line:column` where serde knows it, the
//! JSON path, and what is allowed, with the help apart and the line of the
//! file marked where the error is ([`snippet`]).
//!
//! What passes here is what docker and fleet can carry out later: one JSON
//! document of bounded size, image references docker parses, run_args that
//! `docker create` accepts and that leave fleet's labels and env alone, env
//! values that docker's env-file reader carries exactly, no NUL in anything
//! that becomes an argument.

mod image_ref;
mod run_args;
mod snippet;

use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;
use std::path::Path;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use crate::spec::{Duration, Healthcheck, Memory, Restart};

use crate::error::{Error, Result};
use snippet::Seg;

/// The most containers one type may declare.
pub const MAX_INSTANCES: u32 = 100;
/// The project used when the file names none.
pub const DEFAULT_PROJECT: &str = "claude-hooks";
/// Label keys under this prefix belong to fleet.
pub const RESERVED_LABEL_PREFIX: &str = "fleet.";
/// The largest config file fleet reads: 4 MiB, far above any real fleet
/// (a type is a few hundred bytes) and small enough to read and parse at
/// once. A larger or endless file is refused after reading this much + 1.
pub const MAX_CONFIG_BYTES: usize = 4 << 20;

/// A validated config: the project and the resolved spec of every type.
#[derive(Debug, Clone)]
pub struct Config {
    pub project: String,
    /// The declared hosts, in name order; empty when the config declares
    /// none (one implicit host: the docker CLI's default engine, and every
    /// output as on one host).
    pub hosts: Vec<Host>,
    /// Types in name order.
    pub types: Vec<AgentType>,
}

/// A declared host: a name and how the docker CLI reaches its engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host {
    pub name: String,
    pub reach: Reach,
}

/// How the docker CLI reaches a host's engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    /// `{}`: the CLI's own default (what `docker ps` reaches for the
    /// operator running fleet).
    Default,
    /// `{"docker_host": URL}`: `docker --host URL`.
    DockerHost(String),
    /// `{"context": NAME}`: `docker --context NAME`.
    Context(String),
}

impl Reach {
    /// The docker CLI's global options that select this engine, placed
    /// before the subcommand.
    pub fn global_args(&self) -> Vec<String> {
        match self {
            Reach::Default => Vec::new(),
            Reach::DockerHost(url) => vec!["--host".into(), url.clone()],
            Reach::Context(name) => vec!["--context".into(), name.clone()],
        }
    }
}

impl fmt::Display for Reach {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reach::Default => write!(f, "the docker CLI's default engine"),
            Reach::DockerHost(url) => write!(f, "{url}"),
            Reach::Context(name) => write!(f, "context {name}"),
        }
    }
}

/// One agent type after merging `defaults`.
#[derive(Debug, Clone)]
pub struct AgentType {
    pub name: String,
    pub instances: u32,
    /// How many members may be down at once while they are recreated
    /// (`max_unavailable` resolved against `instances`). Not in the hash:
    /// it changes no container.
    pub max_unavailable: usize,
    /// The hosts its instances run on, in order: instance i on
    /// `hosts[(i-1) mod len]`. Empty when the config declares no hosts.
    /// Not in the hash: where a container runs is not what it is.
    pub hosts: Vec<String>,
    pub spec: Spec,
    /// `sha256:<hex>` of the canonical JSON of `spec`.
    pub hash: String,
}

/// One container the config asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct Desired {
    pub project: String,
    /// `<type>-default`, `<type>-2`, …
    pub name: String,
    pub type_name: String,
    /// 1-based.
    pub instance: u32,
    pub spec: Spec,
    pub hash: String,
    /// Its type's [`AgentType::max_unavailable`].
    pub max_unavailable: usize,
    /// The host it runs on (label `fleet.host`); `None` when the config
    /// declares no hosts.
    pub host: Option<String>,
}

/// The resolved spec of one container: everything that reaches `docker run`.
///
/// Its canonical JSON (fields in declaration order, maps sorted) is what
/// `fleet.config-hash` is computed over. `Debug` hides env values.
#[derive(Clone, PartialEq, Serialize)]
pub struct Spec {
    pub image: String,
    pub command: Option<Vec<String>>,
    pub entrypoint: Option<Vec<String>>,
    pub env: BTreeMap<String, String>,
    pub mounts: Vec<String>,
    pub workdir: Option<String>,
    pub user: Option<String>,
    pub network: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub restart: Restart,
    pub memory: Option<Memory>,
    pub cpus: Option<f64>,
    pub init: bool,
    pub run_args: Vec<String>,
    /// Last and skipped when unset, so the hash of a spec without one is
    /// what it was before healthchecks existed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<Healthcheck>,
}

impl fmt::Debug for Spec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Env values may be secrets: only the keys are ever shown.
        f.debug_struct("Spec")
            .field("image", &self.image)
            .field("command", &self.command)
            .field("entrypoint", &self.entrypoint)
            .field("env_keys", &self.env.keys().collect::<Vec<_>>())
            .field("mounts", &self.mounts)
            .field("workdir", &self.workdir)
            .field("user", &self.user)
            .field("network", &self.network)
            .field("labels", &self.labels)
            .field("restart", &self.restart)
            .field("memory", &self.memory.as_ref().map(Memory::as_str))
            .field("cpus", &self.cpus)
            .field("init", &self.init)
            .field("run_args", &self.run_args)
            .field("healthcheck", &self.healthcheck)
            .finish()
    }
}

impl JsonSchema for Restart {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Restart".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let names = Restart::ALL.map(Restart::as_str);
        schemars::json_schema!({ "type": "string", "enum": names })
    }
}

impl TryFrom<String> for Restart {
    type Error = String;
    fn try_from(s: String) -> std::result::Result<Self, String> {
        Restart::from_name(&s).ok_or_else(|| {
            let names = Restart::ALL.map(Restart::as_str).join(", ");
            format!("invalid restart policy `{s}`: expected one of {names}")
        })
    }
}

impl Config {
    /// Reads and validates the file at `path`: at most
    /// [`MAX_CONFIG_BYTES`] + 1 bytes of a regular file or a pipe (a pipe
    /// with no writer reads as empty rather than waiting for one).
    pub fn load(path: &Path) -> Result<Config> {
        let bytes = read_limited(path)?;
        let text = match std::str::from_utf8(&bytes) {
            Ok(text) => text,
            Err(e) => return Err(not_utf8(path, &bytes, &e)),
        };
        Config::parse(path, text)
    }

    /// Validates `text` as if read from `path`. A leading byte-order mark
    /// is skipped; positions count characters after it, as editors do.
    pub fn parse(path: &Path, text: &str) -> Result<Config> {
        let file = path.display();
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let body = text.trim_start_matches(is_json_space);
        if body.is_empty() {
            return Err(Error::config(format!(
                "{file}: the file is empty; expected a JSON object with `types`"
            )));
        }
        if !body.starts_with('{') {
            let (line, col) = first_char_position(text);
            return Err(Error::config(format!(
                "{file}:{line}:{col}: expected a JSON object (`{{ \"types\": … }}`) at the top level"
            ))
            .with_snippet(snippet::at(text, text.len() - body.len(), None)));
        }
        let de = &mut serde_json::Deserializer::from_str(text);
        let raw: RawConfig =
            serde_path_to_error::deserialize(&mut *de).map_err(|e| refused(path, text, e))?;
        // A second document (or anything) after the first would be ignored
        // by a reader that stops at the first: refuse it, so what fleet
        // acts on is the whole file.
        if let Err(e) = de.end() {
            let (line, col) = char_position(text, e.line(), e.column());
            let pos = snippet::offset(text, e.line(), e.column());
            let found = text[pos..]
                .chars()
                .next()
                .map_or_else(String::new, |c| format!("{} ", shown(c)));
            return Err(Error::config(format!(
                "{file}:{line}:{col}: unexpected {found}after the end of the JSON object: a config file is one JSON object, and only whitespace may follow it"
            ))
            .with_snippet(snippet::at(text, pos, None)));
        }
        raw.resolve(path, text)
    }

    /// Every container the config asks for, by type then instance.
    pub fn desired(&self) -> Vec<Desired> {
        let mut out = Vec::new();
        for t in &self.types {
            for i in 1..=t.instances {
                out.push(Desired {
                    project: self.project.clone(),
                    name: container_name(&t.name, i),
                    type_name: t.name.clone(),
                    instance: i,
                    spec: t.spec.clone(),
                    hash: t.hash.clone(),
                    max_unavailable: t.max_unavailable,
                    host: placement(&t.hosts, i),
                });
            }
        }
        out
    }
}

/// The desired containers placed on `host` (`None`: the implicit host of
/// a config without `hosts`, where every container is).
pub fn placed_on<'d>(desired: &'d [Desired], host: Option<&str>) -> Vec<&'d Desired> {
    desired
        .iter()
        .filter(|d| host.is_none() || d.host.as_deref() == host)
        .collect()
}

/// The host of instance `i` (1-based) of a type placed on `hosts`:
/// `hosts[(i-1) mod len]`; `None` without hosts.
pub fn placement(hosts: &[String], i: u32) -> Option<String> {
    let n = u32::try_from(hosts.len()).ok().filter(|&n| n > 0)?;
    usize::try_from((i.max(1) - 1) % n)
        .ok()
        .map(|k| hosts[k].clone())
}

/// How a container is named to people when the config declares hosts:
/// `name@host`; just `name` on the implicit host.
pub fn name_at(name: &str, host: Option<&str>) -> String {
    match host {
        Some(h) => format!("{name}@{h}"),
        None => name.to_string(),
    }
}

/// `<type>-default` for instance 1, `<type>-N` after.
pub fn container_name(type_name: &str, instance: u32) -> String {
    if instance == 1 {
        format!("{type_name}-default")
    } else {
        format!("{type_name}-{instance}")
    }
}

/// Sort key that orders container names as the config does: by type, then
/// instance (`x-default` is 1, so `x-default, x-2, …, x-10`). Names of
/// another shape sort by their text, after instance numbers of the same base.
pub fn name_order(name: &str) -> (&str, u32, &str) {
    match name.rsplit_once('-') {
        Some((base, "default")) => (base, 1, ""),
        Some((base, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => {
            (base, n.parse().unwrap_or(u32::MAX), "")
        }
        _ => (name, u32::MAX, name),
    }
}

/// A character for a message: in backticks, or escaped (`'\u{feff}'`)
/// when it would not be seen (whitespace, control and format characters).
fn shown(c: char) -> String {
    let invisible = c.is_whitespace() || (!c.is_ascii() && c.escape_debug().count() > 1);
    if c.is_ascii_graphic() || !(invisible || c.is_control()) {
        format!("`{c}`")
    } else {
        format!("{c:?}")
    }
}

/// JSON's whitespace (RFC 8259): the only characters allowed around the
/// document.
fn is_json_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// 1-based line and column of the first character that is not JSON
/// whitespace.
fn first_char_position(text: &str) -> (usize, usize) {
    let mut line = 1;
    let mut col = 1;
    for c in text.chars() {
        match c {
            '\n' => {
                line += 1;
                col = 1;
            }
            c if is_json_space(c) => col += 1,
            _ => break,
        }
    }
    (line, col)
}

/// serde_json counts columns in bytes (the last byte it read, 0 at the
/// start of a line); editors and compilers count characters from 1.
fn char_position(text: &str, line: usize, byte_col: usize) -> (usize, usize) {
    let Some(l) = text.split('\n').nth(line.saturating_sub(1)) else {
        return (line, byte_col.max(1));
    };
    let mut end = byte_col.min(l.len());
    while !l.is_char_boundary(end) {
        end += 1;
    }
    (line, l[..end].chars().count().max(1))
}

/// Reads at most [`MAX_CONFIG_BYTES`] + 1 bytes of `path`, refusing what is
/// not a regular file or a pipe (a device may be endless or wait for a
/// person) and what is larger than the limit.
fn read_limited(path: &Path) -> Result<Vec<u8>> {
    let name = path.display();
    let cannot = |why: &dyn fmt::Display| {
        Error::config(format!("could not read config `{name}`"))
            .because(why)
            .with_help("pass -c/--config <file> or set FLEET_CONFIG")
    };
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    // Opening a FIFO blocks until a writer comes; non-blocking, it opens at
    // once and reads as empty when nobody writes.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
    let mut file = options.open(path).map_err(|e| cannot(&e))?;
    let meta = file.metadata().map_err(|e| cannot(&e))?;
    let kind = meta.file_type();
    if kind.is_dir() {
        return Err(cannot(&"it is a directory"));
    }
    if !kind.is_file() && !is_pipe(&kind) {
        let what = kind_name(&kind);
        return Err(cannot(&format!(
            "it is {what}; fleet reads a regular file or a pipe"
        )));
    }
    let too_big = || {
        Error::config(format!(
            "{name}: the file is larger than {} MiB, the limit for a config file; is it the right file?",
            MAX_CONFIG_BYTES >> 20
        ))
    };
    if meta.len() > MAX_CONFIG_BYTES as u64 {
        return Err(too_big());
    }
    let mut bytes = Vec::new();
    let mut limited = (&mut file).take(MAX_CONFIG_BYTES as u64 + 1);
    loop {
        match limited.read_to_end(&mut bytes) {
            Ok(_) => break,
            // A pipe whose writer has not written yet.
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            Err(e) => return Err(cannot(&e)),
        }
    }
    if bytes.len() > MAX_CONFIG_BYTES {
        return Err(too_big());
    }
    Ok(bytes)
}

#[cfg(unix)]
fn is_pipe(kind: &std::fs::FileType) -> bool {
    std::os::unix::fs::FileTypeExt::is_fifo(kind)
}

#[cfg(not(unix))]
fn is_pipe(_: &std::fs::FileType) -> bool {
    false
}

/// What a file that is neither regular nor a pipe is, for a message.
fn kind_name(kind: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_char_device() {
            return "a character device";
        }
        if kind.is_block_device() {
            return "a block device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    let _ = kind;
    "not a regular file"
}

/// The message for a file that is not UTF-8: the line and column (as
/// [`Config::parse`] counts them) and the byte offset of the first bad byte.
fn not_utf8(path: &Path, bytes: &[u8], e: &std::str::Utf8Error) -> Error {
    let at = e.valid_up_to();
    let good = std::str::from_utf8(&bytes[..at]).unwrap_or_default();
    let good = good.strip_prefix('\u{feff}').unwrap_or(good);
    let line = 1 + good.matches('\n').count();
    let col = 1 + good.rsplit('\n').next().unwrap_or("").chars().count();
    let err = Error::config(format!(
        "{}:{line}:{col}: the file is not UTF-8: byte 0x{:02x} at offset {at} is not valid UTF-8 there; a config file is UTF-8 text",
        path.display(),
        bytes[at]
    ));
    if bytes.starts_with(&[0xff, 0xfe]) || bytes.starts_with(&[0xfe, 0xff]) {
        err.with_help("the file starts with a UTF-16 byte-order mark: save it as UTF-8")
    } else {
        err.with_help("save it as UTF-8 (it may be in a legacy encoding such as Latin-1)")
    }
}

/// serde_json appends " at line L column C"; we print the position first.
fn strip_position(e: &serde_json::Error) -> String {
    let s = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    s.strip_suffix(&suffix).unwrap_or(&s).to_string()
}

/// What serde refused in `text`: `file:line:col: path: message`, the help
/// apart, the offending key or value marked on its line.
fn refused(path: &Path, text: &str, e: serde_path_to_error::Error<serde_json::Error>) -> Error {
    let file = path.display();
    let at = e.path().to_string();
    let steps = snippet::path_of(e.path());
    let inner = e.into_inner();
    let Invalid { message, help } = Invalid::decode(&strip_position(&inner));
    let (line, col) = char_position(text, inner.line(), inner.column());
    let pos = snippet::offset(text, inner.line(), inner.column());
    let err =
        if inner.is_syntax() || inner.is_eof() {
            Error::config(format!("{file}:{line}:{col}: JSON syntax error: {message}"))
                .with_snippet(snippet::at(text, pos, None))
        } else if at.is_empty() || at == "." {
            Error::config(format!("{file}:{line}:{col}: {message}"))
                .with_snippet(snippet::at(text, pos, None))
        } else {
            Error::config(format!("{file}:{line}:{col}: {at}: {message}"))
                .with_snippet(snippet::at(text, pos, steps.as_deref()))
        };
    match help {
        Some(h) => err.with_help(h),
        None => err,
    }
}

/// A value the config refuses: why, and apart from it what to do.
///
/// serde carries a custom error as one string, so an `Invalid` with a help
/// crosses it encoded ([`Invalid::into_serde`]: a marker no message starts
/// with, then JSON) and is taken apart where the config error is made
/// ([`Invalid::decode`]); a plain message passes through as it is.
#[derive(Debug, Serialize, Deserialize)]
struct Invalid {
    message: String,
    help: Option<String>,
}

/// Starts an encoded [`Invalid`]; no message of serde's or fleet's does.
const INVALID_MARK: &str = "\u{0}fleet-invalid:";

impl Invalid {
    fn new(message: impl Into<String>) -> Invalid {
        Invalid {
            message: message.into(),
            help: None,
        }
    }

    fn help(mut self, help: impl Into<String>) -> Invalid {
        self.help = Some(help.into());
        self
    }

    fn into_serde<E: serde::de::Error>(self) -> E {
        match self.help {
            None => E::custom(self.message),
            Some(_) => E::custom(format!(
                "{INVALID_MARK}{}",
                serde_json::json!({ "message": self.message, "help": self.help })
            )),
        }
    }

    fn decode(text: &str) -> Invalid {
        text.strip_prefix(INVALID_MARK)
            .and_then(|json| serde_json::from_str(json).ok())
            .unwrap_or_else(|| Invalid::new(text))
    }
}

impl From<String> for Invalid {
    fn from(message: String) -> Invalid {
        Invalid::new(message)
    }
}

/// fleet's agents.json: which agent containers exist on this host.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "fleet agents.json")]
struct RawConfig {
    /// Lets editors find this schema; ignored by fleet.
    #[serde(rename = "$schema")]
    #[allow(dead_code)]
    schema: Option<String>,
    /// The namespace (label fleet.project); only its containers are ever touched. Default: claude-hooks.
    project: Option<Name>,
    /// Any type field but `instances`; a type's own value wins; `env` and `labels` merge key by key.
    #[serde(default)]
    defaults: RawFields,
    /// The Docker engines the fleet runs on, by name (several hosts). Without it, one host: the docker CLI's default engine.
    hosts: Option<UniqueMap<Name, RawHost>>,
    /// Agent types by name; containers are `<type>-default`, `<type>-2` … `<type>-N`.
    types: UniqueMap<Name, RawFields>,
}

/// How the docker CLI reaches one host: `{}` (its default engine), `{"docker_host": URL}` or `{"context": NAME}`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawHost {
    /// A DOCKER_HOST URL: unix:///path, tcp://host:port or ssh://[user@]host[:port].
    docker_host: Option<DockerHost>,
    /// A docker context name (`docker context ls`).
    context: Option<ContextName>,
}

/// The fields of a type; `defaults` uses the same shape minus `instances`.
#[derive(Deserialize, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawFields {
    /// Image reference (required, here or in defaults), e.g. claude-agent:latest.
    image: Option<Image>,
    /// How many containers of this type (0..=100, default 1). Not allowed in defaults.
    instances: Option<Instances>,
    /// The hosts (names from the top-level `hosts`) its instances run on: instance i on hosts[(i-1) mod len]. Not part of the config hash.
    hosts: Option<Vec<Name>>,
    /// The command (argv array).
    command: Option<Vec<Arg>>,
    /// The entrypoint (argv array).
    entrypoint: Option<Vec<Arg>>,
    /// Environment variables; values never reach docker's argv. One line each of docker's env-file: no line break or NUL, no trailing carriage return, KEY=value at most 65535 bytes.
    env: Option<UniqueMap<EnvKey, EnvValue>>,
    /// Bind mounts or volumes in docker's short syntax: src:dst or src:dst:ro.
    mounts: Option<Vec<Mount>>,
    /// Working directory inside the container (absolute).
    workdir: Option<AbsPath>,
    /// User (name, uid or uid:gid).
    user: Option<NonEmpty>,
    /// Network to attach to.
    network: Option<NonEmpty>,
    /// Extra labels; the fleet. prefix is reserved.
    labels: Option<UniqueMap<LabelKey, Arg>>,
    /// Restart policy (default unless-stopped).
    restart: Option<Restart>,
    /// Memory limit, e.g. 4g.
    memory: Option<Memory>,
    /// CPU limit, e.g. 2 or 0.5.
    cpus: Option<Cpus>,
    /// Run an init process as PID 1 (docker --init).
    init: Option<bool>,
    /// Extra `docker create` options (an escape hatch), e.g. ["--gpus", "all"]. Refused: options docker create does not know, --name, --rm, -d, --detach-keys, --sig-proxy, -a, --cidfile, --help, -e/--env/--env-file (use env), --label-file and fleet.* labels (use labels), and anything docker would take as the image.
    run_args: Option<RunArgs>,
    /// How many members of the type may be down at once while they are recreated: an integer >= 1 or a percentage of `instances` such as "25%" (rounded down, at least 1). Default 1. Not part of the config hash.
    max_unavailable: Option<MaxUnavailable>,
    /// docker's healthcheck (`--health-*`), e.g. {"test": ["CMD", "pg_isready"], "interval": "5s"}; the whole object of a type replaces the defaults'. Without one, the image's own HEALTHCHECK applies.
    healthcheck: Option<RawHealthcheck>,
}

/// `healthcheck`: docker's `--health-*` options.
#[derive(Deserialize, Clone, JsonSchema)]
#[serde(deny_unknown_fields, try_from = "HealthFields")]
#[schemars(with = "HealthFields")]
struct RawHealthcheck(Healthcheck);

/// The fields of `healthcheck` as written.
#[derive(Deserialize, Clone, JsonSchema)]
#[serde(deny_unknown_fields)]
struct HealthFields {
    /// docker's form: ["CMD", "prog", "arg"…], ["CMD-SHELL", "shell command"] or ["NONE"] (no healthcheck, not even the image's). The image needs /bin/sh: docker's CLI passes a health command as a shell string.
    test: HealthTest,
    /// Time between probes (Go duration: 5s, 1m30s, 500ms; at least 1ms).
    interval: Option<Duration>,
    /// How long one probe may take.
    timeout: Option<Duration>,
    /// Failures in a row that make the container unhealthy (1..=1000).
    retries: Option<Retries>,
    /// Time after the start during which failures do not count.
    start_period: Option<Duration>,
}

impl TryFrom<HealthFields> for RawHealthcheck {
    type Error = String;
    fn try_from(h: HealthFields) -> std::result::Result<Self, String> {
        let check = Healthcheck {
            test: h.test.0,
            interval: h.interval,
            timeout: h.timeout,
            retries: h.retries.map(|r| r.0 as u32),
            start_period: h.start_period,
        };
        let tuned = check.interval.is_some()
            || check.timeout.is_some()
            || check.retries.is_some()
            || check.start_period.is_some();
        if check.disabled() && tuned {
            return Err(
                "`test: [\"NONE\"]` disables the healthcheck; it takes no interval, timeout, retries or start_period (docker refuses --no-healthcheck with --health-* options)".to_string(),
            );
        }
        Ok(RawHealthcheck(check))
    }
}

impl RawConfig {
    fn resolve(self, path: &Path, text: &str) -> Result<Config> {
        let project = self
            .project
            .map(|n| n.0)
            .unwrap_or_else(|| DEFAULT_PROJECT.to_string());
        let d = self.defaults;
        if d.instances.is_some() {
            let message = "defaults.instances: `instances` is set per type, not in defaults";
            return Err(
                at_key(path, text, &["defaults", "instances"], message.into())
                    .with_help("move it to each entry of `types`"),
            );
        }
        let hosts = resolve_hosts(path, text, self.hosts)?;
        let mut types = Vec::new();
        for (Name(name), mut t) in self.types.0 {
            let placed = type_hosts(path, text, &name, t.hosts.take(), &d, &hosts)?;
            let Some(Image(image)) = t.image.clone().or_else(|| d.image.clone()) else {
                let message = format!("types.{name}.image: missing; every type needs an image");
                return Err(at_key(path, text, &["types", &name], message)
                    .with_help(format!("set `types.{name}.image` or `defaults.image`")));
            };
            let instances = t.instances.as_ref().map_or(1, |i| i.0 as u32);
            let max_unavailable = t
                .max_unavailable
                .or(d.max_unavailable)
                .map_or(1, |m| m.of(instances));
            let spec = t.merged(&d, image);
            let hash = spec_hash(&spec);
            types.push(AgentType {
                instances,
                max_unavailable,
                hosts: placed,
                name,
                spec,
                hash,
            });
        }
        let config = Config {
            project,
            hosts,
            types,
        };
        // Names cannot clash: the part after the last `-` is `default` or a
        // number, neither of which contains `-`, so the split is unique.
        Ok(config)
    }
}

impl RawFields {
    /// A type's fields over the defaults `d`: the type's own value wins,
    /// `env` and `labels` merge key by key.
    fn merged(self, d: &RawFields, image: String) -> Spec {
        let t = self;
        Spec {
            image,
            command: args(t.command.or_else(|| d.command.clone())),
            entrypoint: args(t.entrypoint.or_else(|| d.entrypoint.clone())),
            env: merge(&d.env, t.env)
                .into_iter()
                .map(|(k, v)| (k.0, v.0))
                .collect(),
            mounts: t
                .mounts
                .or_else(|| d.mounts.clone())
                .unwrap_or_default()
                .into_iter()
                .map(|m| m.0)
                .collect(),
            workdir: t.workdir.or_else(|| d.workdir.clone()).map(|p| p.0),
            user: t.user.or_else(|| d.user.clone()).map(|u| u.0),
            network: t.network.or_else(|| d.network.clone()).map(|n| n.0),
            labels: merge(&d.labels, t.labels)
                .into_iter()
                .map(|(k, v)| (k.0, v.0))
                .collect(),
            restart: t.restart.or(d.restart).unwrap_or_default(),
            memory: t.memory.or_else(|| d.memory.clone()),
            cpus: t.cpus.or(d.cpus).map(|c| c.0),
            init: t.init.or(d.init).unwrap_or(false),
            run_args: t
                .run_args
                .or_else(|| d.run_args.clone())
                .map(|a| a.0)
                .unwrap_or_default(),
            healthcheck: t.healthcheck.or_else(|| d.healthcheck.clone()).map(|h| h.0),
        }
    }
}

/// The top-level `hosts`, in name order; empty when absent.
fn resolve_hosts(
    path: &Path,
    text: &str,
    raw: Option<UniqueMap<Name, RawHost>>,
) -> Result<Vec<Host>> {
    let Some(raw) = raw else {
        return Ok(Vec::new());
    };
    if raw.0.is_empty() {
        return Err(
            at_key(path, text, &["hosts"], "hosts: declares no host".into()).with_help(
                "declare at least one host, e.g. \"hosts\": {\"local\": {}}, or remove `hosts`",
            ),
        );
    }
    let mut out = Vec::new();
    for (Name(name), h) in raw.0 {
        let reach = match (h.docker_host, h.context) {
            (None, None) => Reach::Default,
            (Some(DockerHost(url)), None) => Reach::DockerHost(url),
            (None, Some(ContextName(c))) => Reach::Context(c),
            (Some(_), Some(_)) => {
                let message = format!(
                    "hosts.{name}: sets both `docker_host` and `context`; a host is reached one way"
                );
                return Err(
                    at_key(path, text, &["hosts", &name], message).with_help("keep one of them")
                );
            }
        };
        out.push(Host { name, reach });
    }
    Ok(out)
}

/// The hosts a type's instances run on: its own `hosts`, else the
/// defaults', else the only declared host. Every name must be declared.
fn type_hosts(
    path: &Path,
    text: &str,
    type_name: &str,
    own: Option<Vec<Name>>,
    d: &RawFields,
    declared: &[Host],
) -> Result<Vec<String>> {
    let (list, steps): (Option<Vec<Name>>, Vec<&str>) = match own {
        Some(l) => (Some(l), vec!["types", type_name, "hosts"]),
        None => (d.hosts.clone(), vec!["defaults", "hosts"]),
    };
    let at = |message: String| at_key(path, text, &steps, message);
    let Some(list) = list else {
        return match declared {
            [] => Ok(Vec::new()),
            [only] => Ok(vec![only.name.clone()]),
            _ => Err(at_key(
                path,
                text,
                &["types", type_name],
                format!("types.{type_name}: no `hosts`, and the config declares several"),
            )
            .with_help(format!(
                "set `types.{type_name}.hosts` (or `defaults.hosts`) to some of: {}",
                host_names(declared)
            ))),
        };
    };
    let key = steps.join(".");
    if declared.is_empty() {
        return Err(at(format!("{key}: no host is declared")).with_help(
            "declare the hosts in the top-level `hosts` map, e.g. \"hosts\": {\"local\": {}}",
        ));
    }
    if list.is_empty() {
        return Err(at(format!(
            "{key}: the list is empty; a type runs on at least one host"
        ))
        .with_help(format!("name some of: {}", host_names(declared))));
    }
    let mut out: Vec<String> = Vec::new();
    for Name(h) in list {
        if !declared.iter().any(|d| d.name == h) {
            return Err(at(format!("{key}: host `{h}` is not declared in `hosts`"))
                .with_help(format!("the declared hosts are: {}", host_names(declared))));
        }
        if out.contains(&h) {
            return Err(at(format!("{key}: host `{h}` is named twice"))
                .with_help("name each host once; instances go round the list in order"));
        }
        out.push(h);
    }
    Ok(out)
}

/// `a`, `b`, … for messages.
fn host_names(hosts: &[Host]) -> String {
    let names: Vec<String> = hosts.iter().map(|h| format!("`{}`", h.name)).collect();
    names.join(", ")
}

/// A `docker_host` URL the docker CLI can use: `unix://` with an absolute
/// path, `tcp://host:port`, `ssh://[user@]host[:port][/path]`.
fn check_docker_host(s: &str) -> std::result::Result<(), String> {
    if snippet::url_password(s) {
        // Never shown: it holds a secret.
        return Err(
            "invalid docker_host: a password in the URL is refused (and never shown); use an SSH key (ssh-agent or ~/.ssh/config) or TLS certificates".to_string(),
        );
    }
    if s.chars().any(|c| c.is_whitespace() || c == '\0') {
        return Err(format!("invalid docker_host {s:?}: no whitespace or NUL"));
    }
    let Some((scheme, rest)) = s.split_once("://") else {
        return Err(format!(
            "invalid docker_host `{s}`: expected a URL such as unix:///var/run/docker.sock, tcp://host:2376 or ssh://user@host"
        ));
    };
    match scheme {
        "unix" if rest.starts_with('/') => Ok(()),
        "unix" => Err(format!(
            "invalid docker_host `{s}`: a unix:// URL takes an absolute socket path (unix:///path)"
        )),
        "tcp" if !rest.is_empty() && !rest.starts_with('/') => Ok(()),
        "tcp" => Err(format!(
            "invalid docker_host `{s}`: expected tcp://host:port"
        )),
        "ssh" => check_ssh_url(s, rest),
        _ => Err(format!(
            "invalid docker_host `{s}`: the scheme `{scheme}` is not one fleet drives (unix, tcp, ssh)"
        )),
    }
}

/// `ssh://[user@]host[:port][/path]` as the docker CLI reads it: no
/// password, a numeric port, no query or fragment.
fn check_ssh_url(s: &str, rest: &str) -> std::result::Result<(), String> {
    let bad = |why: &str| Err(format!("invalid docker_host `{s}`: {why}"));
    if rest.contains('?') || rest.contains('#') {
        return bad("an ssh:// URL takes no query or fragment");
    }
    let authority = rest.split('/').next().unwrap_or("");
    let host_port = match authority.rsplit_once('@') {
        Some(("", _)) => return bad("the user before `@` is empty"),
        Some((_, hp)) => hp,
        None => authority,
    };
    let host = match host_port.rsplit_once(':') {
        Some((h, port)) if !h.ends_with(']') || port.is_empty() => {
            if port.parse::<u16>().map_or(true, |p| p == 0) {
                return bad("the port must be a number 1..=65535");
            }
            h
        }
        _ => host_port,
    };
    if host.is_empty() {
        return bad("no host name");
    }
    Ok(())
}

/// A config error about the key at `steps` (which serde read, so it is in
/// `text`): `file:line:col: message`, the key marked.
fn at_key(path: &Path, text: &str, steps: &[&str], message: String) -> Error {
    let file = path.display();
    let steps: Vec<Seg> = steps.iter().map(|s| Seg::Key(s.to_string())).collect();
    match snippet::at_key(text, &steps) {
        Some((line, col, s)) => {
            Error::config(format!("{file}:{line}:{col}: {message}")).with_snippet(s)
        }
        None => Error::config(format!("{file}: {message}")),
    }
}

/// The strings of an argv array.
fn args(a: Option<Vec<Arg>>) -> Option<Vec<String>> {
    a.map(|a| a.into_iter().map(|a| a.0).collect())
}

/// A type's own map entries win over the defaults', key by key.
fn merge<K: Ord + Clone, V: Clone>(
    defaults: &Option<UniqueMap<K, V>>,
    own: Option<UniqueMap<K, V>>,
) -> BTreeMap<K, V> {
    let mut out = defaults.clone().map(|m| m.0).unwrap_or_default();
    out.extend(own.map(|m| m.0).unwrap_or_default());
    out
}

/// The text of a map key, for messages.
trait KeyText {
    fn text(&self) -> &str;
}

/// A rule over a map entry as a whole (key and value together), checked
/// while the value is read so the message carries the entry's JSON path
/// and the value's position.
trait EntryCheck<V> {
    /// Reads the value of this key; by default without a further rule.
    fn read<'de, D: serde::Deserializer<'de>>(&self, de: D) -> std::result::Result<V, D::Error>
    where
        V: Deserialize<'de>,
    {
        V::deserialize(de)
    }
}

impl EntryCheck<RawFields> for Name {}
impl EntryCheck<RawHost> for Name {}
impl EntryCheck<Arg> for LabelKey {}

/// docker's env-file reader, which carries env values to `docker run`:
/// one `KEY=value` a line, at most [`crate::docker::ENV_FILE_MAX_LINE`] bytes, a trailing `\r`
/// dropped. A NUL can never reach a process environment. The value is
/// never quoted: it may be a secret.
impl EntryCheck<EnvValue> for EnvKey {
    fn read<'de, D: serde::Deserializer<'de>>(
        &self,
        de: D,
    ) -> std::result::Result<EnvValue, D::Error> {
        /// Checks the string where serde_json still knows its position.
        struct Visit<'k>(&'k EnvKey);
        impl serde::de::Visitor<'_> for Visit<'_> {
            type Value = EnvValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<EnvValue, E> {
                self.0.check_value(v).map_err(Invalid::into_serde)?;
                Ok(EnvValue(v.to_string()))
            }
        }
        de.deserialize_string(Visit(self))
    }
}

impl EnvKey {
    /// docker's env-file rules ([`crate::docker::env_file_problem`]): the
    /// only way values reach docker without an argv or its environment.
    fn check_value(&self, value: &str) -> std::result::Result<(), Invalid> {
        match crate::docker::env_file_problem(&self.0, value) {
            None => Ok(()),
            Some(why) => Err(Invalid::new(format!("{why} (the value is not shown)")).help(
                "env values reach docker through its env-file reader, one line each; pass such data in a mounted file instead",
            )),
        }
    }
}

impl<K: JsonSchema, V: JsonSchema> JsonSchema for UniqueMap<K, V> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        format!("Map_{}_{}", K::schema_name(), V::schema_name()).into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "object",
            "propertyNames": generator.subschema_for::<K>(),
            "additionalProperties": generator.subschema_for::<V>(),
        })
    }
}

/// The JSON Schema of agents.json, derived from the types above, pretty
/// printed with a trailing newline.
pub fn schema_json() -> String {
    let schema = schemars::schema_for!(RawConfig);
    // schemars' own Serialize keeps the keys in the order editors expect; a
    // schema of string-keyed maps cannot fail to serialise.
    serde_json::to_string_pretty(&schema).expect("a schema serialises") + "\n"
}

/// A JSON object whose keys must be unique: serde_json would otherwise keep
/// the last of two `"coder"` entries without a word.
#[derive(Debug, Clone)]
struct UniqueMap<K, V>(BTreeMap<K, V>);

impl<'de, K, V> Deserialize<'de> for UniqueMap<K, V>
where
    K: Deserialize<'de> + Ord + KeyText + EntryCheck<V>,
    V: Deserialize<'de>,
{
    fn deserialize<D: serde::Deserializer<'de>>(de: D) -> std::result::Result<Self, D::Error> {
        /// Reads one value and checks it with its key.
        struct Entry<'k, K, V>(&'k K, std::marker::PhantomData<V>);
        impl<'de, K: EntryCheck<V>, V: Deserialize<'de>> serde::de::DeserializeSeed<'de>
            for Entry<'_, K, V>
        {
            type Value = V;
            fn deserialize<D: serde::Deserializer<'de>>(
                self,
                de: D,
            ) -> std::result::Result<V, D::Error> {
                self.0.read(de)
            }
        }
        struct Visit<K, V>(std::marker::PhantomData<(K, V)>);
        impl<'de, K, V> serde::de::Visitor<'de> for Visit<K, V>
        where
            K: Deserialize<'de> + Ord + KeyText + EntryCheck<V>,
            V: Deserialize<'de>,
        {
            type Value = UniqueMap<K, V>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Self::Value, A::Error> {
                let mut out = BTreeMap::new();
                while let Some(k) = map.next_key::<K>()? {
                    if out.contains_key(&k) {
                        return Err(serde::de::Error::custom(format!(
                            "`{}` appears twice: each key may appear once",
                            k.text()
                        )));
                    }
                    let v = map.next_value_seed(Entry(&k, std::marker::PhantomData))?;
                    out.insert(k, v);
                }
                Ok(UniqueMap(out))
            }
        }
        de.deserialize_map(Visit(std::marker::PhantomData))
    }
}

/// `sha256:<hex>` of the spec's canonical JSON, versioned so that a change to
/// the hashed shape is a deliberate, visible recreate.
pub fn spec_hash(spec: &Spec) -> String {
    #[derive(Serialize)]
    struct Hashed<'a> {
        v: u32,
        spec: &'a Spec,
    }
    let bytes = serde_json::to_vec(&Hashed { v: 1, spec }).expect("a spec always serialises");
    format!("sha256:{}", hex(&Sha256::digest(&bytes)))
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

// ---- validated scalars: each rejects bad input during deserialisation, so
// ---- serde reports the line, column and JSON path of the offending value.

macro_rules! validated {
    ($name:ident, $inner:ty, $from:literal, $schema:tt, $check:expr) => {
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
        #[serde(try_from = $from)]
        struct $name($inner);
        impl TryFrom<$inner> for $name {
            type Error = String;
            fn try_from(v: $inner) -> std::result::Result<Self, String> {
                let check: fn(&$inner) -> std::result::Result<(), String> = $check;
                check(&v).map(|()| $name(v))
            }
        }
        /// The same rule as `try_from`, for editors (`fleet schema`).
        impl JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!($schema)
            }
        }
    };
    ($name:ident, $inner:ty, $schema:tt, $check:expr) => {
        validated!($name, $inner, "String", $schema, $check);
        impl KeyText for $name {
            fn text(&self) -> &str {
                &self.0
            }
        }
    };
}

fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_.-".contains(c))
}

validated!(Name, String, { "type": "string", "pattern": "^[a-z0-9][a-z0-9_.-]*$" }, |s| if is_name(s) {
    Ok(())
} else {
    Err(format!(
        "invalid name `{s}`: names match [a-z0-9][a-z0-9_.-]* (lowercase letters, digits, `_`, `.`, `-`; starting with a letter or digit)"
    ))
});

validated!(DockerHost, String, { "type": "string", "pattern": "^(unix|tcp|ssh)://[^\\s]+$" }, |s| check_docker_host(s));

validated!(ContextName, String, { "type": "string", "pattern": "^[a-zA-Z0-9][a-zA-Z0-9_.+-]*$" }, |s| {
    let mut c = s.chars();
    if matches!(c.next(), Some(f) if f.is_ascii_alphanumeric())
        && c.all(|x| x.is_ascii_alphanumeric() || "_.+-".contains(x))
    {
        Ok(())
    } else {
        Err(format!(
            "invalid context name `{s}`: docker context names match [a-zA-Z0-9][a-zA-Z0-9_.+-]*"
        ))
    }
});

validated!(Image, String, { "type": "string", "pattern": image_ref::SCHEMA_PATTERN }, |s| image_ref::check(s));

validated!(Instances, i64, "i64", { "type": "integer", "minimum": 0, "maximum": 100 }, |n| if (0..=i64::from(MAX_INSTANCES)).contains(n) {
        Ok(())
    } else {
        Err(format!("expected 0..={MAX_INSTANCES}, got {n}"))
    }
);

validated!(EnvKey, String, { "type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$" }, |s| {
    let mut c = s.chars();
    if matches!(c.next(), Some(f) if f.is_ascii_alphabetic() || f == '_')
        && c.all(|x| x.is_ascii_alphanumeric() || x == '_')
    {
        Ok(())
    } else {
        Err(format!(
            "invalid env name `{s}`: expected [A-Za-z_][A-Za-z0-9_]*"
        ))
    }
});

validated!(LabelKey, String, { "type": "string", "pattern": "^[^=\\s]+$", "not": { "pattern": "^fleet\\." } }, |s| if s.is_empty() {
    Err("empty label key".to_string())
} else if s.starts_with(RESERVED_LABEL_PREFIX) {
    Err(format!(
        "label `{s}` uses the reserved prefix `{RESERVED_LABEL_PREFIX}`: fleet sets fleet.project, fleet.type, fleet.instance and fleet.config-hash itself"
    ))
} else if s.contains('=') || s.chars().any(|c| c.is_whitespace() || c == '\0') {
    Err(format!("invalid label key {s:?}: no `=`, whitespace or NUL"))
} else {
    Ok(())
});

validated!(Mount, String, { "type": "string", "pattern": "^(/[^:]*|[A-Za-z0-9][A-Za-z0-9_.-]*):/[^:]*(:(ro|rw|z|Z)(,(ro|rw|z|Z))*)?$" }, |s| check_mount(s)
);

validated!(AbsPath, String, { "type": "string", "pattern": "^/[^\\u0000]*$" }, |s| if !s.starts_with('/') {
    Err(format!("expected an absolute path, got `{s}`"))
} else if s.contains('\0') {
    Err(NUL.to_string())
} else {
    Ok(())
});

validated!(NonEmpty, String, { "type": "string", "pattern": "^[^\\s\\u0000]+$" }, |s| if s.is_empty() || s.chars().any(|c| c.is_whitespace() || c == '\0') {
        Err(format!(
            "expected a non-empty value without whitespace or NUL, got {s:?}"
        ))
    } else {
        Ok(())
    }
);

impl TryFrom<String> for Memory {
    type Error = String;
    fn try_from(s: String) -> std::result::Result<Self, String> {
        Memory::parse(&s).ok_or_else(|| {
            format!(
                "invalid memory `{s}`: expected a number with an optional unit b, k, m or g (e.g. `4g`)"
            )
        })
    }
}

impl TryFrom<String> for Duration {
    type Error = String;
    fn try_from(s: String) -> std::result::Result<Self, String> {
        Duration::parse(&s).ok_or_else(|| {
            format!(
                "invalid duration `{s}`: expected a Go duration of at least 1ms, a number and a unit ns, us, ms, s, m or h (e.g. `5s`, `1m30s`, `500ms`)"
            )
        })
    }
}

/// The same rule as `Duration::parse`, as far as a pattern can say it.
impl JsonSchema for Duration {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Duration".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "pattern": "^([0-9]+(\\.[0-9]*)?(ns|us|µs|ms|s|m|h))+$" })
    }
}

validated!(Retries, i64, "i64", { "type": "integer", "minimum": 1, "maximum": 1000 }, |n| if (1..=1000).contains(n) {
        Ok(())
    } else {
        Err(format!("expected 1..=1000, got {n}"))
    }
);

validated!(HealthTest, Vec<String>, "Vec<String>", {
    "type": "array",
    "items": { "type": "string", "pattern": "^[^\\u0000]*$" },
    "anyOf": [
        { "prefixItems": [{ "const": "NONE" }], "minItems": 1, "maxItems": 1 },
        { "prefixItems": [{ "const": "CMD" }, { "minLength": 1 }], "minItems": 2 },
        { "prefixItems": [{ "const": "CMD-SHELL" }, { "minLength": 1 }], "minItems": 2, "maxItems": 2 }
    ]
}, |t| check_health_test(t));

/// docker's forms of a health test.
fn check_health_test(t: &[String]) -> std::result::Result<(), String> {
    if t.iter().any(|a| a.contains('\0')) {
        return Err(NUL.to_string());
    }
    let forms =
        "expected [\"CMD\", \"prog\", \"arg\"…], [\"CMD-SHELL\", \"shell command\"] or [\"NONE\"]";
    match t {
        [k] if k == "NONE" => Ok(()),
        [k, prog, ..] if k == "CMD" && !prog.is_empty() => Ok(()),
        [k, cmd] if k == "CMD-SHELL" && !cmd.trim().is_empty() => Ok(()),
        _ => Err(format!("invalid healthcheck test {t:?}: {forms}")),
    }
}

/// The same rule as `Memory::parse`, for editors (`fleet schema`).
impl JsonSchema for Memory {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Memory".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "pattern": "^[0-9]+[bkmgBKMG]?$" })
    }
}

/// Why a string with a NUL is refused wherever it would reach docker's argv.
const NUL: &str = "the value contains a NUL character (`\\u0000`), which no command line can carry";

// One argument that reaches docker's argv (a command, entrypoint or label
// value): anything but NUL.
validated!(Arg, String, { "type": "string", "pattern": "^[^\\u0000]*$" }, |s| if s.contains('\0') {
    Err(NUL.to_string())
} else {
    Ok(())
});

// An env value: checked with its key (`EntryCheck` for `EnvKey`).
// The schema says the same as far as a pattern can (its length counts
// characters, docker's limit bytes).
validated!(EnvValue, String, { "type": "string", "pattern": "^(?:[^\\n\\u0000]*[^\\n\\u0000\\r])?$", "maxLength": 65533 }, |_| Ok(()));

/// `run_args`, read as docker's option parser reads them (see
/// `run_args.rs`): each argument's message carries its index.
#[derive(Debug, Clone)]
struct RunArgs(Vec<String>);

impl<'de> Deserialize<'de> for RunArgs {
    fn deserialize<D: serde::Deserializer<'de>>(de: D) -> std::result::Result<Self, D::Error> {
        /// Reads one argument and feeds it to the reader.
        struct One<'r>(&'r mut run_args::Reader);
        impl<'de> serde::de::DeserializeSeed<'de> for One<'_> {
            type Value = String;
            fn deserialize<D: serde::Deserializer<'de>>(
                self,
                de: D,
            ) -> std::result::Result<String, D::Error> {
                let s = String::deserialize(de)?;
                self.0.next(&s).map_err(Invalid::into_serde)?;
                Ok(s)
            }
        }
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = RunArgs;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an array of strings")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> std::result::Result<RunArgs, A::Error> {
                let mut reader = run_args::Reader::default();
                let mut out = Vec::new();
                while let Some(s) = seq.next_element_seed(One(&mut reader))? {
                    out.push(s);
                }
                reader.finish().map_err(Invalid::into_serde)?;
                Ok(RunArgs(out))
            }
        }
        de.deserialize_seq(Visit)
    }
}

impl JsonSchema for RunArgs {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "RunArgs".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "array",
            "items": { "type": "string", "not": { "pattern": run_args::SCHEMA_NOT_PATTERN } },
        })
    }
}

/// `max_unavailable`: a count of at least 1, or a percentage of the
/// type's instances (`"25%"`, 1 to 100).
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(try_from = "serde_json::Value")]
enum MaxUnavailable {
    Count(u32),
    Percent(u32),
}
impl MaxUnavailable {
    /// How many of `instances` members: a percentage rounds down, and at
    /// least one is always allowed, or the roll could never start.
    fn of(self, instances: u32) -> usize {
        let n = match self {
            MaxUnavailable::Count(n) => n,
            MaxUnavailable::Percent(p) => instances * p / 100,
        };
        n.max(1) as usize
    }
}
impl JsonSchema for MaxUnavailable {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "MaxUnavailable".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "oneOf": [
            { "type": "integer", "minimum": 1, "maximum": 100 },
            { "type": "string", "pattern": "^(100|[1-9][0-9]?)%$" }
        ] })
    }
}
impl TryFrom<serde_json::Value> for MaxUnavailable {
    type Error = String;
    fn try_from(v: serde_json::Value) -> std::result::Result<Self, String> {
        let bad = || {
            format!(
                "invalid max_unavailable {v}: expected an integer from 1 to 100 or a percentage from \"1%\" to \"100%\""
            )
        };
        if let Some(n) = v.as_u64() {
            return match u32::try_from(n) {
                Ok(n) if (1..=MAX_INSTANCES).contains(&n) => Ok(MaxUnavailable::Count(n)),
                _ => Err(bad()),
            };
        }
        let pct = v.as_str().and_then(|s| s.strip_suffix('%'));
        match pct.and_then(|p| p.parse::<u32>().ok()) {
            Some(p)
                if (1..=100).contains(&p) && pct.is_some_and(|s| !s.starts_with(['0', '+'])) =>
            {
                Ok(MaxUnavailable::Percent(p))
            }
            _ => Err(bad()),
        }
    }
}

/// `cpus` is a float, which has no `Eq`/`Ord`; validated by hand.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(try_from = "f64")]
struct Cpus(f64);
impl JsonSchema for Cpus {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Cpus".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "number", "exclusiveMinimum": 0, "maximum": 1024 })
    }
}
impl TryFrom<f64> for Cpus {
    type Error = String;
    fn try_from(v: f64) -> std::result::Result<Self, String> {
        if v.is_finite() && v > 0.0 && v <= 1024.0 {
            Ok(Cpus(v))
        } else {
            Err(format!(
                "invalid cpus {v}: expected a number above 0 (e.g. 2 or 0.5)"
            ))
        }
    }
}

/// `src:dst[:opts]`: src an absolute host path or a named volume, dst
/// absolute, opts a comma list of ro, rw, z, Z.
fn check_mount(s: &str) -> std::result::Result<(), String> {
    let help = "expected `src:dst` or `src:dst:ro` (src an absolute host path or a volume name, dst an absolute path)";
    if s.contains('\0') {
        return Err(format!("invalid mount: {NUL}"));
    }
    let parts: Vec<&str> = s.split(':').collect();
    let (src, dst, opts) = match parts.as_slice() {
        [src, dst] => (*src, *dst, None),
        [src, dst, opts] => (*src, *dst, Some(*opts)),
        _ => return Err(format!("invalid mount `{s}`: {help}")),
    };
    let volume = |v: &str| {
        let mut c = v.chars();
        matches!(c.next(), Some(f) if f.is_ascii_alphanumeric())
            && c.all(|x| x.is_ascii_alphanumeric() || "_.-".contains(x))
    };
    if !(src.starts_with('/') || volume(src)) {
        return Err(format!(
            "invalid mount `{s}`: source `{src}` is neither an absolute path nor a volume name; {help}"
        ));
    }
    if !dst.starts_with('/') {
        return Err(format!(
            "invalid mount `{s}`: destination `{dst}` is not an absolute path; {help}"
        ));
    }
    if let Some(opts) = opts
        && !opts.split(',').all(|o| ["ro", "rw", "z", "Z"].contains(&o))
    {
        return Err(format!(
            "invalid mount `{s}`: options `{opts}` must be ro, rw, z or Z; {help}"
        ));
    }
    Ok(())
}
