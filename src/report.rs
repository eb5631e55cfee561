//! Text and JSON rendering of outcomes and plans. Pure: returns strings; the
//! caller decides colour and where they go. Reasons and errors never hold
//! env values, so nothing here can leak one.

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use owo_colors::OwoColorize;
use serde::Serialize;

use crate::apply::{Done, Outcome};
use crate::error::Error;
use crate::plan::{Bucket, Op};

/// What a command prints: results for stdout; errors and notes for stderr
/// (kept apart so `--quiet` can keep only the errors).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub stdout: String,
    /// `error: …` lines (with their `help:`), printed even with `--quiet`.
    pub errors: String,
    /// `note:` / `help:` lines about deferrals and the like.
    pub notes: String,
}

impl Rendered {
    /// Everything meant for stderr, errors first.
    pub fn stderr(&self) -> String {
        format!("{}{}", self.errors, self.notes)
    }
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
pub fn outcome_text(tag: &str, outcome: &Outcome, color: bool) -> Rendered {
    let mut r = Rendered::default();
    for b in TEXT_ORDER {
        let names: Vec<&str> = outcome
            .done
            .iter()
            .filter(|d| d.bucket() == b)
            .map(|d| d.action.name.as_str())
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

fn notes(outcome: &Outcome, color: bool, r: &mut Rendered) {
    let label = |word: &str, b: Bucket| paint(word, b, color);
    let mut deferred = false;
    for d in &outcome.done {
        if let Some(e) = &d.error {
            let msg = if matches!(d.action.op, Op::Nothing) {
                format!("`{}`: {e}", d.action.name)
            } else {
                e.clone()
            };
            // What is true now goes right under the error, help last.
            let (text, help) = match msg.split_once("\nhelp: ") {
                Some((t, h)) => (t.to_string(), Some(h.to_string())),
                None => (msg, None),
            };
            r.errors += &format!("{}: {text}\n", label("error", Bucket::Failed));
            if let Some(now) = &d.now {
                r.errors += &format!("  now: {now}\n");
            }
            if let Some(help) = help {
                r.errors += &format!("help: {help}\n");
            }
        } else if d.action.bucket == Bucket::Deferred {
            deferred = true;
            r.notes += &format!(
                "{}: `{}`: {}\n",
                label("note", Bucket::Deferred),
                d.action.name,
                d.action.reason
            );
        }
    }
    if deferred {
        r.notes += "help: deferred containers are left as they are until their exec sessions end; rerun later, or with --force to cut the sessions off\n";
    }
}

/// One progress line as an action finishes (stderr, terminals only):
/// bucket, name, how long its docker calls took.
pub fn progress_line(d: &Done, color: bool) -> String {
    let b = d.bucket();
    let word = paint(&format!("{:<9}", b.as_str()), b, color);
    format!(
        "  {word}  {}  {:.1}s\n",
        d.action.name,
        d.took.as_secs_f64()
    )
}

/// The plan as a table: one line an action (verb, name, reason), then the
/// bucket summary lines under the `agents-plan` tag.
pub fn plan_text(outcome: &Outcome, color: bool) -> Rendered {
    let width = outcome
        .done
        .iter()
        .map(|d| d.action.name.len())
        .max()
        .unwrap_or(0);
    let mut r = Rendered::default();
    for d in &outcome.done {
        let a = &d.action;
        let verb = match (a.bucket, &a.op) {
            (Bucket::Failed, _) => "conflict",
            (Bucket::Deferred, _) => "defer",
            (Bucket::Unchanged, _) => "unchanged",
            (Bucket::Renamed, _) => "rename",
            (_, op) => op.verb(),
        };
        let word = paint(&format!("{verb:<9}"), a.bucket, color);
        r.stdout += &format!("  {word}  {:<width$}  {}\n", a.name, a.reason);
    }
    let summary = outcome_text("agents-plan", outcome, color);
    r.stdout += &summary.stdout;
    notes(outcome, color, &mut r);
    r
}

#[derive(Serialize)]
struct Failed<'a> {
    name: &'a str,
    action: &'a str,
    error: &'a str,
    /// What the engine showed when read again after the failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    now: Option<&'a str>,
}

#[derive(Serialize)]
struct ActionJson<'a> {
    name: &'a str,
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
}

/// One JSON document: `project`, the eight buckets (arrays of names;
/// `failed` of `{name, action, error}`), and `actions`.
pub fn outcome_json(outcome: &Outcome) -> String {
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
            Some(Failed {
                name: &d.action.name,
                action: match d.action.op {
                    Op::Nothing => "conflict",
                    ref op => op.verb(),
                },
                error: d.error.as_deref()?,
                now: d.now.as_deref(),
            })
        })
        .collect();
    let actions: Vec<ActionJson> = outcome
        .done
        .iter()
        .map(|d| ActionJson {
            name: &d.action.name,
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
    };
    let mut s = serde_json::to_string_pretty(&doc).expect("plain values serialise");
    s.push('\n');
    s
}

/// A failed run as text: `error: <message>`, the marked line of the config
/// file for a config error (as rustc marks code), then the `help:` lines.
pub fn error_text(e: &Error, color: bool) -> String {
    let label = if color {
        "error".red().bold().to_string()
    } else {
        "error".to_string()
    };
    let mut text = format!("{label}: {}\n", e.message());
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
        text += &format!("help: {h}\n");
    }
    text
}

/// The `--json` document of a run that ended in an error before it had a
/// result: `{"error": {"message": …, "help": … or null}}`.
pub fn error_json(e: &Error) -> String {
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
    let mut s = serde_json::to_string_pretty(&doc).expect("plain values serialise");
    s.push('\n');
    s
}
