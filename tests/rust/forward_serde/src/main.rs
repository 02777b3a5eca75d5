//! `forward_serde write N` prints N serde lines of `ForwardEvent` / `MetricsEvent` values (extreme
//! counts and times, leap seconds, every status, unicode, bus-wrapped and bare, Chat and System);
//! `forward_serde echo` parses every line of stdin as a `MetricsEvent` or a bare `ForwardEvent` and
//! writes it back as serde writes it, or `error: line N: ...` for a line serde rejects (exit
//! status 1 if any); `forward_serde judge` reads stdin as raw bytes, one line per `\n` (the line
//! without it is handed to `serde_json::from_slice`, as a reader of a byte stream would), and
//! writes one verdict per line: `ok <the value as serde writes it>` or `err <serde's message>`.
//!
//! The types are those of `bamboo_engine::metrics::events` (field names, types and order; serde's
//! default externally tagged representation). `Chat` and `System` carry JSON values here: their
//! real payloads are not what this test is about.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use std::io::{self, BufRead, Write};

#[derive(Serialize, Deserialize)]
pub struct EventMeta {
    pub event_id: String,
    pub occurred_at: DateTime<Utc>,
    pub trace_id: Option<String>,
}

#[derive(Serialize, Deserialize)]
pub struct TokenUsage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub total_tokens: u64,
}

#[derive(Serialize, Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum ForwardStatus {
    Pending,
    Success,
    Error,
}

#[derive(Serialize, Deserialize)]
pub enum ForwardEvent {
    RequestStarted {
        meta: EventMeta,
        request_id: String,
        endpoint: String,
        model: String,
        is_stream: bool,
    },
    RequestCompleted {
        meta: EventMeta,
        request_id: String,
        status_code: u16,
        status: ForwardStatus,
        usage: Option<TokenUsage>,
        latency_ms: u64,
        error: Option<String>,
    },
}

#[derive(Serialize, Deserialize)]
pub enum MetricsEvent {
    Chat(serde_json::Value),
    Forward(ForwardEvent),
    System(serde_json::Value),
}

/// A small deterministic generator (xorshift64*): the same lines on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, items: &'a [&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

const TEXTS: &[&str] = &[
    "",
    "req-1",
    "gpt-5-mini",
    "openai.chat_completions",
    "anthropic.messages",
    "quote \" backslash \\ slash / tab \t newline \n cr \r",
    "control \u{0001}\u{001f}\u{007f} bell \u{0007}",
    "unicode é 中文 ✓ emoji 🦀 rtl \u{202e}",
    "nul \u{0000} inside",
    "line\u{2028}separator\u{2029}",
    "\u{feff}bom",
];

fn text(rng: &mut Rng) -> String {
    let mut out = String::from(rng.pick(TEXTS));
    if rng.below(3) == 0 {
        out.push_str(&format!("-{:x}", rng.next()));
    }
    if rng.below(50) == 0 {
        out = out.repeat(1 + rng.below(2000) as usize);
    }
    out
}

fn u64_value(rng: &mut Rng) -> u64 {
    match rng.below(6) {
        0 => 0,
        1 => u64::MAX,
        2 => (1 << 63) - 1 + rng.below(3),
        3 => rng.next(),
        _ => rng.below(100_000),
    }
}

fn time(rng: &mut Rng) -> DateTime<Utc> {
    let naive: NaiveDateTime = match rng.below(8) {
        // chrono's whole range, leap seconds, the epoch's neighbourhood, the int64-ns edges
        0 => NaiveDateTime::MIN,
        1 => NaiveDateTime::MAX,
        2 => {
            let date = NaiveDate::from_ymd_opt(2016, 12, 31).unwrap();
            date.and_hms_nano_opt(23, 59, 59, 1_000_000_000 + rng.below(1_000_000_000) as u32)
                .unwrap()
        }
        3 => {
            let year = [-1, 0, 1, 1969, 1970, 2262, 2263, 9999, 10000][rng.below(9) as usize];
            NaiveDate::from_ymd_opt(year, 1 + rng.below(12) as u32, 1 + rng.below(28) as u32)
                .unwrap()
                .and_hms_nano_opt(0, 0, 0, rng.below(1_000_000_000) as u32)
                .unwrap()
        }
        _ => {
            let secs = 1_700_000_000 + rng.below(100_000_000) as i64;
            let nanos = match rng.below(4) {
                0 => 0,
                1 => (rng.below(1000) * 1_000_000) as u32,
                2 => (rng.below(1_000_000) * 1000) as u32,
                _ => rng.below(1_000_000_000) as u32,
            };
            NaiveDateTime::from_timestamp_opt(secs, nanos).unwrap()
        }
    };
    DateTime::<Utc>::from_utc(naive, Utc)
}

fn meta(rng: &mut Rng, n: u64) -> EventMeta {
    let trace_id = match rng.below(4) {
        0 => None,
        1 => Some(format!("{:016x}{:016x}", rng.next(), rng.next())),
        2 => Some("00000000000000000000000000000000".to_string()),
        _ => Some(text(rng)),
    };
    EventMeta { event_id: format!("{:08x}-{}", n, text(rng)), occurred_at: time(rng), trace_id }
}

fn event(rng: &mut Rng, n: u64) -> ForwardEvent {
    let request_id = format!("req-{}", n / 2);
    if n % 2 == 0 {
        ForwardEvent::RequestStarted {
            meta: meta(rng, n),
            request_id,
            endpoint: text(rng),
            model: text(rng),
            is_stream: rng.below(2) == 0,
        }
    } else {
        let status =
            [ForwardStatus::Pending, ForwardStatus::Success, ForwardStatus::Error][rng.below(3) as usize];
        let usage = if rng.below(4) == 0 {
            None
        } else {
            Some(TokenUsage {
                prompt_tokens: u64_value(rng),
                completion_tokens: u64_value(rng),
                total_tokens: u64_value(rng),
            })
        };
        let status_code = [0u16, 200, 429, 500, u16::MAX][rng.below(5) as usize];
        let error = if rng.below(2) == 0 { None } else { Some(text(rng)) };
        ForwardEvent::RequestCompleted {
            meta: meta(rng, n),
            request_id,
            status_code,
            status,
            usage,
            latency_ms: u64_value(rng),
            error,
        }
    }
}

fn write(count: u64) -> io::Result<()> {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for n in 0..count {
        let line = match n % 10 {
            8 => serde_json::to_string(&MetricsEvent::Chat(serde_json::json!({"n": n}))),
            9 => serde_json::to_string(&MetricsEvent::System(serde_json::json!(["up", n]))),
            k if k % 2 == 0 => serde_json::to_string(&MetricsEvent::Forward(event(&mut rng, n))),
            _ => serde_json::to_string(&event(&mut rng, n)),
        }
        .expect("serde writes every value of these types");
        writeln!(out, "{}", line)?;
    }
    out.flush()
}

fn echo() -> io::Result<bool> {
    let stdin = io::stdin();
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut ok = true;
    for (index, line) in stdin.lock().lines().enumerate() {
        let line = line?;
        let written = match serde_json::from_str::<MetricsEvent>(&line) {
            Ok(event) => serde_json::to_string(&event),
            Err(_) => match serde_json::from_str::<ForwardEvent>(&line) {
                Ok(event) => serde_json::to_string(&event),
                Err(error) => {
                    writeln!(out, "error: line {}: {}", index + 1, error)?;
                    ok = false;
                    continue;
                }
            },
        };
        writeln!(out, "{}", written.expect("serde writes what it read"))?;
    }
    out.flush()?;
    Ok(ok)
}

fn judge() -> io::Result<()> {
    let stdin = io::stdin();
    let mut input = stdin.lock();
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut line = Vec::new();
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        if line.last() == Some(&b'\n') {
            line.pop();
        }
        let verdict = match serde_json::from_slice::<MetricsEvent>(&line) {
            Ok(event) => serde_json::to_string(&event),
            Err(_) => match serde_json::from_slice::<ForwardEvent>(&line) {
                Ok(event) => serde_json::to_string(&event),
                Err(error) => {
                    let message = error.to_string().replace('\n', " ");
                    writeln!(out, "err {}", message)?;
                    continue;
                }
            },
        };
        writeln!(out, "ok {}", verdict.expect("serde writes what it read"))?;
    }
    out.flush()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("write") => {
            let count = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(1000);
            write(count).expect("stdout");
        }
        Some("judge") => judge().expect("stdin"),
        Some("echo") => {
            if !echo().expect("stdin") {
                std::process::exit(1);
            }
        }
        _ => {
            eprintln!("usage: forward_serde write [N] | forward_serde echo | forward_serde judge");
            std::process::exit(2);
        }
    }
}
