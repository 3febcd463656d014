//! Text tables, laid out here to the display column: widths are measured on the text before
//! any colour is added and by display width (East Asian wide characters count two), so every
//! line is exactly as wide as it looks. A table fitted to a terminal gives way column by
//! column in the order its record declares (see [`Give`]); `-o wide` and output that is not a
//! terminal keep every column in full.
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::record::{Color, Give};

/// Cells ready to lay out: escaped text, one line each (a FIELD/VALUE cell may hold more).
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Each row's cell colours.
    pub colors: Vec<Vec<Option<Color>>>,
    /// How each column gives way, and its rank.
    pub gives: Vec<(Give, u8)>,
}

/// How wide each column is drawn (`None`: hidden), and what gave way for the note.
pub struct Fit {
    widths: Vec<Option<usize>>,
    pub changes: Vec<String>,
    /// Still wider than asked: what never gives way (ids, names) does not fit.
    pub wider: bool,
}

impl Table {
    /// Every column at its natural width.
    pub fn full(&self, headers: bool) -> Fit {
        Fit {
            widths: self.natural(headers).into_iter().map(Some).collect(),
            changes: Vec::new(),
            wider: false,
        }
    }

    /// Gives way column by column, lowest rank first, until every line fits `width`; when
    /// that is not enough, the widest columns that give way go further. Ids and names
    /// ([`Give::Never`]) are never cut or wrapped, so a table of them alone may be wider.
    pub fn fit(&self, width: usize, headers: bool) -> Fit {
        let natural = self.natural(headers);
        let mut widths: Vec<Option<usize>> = natural.iter().copied().map(Some).collect();
        let floor = |i: usize, at_least: usize| {
            at_least.max(if headers { self.header[i].width() } else { 1 })
        };
        let mut changes = Vec::new();
        let mut order: Vec<usize> = (0..widths.len())
            .filter(|&i| self.gives[i].0 != Give::Never)
            .collect();
        order.sort_by_key(|&i| self.gives[i].1);
        for i in order {
            let over = line_width(&widths).saturating_sub(width);
            if over == 0 {
                break;
            }
            let now = natural[i];
            let narrowed =
                |least: usize| Some(now.saturating_sub(over).max(floor(i, least)).min(now));
            let (to, change) = match self.gives[i].0 {
                Give::Repeats(other) => {
                    let j = self.header.iter().position(|h| h == other);
                    let repeats = j.is_some_and(|j| {
                        widths[j].is_some() && self.rows.iter().all(|row| row[i] == row[j])
                    });
                    if !repeats {
                        continue;
                    }
                    (None, "hidden")
                }
                Give::Shorten(least) if now.saturating_sub(over) < floor(i, least) => {
                    (None, "hidden")
                }
                Give::Shorten(least) | Give::Trim(least) => (narrowed(least), "shortened"),
                Give::Wrap(least) => (narrowed(least), "wrapped"),
                Give::Hide => (None, "hidden"),
                Give::Never => continue,
            };
            if to != widths[i] {
                widths[i] = to;
                changes.push(format!("{} {change}", self.header[i]));
            }
        }
        // Still too wide: the widest column that gives way goes further, to 10 and then to 4;
        // it wraps, or is cut if it shortens. A column that never gives way stays whole even
        // then: the table is wider than the terminal rather than split an id or a name, and
        // when it cannot fit that way, nothing is squeezed to a sliver for nothing.
        let squeezed: Vec<Option<usize>> = (0..widths.len())
            .map(|i| match self.gives[i].0 {
                Give::Never => widths[i],
                _ => widths[i].map(|w| w.min(floor(i, 4))),
            })
            .collect();
        let wider = line_width(&squeezed) > width;
        let squeezes: &[usize] = if wider { &[] } else { &[10, 4] };
        for &least in squeezes {
            loop {
                let over = line_width(&widths).saturating_sub(width);
                let widest = (0..widths.len())
                    .filter(|&i| self.gives[i].0 != Give::Never)
                    .filter_map(|i| widths[i].map(|w| (w, i)))
                    .filter(|&(w, i)| w > floor(i, least))
                    .max();
                let (Some((w, i)), true) = (widest, over > 0) else {
                    break;
                };
                widths[i] = Some(w - over.min(w - floor(i, least)));
                let change = match self.gives[i].0 {
                    Give::Shorten(_) | Give::Trim(_) => "shortened",
                    _ => "wrapped",
                };
                let change = format!("{} {change}", self.header[i]);
                if !changes.contains(&change) {
                    changes.push(change);
                }
            }
        }
        Fit {
            widths,
            changes,
            wider,
        }
    }

    /// The widest cell of each column (and its header, when headers are shown).
    fn natural(&self, headers: bool) -> Vec<usize> {
        (0..self.gives.len())
            .map(|i| {
                let header = if headers { self.header[i].width() } else { 0 };
                self.rows
                    .iter()
                    .flat_map(|row| row[i].lines())
                    .map(UnicodeWidthStr::width)
                    .chain([header])
                    .max()
                    .unwrap_or(0)
            })
            .collect()
    }

    /// The lines: one space before the first column, two between columns, nothing after the
    /// last; colour, when on, wraps each cell's text and never its padding.
    pub fn render(&self, fit: &Fit, headers: bool, color: bool) -> String {
        let mut out = String::new();
        let header = headers.then_some((&self.header, None));
        let rows = self
            .rows
            .iter()
            .zip(&self.colors)
            .map(|(r, c)| (r, Some(c)));
        for (cells, colors) in header.into_iter().chain(rows) {
            let pieces: Vec<(usize, Vec<String>, Option<Color>)> = fit
                .widths
                .iter()
                .enumerate()
                .filter_map(|(i, w)| {
                    let color = colors.and_then(|c| c[i]).filter(|_| color);
                    w.map(|w| (w, self.lines(i, &cells[i], w), color))
                })
                .collect();
            let height = pieces.iter().map(|(_, l, _)| l.len()).max().unwrap_or(1);
            for k in 0..height {
                let mut line = String::from(" ");
                for (n, (w, lines, color)) in pieces.iter().enumerate() {
                    if n > 0 {
                        line.push_str("  ");
                    }
                    let text = lines.get(k).map_or("", String::as_str);
                    match color {
                        Some(color) if !text.is_empty() => line.push_str(&color.paint(text)),
                        _ => line.push_str(text),
                    }
                    line.push_str(&" ".repeat(w.saturating_sub(text.width())));
                }
                out.push_str(line.trim_end());
                out.push('\n');
            }
        }
        out
    }

    /// A cell's lines at width `w`: cut with `…` in a column that shortens, wrapped in any
    /// other.
    fn lines(&self, i: usize, text: &str, w: usize) -> Vec<String> {
        text.lines()
            .flat_map(|line| match self.gives[i].0 {
                _ if line.width() <= w => vec![line.to_string()],
                Give::Shorten(_) | Give::Trim(_) => vec![shorten(line, w)],
                _ => wrap(line, w),
            })
            .collect()
    }
}

/// The longest line of a table: one space before the first column, two between columns.
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
    let (head, _) = split_at_width(text, width.saturating_sub(1));
    head + "…"
}

/// Lines of at most `width` display columns, broken at spaces; a word wider than that is
/// broken where it reaches the edge.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(2);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let mut word = word.to_string();
        loop {
            let gap = usize::from(!line.is_empty());
            if line.width() + gap + word.width() <= width {
                if gap == 1 {
                    line.push(' ');
                }
                line.push_str(&word);
                break;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
                continue;
            }
            let (head, tail) = split_at_width(&word, width);
            lines.push(head);
            word = tail;
        }
    }
    lines.push(line);
    lines
}

/// The longest start of `text` at most `width` display columns wide (at least one
/// character), and the rest.
fn split_at_width(text: &str, width: usize) -> (String, String) {
    let mut used = 0;
    for (at, c) in text.char_indices() {
        let w = c.width().unwrap_or(0);
        if used + w > width && at > 0 {
            return (text[..at].to_string(), text[at..].to_string());
        }
        used += w;
    }
    (text.to_string(), String::new())
}

/// The width of the terminal stdout is: its window size, else `$COLUMNS`.
pub fn terminal_width() -> Option<usize> {
    terminal_size::terminal_size_of(std::io::stdout())
        .map(|(terminal_size::Width(w), _)| usize::from(w))
        .filter(|&w| w > 0)
        .or_else(|| std::env::var("COLUMNS").ok()?.trim().parse().ok())
}

/// The terminal's height in rows, if stdout is one whose size is known.
pub fn terminal_rows() -> Option<usize> {
    terminal_size::terminal_size_of(std::io::stdout())
        .map(|(_, terminal_size::Height(h))| usize::from(h))
        .filter(|&h| h > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(header: &[&str], rows: &[&[&str]], gives: &[(Give, u8)]) -> Table {
        Table {
            header: header.iter().map(|s| s.to_string()).collect(),
            rows: rows
                .iter()
                .map(|r| r.iter().map(|s| s.to_string()).collect())
                .collect(),
            colors: rows.iter().map(|r| vec![None; r.len()]).collect(),
            gives: gives.to_vec(),
        }
    }

    fn widths(text: &str) -> Vec<usize> {
        text.lines().map(UnicodeWidthStr::width).collect()
    }

    #[test]
    fn shortening_and_wrapping_count_display_columns() {
        assert_eq!(shorten("abcdef", 4), "abc…");
        assert_eq!(shorten("キャッシュ", 5), "キャ…");
        assert_eq!(
            wrap("キャッシュ-tokyo is full", 6),
            ["キャッ", "シュ-t", "okyo", "is", "full"]
        );
        assert_eq!(wrap("status is suspended", 12), ["status is", "suspended"]);
        assert_eq!(wrap("", 5), [""]);
    }

    #[test]
    fn columns_give_way_in_rank_order_and_ids_stay_whole() {
        let t = table(
            &["PROVIDER", "PROFILE", "ID", "ENDPOINT"],
            &[&[
                "upstash",
                "upstash",
                "a1b2c3d4-0000-4000-8000-000000000002",
                "demo-rate-limiter-2.upstash.io:6379",
            ]],
            &[
                (Give::Trim(8), 9),
                (Give::Repeats("PROVIDER"), 1),
                (Give::Never, 0),
                (Give::Shorten(24), 2),
            ],
        );
        let fit = t.fit(90, true);
        assert_eq!(fit.changes, ["PROFILE hidden"]);
        let fit = t.fit(75, true);
        let text = t.render(&fit, true, false);
        assert!(text.contains(" demo-rate-limiter-2.upsta…\n"), "{text}");
        assert!(widths(&text).iter().all(|&w| w <= 75), "{text}");
        let fit = t.fit(50, true);
        assert_eq!(fit.changes, ["PROFILE hidden", "ENDPOINT hidden"]);
        let text = t.render(&fit, true, false);
        assert!(text.contains("a1b2c3d4-0000-4000-8000-000000000002"));
    }

    #[test]
    fn a_message_wraps_instead_of_going_and_colour_never_counts() {
        let mut t = table(
            &["SEVERITY", "ID", "MESSAGE"],
            &[&[
                "warning",
                "2145877/51230002",
                "memory 91.4% used (1.83 GiB of 2 GiB)",
            ]],
            &[(Give::Never, 0), (Give::Never, 0), (Give::Wrap(12), 1)],
        );
        t.colors[0][0] = Some(Color::Yellow);
        let fit = t.fit(40, true);
        let text = t.render(&fit, true, true);
        let plain = text.replace("\x1b[33m", "").replace("\x1b[39m", "");
        assert!(widths(&plain).iter().all(|&w| w <= 40), "{plain}");
        assert!(text.contains("\x1b[33mwarning\x1b[39m  "), "{text:?}");
        let words: Vec<&str> = plain.split_whitespace().collect();
        assert!(words
            .join(" ")
            .contains("memory 91.4% used (1.83 GiB of 2 GiB)"));
    }

    #[test]
    fn ids_and_names_never_wrap_even_past_the_terminal() {
        let id = "a1b2c3d4-0000-4000-8000-000000000002";
        let t = table(
            &["ACTION", "PROFILE", "NAME", "ID", "CHANGES"],
            &[&["- delete", "upstash", "rate-limiter", id, "not in the spec"]],
            &[
                (Give::Never, 0),
                (Give::Trim(10), 1),
                (Give::Never, 0),
                (Give::Never, 0),
                (Give::Wrap(20), 2),
            ],
        );
        // The message wraps below its own floor before anything else would.
        let fit = t.fit(80, true);
        assert_eq!(fit.changes, ["CHANGES wrapped"]);
        let text = t.render(&fit, true, false);
        assert!(widths(&text).iter().all(|&w| w <= 80), "{text}");
        assert!(
            text.contains(&format!(" rate-limiter  {id}  not in\n")),
            "{text}"
        );
        // Nothing else can give: the line is wider than the terminal, the id whole.
        let fit = t.fit(40, true);
        let text = t.render(&fit, true, false);
        assert!(text.contains(&format!(" rate-limiter  {id}  ")), "{text}");
        assert!(fit
            .changes
            .iter()
            .all(|c| !c.starts_with("ID") && !c.starts_with("NAME")));
    }

    #[test]
    fn a_profile_that_differs_from_its_provider_stays() {
        let t = table(
            &["PROVIDER", "PROFILE", "ID"],
            &[&["upstash", "prod", "x"]],
            &[
                (Give::Never, 0),
                (Give::Repeats("PROVIDER"), 1),
                (Give::Never, 0),
            ],
        );
        assert!(t
            .fit(10, true)
            .changes
            .iter()
            .all(|c| !c.contains("PROFILE hidden")));
    }
}
