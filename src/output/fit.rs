//! Fitting a list table to the terminal (kubectl style): IDs and names never wrap; the least
//! useful columns are hidden or shortened first, and `-o wide` shows every column in full.
use unicode_width::UnicodeWidthStr;

/// What a column may give up when the table is too wide.
#[derive(Clone, Copy)]
enum Give {
    /// Hidden when every row repeats the named column (PROFILE equal to PROVIDER).
    Repeats(&'static str),
    /// Shortened with `…` down to this width, or hidden when that is not enough.
    Shorten(usize),
    /// Shortened with `…` down to this width, never hidden.
    Trim(usize),
    /// Hidden.
    Hide,
}

/// The columns that give way, least useful first; every other column (ID, NAME, DATABASE,
/// STATUS, KEY, ...) is never touched.
const ORDER: &[(&str, Give)] = &[
    ("PROFILE", Give::Repeats("PROVIDER")),
    ("ENDPOINT", Give::Shorten(24)),
    ("ERROR", Give::Shorten(20)),
    ("MESSAGE", Give::Shorten(20)),
    ("VALUE", Give::Shorten(20)),
    ("RESOURCE", Give::Shorten(12)),
    ("FROM", Give::Shorten(12)),
    ("REGION", Give::Shorten(10)),
    ("CREATED", Give::Shorten(10)),
    ("MIN MS", Give::Hide),
    ("MAX MS", Give::Hide),
    ("TLS", Give::Hide),
    ("MEMORY", Give::Hide),
    ("SIZE", Give::Hide),
    ("RU/S", Give::Hide),
    ("CONN", Give::Hide),
    ("OPS/S", Give::Hide),
    ("PROVIDER", Give::Trim(8)),
];

/// A table's header and rows (cell texts), with which of the original columns they keep.
pub struct Fitted {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// The original index of each remaining column.
    pub kept: Vec<usize>,
    /// What gave way, for the note on stderr (empty when everything fits).
    pub changes: Vec<String>,
}

impl Fitted {
    /// Every column untouched (`-o wide`, or output that is not a terminal).
    pub fn all(header: Vec<String>, rows: Vec<Vec<String>>) -> Self {
        let kept = (0..header.len()).collect();
        Fitted {
            header,
            rows,
            kept,
            changes: Vec::new(),
        }
    }

    /// Hides and shortens columns in [`ORDER`] until the table fits `width` terminal columns.
    /// A table whose remaining columns are still wider keeps them whole: nothing wraps.
    pub fn to_width(header: Vec<String>, rows: Vec<Vec<String>>, width: usize) -> Self {
        let mut widths: Vec<Option<usize>> = (0..header.len())
            .map(|i| {
                let cells = rows.iter().filter_map(|row| row.get(i));
                Some(
                    cells
                        .map(|c| c.width())
                        .chain([header[i].width()])
                        .max()
                        .unwrap_or(0),
                )
            })
            .collect();
        let index = |name: &str| header.iter().position(|h| h == name);
        let mut changes = Vec::new();
        for &(name, give) in ORDER {
            let over = line_width(&widths).saturating_sub(width);
            if over == 0 {
                break;
            }
            let Some(i) = index(name) else { continue };
            let Some(natural) = widths[i] else { continue };
            let floor = match give {
                Give::Shorten(floor) | Give::Trim(floor) => floor.max(header[i].width()),
                Give::Repeats(_) | Give::Hide => natural,
            };
            let hide = match give {
                Give::Repeats(other) => index(other).is_some_and(|j| {
                    widths[j].is_some() && rows.iter().all(|row| row.get(i) == row.get(j))
                }),
                Give::Shorten(_) => natural.saturating_sub(floor) < over,
                Give::Hide => true,
                Give::Trim(_) => false,
            };
            if hide {
                widths[i] = None;
                changes.push(format!("{name} hidden"));
            } else if natural > floor {
                widths[i] = Some(natural - over.min(natural - floor));
                changes.push(format!("{name} shortened"));
            }
        }
        let kept: Vec<usize> = (0..header.len()).filter(|&i| widths[i].is_some()).collect();
        let pick = |row: &[String]| -> Vec<String> {
            kept.iter()
                .map(|&i| {
                    shorten(
                        row.get(i).map_or("", String::as_str),
                        widths[i].unwrap_or(0),
                    )
                })
                .collect()
        };
        Fitted {
            header: pick(&header),
            rows: rows.iter().map(|row| pick(row)).collect(),
            kept,
            changes,
        }
    }
}

/// The terminal's width: the window size of the terminal, else `$COLUMNS`.
pub fn terminal_width() -> Option<usize> {
    comfy_table::Table::new()
        .width()
        .map(usize::from)
        .filter(|&w| w > 0)
        .or_else(|| std::env::var("COLUMNS").ok()?.trim().parse().ok())
}

/// The longest line of a borderless table: one space either side of every cell, the last
/// one trimmed.
fn line_width(widths: &[Option<usize>]) -> usize {
    widths
        .iter()
        .flatten()
        .map(|w| w + 2)
        .sum::<usize>()
        .saturating_sub(1)
}

/// `text` cut to `width` display columns, ending in `…` when cut.
fn shorten(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn shortening_counts_display_columns() {
        assert_eq!(shorten("abcdef", 4), "abc…");
        assert_eq!(shorten("キャッシュ", 5), "キャ…");
        assert_eq!(shorten("abc", 3), "abc");
    }

    #[test]
    fn profile_goes_first_then_endpoint_and_ids_stay_whole() {
        let header = strings(&["PROVIDER", "PROFILE", "ID", "ENDPOINT"]);
        let rows = vec![strings(&[
            "upstash",
            "upstash",
            "a1b2c3d4-0000-4000-8000-000000000002",
            "demo-rate-limiter-2.upstash.io:6379",
        ])];
        let fitted = Fitted::to_width(header.clone(), rows.clone(), 90);
        assert_eq!(fitted.header, strings(&["PROVIDER", "ID", "ENDPOINT"]));
        assert_eq!(fitted.changes, ["PROFILE hidden"]);
        let fitted = Fitted::to_width(header.clone(), rows.clone(), 40);
        assert_eq!(fitted.header, strings(&["PROVIDER", "ID"]));
        assert_eq!(fitted.rows[0][1], "a1b2c3d4-0000-4000-8000-000000000002");
        let fitted = Fitted::to_width(header, rows, 75);
        assert_eq!(fitted.rows[0][2], "demo-rate-limiter-2.upsta…");
    }

    #[test]
    fn a_profile_that_differs_from_its_provider_stays() {
        let header = strings(&["PROVIDER", "PROFILE", "ID"]);
        let rows = vec![strings(&["upstash", "prod", "x".repeat(60).as_str()])];
        let fitted = Fitted::to_width(header, rows, 40);
        assert_eq!(fitted.header, strings(&["PROVIDER", "PROFILE", "ID"]));
    }
}
