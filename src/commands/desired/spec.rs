//! The spec file: one `[[database]]` per database, keyed by profile + name. Read strictly
//! (unknown keys refused, a setting that names a managed field refused, every error with its
//! line and column), written in a stable order.
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::names::nfc;
use crate::error::{Error, Result};
use crate::model::{ByteSize, ProviderKind};
use crate::provider::registry::Registered;
use crate::provider::{Managed, Throughput};

/// One database as the spec wants it; `None` leaves a field unmanaged.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Desired {
    pub profile: String,
    pub name: String,
    /// Written for readability; when given, it must be the profile's provider.
    pub provider: Option<String>,
    pub region: Option<String>,
    /// The subscription a database is created in (Redis Cloud).
    pub subscription: Option<String>,
    pub memory: Option<u64>,
    pub tls: Option<bool>,
    /// Provisioned RU/s (Cosmos): `400`, or `{ autoscale_max = 4000 }`.
    pub throughput: Option<Throughput>,
    pub settings: BTreeMap<String, toml::Value>,
}

/// A database of the spec and where it is written, for error messages.
#[derive(Debug, Clone)]
pub struct Entry {
    pub desired: Desired,
    /// "fleet.toml line 3, column 11" of its `profile` value.
    pub at: String,
    /// Where its `name` is written.
    pub name_at: String,
    pub provider_at: String,
    /// Where its `throughput` is written, when it is.
    pub throughput_at: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    profiles: Vec<Spanned<String>>,
    #[serde(default)]
    prune: bool,
    #[serde(default)]
    database: Vec<Raw>,
}

/// A spec file: the profiles it manages whole, whether it prunes, and its databases.
#[derive(Debug, Clone, Default)]
pub struct Spec {
    /// `profiles = [...]`: their databases outside the spec are unmanaged even when the spec
    /// lists none of theirs (a profile that should be empty); each with where it is written.
    pub profiles: Vec<(String, String)>,
    /// `prune = true`: the databases of its profiles that it does not list are deleted.
    pub prune: bool,
    pub entries: Vec<Entry>,
}

/// How messages name a spec path: `-` is stdin.
pub fn origin(path: &Path) -> String {
    if path == Path::new("-") {
        "stdin".to_string()
    } else {
        path.display().to_string()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    profile: Spanned<String>,
    name: Spanned<String>,
    provider: Option<Spanned<String>>,
    region: Option<String>,
    subscription: Option<String>,
    memory: Option<Size>,
    tls: Option<bool>,
    throughput: Option<Spanned<SpecThroughput>>,
    #[serde(default)]
    settings: BTreeMap<Spanned<String>, toml::Value>,
}

/// A size as `"256MiB"`, `"1.5GB"` or a whole number of bytes.
struct Size(u64);

impl<'de> Deserialize<'de> for Size {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Size;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a size such as \"256MiB\" or \"1.5GB\", or bytes")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Size, E> {
                text.parse::<ByteSize>()
                    .map(|s| Size(s.0))
                    .map_err(E::custom)
            }
            fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<Size, E> {
                u64::try_from(n)
                    .ok()
                    .filter(|n| *n > 0)
                    .map(Size)
                    .ok_or_else(|| {
                        E::custom(format!("invalid size {n}: must be greater than zero"))
                    })
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// `throughput = 400` (manual RU/s) or `throughput = { autoscale_max = 4000 }`.
struct SpecThroughput(Throughput);

/// The one key of an autoscale throughput table.
const AUTOSCALE_MAX: &str = "autoscale_max";

impl<'de> Deserialize<'de> for SpecThroughput {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        fn positive<E: serde::de::Error>(n: i64) -> Result<u64, E> {
            u64::try_from(n).ok().filter(|n| *n > 0).ok_or_else(|| {
                E::custom(format!("invalid throughput {n}: must be greater than zero"))
            })
        }
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = SpecThroughput;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                write!(f, "RU/s such as 400, or {{ {AUTOSCALE_MAX} = 4000 }}")
            }
            fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<SpecThroughput, E> {
                positive(n).map(|ru| SpecThroughput(Throughput::Manual(ru)))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<SpecThroughput, A::Error> {
                use serde::de::Error as _;
                let mut max = None;
                while let Some(key) = map.next_key::<String>()? {
                    if key.starts_with("$__toml") {
                        return Err(A::Error::custom(format!(
                            "expected RU/s such as 400, or {{ {AUTOSCALE_MAX} = 4000 }}"
                        )));
                    }
                    if key != AUTOSCALE_MAX || max.is_some() {
                        return Err(A::Error::custom(format!(
                            "unknown throughput key `{key}`; expected {{ {AUTOSCALE_MAX} = RU/s }}"
                        )));
                    }
                    max = match map.next_value::<toml::Value>()? {
                        toml::Value::Integer(n) => Some(positive(n)?),
                        other => {
                            return Err(A::Error::custom(format!(
                                "{AUTOSCALE_MAX} must be a whole number of RU/s, got {other}"
                            )))
                        }
                    };
                }
                max.map(|ru| SpecThroughput(Throughput::Autoscale(ru)))
                    .ok_or_else(|| A::Error::missing_field(AUTOSCALE_MAX))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// A throughput as the spec writes it.
pub fn throughput_text(throughput: Throughput) -> String {
    match throughput {
        Throughput::Manual(ru) => ru.to_string(),
        Throughput::Autoscale(ru) => format!("{{ {AUTOSCALE_MAX} = {ru} }}"),
    }
}

/// A throughput as a plan's JSON writes it: `400` or `{"autoscale_max": 4000}`.
pub fn throughput_value(throughput: Throughput) -> serde_json::Value {
    match throughput {
        Throughput::Manual(ru) => ru.into(),
        Throughput::Autoscale(ru) => serde_json::json!({ AUTOSCALE_MAX: ru }),
    }
}

/// Reads a spec file; a bad file is a configuration error (exit 3) naming line and column.
/// `-` is stdin; anything but a regular file is refused, as is more than 16 MiB.
pub fn read(path: &Path) -> Result<Spec> {
    let origin = origin(path);
    let text = crate::files::read_text(path, true)
        .map_err(|e| Error::config(format!("cannot read the spec from {origin}: {e}")))?;
    parse(&text, &origin)
}

/// Parses spec text; `origin` names it in messages.
pub fn parse(text: &str, origin: &str) -> Result<Spec> {
    let lines = Lines::new(text, origin);
    // Before the parser: what nests too deep would overflow its stack.
    if let Some(offset) = crate::config::too_deep(text) {
        return Err(Error::config(format!(
            "{}: {}",
            lines.position(offset),
            crate::config::nesting_refusal()
        )));
    }
    let file: File = toml::from_str(text).map_err(|e| {
        let at = e
            .span()
            .map(|span| lines.position(span.start))
            .unwrap_or_else(|| origin.to_string());
        let message: Vec<&str> = e
            .message()
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        Error::config(format!("{at}: {}", message.join("; ")))
    })?;
    let mut entries: Vec<Entry> = Vec::with_capacity(file.database.len());
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    for raw in file.database {
        let at = lines.position(raw.profile.span().start);
        let name_at = lines.position(raw.name.span().start);
        let provider_at = raw
            .provider
            .as_ref()
            .map(|p| lines.position(p.span().start))
            .unwrap_or_else(|| at.clone());
        let throughput_at = raw
            .throughput
            .as_ref()
            .map(|t| lines.position(t.span().start));
        // In the file's order, so the first offending line is the one named.
        let mut written: Vec<_> = raw.settings.into_iter().collect();
        written.sort_by_key(|(key, _)| key.span().start);
        let mut settings = BTreeMap::new();
        for (key, value) in written {
            refuse_managed(key.get_ref(), &lines.position(key.span().start))?;
            settings.insert(key.into_inner(), value);
        }
        let desired = Desired {
            profile: raw.profile.into_inner(),
            name: raw.name.into_inner(),
            provider: raw.provider.map(Spanned::into_inner),
            region: raw.region,
            subscription: raw.subscription,
            memory: raw.memory.map(|s| s.0),
            tls: raw.tls,
            throughput: raw.throughput.map(|t| t.into_inner().0),
            settings,
        };
        if desired.name.trim().is_empty() {
            return Err(Error::config(format!(
                "{name_at}: a database name cannot be blank"
            )));
        }
        // One name however it is spelled: NFD and NFC forms are the same database.
        let key = (desired.profile.clone(), nfc(&desired.name));
        if let Some(&first) = seen.get(&key) {
            return Err(Error::config(format!(
                "{name_at}: database {:?} of profile {:?} is already in the spec ({})",
                desired.name, desired.profile, entries[first].name_at
            )));
        }
        seen.insert(key, entries.len());
        entries.push(Entry {
            desired,
            at,
            name_at,
            provider_at,
            throughput_at,
        });
    }
    let profiles = file
        .profiles
        .into_iter()
        .map(|p| {
            let at = lines.position(p.span().start);
            (p.into_inner(), at)
        })
        .collect();
    Ok(Spec {
        profiles,
        prune: file.prune,
        entries,
    })
}

/// A `[database.settings]` key must not set a field the spec manages with a key of its own,
/// in the spec's spelling or any provider's (`memory_size`, `datasetSizeInGb`,
/// `dataset_size_in_gb`, `enableTls`...): compared in lower case without separators, whole or
/// as the last part of a dotted key (`security.enableTls`).
fn refuse_managed(key: &str, at: &str) -> Result<()> {
    let squash = |text: &str| -> String {
        text.chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect()
    };
    let forms = [squash(key), squash(key.rsplit('.').next().unwrap_or(key))];
    let own = Managed::ALL.iter().map(|field| (*field, field.key(), None));
    let providers = ProviderKind::all().iter().flat_map(|kind| {
        kind.spec()
            .fields
            .spellings
            .iter()
            .map(move |(field, spelling)| (*field, *spelling, Some(*kind)))
    });
    let Some((field, spelling, kind)) = own
        .chain(providers)
        .find(|(_, spelling, _)| forms.contains(&squash(spelling)))
    else {
        return Ok(());
    };
    let what = match kind {
        Some(kind) => format!("{kind}'s `{spelling}`, that is `{}`", field.key()),
        None => format!("`{}`", field.key()),
    };
    let instead = match field {
        Managed::Name => "the [[database]]'s `name` is its key".to_string(),
        other => format!("write `{} = ...` in the [[database]]", other.key()),
    };
    Err(Error::config(format!(
        "{at}: [database.settings] sets {key:?}: {what}, a field the spec manages itself; {instead}"
    ))
    .with_hint("a setting may not set a managed field a second time"))
}

/// Where each line of a text starts, to name byte offsets as line and column.
struct Lines<'a> {
    text: &'a str,
    origin: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str, origin: &'a str) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Lines {
            text,
            origin,
            starts,
        }
    }

    /// "fleet.toml line 3, column 11" for a byte offset.
    fn position(&self, offset: usize) -> String {
        let offset = offset.min(self.text.len());
        let line = self.starts.partition_point(|&start| start <= offset);
        let start = self.starts[line - 1];
        let column = self
            .text
            .get(start..offset)
            .map_or(0, |s| s.chars().count())
            + 1;
        format!("{} line {line}, column {column}", self.origin)
    }
}

/// A size in the largest unit that holds it exactly, so it reads back to the same bytes.
pub fn size_text(bytes: u64) -> String {
    const UNITS: [(&str, u32); 6] = [
        ("EiB", 60),
        ("PiB", 50),
        ("TiB", 40),
        ("GiB", 30),
        ("MiB", 20),
        ("KiB", 10),
    ];
    UNITS
        .iter()
        .find(|(_, shift)| bytes >= 1 << shift && bytes.is_multiple_of(1 << shift))
        .map(|(unit, shift)| format!("{}{unit}", bytes >> shift))
        .unwrap_or_else(|| format!("{bytes}B"))
}

/// The spec text: a comment `header`, the profiles it manages, whether it prunes, then the
/// databases in the order given.
pub fn write(header: &[String], profiles: &[String], prune: bool, databases: &[Desired]) -> String {
    let mut out = String::new();
    for line in header {
        let _ = writeln!(out, "# {line}");
    }
    if !header.is_empty() {
        out.push('\n');
    }
    let names: Vec<String> = profiles.iter().map(|p| string_text(p)).collect();
    let _ = writeln!(out, "profiles = [{}]", names.join(", "));
    out.push_str(
        "# true: `apply` deletes the databases of these profiles that this file does not list\n",
    );
    let _ = writeln!(out, "prune = {prune}");
    for db in databases {
        out.push_str("\n[[database]]\n");
        let mut field = |key: &str, value: String| {
            let _ = writeln!(out, "{key} = {value}");
        };
        let text = |s: &String| string_text(s);
        field("profile", text(&db.profile));
        field("name", text(&db.name));
        let optional = [
            ("provider", db.provider.as_ref().map(text)),
            ("region", db.region.as_ref().map(text)),
            ("subscription", db.subscription.as_ref().map(text)),
            ("memory", db.memory.map(|m| text(&size_text(m)))),
            ("tls", db.tls.map(|on| on.to_string())),
            ("throughput", db.throughput.map(throughput_text)),
        ];
        for (key, value) in optional {
            if let Some(value) = value {
                field(key, value);
            }
        }
        if !db.settings.is_empty() {
            out.push_str("\n[database.settings]\n");
            for (key, value) in &db.settings {
                let value = match value {
                    toml::Value::String(s) => string_text(s),
                    other => other.to_string(),
                };
                let _ = writeln!(out, "{} = {value}", key_text(key));
            }
        }
    }
    out
}

/// A bare key when TOML allows one, else a quoted one.
fn key_text(key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        return key.to_string();
    }
    string_text(key)
}

/// A TOML basic string on one line, with every character that could act on a terminal or
/// reorder text (controls, bidi marks) or form a CI workflow command as an escape: a
/// provider's name cannot hide, break lines or fake a `[[database]]` in the file a person
/// reviews.
fn string_text(text: &str) -> String {
    let quoted = text.replace('\\', "\\\\").replace('"', "\\\"");
    let escaped = crate::sanitize::escape_with(&quoted, |c, out| match c {
        '\n' => out.push_str("\\n"),
        '\t' => out.push_str("\\t"),
        c => {
            let _ = write!(out, "\\u{:04X}", c as u32);
        }
    });
    format!("\"{escaped}\"")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn error(text: &str) -> String {
        let e = parse(text, "f.toml").unwrap_err();
        assert_eq!(e.exit_code(), 3, "{}", e.message);
        e.message
    }

    #[test]
    fn bad_files_name_line_and_column() {
        let e = error("[[database]]\nprofile = \"p\"\nname = \"a\"\nmemory = \"12XB\"\n");
        assert!(
            e.starts_with("f.toml line 4, column 10: invalid size"),
            "{e}"
        );
        let e = error("[[database]]\nprofile = \"p\"\nname = \"a\"\nmemroy = \"1GB\"\n");
        assert!(
            e.contains("line 4, column 1") && e.contains("memroy"),
            "{e}"
        );
        let e = error("[[database]]\nprofile = \"p\nname = \"a\"\n");
        assert!(e.contains("line 2"), "{e}");
        let e = error("[[database]]\nprofile = \"p\"\nname = \"a\"\n[[database]]\nprofile = \"p\"\nname = \"a\"\n");
        assert!(
            e.starts_with("f.toml line 6, column 8") && e.contains("line 3, column 8"),
            "{e}"
        );
    }

    /// The README's spec examples are specs `plan` reads.
    #[test]
    fn the_readme_examples_parse() {
        let readme = include_str!("../../../README.md");
        let blocks: Vec<&str> = readme
            .split("```toml\n")
            .skip(1)
            .filter_map(|rest| rest.split("```").next())
            .filter(|block| block.contains("[[database]]"))
            .collect();
        assert_eq!(blocks.len(), 2, "the two spec examples of the README");
        for block in blocks {
            let spec = parse(block, "README").unwrap_or_else(|e| panic!("{}", e.message));
            assert!(!spec.entries.is_empty());
        }
    }

    #[test]
    fn provider_strings_are_written_on_one_line_with_controls_escaped() {
        let name = "a\u{202e}b\n[[database]]\u{1b}[2J\"\\";
        let db = Desired {
            profile: "p".into(),
            name: name.into(),
            settings: BTreeMap::from([("k\u{202e}".to_string(), toml::Value::String(name.into()))]),
            ..Desired::default()
        };
        let text = write(&[], &["p".to_string()], false, std::slice::from_ref(&db));
        assert!(
            !text
                .chars()
                .any(|c| c != '\n' && crate::sanitize::is_unsafe_char(c)),
            "{text}"
        );
        assert_eq!(text.matches("[[database]]\n").count(), 1, "{text}");
        assert_eq!(parse(&text, "f").unwrap().entries[0].desired, db);
    }

    /// A setting never sets a managed field a second time, in any provider's spelling.
    #[test]
    fn settings_naming_a_managed_field_are_refused_at_their_line() {
        for (key, says) in [
            ("name", "\"name\": `name`, a field the spec manages itself; the [[database]]'s `name` is its key"),
            ("memory_size", "redis-enterprise's `memory_size`, that is `memory`"),
            ("memoryLimitInGb", "redis-cloud's `memoryLimitInGb`, that is `memory`"),
            ("datasetSizeInGb", "redis-cloud's `datasetSizeInGb`"),
            ("dataset_size_in_gb", "redis-cloud's `datasetSizeInGb`"),
            ("database_name", "upstash's `database_name`, that is `name`"),
            ("primary_region", "upstash's `primary_region`, that is `region`"),
            ("tls_mode", "redis-enterprise's `tls_mode`, that is `tls`"),
            ("enableTls", "redis-cloud's `enableTls`"),
            ("\"security.enableTls\"", "redis-cloud's `enableTls`"),
            ("TLS", "`tls`, a field"),
            ("max_throughput", "cosmos's `max_throughput`, that is `throughput`"),
            ("offerThroughput", "that is `throughput`"),
            ("region", "`region`, a field"),
        ] {
            let e = error(&format!(
                "[[database]]\nprofile = \"p\"\nname = \"a\"\n\n[database.settings]\nreplication = true\n{key} = 1\n"
            ));
            assert!(e.starts_with("f.toml line 7, column 1: [database.settings] sets "), "{e}");
            assert!(e.contains(says), "{key}: {e}");
        }
        // The provider's own settings stay settings.
        for key in [
            "shards_count",
            "eviction_policy",
            "dataPersistence",
            "throughputMeasurement.by",
        ] {
            let text = format!(
                "[[database]]\nprofile = \"p\"\nname = \"a\"\n[database.settings]\n\"{key}\" = 1\n"
            );
            parse(&text, "f").unwrap_or_else(|e| panic!("{key}: {}", e.message));
        }
    }

    #[test]
    fn prune_is_off_unless_the_spec_says_so_and_names_are_one_in_nfc() {
        assert!(!parse("profiles = [\"p\"]\n", "f").unwrap().prune);
        assert!(
            parse("prune = true\nprofiles = [\"p\"]\n", "f")
                .unwrap()
                .prune
        );
        let e = error("[[database]]\nprofile = \"p\"\nname = \"caf\u{e9}\"\n\n[[database]]\nprofile = \"p\"\nname = \"cafe\u{301}\"\n");
        assert!(e.starts_with("f.toml line 7, column 8: database"), "{e}");
        assert!(
            e.contains("already in the spec (f.toml line 3, column 8)"),
            "{e}"
        );
    }

    #[test]
    fn throughput_errors_say_what_is_accepted() {
        let e = error("[[database]]\nprofile = \"p\"\nname = \"a\"\nthroughput = { autoscale_max = \"4000\" }\n");
        assert!(
            e.contains("line 4, column 14")
                && e.contains("autoscale_max must be a whole number of RU/s"),
            "{e}"
        );
        let e = error("[[database]]\nprofile = \"p\"\nname = \"a\"\nthroughput = 1979-05-27\n");
        assert!(e.contains("expected RU/s such as 400"), "{e}");
        let e = error("[[database]]\nprofile = \"p\"\nname = \"a\"\nthroughput = \"400\"\n");
        assert!(e.contains("line 4, column 14"), "{e}");
    }

    #[test]
    fn sizes_are_written_exactly() {
        assert_eq!(size_text(256 << 20), "256MiB");
        assert_eq!(size_text(3 << 29), "1536MiB");
        assert_eq!(size_text(1 << 30), "1GiB");
        assert_eq!(size_text(1000), "1000B");
        assert_eq!(size_text(8 << 60), "8EiB");
        assert_eq!(size_text(3 << 50), "3PiB");
    }

    fn setting() -> impl Strategy<Value = toml::Value> {
        prop_oneof![
            any::<bool>().prop_map(toml::Value::Boolean),
            any::<i64>().prop_map(toml::Value::Integer),
            ".{0,12}".prop_map(toml::Value::String),
        ]
    }

    fn desired() -> impl Strategy<Value = Desired> {
        (
            (".{1,12}", ".{0,16}", proptest::option::of(".{0,8}")),
            (
                proptest::option::of(".{0,10}"),
                proptest::option::of("[0-9]{1,8}"),
                proptest::option::of(1u64..(1u64 << 50)),
                proptest::option::of(any::<bool>()),
                proptest::option::of(prop_oneof![
                    (1u64..(i64::MAX as u64)).prop_map(Throughput::Manual),
                    (1u64..(i64::MAX as u64)).prop_map(Throughput::Autoscale),
                ]),
            ),
            prop::collection::btree_map(".{0,8}", setting(), 0..4),
        )
            .prop_map(
                |(
                    (profile, name, provider),
                    (region, subscription, memory, tls, throughput),
                    settings,
                )| {
                    Desired {
                        profile,
                        name,
                        provider,
                        region,
                        subscription,
                        memory,
                        tls,
                        throughput,
                        settings,
                    }
                },
            )
    }

    proptest! {
        /// Whatever `export` writes, `plan` reads back as the same spec.
        #[test]
        fn exports_parse_back_to_the_same_spec(
            databases in prop::collection::vec(desired(), 0..6),
            prune in any::<bool>(),
        ) {
            let mut seen = std::collections::BTreeSet::new();
            let databases: Vec<Desired> = databases
                .into_iter()
                .filter(|d| seen.insert((d.profile.clone(), nfc(&d.name))))
                // A blank name is refused, as `db create` refuses it.
                .filter(|d| !d.name.trim().is_empty())
                .map(|mut d| {
                    d.settings.retain(|key, _| refuse_managed(key, "f").is_ok());
                    d
                })
                .collect();
            let profiles: Vec<String> = databases.iter().map(|d| d.profile.clone()).collect();
            let text = write(&["header".to_string()], &profiles, prune, &databases);
            let spec = parse(&text, "f").unwrap();
            prop_assert_eq!(spec.prune, prune);
            let read: Vec<Desired> = spec.entries.into_iter().map(|e| e.desired).collect();
            prop_assert_eq!(read, databases);
            let read: Vec<String> = spec.profiles.into_iter().map(|(p, _)| p).collect();
            prop_assert_eq!(read, profiles);
        }

        /// Any text: a spec that reads back the same once written, or a config error (exit 3)
        /// that names the file first.
        #[test]
        fn any_text_reads_back_or_is_refused_at_its_file(text in ".{0,200}") {
            match parse(&text, "f") {
                Ok(spec) => {
                    let prune = spec.prune;
                    let profiles: Vec<String> = spec.profiles.into_iter().map(|(p, _)| p).collect();
                    let databases: Vec<Desired> = spec.entries.into_iter().map(|e| e.desired).collect();
                    let again = parse(&write(&[], &profiles, prune, &databases), "f").unwrap();
                    prop_assert_eq!(again.prune, prune);
                    let read: Vec<Desired> = again.entries.into_iter().map(|e| e.desired).collect();
                    prop_assert_eq!(read, databases);
                }
                Err(error) => {
                    prop_assert_eq!(error.kind, crate::error::ErrorKind::Config);
                    prop_assert!(error.message.starts_with('f'), "{}", error.message);
                }
            }
        }
    }
}
