//! Colour on terminals: pass and fail marks, headers and event kinds. Colour is on only when
//! standard output is a terminal (and `TERM` is not `dumb`), and off whenever `NO_COLOR` is set
//! to a non-empty value (<https://no-color.org>). `CLICOLOR_FORCE` set to a non-empty value other
//! than `0` turns it on for a pipe (<https://bixense.com/clicolors/>); `NO_COLOR` still wins.

use std::io::IsTerminal;

use hysim_engine::EventKind;

/// Whether to paint, decided once per command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Style {
    on: bool,
}

/// How an event reads for the identity it is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tone {
    /// Something lost, refused or failed.
    Bad,
    /// Something set aside or at risk: still recoverable.
    Warn,
    /// Something brought back or matched.
    Good,
    Neutral,
}

fn set(var: &str) -> bool {
    std::env::var_os(var).is_some_and(|v| !v.is_empty())
}

pub(crate) fn tone(kind: EventKind) -> Tone {
    use EventKind as K;
    match kind {
        K::Purged
        | K::HardDeleted
        | K::RestoreFailed
        | K::InvalidHardMatch
        | K::InvalidSoftMatch
        | K::AdminRoleConflict
        | K::ExportStopped
        | K::WriteRefused
        | K::NotFound
        | K::Refused
        | K::AdRemoved
        | K::AdRecycled => Tone::Bad,
        K::SoftDeleted
        | K::AdDeleted
        | K::AdTombstoned
        | K::RelationSkipped
        | K::PropertySkipped
        | K::Skipped
        | K::Disconnected
        | K::AttributeQuarantined
        | K::OverrideKept
        | K::RelationRemoved
        | K::LicenceRemoved
        | K::Overwritten => Tone::Warn,
        K::RestoredFromRecycleBin
        | K::RestoredFromBackup
        | K::RelationRestored
        | K::HardMatched
        | K::SoftMatched
        | K::Provisioned
        | K::AdUndeleted
        | K::AdReanimated
        | K::AdRecreated
        | K::QuarantineReleased
        | K::Created
        | K::RelationAdded
        | K::LicenceInherited => Tone::Good,
        _ => Tone::Neutral,
    }
}

const RED: &str = "31";
const GREEN: &str = "32";
const YELLOW: &str = "33";
const CYAN: &str = "36";
const BOLD: &str = "1";
const DIM: &str = "2";

/// Every escape sequence [`Style::paint`] writes, longest first.
const OWN_CODES: &[&str] = &[
    "\x1b[1;36m",
    "\x1b[31m",
    "\x1b[32m",
    "\x1b[33m",
    "\x1b[36m",
    "\x1b[0m",
    "\x1b[1m",
    "\x1b[2m",
];

impl Style {
    /// Colour for standard output, from the terminal and the environment.
    pub fn detect() -> Style {
        let on = if set("NO_COLOR") {
            false
        } else if std::env::var_os("CLICOLOR_FORCE").is_some_and(|v| !v.is_empty() && v != "0") {
            true
        } else {
            std::io::stdout().is_terminal() && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
        };
        Style { on }
    }

    /// No colour.
    pub fn plain() -> Style {
        Style { on: false }
    }

    /// Colour, whatever the terminal.
    pub fn coloured() -> Style {
        Style { on: true }
    }

    fn paint(self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    /// A passed check's mark, or a count of passed checks.
    pub fn pass(self, s: &str) -> String {
        self.paint(GREEN, s)
    }
    /// A failed check's mark, or what was lost.
    pub fn fail(self, s: &str) -> String {
        self.paint(RED, s)
    }
    /// What was gained.
    pub fn good(self, s: &str) -> String {
        self.paint(GREEN, s)
    }
    pub fn warn(self, s: &str) -> String {
        self.paint(YELLOW, s)
    }
    /// A scenario or section header.
    pub fn header(self, s: &str) -> String {
        self.paint(BOLD, s)
    }
    /// A step header.
    pub fn step(self, s: &str) -> String {
        self.paint(&format!("{BOLD};{CYAN}"), s)
    }
    /// Secondary text: rule sources, counts.
    pub fn dim(self, s: &str) -> String {
        self.paint(DIM, s)
    }
    /// `text` as it may reach a terminal: every control character but the line break written
    /// as an escape (`\u{7}`), so that a value holding one (a bell, a cursor move) shows as
    /// text; the colour codes this style wrote itself are kept.
    pub fn safe(self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(c) = rest.chars().next() {
            if c == '\x1b' && self.on {
                let own = OWN_CODES.iter().find(|code| rest.starts_with(**code));
                if let Some(code) = own {
                    out.push_str(code);
                    rest = rest.get(code.len()..).unwrap_or_default();
                    continue;
                }
            }
            if c.is_control() && c != '\n' {
                out.push_str(&c.escape_unicode().to_string());
            } else {
                out.push(c);
            }
            rest = rest.get(c.len_utf8()..).unwrap_or_default();
        }
        out
    }

    /// An event's kind, coloured by what it means for the identity.
    pub fn kind(self, kind: EventKind) -> String {
        let name = kind.name();
        match tone(kind) {
            Tone::Bad => self.paint(RED, &name),
            Tone::Warn => self.paint(YELLOW, &name),
            Tone::Good => self.paint(GREEN, &name),
            Tone::Neutral => self.paint(CYAN, &name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_style_writes_no_escape_codes() {
        let s = Style::plain();
        assert_eq!(s.kind(EventKind::Purged), "purged");
        assert_eq!(s.pass("✓"), "✓");
    }

    #[test]
    fn control_characters_reach_the_terminal_escaped_and_own_colours_kept() {
        let on = Style { on: true };
        let text = format!("{} a\u{7}b\x1b[2J\n", on.fail("✗"));
        assert_eq!(on.safe(&text), "\x1b[31m✗\x1b[0m a\\u{7}b\\u{1b}[2J\n");
        assert_eq!(Style::plain().safe("\x1b[31mx\t"), "\\u{1b}[31mx\\u{9}");
    }

    #[test]
    fn coloured_style_wraps_in_sgr_codes() {
        let s = Style { on: true };
        assert_eq!(s.fail("✗"), "\x1b[31m✗\x1b[0m");
        assert_eq!(
            s.kind(EventKind::HardMatched),
            "\x1b[32mhard-matched\x1b[0m"
        );
    }
}
