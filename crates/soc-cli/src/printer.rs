//! The one printer: data to stdout, everything else to stderr.
//!
//! This is the only module allowed to write to the standard streams (the crate denies
//! `print_stdout`/`print_stderr` elsewhere), so the rules live in one place: reports and diffs go
//! to stdout; progress, logs, warnings and errors go to stderr; colour only when the stream is a
//! terminal, `NO_COLOR` is unset and `TERM` is not `dumb` (or when `--color always` says so); `-q`
//! silences everything but errors (and the GitHub Actions workflow commands, which are for the
//! CI system rather than for people); a closed stdout is not an error.
//!
//! Messages carry data from outside (workflow names, server messages, file names in archives,
//! paths): every status line, warning, error line, hint and log field is passed through
//! [`soc_text::printable`] here, so no message can reach the terminal with a control sequence or a
//! bidirectional override in it, however it was built. Plain-text listings on stdout go through
//! [`Printer::lines`], which does the same per line.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::fmt;
use std::io::{self, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use anstyle::{AnsiColor, Style};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use soc_text::printable;
use tracing_subscriber::field::MakeExt;
use tracing_subscriber::field::delimited::Delimited;
use tracing_subscriber::fmt::format::{FieldFn, Writer};

use crate::error::{CliError, ErrorLine};

/// When to use colour, as given by `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour when the stream is a terminal, `NO_COLOR` is unset or empty and `TERM` is not
    /// `dumb`.
    #[default]
    Auto,
    /// Always colour (an explicit flag overrides `NO_COLOR`, as no-color.org asks).
    Always,
    /// Never colour.
    Never,
}

/// What decides colour on one stream when the choice is `auto`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stream {
    /// The stream is a terminal (and not a dumb one).
    pub is_terminal: bool,
    /// `NO_COLOR` is set (or `TERM=dumb`).
    pub no_color: bool,
}

impl ColorChoice {
    /// Whether a stream gets colour.
    pub fn resolve(self, stream: Stream) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => stream.is_terminal && !stream.no_color,
        }
    }
}

/// How chatty stderr is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verbosity {
    /// `-q`: errors only.
    Quiet,
    /// The default: warnings and short status lines.
    Normal,
    /// `-v` (count): info, debug (`-vv`) or trace (`-vvv`) logs.
    Verbose(u8),
}

impl Verbosity {
    /// From the `-q` flag and the `-v` count.
    pub fn from_flags(quiet: bool, verbose: u8) -> Self {
        match (quiet, verbose) {
            (true, _) => Verbosity::Quiet,
            (false, 0) => Verbosity::Normal,
            (false, n) => Verbosity::Verbose(n),
        }
    }

    /// The `tracing` filter used when `RUST_LOG` is not set.
    pub fn default_filter(self) -> &'static str {
        match self {
            Verbosity::Quiet => "error",
            Verbosity::Normal => "warn",
            Verbosity::Verbose(1) => "info",
            Verbosity::Verbose(2) => "debug",
            Verbosity::Verbose(_) => "trace",
        }
    }
}

/// Writes data to stdout and messages to stderr.
#[derive(Debug)]
pub struct Printer {
    stdout_color: bool,
    stderr_color: bool,
    stderr_is_terminal: bool,
    verbosity: Verbosity,
    stdout_closed: AtomicBool,
}

impl Printer {
    /// A printer for this process: probes whether the streams are terminals and reads `NO_COLOR`
    /// and `TERM`.
    pub fn new(color: ColorChoice, verbosity: Verbosity) -> Self {
        let dumb = dumb_terminal(std::env::var_os("TERM").as_deref());
        let no_color = dumb || std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        // A dumb terminal cannot move the cursor, so a progress bar would print line after line.
        let stderr_is_terminal = io::stderr().is_terminal() && !dumb;
        Printer {
            stdout_color: color.resolve(Stream {
                is_terminal: io::stdout().is_terminal(),
                no_color,
            }),
            stderr_color: color.resolve(Stream {
                is_terminal: stderr_is_terminal,
                no_color,
            }),
            stderr_is_terminal,
            verbosity,
            stdout_closed: AtomicBool::new(false),
        }
    }

    /// Whether data written to stdout may carry ANSI colour.
    pub fn stdout_color(&self) -> bool {
        self.stdout_color
    }

    /// Installs the `tracing` subscriber: logs to stderr, filtered by `RUST_LOG` or else by
    /// `-q`/`-v`.
    pub fn init_logging(&self) {
        let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
            tracing_subscriber::EnvFilter::new(self.verbosity.default_filter())
        });
        // A second initialisation (tests calling `run` twice) keeps the first subscriber.
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(io::stderr)
            .with_ansi(self.stderr_color)
            .without_time()
            .fmt_fields(log_fields())
            .try_init();
    }

    /// Writes data (a report, a diff, a canonical document) to stdout.
    ///
    /// A closed pipe (`socdrift diff … | head`) is not an error: the rest is dropped quietly and the
    /// command keeps its exit status.
    pub fn data(&self, text: &str) -> Result<(), CliError> {
        self.data_bytes(text.as_bytes())
    }

    /// Like [`Printer::data`], for bytes.
    pub fn data_bytes(&self, bytes: &[u8]) -> Result<(), CliError> {
        if self.stdout_closed.load(Ordering::Relaxed) {
            return Ok(());
        }
        let mut out = io::stdout().lock();
        match out.write_all(bytes).and_then(|()| out.flush()) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.stdout_closed.store(true, Ordering::Relaxed);
                Ok(())
            }
            Err(e) => Err(CliError::context("cannot write to stdout", e)),
        }
    }

    /// Plain-text lines (a listing such as `verify` or `log` prints) to stdout, each escaped with
    /// [`soc_text::printable`]: a line holds exactly one line of output, whatever data is in it.
    pub fn lines<I>(&self, lines: I) -> Result<(), CliError>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let mut out = String::new();
        for line in lines {
            out.push_str(&printable(line.as_ref()));
            out.push('\n');
        }
        self.data(&out)
    }

    /// A status line on stderr (what was done, what to do next), escaped; silenced by `-q`.
    pub fn status(&self, text: &str) {
        if self.verbosity != Verbosity::Quiet {
            eprintln!("{}", printable(text));
        }
    }

    /// [`Printer::status`] as a function that owns what it needs, for callbacks a library calls
    /// while the command waits (the store's lock-wait observer).
    pub fn status_sink(&self) -> impl Fn(&str) + Send + Sync + 'static {
        let quiet = self.verbosity == Verbosity::Quiet;
        move |text| {
            if !quiet {
                eprintln!("{}", printable(text));
            }
        }
    }

    /// A warning on stderr, escaped; silenced by `-q`.
    pub fn warn(&self, text: &str) {
        if self.verbosity != Verbosity::Quiet {
            let style = Style::new().bold().fg_color(Some(AnsiColor::Yellow.into()));
            eprintln!("{}: {}", self.paint(style, "warning"), printable(text));
        }
    }

    /// An error with its causes and hints on stderr; never silenced.
    pub fn error(&self, err: &CliError) {
        let mut text = String::new();
        for line in err.lines() {
            let style = match line {
                ErrorLine::Error(_) => Style::new().bold().fg_color(Some(AnsiColor::Red.into())),
                ErrorLine::CausedBy(_) => Style::new().bold(),
                ErrorLine::Hint(_) => Style::new().bold().fg_color(Some(AnsiColor::Cyan.into())),
            };
            text.push_str(&format!(
                "{}: {}\n",
                self.paint(style, line.label()),
                printable(line.text())
            ));
        }
        eprint!("{text}");
    }

    /// GitHub Actions workflow commands (`::error …`), one per line, on stderr so that stdout
    /// stays one report document; never silenced, since they are for the CI system.
    pub fn workflow_commands(&self, text: &str) {
        eprint!("{text}");
    }

    /// A progress display on stderr, drawn only when stderr is a terminal and not `-q`; hidden
    /// (every call a no-op) otherwise, so CI logs stay clean. Its total is not known yet: it
    /// counts (`12 of ?`) until [`set_total`] turns it into a bar, so a bar never jumps backwards.
    pub fn progress_counting(&self, message: &str) -> ProgressBar {
        if !self.stderr_is_terminal || self.verbosity == Verbosity::Quiet {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template("{msg:>12} {spinner} {pos} of ? {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        bar.set_style(style);
        bar.set_message(printable(message).into_owned());
        bar
    }

    fn paint(&self, style: Style, text: &str) -> String {
        if self.stderr_color {
            format!("{}{text}{}", style.render(), style.render_reset())
        } else {
            text.to_string()
        }
    }
}

/// Gives a progress display its total and draws it as a bar from then on.
pub fn set_total(bar: &ProgressBar, len: u64) {
    let style = ProgressStyle::with_template("{msg:>12} [{bar:30}] {pos}/{len} {elapsed}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    bar.set_style(style);
    bar.set_length(len);
}

/// Whether `TERM` names a terminal without colour or cursor movement.
fn dumb_terminal(term: Option<&std::ffi::OsStr>) -> bool {
    term.is_some_and(|t| t == "dumb")
}

/// How log lines show their fields: every value, the message included, escaped.
type LogFields = Delimited<
    &'static str,
    FieldFn<fn(&mut Writer<'_>, &tracing::field::Field, &dyn fmt::Debug) -> fmt::Result>,
>;

/// The field formatter of the `tracing` subscriber: `name=value` pairs and the message, each
/// passed through [`soc_text::printable`] (log fields carry server messages and ids).
fn log_fields() -> LogFields {
    let format: fn(&mut Writer<'_>, &tracing::field::Field, &dyn fmt::Debug) -> fmt::Result =
        |writer, field, value| {
            let text = format!("{value:?}");
            if field.name() == "message" {
                write!(writer, "{}", printable(&text))
            } else {
                write!(writer, "{}={}", field.name(), printable(&text))
            }
        };
    tracing_subscriber::fmt::format::debug_fn(format).delimited(" ")
}

/// `1 workflow`, `6 workflows`: a count and a noun that takes a plain `s` in the plural.
pub fn counted(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("{n} {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_colour_needs_a_terminal_and_no_no_color() {
        let stream = |is_terminal, no_color| Stream {
            is_terminal,
            no_color,
        };
        let terminal = stream(true, false);
        assert!(ColorChoice::Auto.resolve(terminal));
        assert!(!ColorChoice::Auto.resolve(stream(false, false)));
        assert!(!ColorChoice::Auto.resolve(stream(true, true)));
        assert!(ColorChoice::Always.resolve(stream(false, true)));
        assert!(!ColorChoice::Never.resolve(terminal));
    }

    #[test]
    fn a_dumb_terminal_gets_no_colour() {
        assert!(dumb_terminal(Some(std::ffi::OsStr::new("dumb"))));
        assert!(!dumb_terminal(Some(std::ffi::OsStr::new("xterm-256color"))));
        assert!(!dumb_terminal(None));
    }

    #[test]
    fn log_lines_escape_messages_and_fields() {
        use std::sync::{Arc, Mutex};

        #[derive(Clone, Default)]
        struct Buffer(Arc<Mutex<Vec<u8>>>);
        impl Write for Buffer {
            fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(bytes);
                Ok(bytes.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .without_time()
            .fmt_fields(log_fields())
            .finish();
        let hostile = "a\u{1b}]0;owned\u{7}\u{1b}[2J\u{202e}b";
        tracing::subscriber::with_default(subscriber, || {
            tracing::warn!(id = hostile, problem = %hostile, "listed twice: {hostile}");
        });
        let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        let line = text.strip_suffix('\n').unwrap();
        assert!(!line.contains(soc_text::is_unsafe), "{line:?}");
        assert!(
            line.contains("listed twice: a\\u{1b}]0;owned\\u{7}\\u{1b}[2J\\u{202e}b"),
            "{line}"
        );
        assert!(line.contains("problem=a\\u{1b}]0;owned"), "{line}");
    }

    #[test]
    fn counts() {
        assert_eq!(counted(1, "snapshot"), "1 snapshot");
        assert_eq!(counted(0, "problem"), "0 problems");
    }

    #[test]
    fn verbosity_maps_to_log_levels() {
        assert_eq!(Verbosity::from_flags(true, 3).default_filter(), "error");
        assert_eq!(Verbosity::from_flags(false, 0).default_filter(), "warn");
        assert_eq!(Verbosity::from_flags(false, 1).default_filter(), "info");
        assert_eq!(Verbosity::from_flags(false, 2).default_filter(), "debug");
        assert_eq!(Verbosity::from_flags(false, 9).default_filter(), "trace");
    }
}
