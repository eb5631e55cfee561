//! `run_args` read the way docker's own option parser (pflag) reads them,
//! so that every spelling of an option is seen: `--label v`, `--label=v`,
//! `-l v`, `-lv`, `-l=v`, and short options bundled behind boolean ones
//! (`-dit`, `-tl=v`).
//!
//! fleet passes run_args to `docker run -d` when it first creates a
//! container and to `docker create` when it replaces one, before the image.
//! So an argument is refused when it would break either command or fleet:
//! an option `docker create` does not know (including `docker run`'s own),
//! an option fleet sets itself or that changes which project a container
//! belongs to, env that would put values on a command line, and anything
//! docker would take as the image (a bare word, `--`, a value-taking option
//! left without its value at the end).
//!
//! The option list is docker CLI 28's `docker create` (and the hidden
//! aliases `--net`, `--net-alias`, `--dns-opt`).

use super::RESERVED_LABEL_PREFIX;
use super::errors::Invalid;

/// What fleet does with an option.
#[derive(Clone, Copy, PartialEq)]
enum Rule {
    Allow,
    /// Allowed unless its `key=value` value sets a reserved label.
    Label,
    /// Refused, with the reason and a help line.
    Refuse(&'static str, &'static str),
}

struct Opt {
    long: &'static str,
    short: Option<char>,
    /// Takes a value (`--flag v`); otherwise a boolean (`--flag`, `--flag=false`).
    value: bool,
    rule: Rule,
}

const fn val(long: &'static str, short: Option<char>) -> Opt {
    Opt {
        long,
        short,
        value: true,
        rule: Rule::Allow,
    }
}

const fn flag(long: &'static str, short: Option<char>) -> Opt {
    Opt {
        long,
        short,
        value: false,
        rule: Rule::Allow,
    }
}

const fn refuse(mut o: Opt, why: &'static str, help: &'static str) -> Opt {
    o.rule = Rule::Refuse(why, help);
    o
}

const ENV_WHY: &str = "env values go in `env`, which fleet hands to docker off its command line (a command line can be read by every user of the host)";
const ENV_HELP: &str = "set the variables in the type's `env` (or in `defaults.env`)";
const CREATE_ONLY: &str = "`docker create`, which makes the replacement on every recreate, does not accept it: the type could be created once and never recreated";

const OPTS: &[Opt] = &[
    val("add-host", None),
    val("annotation", None),
    refuse(
        val("attach", Some('a')),
        "`docker run -d`, which creates the container the first time, refuses it",
        "fleet runs containers detached; read their output with `docker logs`",
    ),
    val("blkio-weight", None),
    val("blkio-weight-device", None),
    val("cap-add", None),
    val("cap-drop", None),
    val("cgroup-parent", None),
    val("cgroupns", None),
    refuse(
        val("cidfile", None),
        "docker refuses to create a container while that file exists, so every recreate would fail",
        "read the ID with `docker inspect` or `docker ps --filter label=fleet.type=<type>`",
    ),
    val("cpu-count", None),
    val("cpu-percent", None),
    val("cpu-period", None),
    val("cpu-quota", None),
    val("cpu-rt-period", None),
    val("cpu-rt-runtime", None),
    val("cpu-shares", Some('c')),
    val("cpus", None),
    val("cpuset-cpus", None),
    val("cpuset-mems", None),
    refuse(
        flag("detach", Some('d')),
        "fleet runs `docker run -d` itself, and `docker create`, which makes replacements, does not accept it",
        "leave it out: fleet's containers always run detached",
    ),
    refuse(
        val("detach-keys", None),
        CREATE_ONLY,
        "leave it out: fleet never attaches to a container",
    ),
    val("device", None),
    val("device-cgroup-rule", None),
    val("device-read-bps", None),
    val("device-read-iops", None),
    val("device-write-bps", None),
    val("device-write-iops", None),
    flag("disable-content-trust", None),
    val("dns", None),
    val("dns-opt", None),
    val("dns-option", None),
    val("dns-search", None),
    val("domainname", None),
    val("entrypoint", None),
    refuse(val("env", Some('e')), ENV_WHY, ENV_HELP),
    refuse(val("env-file", None), ENV_WHY, ENV_HELP),
    val("expose", None),
    val("gpus", None),
    val("group-add", None),
    val("health-cmd", None),
    val("health-interval", None),
    val("health-retries", None),
    val("health-start-interval", None),
    val("health-start-period", None),
    val("health-timeout", None),
    refuse(
        flag("help", None),
        "docker would print its help instead of creating the container",
        "see `docker create --help` for the options run_args may hold",
    ),
    val("hostname", Some('h')),
    flag("init", None),
    flag("interactive", Some('i')),
    val("io-maxbandwidth", None),
    val("io-maxiops", None),
    val("ip", None),
    val("ip6", None),
    val("ipc", None),
    val("isolation", None),
    val("kernel-memory", None),
    Opt {
        rule: Rule::Label,
        ..val("label", Some('l'))
    },
    refuse(
        val("label-file", None),
        "fleet cannot check a file's labels, and labels under the `fleet.` prefix decide which project a container belongs to",
        "set the labels in the type's `labels` (or in `defaults.labels`)",
    ),
    val("link", None),
    val("link-local-ip", None),
    val("log-driver", None),
    val("log-opt", None),
    val("mac-address", None),
    val("memory", Some('m')),
    val("memory-reservation", None),
    val("memory-swap", None),
    val("memory-swappiness", None),
    val("mount", None),
    refuse(
        val("name", None),
        "fleet names every container itself (`<type>-default`, `<type>-2`, …)",
        "containers are named after their type's key in `types`",
    ),
    val("net", None),
    val("net-alias", None),
    val("network", None),
    val("network-alias", None),
    flag("no-healthcheck", None),
    flag("oom-kill-disable", None),
    val("oom-score-adj", None),
    val("pid", None),
    val("pids-limit", None),
    val("platform", None),
    flag("privileged", None),
    val("publish", Some('p')),
    flag("publish-all", Some('P')),
    val("pull", None),
    flag("quiet", Some('q')),
    flag("read-only", None),
    val("restart", None),
    refuse(
        flag("rm", None),
        "a container removed when it stops cannot be started again; fleet keeps containers and starts them",
        "leave it out; `restart` sets what happens when a container stops",
    ),
    val("runtime", None),
    val("security-opt", None),
    val("shm-size", None),
    refuse(
        flag("sig-proxy", None),
        CREATE_ONLY,
        "leave it out: fleet never attaches to a container",
    ),
    val("stop-signal", None),
    val("stop-timeout", None),
    val("storage-opt", None),
    val("sysctl", None),
    val("tmpfs", None),
    flag("tty", Some('t')),
    val("ulimit", None),
    flag("use-api-socket", None),
    val("user", Some('u')),
    val("userns", None),
    val("uts", None),
    val("volume", Some('v')),
    val("volume-driver", None),
    val("volumes-from", None),
    val("workdir", Some('w')),
];

fn by_long(name: &str) -> Option<&'static Opt> {
    OPTS.iter().find(|o| o.long == name)
}

fn by_short(c: char) -> Option<&'static Opt> {
    OPTS.iter().find(|o| o.short == Some(c))
}

/// How a message names an option: `-l` (`--label`) or `--label`.
fn spelled(o: &Opt, short: bool) -> String {
    match o.short {
        Some(c) if short => format!("`-{c}` (`--{}`)", o.long),
        _ => format!("`--{}`", o.long),
    }
}

/// Reads run_args one at a time, as pflag would; [`Reader::finish`] after
/// the last. Errors never quote an argument that may carry a value of a
/// refused option (an env value may be a secret): only option names.
#[derive(Default)]
pub(crate) struct Reader {
    /// The option whose value the next argument is, and how it was spelled.
    pending: Option<(&'static Opt, bool)>,
    /// Every option read, by its long name, with its value (a boolean's
    /// `true` when given bare).
    seen: Vec<(&'static str, String)>,
}

/// run_args as docker reads them: each option by its long name (`-v` is
/// `volume`, `--net` `network`) with its value, in order. `Err` for
/// run_args the config check refuses.
pub(crate) fn parse(args: &[String]) -> Result<Vec<(&'static str, String)>, Invalid> {
    let mut r = Reader::default();
    for a in args {
        r.next(a)?;
    }
    let seen = std::mem::take(&mut r.seen);
    r.finish()?;
    Ok(seen)
}

impl Reader {
    /// Checks the next argument.
    pub fn next(&mut self, arg: &str) -> Result<(), Invalid> {
        if arg.contains('\0') {
            return Err(Invalid::new(
                "the argument contains a NUL character, which no command line can carry",
            ));
        }
        if let Some((o, short)) = self.pending.take() {
            return self.value(o, short, arg);
        }
        if arg == "--" {
            return Err(Invalid::new(
                "`--` ends docker's options: docker would take the next word as the image and the image as the command",
            ));
        }
        if let Some(long) = arg.strip_prefix("--") {
            return self.long(arg, long);
        }
        if let Some(shorts) = arg.strip_prefix('-')
            && !shorts.is_empty()
        {
            return self.shorts(shorts);
        }
        Err(Invalid::new(format!(
            "`{arg}` is not an option: docker would take it as the image, and the image as the command"
        ))
        .help("an option's value follows the option (`[\"--gpus\", \"all\"]`) or is joined to it (`--gpus=all`)"))
    }

    /// After the last argument: an option still waiting for its value.
    pub fn finish(self) -> Result<(), Invalid> {
        match self.pending {
            Some((o, short)) => Err(Invalid::new(format!(
                "{} needs a value, but it ends run_args: docker would take the image as its value",
                spelled(o, short)
            ))
            .help(format!(
                "add its value as the next element, or join them: `--{}=<value>`",
                o.long
            ))),
            None => Ok(()),
        }
    }

    fn long(&mut self, arg: &str, long: &str) -> Result<(), Invalid> {
        let (name, inline) = match long.split_once('=') {
            Some((name, v)) => (name, Some(v)),
            None => (long, None),
        };
        if name.is_empty() || name.starts_with('-') {
            let shown = if inline.is_some() { "--=…" } else { arg };
            return Err(format!("`{shown}` is not option syntax docker accepts").into());
        }
        let Some(o) = by_long(name) else {
            return Err(
                Invalid::new(format!("`--{name}` is not an option of `docker create`"))
                    .help("see `docker create --help`"),
            );
        };
        allowed(o, false)?;
        match inline {
            Some(v) => self.value(o, false, v),
            None if o.value => {
                self.pending = Some((o, false));
                Ok(())
            }
            None => self.value(o, false, "true"),
        }
    }

    /// `-abc`: booleans may be bundled; the first option that takes a value
    /// takes the rest of the word (`-lkey=v`, `-l=key=v`) or the next
    /// argument.
    fn shorts(&mut self, shorts: &str) -> Result<(), Invalid> {
        let mut rest = shorts;
        while let Some(c) = rest.chars().next() {
            rest = &rest[c.len_utf8()..];
            let Some(o) = by_short(c) else {
                return Err(
                    Invalid::new(format!("`-{c}` is not an option of `docker create`"))
                        .help("see `docker create --help`"),
                );
            };
            allowed(o, true)?;
            // pflag: `-f=v` when something follows the `=`.
            if rest.len() > 1
                && let Some(v) = rest.strip_prefix('=')
            {
                return self.value(o, true, v);
            }
            if !o.value {
                self.value(o, true, "true")?;
                continue;
            }
            if rest.is_empty() {
                self.pending = Some((o, true));
                return Ok(());
            }
            return self.value(o, true, rest);
        }
        Ok(())
    }

    /// Checks `v` as `o`'s value, and keeps it.
    fn value(&mut self, o: &'static Opt, short: bool, v: &str) -> Result<(), Invalid> {
        value(o, short, v)?;
        self.seen.push((o.long, v.to_string()));
        Ok(())
    }
}

/// Refuses an option fleet does not allow, in any spelling.
fn allowed(o: &Opt, short: bool) -> Result<(), Invalid> {
    match o.rule {
        Rule::Refuse(why, help) => Err(Invalid::new(format!(
            "{} is not allowed in run_args: {why}",
            spelled(o, short)
        ))
        .help(help)),
        Rule::Allow | Rule::Label => Ok(()),
    }
}

/// Checks the value given to `o`.
fn value(o: &Opt, short: bool, v: &str) -> Result<(), Invalid> {
    if !o.value {
        // pflag's strconv.ParseBool.
        const BOOLS: [&str; 12] = [
            "1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False",
        ];
        if !BOOLS.contains(&v) {
            return Err(format!("{} is true or false, not `{v}`", spelled(o, short)).into());
        }
    }
    if o.rule == Rule::Label {
        // docker splits at the first `=` and ignores leading whitespace.
        let key = v.split('=').next().unwrap_or(v).trim_start();
        if key.is_empty() {
            return Err(format!(
                "{} needs `key=value` (or `key`), and the key is empty",
                spelled(o, short)
            )
            .into());
        }
        if key.starts_with(RESERVED_LABEL_PREFIX) {
            return Err(Invalid::new(format!(
                "{} sets `{key}`, but the `{RESERVED_LABEL_PREFIX}` prefix is reserved: fleet sets fleet.project, fleet.type, fleet.instance and fleet.config-hash itself, and they decide which project a container belongs to",
                spelled(o, short)
            ))
            .help("other labels go in the type's `labels`"));
        }
    }
    Ok(())
}

/// A JSON Schema pattern of the spellings of refused options that one
/// argument shows alone (the Rust check, which reads the whole array, is
/// the authority).
pub(crate) const SCHEMA_NOT_PATTERN: &str = concat!(
    "^(--(name|rm|detach|detach-keys|sig-proxy|attach|env|env-file|label-file|cidfile|help)(=|$)",
    "|-[itPq]*[dea]",
    "|--label=\\s*fleet\\.",
    "|-[itPq]*l=?\\s*fleet\\.",
    "|--$)"
);
