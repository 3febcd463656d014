//! Names as people read them. A spec and a provider may spell one name differently (NFD and
//! NFC): they are matched after NFC normalization. A name with a character nobody sees
//! (zero-width, bidi, control), or two names of one profile that look alike (Unicode TR39
//! skeletons: a Cyrillic `о` for a Latin `o`), are refused, so a reviewer never reads one
//! database where `apply` acts on another: a lookalike never becomes a create and a delete.
use std::collections::BTreeMap;
use std::fmt::Write as _;

use unicode_normalization::UnicodeNormalization;

use crate::error::{Error, Result};

/// The form names are matched in.
pub fn nfc(name: &str) -> String {
    name.nfc().collect()
}

/// A name and where it comes from ("fleet.toml line 4, column 8", "the database with id 3").
pub struct Named<'a> {
    pub name: &'a str,
    pub from: String,
}

/// Refuses (exit 3) any name of `profile` that holds an invisible character, and any two
/// names of it that differ after NFC yet share a TR39 skeleton.
pub fn refuse_unreadable(profile: &str, names: &[Named]) -> Result<()> {
    for named in names {
        if let Some(c) = crate::sanitize::invisible_char(named.name) {
            return Err(Error::config(format!(
                "{}: the name {} in profile {profile} holds U+{:04X}, which cannot be seen: a reviewer cannot tell it from the name without it",
                named.from,
                spelled(named.name),
                c as u32
            ))
            .with_hint("rename the database (`dbctl db update ID --name NEW`) or fix the spec; names are compared as NFC, visible characters only"));
        }
    }
    let mut by_skeleton: BTreeMap<String, (String, &Named)> = BTreeMap::new();
    for named in names {
        let normal = nfc(named.name);
        let skeleton: String = unicode_security::skeleton(&normal).collect();
        match by_skeleton.get(&skeleton) {
            Some((seen, first)) if *seen != normal => {
                return Err(Error::config(format!(
                    "profile {profile} has two names that look alike (Unicode TR39 confusables): {} ({}) and {} ({}); refusing to plan either",
                    spelled(first.name),
                    first.from,
                    spelled(named.name),
                    named.from
                ))
                .with_hint("rename one of them so they read differently; a lookalike in a spec would create one database and delete the other"));
            }
            Some(_) => {}
            None => {
                by_skeleton.insert(skeleton, (normal, named));
            }
        }
    }
    Ok(())
}

/// `"оrders" [U+043E U+0072 U+0064 U+0065 U+0072 U+0073]`: a name with its code points.
fn spelled(name: &str) -> String {
    const SHOWN: usize = 48;
    let mut out = format!("{name:?} [");
    for (i, c) in name.chars().enumerate() {
        if i == SHOWN {
            out.push_str(" …");
            break;
        }
        let _ = write!(out, "{}U+{:04X}", if i == 0 { "" } else { " " }, c as u32);
    }
    out.push(']');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(names: &[&str]) -> Result<()> {
        let named: Vec<Named> = names
            .iter()
            .enumerate()
            .map(|(i, name)| Named {
                name,
                from: format!("source {i}"),
            })
            .collect();
        refuse_unreadable("p", &named)
    }

    #[test]
    fn nfd_and_nfc_are_one_name() {
        assert_eq!(nfc("cafe\u{301}"), nfc("caf\u{e9}"));
        check(&["cafe\u{301}", "caf\u{e9}", "orders"]).unwrap();
    }

    #[test]
    fn invisible_and_bidi_characters_are_refused_with_their_code_points() {
        for (name, c) in [
            ("or\u{200d}ders", "U+200D"),
            ("or\u{200b}ders", "U+200B"),
            ("orders\u{200f}", "U+200F"),
            ("\u{202e}sredro", "U+202E"),
            ("or\u{2066}ders", "U+2066"),
            ("orders\u{fe0f}", "U+FE0F"),
            ("a\u{7}b", "U+0007"),
        ] {
            let e = check(&[name]).unwrap_err();
            assert_eq!(e.exit_code(), 3);
            assert!(e.message.contains(&format!("holds {c}")), "{}", e.message);
            assert!(e.message.starts_with("source 0: "), "{}", e.message);
        }
    }

    #[test]
    fn lookalikes_are_refused_naming_both() {
        let e = check(&["orders", "\u{43e}rders"]).unwrap_err();
        assert_eq!(e.exit_code(), 3);
        assert!(
            e.message.contains(
                "\"orders\" [U+006F U+0072 U+0064 U+0065 U+0072 U+0073] (source 0) and \"\u{43e}rders\" [U+043E U+0072"
            ),
            "{}",
            e.message
        );
        assert!(check(&["paypal", "p\u{430}ypal"]).is_err());
        assert!(check(&["rn-cache", "m-cache"]).is_err());
        // Different names that read differently are fine, in any script.
        check(&[
            "orders",
            "заказы",
            "キャッシュ-tokyo",
            "télémétrie",
            "Food DB",
        ])
        .unwrap();
    }
}
