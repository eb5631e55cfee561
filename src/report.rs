//! The one place that turns what a run came to into what it prints: a
//! command's [`Report`] ([`render`]), the events of a run under way
//! ([`event`]), a failed run ([`error`]) and clap's verdict on the command
//! line ([`clap`]), each into text or JSON for stdout and stderr and an
//! exit code. The `[agents-sync]`-style tags, the `error:` label and the
//! exit codes live here and nowhere else.
//!
//! Pure: returns strings; colour and `--quiet` come in the [`Style`] the
//! caller decides, and the caller writes. Reasons and errors never hold env
//! values, so nothing here can leak one. What an engine wrote (names,
//! images, labels, docker's words, and reasons and errors built from them)
//! goes through [`crate::text`] before it reaches text output, so it can
//! neither drive the terminal nor forge a line.

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use owo_colors::OwoColorize;
use serde::Serialize;

use crate::apply::{Done, Failure, Halt, Outcome};
use crate::cli::Format;
use crate::commands::{Checked, HostRow, Report, Unlocked};
use crate::context::Event;
use crate::converge::{Planned, Status};
use crate::engine_lock::LockEvent;
use crate::error::{Error, Kind, Unreached};
use crate::ops::{OpsResult, PoolFigures, StatusRow};
use crate::plan::{Bucket, Op};
use crate::snapshot::Claim;
use crate::text::{terminal_safe as safe, terminal_safe_lines as safe_lines};
use crate::{EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK, EXIT_PENDING, EXIT_USAGE};

/// How to print, as the caller decided it from the flags and terminals.
#[derive(Debug, Clone, Copy, Default)]
pub struct Style {
    /// `--json`: one document on stdout instead of text.
    pub json: bool,
    /// `--quiet`: only errors (and a requested JSON document).
    pub quiet: bool,
    /// Colour on stdout's text (and on the `error`/`note` labels of an
    /// action's lines on stderr, which go with it).
    pub color: bool,
    /// Colour on a failed run's `error:` and its marked config line.
    pub err_color: bool,
    /// A line on stderr as each action of `sync` finishes.
    pub progress: bool,
}

/// What to print, and the exit code.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Output {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

/// What a report prints before `--quiet` is applied: results for stdout;
/// errors and notes for stderr, kept apart so `--quiet` can keep only the
/// errors.
#[derive(Debug, Default)]
struct Rendered {
    stdout: String,
    /// `error: …` lines (with their `help:`), printed even with `--quiet`.
    errors: String,
    /// `note:` / `help:` lines about deferrals and the like.
    notes: String,
}

impl Rendered {
    /// With `--quiet`, only errors (and a JSON document, which was asked
    /// for explicitly).
    fn output(self, style: &Style, code: i32) -> Output {
        let mut stderr = self.errors;
        if !style.quiet {
            stderr += &self.notes;
        }
        Output {
            stdout: if !style.quiet || style.json {
                self.stdout
            } else {
                String::new()
            },
            stderr,
            code,
        }
    }
}

/// The tags of the text lines, one a command.
const SYNC: &str = "agents-sync";
const PLAN: &str = "agents-plan";
const UP: &str = "containers-up";
const DOWN: &str = "containers-down";

/// What a command's report prints, and its exit code.
pub(crate) fn render(report: &Report, style: &Style) -> Output {
    match report {
        Report::Text(text) => Output {
            stdout: text.clone(),
            code: EXIT_OK,
            ..Output::default()
        },
        Report::Check(c) => check(c, style).output(style, EXIT_OK),
        Report::Plan {
            planned,
            detailed_exitcode,
        } => plan_output(planned, *detailed_exitcode, style),
        Report::Sync(outcome) => sync_output(outcome, style),
        Report::Up { ops, interrupted } => ops_output(ops, Verb::Start, *interrupted, style),
        Report::Down { ops, interrupted } => ops_output(ops, Verb::Stop, *interrupted, style),
        // The table even with `--quiet`: it is what was asked for.
        Report::Status { status, format } => status_output(status, *format, style),
        Report::Hosts(rows) => hosts_output(rows, style),
        // The command's own output went straight to fleet's stdout and
        // stderr; only fleet's failure is told, on stderr.
        Report::Exec(crate::dispatch::Dispatched::Ran(code)) => Output {
            code: *code,
            ..Output::default()
        },
        // The command's own output is never wrapped: --json is for
        // fleet's failures alone.
        Report::Exec(crate::dispatch::Dispatched::Failed { code, error }) => Output {
            stdout: if style.json {
                error_json(error)
            } else {
                String::new()
            },
            stderr: error_text(error, style.err_color),
            code: *code,
        },
        Report::Unlock(rows) => unlock_output(rows, style),
    }
}

/// `fleet plan`: one line an action and the summary, or the JSON document;
/// exit 1 for a planned failure (a conflict), 2 for pending changes when
/// `--detailed-exitcode` asks.
fn plan_output(planned: &Planned, detailed_exitcode: bool, style: &Style) -> Output {
    let plan = &planned.plan;
    let code = if plan.has_failures() || !planned.unreached.is_empty() {
        EXIT_ERROR
    } else if detailed_exitcode && plan.pending() {
        EXIT_PENDING
    } else {
        EXIT_OK
    };
    let mut outcome = Outcome::planned(plan);
    for d in &mut outcome.done {
        let there = |u: &Unreached| Some(u.host.as_str()) == d.action.host.as_deref();
        if d.error.is_some() && planned.unreached.iter().any(there) {
            d.error = Some(Failure::Unreached);
        }
    }
    outcome.unreached = planned.unreached.clone();
    let mut r = plan_text(&outcome, style.color && !style.json);
    if style.json {
        r.stdout = outcome_json(&outcome);
    }
    r.output(style, code)
}

/// `fleet sync`: the bucket lines, or the JSON document (errors still go
/// to stderr, for logs that do not parse JSON); exit 130 when stopped by a
/// signal, 1 when an action failed.
fn sync_output(outcome: &Outcome, style: &Style) -> Output {
    let code = if outcome.interrupted {
        EXIT_INTERRUPTED
    } else if outcome.failed() {
        EXIT_ERROR
    } else {
        EXIT_OK
    };
    let mut r = outcome_text(SYNC, outcome, style.color && !style.json);
    if style.json {
        r.stdout = outcome_json(outcome);
    }
    r.output(style, code)
}

/// A line for stderr about an event of a run under way, if it is shown.
pub fn event(event: &Event, style: &Style) -> Option<String> {
    match event {
        Event::Done(d) => style.progress.then(|| progress_line(d, style.color)),
        Event::LockBusy {
            project,
            path,
            wait,
        } => Some(format!(
            "note: waiting for another fleet run on project `{project}` (lock `{}`, up to {}s)\n",
            path.display(),
            wait.as_secs_f64()
        )),
        // Only the argv: env values travel on stdin.
        Event::Docker { program, cmd } => Some(format!("+ {program} {}\n", safe(&cmd.full_line()))),
        Event::Ready { ready, total } => style
            .progress
            .then(|| format!("waiting: {ready}/{total} ready\n")),
        Event::HostLock { host, event } => Some(match event {
            LockEvent::Busy(info) => format!(
                "note: host `{host}` is locked by another fleet run ({}); waiting up to --lock-wait\n",
                safe(&info.describe())
            ),
            LockEvent::TakenOver { from, why } => format!(
                "warning: host `{host}`: took over a stale lock ({}): {}\n",
                safe(&from.held_by()),
                safe(why)
            ),
        }),
        Event::Note(text) => Some(format!("{}\n", safe(text))),
        Event::LockNotReleased { host, error } => Some(format!(
            "warning: host `{host}`: could not release this run's lock: {}\nhelp: release it with `fleet unlock --host {host}`\n",
            safe_lines(&error.message(), "  ")
        )),
    }
}

/// `fleet hosts`: a table (HOST, REACHED VIA, ENGINE, LOCK) or a JSON
/// array; exit 1 when a host could not be reached.
fn hosts_output(rows: &[HostRow], style: &Style) -> Output {
    let code = if rows.iter().any(|r| r.error.is_some()) {
        EXIT_ERROR
    } else {
        EXIT_OK
    };
    if style.json {
        return Output {
            stdout: json_document(&rows),
            code,
            ..Output::default()
        };
    }
    let table: Vec<[String; 4]> = rows
        .iter()
        .map(|r| {
            [
                r.host.clone().unwrap_or_else(|| "(default)".into()),
                safe(&r.reach).into_owned(),
                match (&r.version, &r.error) {
                    (Some(v), _) => safe(v).into_owned(),
                    (None, Some(_)) => "unreachable (below)".into(),
                    (None, None) => "-".into(),
                },
                match (&r.version, &r.error, &r.lock) {
                    (Some(_), Some(_), _) => "unreadable (below)".into(),
                    (_, _, Some(l)) => safe(l).into_owned(),
                    _ => "-".into(),
                },
            ]
        })
        .collect();
    let mut stdout = columns(&["HOST", "REACHED VIA", "ENGINE", "LOCK"], &table);
    let mut stderr = String::new();
    for r in rows {
        if let Some(e) = &r.error {
            let host = r.host.as_deref().unwrap_or("(default)");
            stderr += &error_line(&format!("host `{host}`: {e}"), style.err_color);
        }
    }
    if rows.is_empty() {
        stdout.clear();
    }
    Output {
        stdout,
        stderr,
        code,
    }
}

/// `fleet unlock`: a line a host, or a JSON array; exit 1 on an error.
fn unlock_output(rows: &[Unlocked], style: &Style) -> Output {
    let code = if rows.iter().any(|r| r.error.is_some()) {
        EXIT_ERROR
    } else {
        EXIT_OK
    };
    let mut out = Output {
        code,
        ..Output::default()
    };
    if style.json {
        out.stdout = json_document(&rows);
    }
    for r in rows {
        let line = match (&r.released, &r.error) {
            (_, Some(e)) => {
                out.stderr += &error_line(&format!("host `{}`: {e}", r.host), style.err_color);
                continue;
            }
            (Some(who), None) => format!("host `{}`: released the lock ({})\n", r.host, safe(who)),
            (None, None) => format!("host `{}`: no lock was held\n", r.host),
        };
        if !style.json && !style.quiet {
            out.stdout += &line;
        }
    }
    out
}

/// Left-aligned columns, two spaces apart.
fn columns<const N: usize>(head: &[&str; N], rows: &[[String; N]]) -> String {
    let mut width = head.map(str::len);
    for r in rows {
        for (w, c) in width.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut l = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == N {
                l += c;
            } else {
                l += &format!("{c:<w$}  ", w = width[i]);
            }
        }
        l.trim_end().to_string() + "\n"
    };
    let mut out = line(head.to_vec());
    for r in rows {
        out += &line(r.iter().map(String::as_str).collect());
    }
    out
}

/// A run that failed before it had a result: `error: …` on stderr (see
/// [`error_text`]), with `--json` also the `{"error": …}` document on
/// stdout; exit 2 for a usage error, else 1.
pub fn error(e: &Error, style: &Style) -> Output {
    Output {
        stdout: if style.json {
            error_json(e)
        } else {
            String::new()
        },
        stderr: error_text(e, style.err_color),
        code: match e.kind() {
            Kind::Usage => EXIT_USAGE,
            _ => EXIT_ERROR,
        },
    }
}

/// clap's verdict on a command line that did not parse: a usage error in
/// clap's own words and layout (with `--json` also the `{"error": …}`
/// document), or the text of `--help` / `--version` on stdout.
pub fn clap(e: clap::Error, json: bool, color: bool) -> Output {
    let text = if color {
        e.render().ansi().to_string()
    } else {
        e.to_string()
    };
    let code = e.exit_code();
    if !e.use_stderr() {
        return Output {
            stdout: text,
            code,
            ..Output::default()
        };
    }
    Output {
        stdout: if json {
            error_json(&Error::usage(&e))
        } else {
            String::new()
        },
        stderr: text,
        code,
    }
}

/// `fleet check`: one line, or one compact JSON document.
fn check(c: &Checked, style: &Style) -> Rendered {
    let stdout = if style.json {
        let mut doc = serde_json::json!({"ok": true, "config": c.path, "project": c.project,
            "types": c.types, "containers": c.containers});
        if !c.hosts.is_empty() {
            doc["hosts"] = serde_json::json!(c.hosts);
        }
        if let Some(manager) = &c.swarm {
            doc["swarm"] = serde_json::json!({ "manager": manager });
        }
        format!("{doc}\n")
    } else {
        let on = match (c.hosts.len(), &c.swarm) {
            (0, _) => String::new(),
            (n, None) => format!(" on {n} hosts ({})", c.hosts.join(", ")),
            (n, Some(m)) => format!(
                " on the swarm managed by `{m}` ({n} hosts: {})",
                c.hosts.join(", ")
            ),
        };
        format!(
            "{}: ok: project `{}`, {} types, {} containers{on}\n",
            c.path.display(),
            c.project,
            c.types.len(),
            c.containers
        )
    };
    Rendered {
        stdout,
        ..Rendered::default()
    }
}

/// `error: <text>`: the one place the label is written. `text` may carry
/// docker's words over several lines: made terminal-safe, its lines after
/// the first indented.
fn error_line(text: &str, color: bool) -> String {
    let text = safe_lines(text, "  ");
    format!("{}: {text}\n", paint("error", Bucket::Failed, color))
}

/// `help: <text>`, terminal-safe, its lines after the first indented.
fn help_line(text: &str) -> String {
    format!("help: {}\n", safe_lines(text, "  "))
}

/// Buckets in the order text output lists them.
const TEXT_ORDER: [Bucket; 8] = [
    Bucket::Created,
    Bucket::Started,
    Bucket::Recreated,
    Bucket::Renamed,
    Bucket::Removed,
    Bucket::Unchanged,
    Bucket::Deferred,
    Bucket::Failed,
];

fn paint(word: &str, bucket: Bucket, color: bool) -> String {
    if !color {
        return word.to_string();
    }
    match bucket {
        Bucket::Created | Bucket::Started => word.green().to_string(),
        Bucket::Recreated | Bucket::Renamed => word.cyan().to_string(),
        Bucket::Removed => word.yellow().to_string(),
        Bucket::Unchanged => word.dimmed().to_string(),
        Bucket::Deferred => word.magenta().to_string(),
        Bucket::Failed => word.red().bold().to_string(),
    }
}

/// `[tag] bucket: a, b` lines for the non-empty buckets, then on stderr one
/// `error:` per failure and a `note:` per deferral with one `help:`.
fn outcome_text(tag: &str, outcome: &Outcome, color: bool) -> Rendered {
    let mut r = Rendered::default();
    for b in TEXT_ORDER {
        let names: Vec<String> = outcome
            .done
            .iter()
            .filter(|d| d.bucket() == b)
            .map(|d| shown(&d.action))
            .collect();
        if !names.is_empty() {
            r.stdout += &format!(
                "[{tag}] {}: {}\n",
                paint(b.as_str(), b, color),
                names.join(", ")
            );
        }
    }
    if outcome.done.is_empty() {
        r.stdout +=
            &format!("[{tag}] nothing to do: the config declares no container and none exist\n");
    }
    notes(outcome, color, &mut r);
    r
}

/// On stderr: each host that failed as a whole, once; one `error:` per
/// failed action (what is true now under it, its help last), and a
/// `note:` per deferral with one `help:`.
fn notes(outcome: &Outcome, color: bool, r: &mut Rendered) {
    let label = |word: &str, b: Bucket| paint(word, b, color);
    let mut deferred = false;
    r.errors += &unreached_lines(&outcome.unreached, color);
    for d in &outcome.done {
        if let Some(e) = &d.error {
            let msg = failure_line(d, e);
            // What is true now goes right under the error, help last. An
            // action's error is still apply's one sentence, its help after
            // `\nhelp: ` (see `Error`'s `{:#}`), not an `Error`.
            let (text, help) = match msg.split_once("\nhelp: ") {
                Some((t, h)) => (t.to_string(), Some(h.to_string())),
                None => (msg, None),
            };
            r.errors += &error_line(&text, color);
            if let Some(now) = &d.now {
                r.errors += &format!("  now: {}\n", safe_lines(now, "    "));
            }
            for h in help.iter().flat_map(|h| h.split("\nhelp: ")) {
                r.errors += &help_line(h);
            }
        } else if d.action.bucket == Bucket::Deferred {
            deferred |= d.action.reason.contains("exec session");
            r.notes += &format!(
                "{}: `{}`: {}\n",
                label("note", Bucket::Deferred),
                shown(&d.action),
                safe(&d.action.reason)
            );
        }
    }
    for d in &outcome.done {
        if let Some(word) = &d.action.unready {
            r.notes += &format!(
                "{}: `{}` matches its config but is {}: it is left as it is; see `{}`\n",
                label("warning", Bucket::Deferred),
                shown(&d.action),
                safe(word),
                logs_hint(&d.action)
            );
        }
    }
    if deferred {
        r.notes += "help: deferred containers are left as they are until their exec sessions end; rerun later, or with --force to cut the sessions off\n";
    }
}

/// The command that shows a container's logs on the engine it is on.
fn logs_hint(a: &crate::plan::Action) -> String {
    let name = safe(&a.name);
    match &a.host {
        Some(h) => format!("docker logs {name}` on host `{h}"),
        None => format!("docker logs {name}"),
    }
}

/// The `error:` lines of the hosts that failed as a whole, one each (its
/// help after it).
fn unreached_lines(unreached: &[Unreached], color: bool) -> String {
    let mut text = String::new();
    for u in unreached {
        let message = u.error.message();
        let message = safe_lines(&message, "  ");
        text += &error_line(&format!("host `{}`: {message}", u.host), color);
        for h in u.error.help() {
            text += &format!("help: {}\n", safe_lines(h, "  "));
        }
    }
    text
}

/// One failed action's sentence, for its `error:` line.
fn failure_line(d: &Done, e: &Failure) -> String {
    let a = &d.action;
    match (e, &a.host) {
        (Failure::Unreached, Some(h)) => format!("`{}`: host `{h}` failed (see above)", shown(a)),
        (Failure::Conflict, _) => format!("`{}`: {}", shown(a), safe(&a.reason)),
        // Swarm's words made safe, each help apart (`\nhelp: `).
        (Failure::Swarm(why), _) => {
            let parts: Vec<String> = why
                .split("\nhelp: ")
                .map(|p| safe(p).into_owned())
                .collect();
            format!("`{}`: {}", shown(a), parts.join("\nhelp: "))
        }
        (Failure::NotStarted(_), _) => format!("`{}` {e}", shown(a)),
        (_, Some(h)) => format!("host `{h}`: {e}"),
        (_, None) => e.to_string(),
    }
}

/// The words of a failure, without the container's name.
impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Docker(text) | Failure::Swarm(text) => f.write_str(text),
            Failure::NotReady(why) => write!(f, "{why}"),
            Failure::NotStarted(Halt::Signal) => {
                f.write_str("was not started: fleet was asked to stop (SIGINT or SIGTERM) first")
            }
            Failure::NotStarted(Halt::Lease { host, lease }) => write!(
                f,
                "was not started: this run's lock on host `{host}` reached the end of its lease (--lock-lease {}s), after which another run may take it; run sync again",
                lease.as_secs_f64()
            ),
            Failure::Conflict => f.write_str("its name is held by a container fleet may not touch"),
            Failure::Unreached => f.write_str("its host could not be reached or read"),
        }
    }
}

/// How an action's container is named in text: `name`, or `name@host`
/// when the config declares hosts (a move shows one name on two hosts);
/// terminal-safe (the name may be any container's on the engine).
fn shown(a: &crate::plan::Action) -> String {
    safe(&crate::config::name_at(&a.name, a.host.as_deref())).into_owned()
}

/// One progress line as an action finishes (stderr, terminals only):
/// bucket, name, how long its docker calls took.
fn progress_line(d: &Done, color: bool) -> String {
    let b = d.bucket();
    let word = paint(&format!("{:<9}", b.as_str()), b, color);
    format!(
        "  {word}  {}  {:.1}s\n",
        shown(&d.action),
        d.took.as_secs_f64()
    )
}

/// The plan as a table: one line an action (verb, name, reason), then the
/// bucket summary lines under the `agents-plan` tag.
fn plan_text(outcome: &Outcome, color: bool) -> Rendered {
    let width = outcome
        .done
        .iter()
        .map(|d| shown(&d.action).len())
        .max()
        .unwrap_or(0);
    let mut r = Rendered::default();
    for d in &outcome.done {
        let a = &d.action;
        let verb = match (a.bucket, &a.op) {
            (Bucket::Failed, _)
                if matches!(d.error, Some(Failure::Unreached | Failure::Swarm(_))) =>
            {
                "failed"
            }
            (Bucket::Failed, _) => "conflict",
            (Bucket::Deferred, _) => "defer",
            (Bucket::Unchanged, _) => "unchanged",
            (Bucket::Renamed, _) => "rename",
            (_, op) => op.verb(),
        };
        let word = paint(&format!("{verb:<9}"), a.bucket, color);
        r.stdout += &format!("  {word}  {:<width$}  {}\n", shown(a), safe(&a.reason));
    }
    let summary = outcome_text(PLAN, outcome, color);
    r.stdout += &summary.stdout;
    notes(outcome, color, &mut r);
    r
}

#[derive(Serialize)]
struct Failed<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    host: Option<&'a str>,
    action: &'a str,
    error: String,
    /// What the engine showed when read again after the failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    now: Option<&'a str>,
}

#[derive(Serialize)]
struct ActionJson<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    host: Option<&'a str>,
    #[serde(rename = "type")]
    type_name: Option<&'a str>,
    action: Bucket,
    reason: &'a str,
}

#[derive(Serialize)]
struct Document<'a> {
    project: &'a str,
    created: Vec<&'a str>,
    recreated: Vec<&'a str>,
    started: Vec<&'a str>,
    renamed: Vec<&'a str>,
    unchanged: Vec<&'a str>,
    removed: Vec<&'a str>,
    deferred: Vec<&'a str>,
    failed: Vec<Failed<'a>>,
    actions: Vec<ActionJson<'a>>,
    /// Declared hosts that failed as a whole (absent when none did).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hosts_failed: Vec<HostFailed>,
}

/// `up`/`down`'s JSON document: the result's fields, then the hosts that
/// failed as a whole (absent when none did).
#[derive(Serialize)]
struct OpsJson<'a> {
    #[serde(flatten)]
    ops: &'a OpsResult,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hosts_failed: Vec<HostFailed>,
}

/// A host that failed as a whole, in a JSON document.
#[derive(Serialize)]
struct HostFailed {
    host: String,
    error: String,
}

fn hosts_failed(unreached: &[Unreached]) -> Vec<HostFailed> {
    (unreached.iter())
        .map(|u| HostFailed {
            host: u.host.clone(),
            error: host_failure(u),
        })
        .collect()
}

/// A host's failure in one string: `host `h`: <message>`, each help on a
/// line of its own.
fn host_failure(u: &Unreached) -> String {
    let mut text = format!("host `{}`: {}", u.host, u.error.message());
    for h in u.error.help() {
        text.push_str("\nhelp: ");
        text.push_str(h);
    }
    text
}

/// One JSON document: `project`, the eight buckets (arrays of names;
/// `failed` of `{name, action, error}`), and `actions`.
fn outcome_json(outcome: &Outcome) -> String {
    let names = |b: Bucket| -> Vec<&str> {
        outcome
            .done
            .iter()
            .filter(|d| d.bucket() == b)
            .map(|d| d.action.name.as_str())
            .collect()
    };
    let failed: Vec<Failed> = outcome
        .done
        .iter()
        .filter_map(|d: &Done| {
            let e = d.error.as_ref()?;
            Some(Failed {
                name: &d.action.name,
                host: d.action.host.as_deref(),
                action: match (e, &d.action.op) {
                    (Failure::Unreached, _) => "host",
                    (Failure::Swarm(_), op) if op.verb() == "none" => "swarm",
                    (_, Op::Nothing) => "conflict",
                    (_, op) => op.verb(),
                },
                error: match (e, &d.action.host) {
                    // The host's own error, as it was in every release.
                    (Failure::Unreached, Some(h)) => (outcome.unreached.iter())
                        .find(|u| &u.host == h)
                        .map_or_else(|| e.to_string(), host_failure),
                    (Failure::Conflict, _) => d.action.reason.clone(),
                    (Failure::NotStarted(_), _) => format!("`{}` {e}", d.action.name),
                    _ => e.to_string(),
                },
                now: d.now.as_deref(),
            })
        })
        .collect();
    let actions: Vec<ActionJson> = outcome
        .done
        .iter()
        .map(|d| ActionJson {
            name: &d.action.name,
            host: d.action.host.as_deref(),
            type_name: d.action.type_name.as_deref(),
            action: d.bucket(),
            reason: &d.action.reason,
        })
        .collect();
    let doc = Document {
        project: &outcome.project,
        created: names(Bucket::Created),
        recreated: names(Bucket::Recreated),
        started: names(Bucket::Started),
        renamed: names(Bucket::Renamed),
        unchanged: names(Bucket::Unchanged),
        removed: names(Bucket::Removed),
        deferred: names(Bucket::Deferred),
        failed,
        actions,
        hosts_failed: hosts_failed(&outcome.unreached),
    };
    json_document(&doc)
}

/// A failed run as text: `error: <message>`, the marked line of the config
/// file for a config error (as rustc marks code), then the `help:` lines.
pub fn error_text(e: &Error, color: bool) -> String {
    let mut text = error_line(&e.message(), color);
    if let Some(s) = e.snippet() {
        let marked = Snippet::source(s.text.as_str())
            .line_start(s.line)
            .annotation(AnnotationKind::Primary.span(s.span.clone()));
        let renderer = if color {
            Renderer::styled()
        } else {
            Renderer::plain()
        };
        text += &renderer.render(&[Group::with_level(Level::ERROR).element(marked)]);
        text.push('\n');
    }
    for h in e.help() {
        text += &help_line(h);
    }
    text
}

/// The `--json` document of a run that ended in an error before it had a
/// result: `{"error": {"message": …, "help": … or null}}`.
fn error_json(e: &Error) -> String {
    #[derive(Serialize)]
    struct Doc {
        error: Body,
    }
    #[derive(Serialize)]
    struct Body {
        message: String,
        help: Option<String>,
    }
    let help = (!e.help().is_empty()).then(|| e.help().join("\n"));
    let doc = Doc {
        error: Body {
            message: e.message(),
            help,
        },
    };
    json_document(&doc)
}

/// Which of `up` and `down` an [`OpsResult`] is from.
#[derive(Clone, Copy)]
enum Verb {
    Start,
    Stop,
}

/// `up` / `down`: their JSON document, or text; exit 130 when stopped by a
/// signal, 1 when a container failed.
fn ops_output(r: &OpsResult, verb: Verb, interrupted: bool, style: &Style) -> Output {
    let code = if interrupted {
        EXIT_INTERRUPTED
    } else if r.failed.is_empty() && r.unreached.is_empty() {
        EXIT_OK
    } else {
        EXIT_ERROR
    };
    let rendered = if style.json {
        let doc = OpsJson {
            ops: r,
            hosts_failed: hosts_failed(&r.unreached),
        };
        Rendered {
            stdout: json_document(&doc),
            ..Rendered::default()
        }
    } else {
        ops_text(r, verb, style.color)
    };
    rendered.output(style, code)
}

/// `[tag] verb: a, b`, and notes for skipped and failed containers.
fn ops_text(r: &OpsResult, verb: Verb, color: bool) -> Rendered {
    let (tag, word) = match verb {
        Verb::Start => (UP, "started"),
        Verb::Stop => (DOWN, "stopped"),
    };
    let mut out = Rendered::default();
    if !r.done.is_empty() {
        let word = paint(word, Bucket::Started, color);
        out.stdout += &format!("[{tag}] {word}: {}\n", safe(&r.done.join(", ")));
    }
    if r.done.is_empty() && r.failed.is_empty() && r.skipped.is_empty() {
        let n = r.already.len();
        out.stdout += &match verb {
            Verb::Start => {
                let s = if n == 1 { "" } else { "s" };
                format!("[{tag}] nothing to start: {n} container{s} of the project running\n")
            }
            Verb::Stop => format!("[{tag}] nothing to stop: no running container in the project\n"),
        };
    }
    for s in &r.skipped {
        out.stdout += &format!("[{tag}] skipped: {} ({})\n", safe(&s.name), safe(&s.reason));
    }
    out.errors += &unreached_lines(&r.unreached, color);
    for f in &r.failed {
        // `ops` puts what is true now last, as its own line.
        match f.reason.rsplit_once("\n  now: ") {
            Some((e, now)) => {
                out.errors += &error_line(e, color);
                out.errors += &format!("  now: {}\n", safe_lines(now, "    "));
            }
            None => out.errors += &error_line(&f.reason, color),
        }
    }
    out
}

/// `fleet status`: the tables, the JSON document or the Prometheus text
/// even with `--quiet`, since it is what was asked for; the locks held;
/// each host that could not be read named on stderr, exit 1.
fn status_output(st: &Status, format: Format, style: &Style) -> Output {
    let unread = !st.unreached.is_empty() || st.rows.iter().any(|r| r.state == "unknown");
    let mut out = Output {
        code: if unread { EXIT_ERROR } else { EXIT_OK },
        stderr: unreached_lines(&st.unreached, style.err_color),
        ..Output::default()
    };
    out.stdout = match format {
        Format::Json => json_document(&StatusDocument {
            project: &st.project,
            agents: &st.rows,
            pools: &st.pools,
        }),
        Format::Prometheus => crate::prometheus::status(st),
        Format::Text => {
            let mut text = status_text(&st.rows, style.color);
            if !st.pools.is_empty() {
                text += "\n";
                text += &pools_text(&st.pools);
            }
            for (host, who) in &st.locks {
                text += &format!("lock on host `{host}`: {}\n", safe(who));
            }
            text
        }
    };
    out
}

/// `fleet status --json`.
#[derive(Serialize)]
struct StatusDocument<'a> {
    project: &'a str,
    agents: &'a [StatusRow],
    pools: &'a [PoolFigures],
}

/// `fleet status` as an aligned table; a failed row in red.
fn status_text(rows: &[StatusRow], color: bool) -> String {
    let header = [
        "NAME",
        "TYPE",
        "STATE",
        "READY",
        "IMAGE",
        "MATCHES",
        "BUSY",
        "SYNC WOULD",
        "REASON",
    ];
    let cells: Vec<[String; 9]> = rows.iter().map(status_cells).collect();
    let lines = table(header, &cells);
    let mut out = lines[0].clone();
    for (text, r) in lines[1..].iter().zip(rows) {
        out += &if color && r.action == Bucket::Failed {
            text.red().to_string()
        } else {
            text.clone()
        };
    }
    out
}

/// The pools' figures as an aligned table.
fn pools_text(pools: &[PoolFigures]) -> String {
    let header = [
        "POOL", "MEMBERS", "READY", "IDLE", "BUSY", "CLAIMED", "DOWN",
    ];
    let cells: Vec<[String; 7]> = (pools.iter())
        .map(|p| {
            [
                safe(&crate::config::name_at(&p.type_name, p.host.as_deref())).into_owned(),
                p.members.to_string(),
                p.ready.to_string(),
                p.idle.to_string(),
                p.busy.to_string(),
                p.claimed.to_string(),
                p.down.to_string(),
            ]
        })
        .collect();
    table(header, &cells).concat()
}

/// The header and the rows as lines of left-aligned columns two spaces
/// apart (the last column unpadded), each ending in a newline.
fn table<const N: usize>(header: [&str; N], rows: &[[String; N]]) -> Vec<String> {
    let mut w = header.map(str::len);
    for row in rows {
        for (i, c) in row.iter().enumerate() {
            w[i] = w[i].max(c.len());
        }
    }
    let line = |row: &[&str]| -> String {
        let mut s = String::new();
        for (i, c) in row.iter().enumerate() {
            if i == row.len() - 1 {
                s += c;
            } else {
                s += &format!("{c:<width$}  ", width = w[i]);
            }
        }
        s.trim_end().to_string() + "\n"
    };
    let mut lines = vec![line(&header)];
    lines.extend(rows.iter().map(|r| line(&r.each_ref().map(String::as_str))));
    lines
}

/// The cells of one status row, each terminal-safe.
fn status_cells(r: &StatusRow) -> [String; 9] {
    let cells = [
        crate::config::name_at(&r.name, r.host.as_deref()),
        r.type_name.clone().unwrap_or_else(|| "-".into()),
        r.state.clone(),
        r.ready.clone(),
        r.image.clone().unwrap_or_else(|| "-".into()),
        match r.matches {
            Some(true) => "yes".into(),
            Some(false) => "no".into(),
            None => "-".into(),
        },
        busy_cell(r),
        r.action.as_str().to_string(),
        r.reason.clone(),
    ];
    cells.map(|c| safe(&c).into_owned())
}

/// `-`, `2 exec`, `claimed by 1234@ws-3 since 12s`, or both.
fn busy_cell(r: &StatusRow) -> String {
    let execs = (r.exec_sessions > 0).then(|| format!("{} exec", r.exec_sessions));
    match (r.claim.as_ref().map(Claim::describe), execs) {
        (Some(c), Some(e)) => format!("{c}, {e}"),
        (Some(one), None) | (None, Some(one)) => one,
        (None, None) => "-".into(),
    }
}

/// One pretty JSON document and a newline. The documents are plain derived
/// structs (string keys, no hand-written `Serialize`), for which serde_json
/// cannot fail; should that ever change, the failure is itself a JSON
/// document rather than a panic.
fn json_document<T: Serialize>(value: &T) -> String {
    match serde_json::to_string_pretty(value) {
        Ok(s) => s + "\n",
        Err(e) => serde_json::json!({ "error": { "message": format!("could not write the JSON document: {e}"), "help": null } }).to_string() + "\n",
    }
}
