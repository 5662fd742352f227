//! The measured programs as child processes, and what `/proc` says about them.
//!
//! Each program runs as the release binary the xtask built, with its output in
//! `target/bench/logs/NAME.log`; a [`Proc`] (from `myna-harness`, shared with xtask) stops
//! its process on drop (SIGTERM, then SIGKILL after 5 s), so a failing measurement never
//! leaves a bridge or a service behind.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context as _, Result};
pub use myna_harness::free_port;
use myna_harness::{Output, Proc};

/// Starts `program args…` (with `env` added) as `name`, its output into `logs/NAME.log`;
/// stopped on drop ([`Proc`]).
pub fn spawn(
    name: &str,
    program: &Path,
    args: &[String],
    env: &[(&str, &str)],
    logs: &Path,
) -> Result<Proc> {
    let mut cmd = Command::new(program);
    cmd.args(args).envs(env.iter().copied());
    Ok(Proc::spawn(
        name,
        cmd,
        Output::Fresh(&logs.join(format!("{name}.log"))),
    )?)
}

/// Waits until `GET path` on `addr` answers 200 (or the process dies, or 30 s pass).
pub fn wait_http_ok(child: &mut Proc, addr: SocketAddr, path: &str) -> Result<()> {
    Ok(child.wait_http(addr, path, |status| status == 200)?)
}

/// Starts the bridge `program` as `name` on loopback `port`, allowing `origin`, with `extra`
/// arguments and `env`, and waits until `GET /health` answers 200. Its config file is an empty
/// `logs/NAME.toml`: nothing from the user's own bridge.toml leaks in.
pub fn start_bridge(
    program: &Path,
    name: &str,
    port: u16,
    origin: &str,
    extra: &[&str],
    env: &[(&str, &str)],
    logs: &Path,
) -> Result<Proc> {
    std::fs::create_dir_all(logs).with_context(|| format!("creating {}", logs.display()))?;
    let config_file = logs.join(format!("{name}.toml"));
    std::fs::write(&config_file, "")?;
    let mut args: Vec<String> = vec![
        "--listen".into(),
        format!("127.0.0.1:{port}"),
        "--allow-origin".into(),
        origin.into(),
        "--config".into(),
        config_file.to_str().context("a non-UTF-8 path")?.into(),
    ];
    args.extend(extra.iter().map(|a| (*a).to_owned()));
    let mut child = spawn(name, program, &args, env, logs)?;
    wait_http_ok(
        &mut child,
        SocketAddr::from(([127, 0, 0, 1], port)),
        "/health",
    )?;
    Ok(child)
}

/// CPU time and resident memory of a process, from `/proc/PID/stat` and `/proc/PID/status`,
/// plus the context switches of all its threads (each one is a wake-up).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcSample {
    /// User + system time, in clock ticks.
    pub cpu_ticks: u64,
    /// Resident set size, KiB (`VmRSS`).
    pub rss_kib: u64,
    /// Voluntary + involuntary context switches summed over the threads.
    pub context_switches: u64,
    /// Threads.
    pub threads: u64,
}

/// Parses `utime` and `stime` (fields 14 and 15) from a `/proc/PID/stat` line.
pub fn parse_stat_cpu_ticks(stat: &str) -> Option<u64> {
    // The command name (field 2) is in parentheses and may hold spaces: split after it.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state), so field n is at index n - 3.
    let utime: u64 = fields.get(14 - 3)?.parse().ok()?;
    let stime: u64 = fields.get(15 - 3)?.parse().ok()?;
    Some(utime + stime)
}

/// The value of a `Key:  123 kB` line of `/proc/PID/status`.
pub fn parse_status_field(status: &str, key: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}

/// Samples process `pid`.
pub fn sample(pid: u32) -> Result<ProcSample> {
    let base = PathBuf::from(format!("/proc/{pid}"));
    let stat = std::fs::read_to_string(base.join("stat")).context("reading /proc/PID/stat")?;
    let status =
        std::fs::read_to_string(base.join("status")).context("reading /proc/PID/status")?;
    let cpu_ticks = parse_stat_cpu_ticks(&stat).context("parsing /proc/PID/stat")?;
    let rss_kib = parse_status_field(&status, "VmRSS").context("no VmRSS")?;
    let threads = parse_status_field(&status, "Threads").unwrap_or(0);
    let mut context_switches = 0;
    for task in std::fs::read_dir(base.join("task")).context("listing /proc/PID/task")? {
        let Ok(task) = task else { continue };
        let Ok(status) = std::fs::read_to_string(task.path().join("status")) else {
            continue; // the thread ended meanwhile
        };
        context_switches += parse_status_field(&status, "voluntary_ctxt_switches").unwrap_or(0)
            + parse_status_field(&status, "nonvoluntary_ctxt_switches").unwrap_or(0);
    }
    Ok(ProcSample {
        cpu_ticks,
        rss_kib,
        context_switches,
        threads,
    })
}

/// `fsync` and `fdatasync` on x86-64 Linux.
#[cfg(target_arch = "x86_64")]
pub const SYNC_SYSCALLS: &[i64] = &[74, 75];
/// `fsync` and `fdatasync` on arm64 Linux.
#[cfg(target_arch = "aarch64")]
pub const SYNC_SYSCALLS: &[i64] = &[82, 83];
/// Unknown numbering: nothing is recognised.
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
pub const SYNC_SYSCALLS: &[i64] = &[];

/// The system call a thread is blocked in, from `/proc/PID/task/TID/syscall` (`None` when it
/// is running or not in a call).
pub fn parse_syscall(text: &str) -> Option<i64> {
    text.split_whitespace()
        .next()?
        .parse()
        .ok()
        .filter(|n: &i64| *n >= 0)
}

/// Whether any thread of `pid` is inside one of `calls` now.
pub fn any_thread_in(pid: u32, calls: &[i64]) -> bool {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return false;
    };
    tasks.filter_map(Result::ok).any(|task| {
        std::fs::read_to_string(task.path().join("syscall"))
            .ok()
            .and_then(|t| parse_syscall(&t))
            .is_some_and(|n| calls.contains(&n))
    })
}

/// Samples, on its own thread, how often some thread of a process is inside a sync call.
pub struct SyncSampler {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: std::thread::JoinHandle<(u64, u64)>,
}

impl SyncSampler {
    /// Starts sampling `pid` every `period`.
    pub fn start(pid: u32, period: Duration) -> Self {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = std::sync::Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let (mut samples, mut hits) = (0u64, 0u64);
            while !flag.load(std::sync::atomic::Ordering::Relaxed) {
                samples += 1;
                if any_thread_in(pid, SYNC_SYSCALLS) {
                    hits += 1;
                }
                std::thread::sleep(period);
            }
            (samples, hits)
        });
        SyncSampler { stop, thread }
    }

    /// Stops; the share of samples (0–1) that found a thread in `fsync`/`fdatasync`, and
    /// the number of samples.
    pub fn finish(self) -> (f64, u64) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let (samples, hits) = self.thread.join().unwrap_or((0, 0));
        (hits as f64 / samples.max(1) as f64, samples)
    }
}

/// Clock ticks per second (`getconf CLK_TCK`; 100 if that fails, the Linux default).
pub fn clock_ticks_per_second() -> u64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc_stat_with_a_tricky_name() {
        // Field 2 holds spaces and a parenthesis; utime = 1234, stime = 56.
        let stat = "4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 500 0 0 0 1234 56 0 0 20 0 \
                    5 0 100 12345678 2000 18446744073709551615";
        assert_eq!(parse_stat_cpu_ticks(stat), Some(1290));
        assert_eq!(parse_stat_cpu_ticks("garbage"), None);
        assert_eq!(parse_stat_cpu_ticks("1 (x) S 1 2"), None);
    }

    #[test]
    fn parses_proc_status_fields() {
        let status = "Name:\tmyna-bridge\nVmRSS:\t    8120 kB\nThreads:\t5\n\
                      voluntary_ctxt_switches:\t17\nnonvoluntary_ctxt_switches:\t2\n";
        assert_eq!(parse_status_field(status, "VmRSS"), Some(8120));
        assert_eq!(parse_status_field(status, "Threads"), Some(5));
        assert_eq!(
            parse_status_field(status, "voluntary_ctxt_switches"),
            Some(17)
        );
        assert_eq!(
            parse_status_field(status, "nonvoluntary_ctxt_switches"),
            Some(2)
        );
        assert_eq!(parse_status_field(status, "VmSwap"), None);
    }

    #[test]
    fn parses_proc_syscall() {
        assert_eq!(
            parse_syscall("75 0x5 0x0 0x0 0x0 0x0 0x0 0x7ffd 0x7f12\n"),
            Some(75)
        );
        assert_eq!(parse_syscall("running\n"), None);
        assert_eq!(parse_syscall("-1 0x7ffd 0x7f12\n"), None);
        assert_eq!(parse_syscall(""), None);
    }

    #[test]
    fn samples_this_process() {
        let s = sample(std::process::id()).unwrap();
        assert!(s.rss_kib > 0);
        assert!(s.threads >= 1);
        assert!(clock_ticks_per_second() > 0);
    }
}
