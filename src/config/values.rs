//! The validated scalars of agents.json: each rejects bad input while it
//! is deserialised, so serde reports the line, column and JSON path of the
//! offending value, and each carries its rule as a JSON Schema for editors.

use std::fmt;

use schemars::JsonSchema;
use serde::Deserialize;

use super::errors::Invalid;
use super::unique_map::KeyText;
use super::{Duration, MAX_INSTANCES, Memory, RESERVED_LABEL_PREFIX, Restart, image_ref, run_args};

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

// ---- validated scalars: each rejects bad input during deserialisation, so
// ---- serde reports the line, column and JSON path of the offending value.

macro_rules! validated {
    ($name:ident, $inner:ty, $from:literal, $schema:tt, $check:expr) => {
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
        #[serde(try_from = $from)]
        pub(super) struct $name(pub(super) $inner);
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
pub(super) use validated;

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
pub(super) struct RunArgs(pub(super) Vec<String>);

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
pub(super) enum MaxUnavailable {
    Count(u32),
    Percent(u32),
}
impl MaxUnavailable {
    /// How many of `instances` members: a percentage rounds down, and at
    /// least one is always allowed, or the roll could never start.
    pub(super) fn of(self, instances: u32) -> usize {
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
pub(super) struct Cpus(pub(super) f64);
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
