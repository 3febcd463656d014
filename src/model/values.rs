//! Values as providers and users write them: timestamps and sizes.
use std::fmt;

/// Now, as RFC 3339 UTC.
pub fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Unix seconds → RFC 3339 UTC; `None` for values out of range.
pub fn rfc3339_from_unix(secs: i64) -> Option<String> {
    chrono::DateTime::from_timestamp(secs, 0)
        // RFC 3339 writes years 0000 to 9999 only.
        .filter(|t| (0..=9999).contains(&chrono::Datelike::year(t)))
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

/// Any timestamp string a provider sends (RFC 3339 with or without zone) → RFC 3339 UTC.
pub fn rfc3339_from_text(text: &str) -> Option<String> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(
            t.with_timezone(&chrono::Utc)
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        );
    }
    chrono::NaiveDateTime::parse_from_str(text.trim_end_matches('Z'), "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|t| {
            t.and_utc()
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        })
}

/// A size given on the command line: `256MB`, `1.5GB`, `2GiB`, `1073741824`.
/// B/KB/MB/GB/TB are 1024-based; the KiB spellings are aliases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteSize(pub u64);

/// Largest size accepted: 8 EiB (half of what a u64 holds, so sums stay safe).
const MAX_SIZE_BYTES: u64 = 1 << 63;

/// Why a size was refused; [`SizeError::for_flag`] makes the one-line refusal of a flag's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SizeError {
    pub input: String,
    pub problem: SizeProblem,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SizeProblem {
    /// No number, or one that does not parse (`abc`, `1.5.5GB`).
    NotASize,
    UnknownUnit(String),
    /// Zero or negative.
    NotPositive,
    /// Positive but under one byte (`0.1B`).
    UnderOneByte,
    TooLarge,
}

impl SizeError {
    /// `--memory 16EiB is too large (at most 8 EiB)`: the flag, the value and the accepted form.
    pub fn for_flag(&self, flag: &str) -> String {
        format!("{flag} {} {}", self.shown(), self.predicate())
    }

    /// The value as typed, quoted when it has blanks or is empty.
    fn shown(&self) -> String {
        let text = &self.input;
        if text.is_empty() || text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            format!("{text:?}")
        } else {
            text.clone()
        }
    }

    fn predicate(&self) -> String {
        const FORM: &str = "such as 256MiB, 1.5GB or 1073741824 (bytes)";
        match &self.problem {
            SizeProblem::NotASize => {
                format!("is not a size; give a number with an optional unit, {FORM}")
            }
            SizeProblem::UnknownUnit(unit) => format!(
                "has an unknown unit {unit:?}; use B, KB, MB, GB, TB, PB or EB (1024-based; KiB, MiB, GiB, TiB, PiB, EiB alike), such as 256MiB or 1.5GB"
            ),
            SizeProblem::NotPositive => format!("is not a positive size; give one {FORM}"),
            SizeProblem::UnderOneByte => format!("is less than one byte; give a size {FORM}"),
            SizeProblem::TooLarge => format!("is too large (at most {})", ByteSize(MAX_SIZE_BYTES)),
        }
    }
}

impl fmt::Display for SizeError {
    /// `invalid size: 12XB has an unknown unit "XB"; ...` (spec files name their field first).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid size: {} {}", self.shown(), self.predicate())
    }
}

impl std::error::Error for SizeError {}

impl std::str::FromStr for ByteSize {
    type Err = SizeError;

    fn from_str(input: &str) -> std::result::Result<Self, SizeError> {
        let refuse = |problem| SizeError {
            input: input.to_string(),
            problem,
        };
        let text = input.trim();
        let split = text
            .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+'))
            .unwrap_or(text.len());
        let (number, unit) = text.split_at(split);
        let unit = unit.trim();
        if number.is_empty() {
            return Err(refuse(SizeProblem::NotASize));
        }
        let multiplier: u64 = match unit.to_ascii_lowercase().as_str() {
            "" | "b" => 1,
            "k" | "kb" | "kib" => 1 << 10,
            "m" | "mb" | "mib" => 1 << 20,
            "g" | "gb" | "gib" => 1 << 30,
            "t" | "tb" | "tib" => 1 << 40,
            "p" | "pb" | "pib" => 1 << 50,
            "e" | "eb" | "eib" => 1 << 60,
            _ => return Err(refuse(SizeProblem::UnknownUnit(unit.to_string()))),
        };
        let value: f64 = number.parse().map_err(|_| refuse(SizeProblem::NotASize))?;
        if !value.is_finite() || value <= 0.0 {
            return Err(refuse(SizeProblem::NotPositive));
        }
        let bytes = value * multiplier as f64;
        if bytes > MAX_SIZE_BYTES as f64 {
            return Err(refuse(SizeProblem::TooLarge));
        }
        if bytes.round() < 1.0 {
            return Err(refuse(SizeProblem::UnderOneByte));
        }
        Ok(ByteSize(bytes.round() as u64))
    }
}

impl fmt::Display for ByteSize {
    /// Human form with binary units: `1.5 GiB`, `256 MiB`, `512 B`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
        let mut value = self.0 as f64;
        let mut unit = 0;
        while value >= 1024.0 && unit < UNITS.len() - 1 {
            value /= 1024.0;
            unit += 1;
        }
        if unit == 0 || (value.fract() * 100.0).round() == 0.0 {
            write!(f, "{} {}", value.round(), UNITS[unit])
        } else {
            let text = format!("{value:.2}");
            let text = text.trim_end_matches('0').trim_end_matches('.');
            write!(f, "{text} {}", UNITS[unit])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn size(text: &str) -> Result<u64, SizeError> {
        text.parse::<ByteSize>().map(|s| s.0)
    }

    #[test]
    fn sizes_parse_1024_based() {
        assert_eq!(size("256MB").unwrap(), 256 << 20);
        assert_eq!(size("1.5GB").unwrap(), 3 << 29);
        assert_eq!(size("2GiB").unwrap(), 2 << 30);
        assert_eq!(size("1073741824").unwrap(), 1 << 30);
        assert_eq!(size("1 tb").unwrap(), 1 << 40);
        for bad in [
            "0", "-1GB", "abc", "", "1.2.3GB", "5XB", "0MB", "NaN", "inf",
        ] {
            assert!(size(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn refused_sizes_say_the_flag_the_value_and_the_form() {
        let said = |text: &str| size(text).unwrap_err().for_flag("--memory");
        assert_eq!(said("16EiB"), "--memory 16EiB is too large (at most 8 EiB)");
        for text in ["0", "-1GB", "0MB", "-0"] {
            assert_eq!(
                said(text),
                format!("--memory {text} is not a positive size; give one such as 256MiB, 1.5GB or 1073741824 (bytes)")
            );
        }
        for text in ["abc", "1.5.5GB", "", "NaN"] {
            let line = said(text);
            assert!(line.contains("is not a size;"), "{line}");
            assert!(line.contains("256MiB"), "{line}");
        }
        assert!(said("5XB").starts_with("--memory 5XB has an unknown unit \"XB\"; use B, KB"));
        assert!(said("0.1B").contains("less than one byte"));
        assert_eq!(
            said(" "),
            "--memory \" \" is not a size; give a number with an optional unit, such as 256MiB, 1.5GB or 1073741824 (bytes)"
        );
        // Spec files show the same words after their field.
        assert!(size("12XB")
            .unwrap_err()
            .to_string()
            .starts_with("invalid size: 12XB has"));
        assert_eq!(size("8EiB").unwrap(), 1 << 63);
        assert_eq!(size("2PB").unwrap(), 2 << 50);
    }

    #[test]
    fn sizes_format_human() {
        assert_eq!(ByteSize(3 << 29).to_string(), "1.5 GiB");
        assert_eq!(ByteSize(256 << 20).to_string(), "256 MiB");
        assert_eq!(ByteSize(512).to_string(), "512 B");
        assert_eq!(ByteSize(3221225472).to_string(), "3 GiB");
    }

    proptest::proptest! {
        #[test]
        fn sizes_round_trip_through_their_human_form(bytes in 1u64..(1u64 << 50)) {
            // The human form keeps two decimals: parsing it back lands within 0.5%.
            let shown = ByteSize(bytes).to_string().replace(' ', "");
            let parsed = size(&shown).unwrap();
            let error = (parsed as f64 - bytes as f64).abs() / bytes as f64;
            proptest::prop_assert!(error < 0.005, "{bytes} -> {shown} -> {parsed}");
        }

        /// Any text: a size from one byte to the most allowed, that reads back the same from
        /// its human form (within 0.5%); or a one-line refusal that names the flag and shows no
        /// control character.
        #[test]
        fn any_text_is_a_size_or_one_clean_refusal(text in ".{0,20}") {
            match size(&text) {
                Ok(bytes) => {
                    proptest::prop_assert!((1..=MAX_SIZE_BYTES).contains(&bytes), "{}", bytes);
                    let shown = ByteSize(bytes).to_string().replace(' ', "");
                    let again = size(&shown).unwrap() as f64;
                    proptest::prop_assert!((again - bytes as f64).abs() / (bytes as f64) < 0.005);
                }
                Err(refusal) => {
                    let line = refusal.for_flag("--memory");
                    proptest::prop_assert!(line.starts_with("--memory "), "{}", line);
                    proptest::prop_assert!(!line.chars().any(char::is_control), "{:?}", line);
                }
            }
        }

        #[test]
        fn whole_units_parse_exactly(n in 1u64..100_000, unit in 0usize..5) {
            let names = ["B", "KB", "MiB", "GB", "TiB"];
            let parsed = size(&format!("{n}{}", names[unit])).unwrap();
            proptest::prop_assert_eq!(parsed, n << (10 * unit));
        }
    }

    #[test]
    fn timestamps_normalize() {
        assert_eq!(
            rfc3339_from_unix(1752649602).unwrap(),
            "2025-07-16T07:06:42Z"
        );
        assert_eq!(
            rfc3339_from_text("2024-03-01T10:00:00.123+02:00").unwrap(),
            "2024-03-01T08:00:00Z"
        );
        assert_eq!(
            rfc3339_from_text("2024-03-01T10:00:00").unwrap(),
            "2024-03-01T10:00:00Z"
        );
    }
}
